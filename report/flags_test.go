package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/ddstools/dds/internal/cli"
)

// TestFlagBounds: NaN, negative and absurd flags are usage errors (exit 2).
func TestFlagBounds(t *testing.T) {
	for _, c := range []struct{ flag, value, want string }{
		{"--bins", "1000000000", "-bins: 1000000000 is outside [1, 1000]"},
		{"--min-models", "-1", "-min-models: -1 is outside"},
		{"--max-efit", "NaN", "-max-efit: NaN is outside [0, 1000]"},
		{"--alpha", "NaN", "-alpha: NaN is outside (0, 1)"},
	} {
		var out, errb bytes.Buffer
		code := cli.Code("report", run([]string{"-o", "x.html", c.flag, c.value, "a.arrows"}, nil, &out, &errb), &errb)
		if code != 2 || !strings.Contains(errb.String(), c.want) {
			t.Errorf("%s %s: exit %d, stderr %q", c.flag, c.value, code, errb.String())
		}
	}
}
