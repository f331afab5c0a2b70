package main

import (
	"strings"
	"testing"
)

// TestFlagBounds: negative and out-of-range flags are usage errors (exit 2).
func TestFlagBounds(t *testing.T) {
	for _, c := range []struct{ flag, value, want string }{
		{"--min-models", "-1", "-min-models: -1 is outside [1, 1000000000]"},
		{"-B", "0", "-B: 0 is outside"},
		{"--fraction", "NaN", "-fraction: NaN is outside (0, 1]"},
		{"--alpha", "-0.5", "-alpha: -0.5 is outside (0, 1)"},
	} {
		_, stderr, code := call(t, nil, c.flag, c.value)
		if code != 2 || !strings.Contains(stderr, c.want) {
			t.Errorf("%s %s: exit %d, stderr %q; want 2 and %q", c.flag, c.value, code, stderr, c.want)
		}
	}
}
