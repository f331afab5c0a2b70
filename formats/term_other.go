//go:build !linux && !darwin && !freebsd && !netbsd && !openbsd && !dragonfly

package formats

import "os"

// isTerminal reports a character device as a terminal where there is no termios
// request to ask (a null device counts too, so output to it needs a file name).
func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
