// Package torchpeer locates the PyTorch oracle for tests: Debian's /usr/bin/python3
// with torch, and the peer module ../shared/peer/torch_anynet.py beside the
// repository (or $DDS_TORCH_PEER). Tests that compare against PyTorch skip when
// either is missing, except under CI (the CI variable set), where they fail.
package torchpeer

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
)

// Python is the interpreter that has Debian's python3-torch.
const Python = "/usr/bin/python3"

// Find returns the interpreter and the absolute path of the peer module, or skips
// (fails under CI) t when they are not there.
func Find(t testing.TB) (python, peer string) {
	t.Helper()
	peer = os.Getenv("DDS_TORCH_PEER")
	if peer == "" {
		_, here, _, _ := runtime.Caller(0)
		peer = filepath.Join(filepath.Dir(here), "..", "..", "..", "shared", "peer", "torch_anynet.py")
	}
	missing := ""
	if _, err := os.Stat(peer); err != nil {
		missing = "the PyTorch peer module " + peer
	} else if err := exec.Command(Python, "-c", "import torch").Run(); err != nil {
		missing = Python + " with torch (apt-get install python3-torch)"
	}
	if missing != "" {
		if os.Getenv("CI") != "" {
			t.Fatalf("this test needs %s", missing)
		}
		t.Skipf("needs %s", missing)
	}
	return Python, filepath.Clean(peer)
}

// Command returns a command running the Python script with args, with this
// package's folder on PYTHONPATH so the script can import safetensors_io.
func Command(script string, args ...string) *exec.Cmd {
	_, here, _, _ := runtime.Caller(0)
	cmd := exec.Command(Python, append([]string{script}, args...)...)
	cmd.Env = append(os.Environ(), "PYTHONPATH="+filepath.Dir(here))
	return cmd
}
