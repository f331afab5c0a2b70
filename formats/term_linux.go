package formats

import (
	"os"

	"golang.org/x/sys/unix"
)

// isTerminal asks for the terminal attributes with TCGETS, which only a terminal answers.
func isTerminal(f *os.File) bool {
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}
