package main

import "testing"

// TestFlagBounds: negative and out-of-range flags are usage errors (exit 2).
func TestFlagBounds(t *testing.T) {
	prog.CheckUsageErrors(t, nil, nil, [][3]string{
		{"--min-models", "-1", "-min-models: -1 is outside [1, 1000000000]"},
		{"-B", "0", "-B: 0 is outside"},
		{"--fraction", "NaN", "-fraction: NaN is outside (0, 1]"},
		{"--alpha", "-0.5", "-alpha: -0.5 is outside (0, 1)"},
	})
}
