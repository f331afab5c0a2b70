package main

import (
	"strings"
	"testing"
)

// TestEmptyColumns: -c "" and a list with an empty name are usage errors.
func TestEmptyColumns(t *testing.T) {
	for _, c := range []string{"", ",", "id,,flops"} {
		_, stderr, code := call(nil, "-c", c)
		if code != 2 || !strings.Contains(stderr, "a column name is empty") {
			t.Errorf("-c %q: exit %d, stderr %q", c, code, stderr)
		}
	}
	if _, stderr, code := call(nil, "--limit", "-1"); code != 2 || !strings.Contains(stderr, "-limit: -1 is outside") {
		t.Errorf("--limit -1: exit %d, stderr %q", code, stderr)
	}
}
