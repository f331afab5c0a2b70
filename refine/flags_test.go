package main

import "testing"

// TestFlagBounds: NaN, negative and absurd analysis flags are usage errors (exit 2)
// naming the flag, before any input is read.
func TestFlagBounds(t *testing.T) {
	prog.CheckUsageErrors(t, []string{"--auto"}, nil, [][3]string{
		{"--threshold", "NaN", "-threshold: NaN is outside [0, 1]"},
		{"--max-efit", "NaN", "-max-efit: NaN is outside [0, 1000]"},
		{"--min-models", "-1", "-min-models: -1 is outside [1, 1000000000]"},
		{"--bins", "1000000000", "-bins: 1000000000 is outside [1, 1000]"},
		{"--alpha", "1", "-alpha: 1 is outside (0, 1)"},
	})
}
