package main

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ddstools/dds/bootstrap/design/designtest"
	"github.com/ddstools/dds/formats"
	"github.com/ddstools/dds/internal/clitest"
)

// prog runs compare in process; prog.Call returns its stdout, stderr and exit status.
var prog = clitest.Program{Name: "compare", Run: run}

func TestCompare(t *testing.T) {
	dir := t.TempDir()
	a, _ := formats.LookupSpace("anynetx-a-mnist")
	e, _ := formats.LookupSpace("anynetx-e-mnist")
	noise := func(shift float64) func(formats.Config) float64 {
		return func(c formats.Config) float64 {
			return 10 + shift + rand.New(rand.NewPCG(uint64(c.Seed), 9)).NormFloat64()
		}
	}
	files := map[string][]byte{
		"a.arrows":  designtest.Stream(t, a, 200, 1, noise(0)),
		"a2.arrows": designtest.Stream(t, a, 200, 2, noise(0)),
		"e.arrows":  designtest.Stream(t, e, 200, 1, noise(-2)),
	}
	var args []string
	for _, f := range []string{"a.arrows", "a2.arrows", "e.arrows"} {
		p := filepath.Join(dir, f)
		os.WriteFile(p, files[f], 0o644)
		args = append(args, p)
	}
	png := filepath.Join(dir, "edf.png")
	stdout, stderr, code := prog.Call(nil, append([]string{"--plot", png, "--labels", "A,A again,E"}, args...)...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	out := string(stdout)
	if !strings.Contains(out, "A again") {
		t.Errorf("labels missing:\n%s", out)
	}
	if st, err := os.Stat(png); err != nil || st.Size() == 0 {
		t.Errorf("figure not written: %v", err)
	}
	t.Logf("\n%s", out)
	// Same distribution: small KS distance; shifted by two standard deviations: large.
	dSelf, dAgain, dE := -1.0, -1.0, -1.0
	for _, l := range strings.Split(out, "\n") {
		f := strings.Fields(l)
		switch {
		case strings.HasPrefix(l, "A  "):
			dSelf = atof(t, f[7])
		case strings.HasPrefix(l, "A again"):
			dAgain = atof(t, f[8])
		case strings.HasPrefix(l, "E "):
			dE = atof(t, f[7])
		}
	}
	if !(dSelf == 0 && dAgain >= 0 && dAgain < 0.2 && dE > 0.5) {
		t.Errorf("KS distances: itself %g (want 0), same distribution %g (want < 0.2), shifted %g (want > 0.5)", dSelf, dAgain, dE)
	}
}

func atof(t *testing.T, s string) float64 {
	t.Helper()
	var v float64
	if _, err := fmt.Sscan(s, &v); err != nil {
		t.Fatalf("%q: %v", s, err)
	}
	return v
}
