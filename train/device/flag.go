package device

import (
	"errors"

	"github.com/ddstools/dds/internal/cli"
)

// OpenFlag is Open for the value of a program's --device flag: a spec that names no
// device is a usage error (a *cli.UsageError with Open's message, exit status 2);
// a device that cannot be opened is Open's error.
func OpenFlag(spec string) (*Device, error) {
	d, err := Open(spec)
	if errors.Is(err, ErrBadSpec) {
		return nil, cli.Usagef("%v", err)
	}
	return d, err
}
