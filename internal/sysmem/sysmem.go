// Package sysmem reports the machine's physical memory.
//
// Used by train (the --max-memory default).
package sysmem

import "errors"

// ErrUnknown is returned where the platform has no known way to ask.
var ErrUnknown = errors.New("the machine's memory size is unknown on this platform")

// Total returns the machine's physical memory in bytes.
func Total() (int64, error) { return total() }
