package refiner

import (
	"bytes"
	"io"
	"slices"
	"testing"

	"github.com/ddstools/dds/bootstrap/design"
	"github.com/ddstools/dds/bootstrap/design/designtest"
	"github.com/ddstools/dds/bootstrap/stats"
	"github.com/ddstools/dds/formats"
	"github.com/ddstools/dds/internal/approx"
)

// models samples n configs of space, plants errFn's error in each and loads them
// as refine does.
func models(t *testing.T, space *formats.Space, n int, errFn func(formats.Config) float64) *design.Models {
	t.Helper()
	in := designtest.Stream(t, space, n, 1, errFn)
	m, err := design.Input("refine", "-", bytes.NewReader(in), io.Discard, design.DefaultError, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// space looks up a built-in space.
func space(t *testing.T, name string) *formats.Space {
	t.Helper()
	s, err := formats.LookupSpace(name)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

var opt = Options{Normalization: design.Normalization{Normalize: "none", Bins: 10}, Alpha: 0.05, MinModels: 10, MaxEFit: 0.1, Quantiles: []float64{0.1, 0.5}}

// verdicts returns the verdict of each candidate by its name.
func verdicts(evs []Evidence) map[string]string {
	out := map[string]string{}
	for _, e := range evs {
		out[e.Constraint] = e.Verdict
	}
	return out
}

// TestJudgePlanted finds the planted effects: a shared g better, non-decreasing
// widths worse, b (shared by every model) no worse, and quantized_linear not ready
// in a space without shared b and g.
func TestJudgePlanted(t *testing.T) {
	s := designtest.PlantedSpace()
	m := models(t, s, 600, designtest.PlantedError)
	evs, err := Judge(m, s, opt)
	if err != nil {
		t.Fatal(err)
	}
	if got := func() []string {
		var cs []string
		for _, e := range evs {
			cs = append(cs, e.Constraint)
		}
		return cs
	}(); !slices.Equal(got, Candidates) {
		t.Fatalf("evidence for %v, want the candidates in order %v", got, Candidates)
	}
	want := map[string]string{formats.SharedB: VerdictNoWorse, formats.SharedG: VerdictBetter,
		formats.NonDecreasingW: VerdictWorse, formats.QuantizedLinear: VerdictNotReady}
	got := verdicts(evs)
	for c, v := range want {
		if got[c] != v {
			t.Errorf("%s: verdict %q, want %q", c, got[c], v)
		}
	}
	for _, e := range evs {
		errs, _, err := Errors(m, e.Constraint, opt)
		if err != nil {
			t.Fatal(err)
		}
		if e.N != 600 || len(errs) != e.NSat {
			t.Errorf("%s: N %d, NSat %d, %d errors; want N 600 and one error per satisfying model", e.Constraint, e.N, e.NSat, len(errs))
		}
		if e.Constraint == formats.SharedB && (e.NSat != e.N || e.D != 0 || e.Below != 0 || e.Above != 0) {
			t.Errorf("shared_b: every model shares b = 1, yet NSat %d of %d, D %g, below %g, above %g", e.NSat, e.N, e.D, e.Below, e.Above)
		}
		if e.NSat >= 2 && (len(e.Diffs) != len(opt.Quantiles) || e.Threshold <= 0) {
			t.Errorf("%s: diffs %v, threshold %g; want one per quantile and a positive threshold", e.Constraint, e.Diffs, e.Threshold)
		}
	}
	if c := Choose(evs); c != formats.SharedG {
		t.Errorf("Choose = %q, want shared_g", c)
	}
	fixed := opt
	fixed.Threshold = 0.99
	evs, err = Judge(m, s, fixed)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range evs {
		if e.Threshold != 0.99 || e.Verdict == VerdictWorse || e.Verdict == VerdictBetter {
			t.Errorf("%s with --threshold 0.99: threshold %g, verdict %q", e.Constraint, e.Threshold, e.Verdict)
		}
	}
}

// TestJudgeWithoutTest gives the verdicts that need no test: what a RegNet space
// already imposes or implies is in it, and too few satisfying models are too few.
func TestJudgeWithoutTest(t *testing.T) {
	rs := space(t, "regnetx-mnist")
	m := models(t, rs, 60, func(c formats.Config) float64 { return 10 + float64(c.Index%7) })
	evs, err := Judge(m, rs, Options{Normalization: opt.Normalization, Alpha: 0.05, MinModels: 61, MaxEFit: 0.1})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{formats.SharedB: VerdictHas, formats.SharedG: VerdictHas, formats.NonDecreasingW: VerdictHas,
		formats.NonDecreasingD: VerdictTooFew, formats.QuantizedLinear: VerdictHas}
	got := verdicts(evs)
	for c, v := range want {
		if got[c] != v {
			t.Errorf("%s: verdict %q, want %q", c, got[c], v)
		}
	}
	if c := Choose(evs); c != "" {
		t.Errorf("Choose = %q with nothing to add", c)
	}
	if evs, err = Judge(m, nil, opt); err != nil {
		t.Fatal(err)
	}
	for _, e := range evs {
		if e.Verdict == VerdictHas || e.Verdict == VerdictNotReady {
			t.Errorf("%s: verdict %q without a space", e.Constraint, e.Verdict)
		}
	}
}

// TestJudgeNormalized weighs the EDFs over flops: each satisfying subset's weights
// come from its own models.
func TestJudgeNormalized(t *testing.T) {
	s := designtest.PlantedSpace()
	m := models(t, s, 300, designtest.PlantedError)
	norm := opt
	norm.Normalize = "flops"
	for _, c := range append([]string{""}, Candidates...) {
		errs, w, err := Errors(m, c, norm)
		if err != nil {
			t.Fatal(err)
		}
		if len(errs) >= 2 && len(w) != len(errs) {
			t.Errorf("%q: %d weights for %d errors", c, len(w), len(errs))
		}
	}
	errs, w, err := Errors(m, "", opt)
	if err != nil || len(errs) != 300 || w != nil {
		t.Errorf("without normalization: %d errors, %d weights, error %v; want 300, none", len(errs), len(w), err)
	}
}

func TestChoose(t *testing.T) {
	ev := func(c string, nsat int, v string) Evidence {
		return Evidence{Constraint: c, N: 100, NSat: nsat, Verdict: v}
	}
	for _, c := range []struct {
		name string
		evs  []Evidence
		want string
	}{
		{"none", nil, ""},
		{"only worse and too few", []Evidence{ev("shared_b", 40, VerdictWorse), ev("shared_g", 3, VerdictTooFew)}, ""},
		{"in space is never chosen", []Evidence{ev("shared_b", 1, VerdictHas), ev("shared_g", 90, VerdictNoWorse)}, "shared_g"},
		{"fewest satisfying", []Evidence{ev("shared_b", 60, VerdictBetter), ev("shared_g", 30, VerdictNoWorse), ev("nondecreasing_w", 45, VerdictBetter)}, "shared_g"},
		{"tie: the paper's order", []Evidence{ev("shared_b", 30, VerdictNoWorse), ev("shared_g", 30, VerdictBetter)}, "shared_b"},
		{"not ready is never chosen", []Evidence{ev("nondecreasing_d", 50, VerdictNoWorse), ev("quantized_linear", 5, VerdictNotReady)}, "nondecreasing_d"},
	} {
		if got := Choose(c.evs); got != c.want {
			t.Errorf("%s: Choose = %q, want %q", c.name, got, c.want)
		}
	}
}

// TestOneSided checks both one-sided distances of step EDFs, where the supremum
// lies just above a jump.
func TestOneSided(t *testing.T) {
	edf := func(x ...float64) *stats.EDF {
		e, err := stats.NewEDF(x, nil)
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	for _, c := range []struct {
		name     string
		a, b     *stats.EDF
		aUp, bUp float64
	}{
		{"same", edf(1, 2, 3), edf(1, 2, 3), 0, 0},
		{"a lower errors", edf(1, 2, 3), edf(2, 3, 4), 1.0 / 3, 0},
		{"b lower errors", edf(5, 6), edf(1, 2), 0, 1},
		{"crossing", edf(1, 4), edf(2, 3), 0.5, 0.5},
	} {
		aUp, bUp := oneSided(c.a, c.b)
		if !approx.Close(aUp, c.aUp, 1e-12, 0) || !approx.Close(bUp, c.bUp, 1e-12, 0) {
			t.Errorf("%s: oneSided = %g, %g; want %g, %g", c.name, aUp, bUp, c.aUp, c.bUp)
		}
	}
}
