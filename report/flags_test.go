package main

import "testing"

// TestFlagBounds: NaN, negative and absurd flags are usage errors (exit 2).
func TestFlagBounds(t *testing.T) {
	prog.CheckUsageErrors(t, []string{"-o", "x.html"}, []string{"a.arrows"}, [][3]string{
		{"--bins", "1000000000", "-bins: 1000000000 is outside [1, 1000]"},
		{"--min-models", "-1", "-min-models: -1 is outside"},
		{"--max-efit", "NaN", "-max-efit: NaN is outside [0, 1000]"},
		{"--alpha", "NaN", "-alpha: NaN is outside (0, 1)"},
	})
}
