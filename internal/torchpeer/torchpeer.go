// Package torchpeer runs the PyTorch oracle for tests: Debian's /usr/bin/python3
// with torch (or $DDS_PYTHON), and the peer module ../shared/peer/torch_anynet.py
// beside the repository (or $DDS_TORCH_PEER). The oracle tests compare with golden
// files under their testdata and need neither; `go test -update` regenerates those
// files through this package, which skips a test when PyTorch or the peer module
// is missing, except under CI, where it fails (internal/testenv).
package torchpeer

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/ddstools/dds/internal/testenv"
)

// Python returns the interpreter that has Debian's python3-torch: $DDS_PYTHON, or
// /usr/bin/python3.
func Python() string {
	if p := os.Getenv("DDS_PYTHON"); p != "" {
		return p
	}
	return "/usr/bin/python3"
}

// RequireTorch returns when Python() imports torch, and otherwise skips t (fails
// it under CI).
func RequireTorch(t testing.TB) {
	t.Helper()
	err := exec.Command(Python(), "-c", "import torch").Run()
	testenv.Require(t, Python()+" with torch (apt-get install python3-torch)", err)
}

// Find returns the absolute path of the peer module after RequireTorch, or skips
// (fails under CI) t when the module is not there.
func Find(t testing.TB) (peer string) {
	t.Helper()
	peer = os.Getenv("DDS_TORCH_PEER")
	if peer == "" {
		_, here, _, _ := runtime.Caller(0)
		peer = filepath.Join(filepath.Dir(here), "..", "..", "..", "shared", "peer", "torch_anynet.py")
	}
	peer = filepath.Clean(peer)
	_, err := os.Stat(peer)
	if errors.Is(err, os.ErrNotExist) {
		err = errors.New("not found; set DDS_TORCH_PEER to its path")
	}
	testenv.Require(t, "the PyTorch peer module "+peer, err)
	RequireTorch(t)
	return peer
}

// Command returns a command running the Python script with args, with this
// package's folder on PYTHONPATH so the script can import safetensors_io.
func Command(script string, args ...string) *exec.Cmd {
	_, here, _, _ := runtime.Caller(0)
	cmd := exec.Command(Python(), append([]string{script}, args...)...)
	cmd.Env = append(os.Environ(), "PYTHONPATH="+filepath.Dir(here))
	return cmd
}
