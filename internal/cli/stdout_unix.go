//go:build unix

package cli

import (
	"os"

	"golang.org/x/sys/unix"
)

// startedClosed reports whether f, a standard stream, was closed when the process
// started. The Go runtime then opens /dev/null read-write in its place (so nothing
// written to it fails), which a shell redirection to /dev/null never does: it opens
// the device write-only for output. Opening /dev/null read-write on standard output
// by hand (1<>/dev/null) reads the same.
func startedClosed(f *os.File) bool {
	fl, err := unix.FcntlInt(f.Fd(), unix.F_GETFL, 0)
	if err != nil {
		return true
	}
	if fl&unix.O_ACCMODE != unix.O_RDWR {
		return false
	}
	st, err := f.Stat()
	null, nerr := os.Stat(os.DevNull)
	return err == nil && nerr == nil && os.SameFile(st, null)
}
