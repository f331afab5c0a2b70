//go:build darwin || freebsd || netbsd || openbsd || dragonfly

package formats

import (
	"os"

	"golang.org/x/sys/unix"
)

// isTerminal asks for the terminal attributes with TIOCGETA, the BSD and macOS name of
// the request, which only a terminal answers.
func isTerminal(f *os.File) bool {
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TIOCGETA)
	return err == nil
}
