//go:build !unix

package cli

import "os"

// startedClosed reports false: only Unix systems are known to put a device in the
// place of a closed standard stream.
func startedClosed(f *os.File) bool { return false }
