package main

import (
	"strings"
	"testing"
)

// TestFlagBounds: numeric flags a recipe column cannot hold, or that are not sane,
// are usage errors (exit 2) naming the flag and its range, before any input is read.
func TestFlagBounds(t *testing.T) {
	for _, c := range []struct{ flag, value, want string }{
		{"--epochs", "4294967297", "-epochs: 4294967297 is outside [1, 10000]"},
		{"--batch", "4294967297", "-batch: 4294967297 is outside [1, 65536]"},
		{"--epochs", "0", "-epochs: 0 is outside"},
		{"--train-subset", "-1", "-train-subset: -1 is outside"},
		{"--lr", "NaN", "-lr: NaN is outside [0, 100]"},
		{"--momentum", "1", "-momentum: 1 is outside [0, 1)"},
		{"--wd", "-0.1", "-wd: -0.1 is outside"},
		{"--concurrency", "100000", "-concurrency: 100000 is outside [0, 1024]"},
		{"--max-memory", "lots", "not a size in bytes"},
	} {
		out, stderr, code := call(t, nil, c.flag, c.value)
		if code != 2 || len(out) != 0 || !strings.Contains(stderr, c.want) {
			t.Errorf("%s %s: exit %d, stderr %q; want 2 and %q", c.flag, c.value, code, stderr, c.want)
		}
	}
}
