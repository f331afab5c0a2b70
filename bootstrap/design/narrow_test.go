package design

import (
	"testing"

	"github.com/ddstools/dds/bootstrap/stats"
	"github.com/ddstools/dds/formats"
)

// TestNarrowParam checks the rules of Narrow on one parameter of each kind.
func TestNarrowParam(t *testing.T) {
	choice := formats.Param{Name: "g", Dist: formats.DistChoice, Lo: 1, Hi: 32, Choices: []float64{1, 2, 4, 8, 16, 32}}
	grid := formats.Param{Name: "w1", Dist: formats.DistLogUniform, Lo: 8, Hi: 1024, Quantum: 8}
	cont := formats.Param{Name: "wm", Dist: formats.DistLogUniform, Lo: 1.5, Hi: 3}
	for _, c := range []struct {
		name   string
		p      formats.Param
		iv     stats.Interval
		lo, hi float64
	}{
		{"choices inside", choice, stats.Interval{Lo: 3, Median: 6, Hi: 20}, 4, 16},
		{"no choice inside: nearest the median", choice, stats.Interval{Lo: 5, Median: 6.5, Hi: 7}, 8, 8},
		{"grid moves inward", grid, stats.Interval{Lo: 13, Median: 40, Hi: 100}, 16, 96},
		{"no grid point inside: the median's", grid, stats.Interval{Lo: 17, Median: 18, Hi: 20}, 16, 16},
		{"continuous", cont, stats.Interval{Lo: 1.2, Median: 2, Hi: 2.5}, 1.5, 2.5},
		{"outside the range", cont, stats.Interval{Lo: 3.5, Median: 4, Hi: 5}, 3, 3},
	} {
		p := c.p
		narrowParam(&p, c.iv)
		if p.Lo != c.lo || p.Hi != c.hi {
			t.Errorf("%s: [%g, %g], want [%g, %g]", c.name, p.Lo, p.Hi, c.lo, c.hi)
		}
	}
}

// TestNarrowSpace checks the space-level rules: a drawn parameter gets median and
// n, a restrictable one is added, complexity bounds shrink, and a parameter the
// space cannot express is reported but left out.
func TestNarrowSpace(t *testing.T) {
	s, _ := formats.LookupSpace("anynetx-a-mnist")
	ivs := map[string]stats.Interval{
		"d1":    {Lo: 2, Median: 3, Hi: 5, N: 50},
		"depth": {Lo: 6.5, Median: 9, Hi: 12.2, N: 50},
		"flops": {Lo: 5e6, Median: 6e6, Hi: 7.5e6, N: 50},
		"w0":    {Lo: 8, Median: 16, Hi: 24, N: 50},
	}
	out, report := Narrow(s, []string{"d1", "depth", "flops", "w0"}, ivs)
	if err := out.Validate(); err != nil {
		t.Fatal(err)
	}
	if d := out.Var("d1"); d.Lo != 2 || d.Hi != 5 || *d.Median != 3 || d.N != 50 {
		t.Errorf("d1: %+v", d)
	}
	if d := out.Var("depth"); d == nil || d.Lo != 6 || d.Hi != 13 {
		t.Errorf("depth: %+v", d)
	}
	if out.Flops.Lo != 5e6 || out.Flops.Hi != 7.5e6 {
		t.Errorf("flops bounds %s", out.Flops)
	}
	if out.Var("w0") != nil || report[3].After != "" {
		t.Errorf("w0 should be reported only: %+v", report[3])
	}
	if s.Var("d1").Hi != 16 {
		t.Errorf("Narrow changed its input")
	}
}
