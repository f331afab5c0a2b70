package device

import (
	"errors"
	"flag"

	"github.com/ddstools/dds/internal/cli"
)

// Flag adds --device (default auto) to fs and returns its value, for OpenFlag.
func Flag(fs *flag.FlagSet) *string {
	return fs.String("device", "auto", "auto (a GPU when there is one), cpu, cuda or cuda:N")
}

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
