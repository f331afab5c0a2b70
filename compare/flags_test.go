package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/ddstools/dds/internal/cli"
)

// TestBinsBound: an absurd bin count is a usage error (exit 2), not minutes of work.
func TestBinsBound(t *testing.T) {
	var out, errb bytes.Buffer
	code := cli.Code("compare", run([]string{"--bins", "1000000000", "a.arrows"}, nil, &out, &errb), &errb)
	if code != 2 || !strings.Contains(errb.String(), "-bins: 1000000000 is outside [1, 1000]") {
		t.Errorf("exit %d, stderr %q", code, errb.String())
	}
}
