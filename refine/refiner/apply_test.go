package refiner

import (
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/ddstools/dds/formats"
)

// TestApplyShared merges the per-stage b1.. (g1..) into one parameter spanning
// their ranges and choices, and leaves the space it was given unchanged.
func TestApplyShared(t *testing.T) {
	s := space(t, "anynetx-a-mnist")
	s.Var("g1").Choices, s.Var("g1").Lo, s.Var("g1").Hi = []float64{4, 8}, 4, 8
	s.Var("g2").Choices, s.Var("g2").Lo, s.Var("g2").Hi = []float64{8, 32}, 8, 32
	before, _ := s.JSON()
	for _, c := range []struct {
		constraint, p string
	}{{formats.SharedB, "b"}, {formats.SharedG, "g"}} {
		out, err := Apply(nil, s, c.constraint, "next", "why", opt)
		if err != nil {
			t.Fatalf("%s: %v", c.constraint, err)
		}
		if out.Name != "next" || out.Parent != s.Name || out.NarrowedBy != "why" || !out.Has(c.constraint) {
			t.Errorf("%s: name %q parent %q narrowed by %q constraints %v", c.constraint, out.Name, out.Parent, out.NarrowedBy, out.Constraints)
		}
		merged := out.Var(c.p)
		if merged == nil {
			t.Fatalf("%s: no parameter %s in %+v", c.constraint, c.p, out.Vars)
		}
		lo, hi := math.Inf(1), math.Inf(-1)
		var choices []float64
		for _, v := range s.Vars {
			if strings.HasPrefix(v.Name, c.p) {
				if out.Var(v.Name) != nil {
					t.Errorf("%s: %s kept", c.constraint, v.Name)
				}
				lo, hi = math.Min(lo, v.Lo), math.Max(hi, v.Hi)
				for _, ch := range v.Choices {
					if !slices.Contains(choices, ch) {
						choices = append(choices, ch)
					}
				}
			}
		}
		slices.Sort(choices)
		if merged.Lo != lo || merged.Hi != hi || !slices.Equal(merged.Choices, choices) || merged.Median != nil {
			t.Errorf("%s: %s is [%g, %g] %v, want [%g, %g] %v", c.constraint, c.p, merged.Lo, merged.Hi, merged.Choices, lo, hi, choices)
		}
	}
	if after, _ := s.JSON(); after != before {
		t.Errorf("Apply changed the space it was given:\n%s\nwant\n%s", after, before)
	}
	if _, err := Apply(nil, s, formats.NonDecreasingW, "next", "why", opt); err != nil {
		t.Errorf("nondecreasing_w: %v", err)
	}
}

// TestApplyQuantizedLinear makes a RegNet space whose depth, w0, wa and wm span
// the models' fits, and refuses what it cannot do.
func TestApplyQuantizedLinear(t *testing.T) {
	m := models(t, space(t, "regnetx-mnist"), 40, func(c formats.Config) float64 { return 10 + float64(c.Index%5) })
	cs := space(t, "anynetx-c-mnist")
	out, err := Apply(m, cs, formats.QuantizedLinear, "ql", "why", opt)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, v := range out.Vars {
		names = append(names, v.Name)
	}
	if out.Family != formats.FamilyRegNet || !slices.Equal(names, []string{"depth", "w0", "wa", "wm", "b", "g"}) {
		t.Fatalf("family %s, vars %v; want a RegNet space with depth w0 wa wm b g", out.Family, names)
	}
	for k, name := range []string{"depth", "w0", "wa", "wm"} {
		v, lim := out.Var(name), formats.RegNetVar(name)
		if v.Lo < lim.Lo || v.Hi > lim.Hi {
			t.Errorf("%s: [%g, %g] outside the built-in [%g, %g]", name, v.Lo, v.Hi, lim.Lo, lim.Hi)
		}
		for i, f := range m.Fits {
			x := []float64{float64(f.D), f.W0, f.WA, f.WM}[k]
			if f.EFit <= opt.MaxEFit && (x < v.Lo || x > v.Hi) && x >= lim.Lo && x <= lim.Hi {
				t.Errorf("%s: model %d's fit %g outside [%g, %g]", name, i, x, v.Lo, v.Hi)
			}
		}
	}
	if !reflect.DeepEqual(*out.Var("b"), *cs.Var("b")) {
		t.Errorf("b changed: %+v, was %+v", *out.Var("b"), *cs.Var("b"))
	}
	noSharedB := space(t, "regnetx-mnist")
	noSharedB.Constraints = slices.DeleteFunc(noSharedB.Constraints, func(c string) bool { return c == formats.SharedB })
	for _, c := range []struct {
		name  string
		space *formats.Space
		c     string
		opt   Options
		want  string
	}{
		{"already has it", cs, formats.SharedB, opt, "already has shared_b"},
		{"no shared b, g", space(t, "anynetx-a-mnist"), formats.QuantizedLinear, opt, "needs shared_b and shared_g"},
		{"no fit", cs, formats.QuantizedLinear, Options{MaxEFit: -1}, "no model has a RegNet fit within e_fit -1"},
		{"no per-stage b", noSharedB, formats.SharedB, opt, "has no per-stage b parameters to share"},
		{"nothing to adjust", space(t, "regnetx-mnist"), formats.NonDecreasingD, opt, ""},
	} {
		_, err := Apply(m, c.space, c.c, "x", "why", c.opt)
		if (c.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), c.want)) {
			t.Errorf("%s: error %v, want %q", c.name, err, c.want)
		}
	}
}
