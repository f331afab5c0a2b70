package main

import (
	"strings"
	"testing"
)

// TestFlagBounds: NaN, negative and absurd analysis flags are usage errors (exit 2)
// naming the flag, before any input is read.
func TestFlagBounds(t *testing.T) {
	for _, c := range []struct{ flag, value, want string }{
		{"--threshold", "NaN", "-threshold: NaN is outside [0, 1]"},
		{"--max-efit", "NaN", "-max-efit: NaN is outside [0, 1000]"},
		{"--min-models", "-1", "-min-models: -1 is outside [1, 1000000000]"},
		{"--bins", "1000000000", "-bins: 1000000000 is outside [1, 1000]"},
		{"--alpha", "1", "-alpha: 1 is outside (0, 1)"},
	} {
		_, stderr, code := call(t, nil, "--auto", c.flag, c.value)
		if code != 2 || !strings.Contains(stderr, c.want) {
			t.Errorf("%s %s: exit %d, stderr %q; want 2 and %q", c.flag, c.value, code, stderr, c.want)
		}
	}
}
