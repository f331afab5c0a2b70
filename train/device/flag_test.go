package device

import (
	"errors"
	"path/filepath"
	"testing"

	"github.com/ddstools/dds/internal/cli"
	"github.com/ddstools/dds/train/cuda"
)

// TestOpenFlag checks that a spec naming no device is a usage error with Open's
// message, and that a device that cannot be opened is not.
func TestOpenFlag(t *testing.T) {
	t.Setenv(cuda.EnvLibrary, filepath.Join(t.TempDir(), "libdds_cuda.so"))
	var ue *cli.UsageError
	if _, err := OpenFlag("gpu"); !errors.As(err, &ue) || ue.Msg != `bad --device "gpu": want cpu, cuda, cuda:N or auto` {
		t.Errorf("OpenFlag(gpu) = %v, want a usage error", err)
	}
	if _, err := OpenFlag("cuda"); err == nil || errors.As(err, &ue) {
		t.Errorf("OpenFlag(cuda) without a library = %v, want an error that is not a usage error", err)
	}
	if d, err := OpenFlag("cpu"); err != nil || d.Name != "cpu" {
		t.Errorf("OpenFlag(cpu) = %v, %v", d, err)
	}
}
