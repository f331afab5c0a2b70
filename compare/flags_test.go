package main

import "testing"

// TestBinsBound: an absurd bin count is a usage error (exit 2), not minutes of work.
func TestBinsBound(t *testing.T) {
	prog.CheckUsageErrors(t, nil, []string{"a.arrows"}, [][3]string{
		{"--bins", "1000000000", "-bins: 1000000000 is outside [1, 1000]"},
	})
}
