package refiner

import (
	"fmt"
	"math"
	"slices"

	"github.com/ddstools/dds/bootstrap/design"
	"github.com/ddstools/dds/bootstrap/stats"
	"github.com/ddstools/dds/formats"
)

// Candidates are the paper's refinements, in the order it applies them.
var Candidates = []string{formats.SharedB, formats.SharedG, formats.NonDecreasingW, formats.NonDecreasingD, formats.QuantizedLinear}

// Verdicts of a candidate refinement.
const (
	VerdictBetter   = "better"    // the subset's EDF lies significantly above the whole's
	VerdictNoWorse  = "no worse"  // neither significantly above nor below
	VerdictWorse    = "worse"     // significantly below: the constraint drops good models
	VerdictTooFew   = "too few"   // fewer satisfying models than Options.MinModels
	VerdictHas      = "in space"  // the space already imposes or implies it (never chosen)
	VerdictNotReady = "needs b,g" // quantized_linear needs shared_b and shared_g first
)

// Options configures Judge, Errors and Apply.
type Options struct {
	design.Normalization           // how the EDFs weigh the models
	Quantiles            []float64 // where the error differences are reported
	// Alpha is the significance of the one-sided KS comparisons behind the verdicts:
	// the threshold is c(Alpha)·sqrt((n+m)/(n·m)), c(α) = sqrt(−ln(α)/2), with n, m
	// the effective sizes (Kish) of the two EDFs. Threshold > 0 replaces it.
	Alpha     float64
	Threshold float64
	MinModels int
	// MaxEFit is the largest RegNet fit error of a model that counts as having
	// quantized linear widths.
	MaxEFit float64
}

// Evidence is what the models say about one candidate constraint.
type Evidence struct {
	Constraint string
	N, NSat    int     // models, and those that satisfy the constraint
	D, P       float64 // two-sided KS distance and p-value, satisfying models vs all
	// Below and Above are sup_e (F_all(e) − F_sat(e)) and sup_e (F_sat(e) − F_all(e)):
	// how far the satisfying models' EDF falls below the whole's (the constraint
	// drops good models) and rises above it (it keeps the good ones).
	Below, Above float64
	Threshold    float64
	Diffs        []float64 // error of the satisfying models − error of all, at the quantiles
	Verdict      string
}

// satisfies reports whether model i of m meets constraint c of formats (a quantized
// linear model is one whose RegNet fit error is at most maxEFit).
func satisfies(m *design.Models, i int, c string, maxEFit float64) bool {
	n := m.Sample.Configs[i].Net
	switch c {
	case formats.SharedB, formats.SharedG:
		_, ok := m.Value(i, c[len(c)-1:])
		return ok
	case formats.NonDecreasingW, formats.NonDecreasingD:
		for k := 1; k < len(n.Stages); k++ {
			a, b := n.Stages[k-1], n.Stages[k]
			if (c == formats.NonDecreasingW && b.W < a.W) || (c == formats.NonDecreasingD && b.D < a.D) {
				return false
			}
		}
		return true
	case formats.QuantizedLinear:
		return m.Fits[i].EFit <= maxEFit
	}
	return false
}

// satisfying returns the indices of the models that meet constraint c ("" for all).
func satisfying(m *design.Models, c string, maxEFit float64) []int {
	if c == "" {
		return m.All()
	}
	var idx []int
	for i := range m.Sample.Errs {
		if satisfies(m, i, c, maxEFit) {
			idx = append(idx, i)
		}
	}
	return idx
}

// Errors returns the errors and normalization weights (nil when opt normalizes over
// nothing) of the models of m that meet constraint c, or of all models when c is "".
func Errors(m *design.Models, c string, opt Options) (errs, weights []float64, err error) {
	return m.Errors(satisfying(m, c, opt.MaxEFit), opt.Normalization)
}

// edf builds the (normalized) EDF of the models that meet c ("" for all).
func edf(m *design.Models, c string, opt Options) (*stats.EDF, error) {
	errs, w, err := Errors(m, c, opt)
	if err != nil {
		return nil, err
	}
	return stats.NewEDF(errs, w)
}

// Judge compares, for each candidate constraint, the EDF of the models of m that
// satisfy it with the EDF of all models, and gives its verdict. space is the space
// the models were drawn from (nil when unknown: no candidate is then in the space).
func Judge(m *design.Models, space *formats.Space, opt Options) ([]Evidence, error) {
	n := len(m.Sample.Errs)
	allEDF, err := edf(m, "", opt)
	if err != nil {
		return nil, err
	}
	var out []Evidence
	for _, c := range Candidates {
		ev := Evidence{Constraint: c, N: n, NSat: len(satisfying(m, c, opt.MaxEFit))}
		switch {
		case space != nil && space.Implies(c):
			ev.Verdict = VerdictHas
		case c == formats.QuantizedLinear && space != nil && !(space.Has(formats.SharedB) && space.Has(formats.SharedG)):
			ev.Verdict = VerdictNotReady
		case ev.NSat < max(opt.MinModels, 2):
			ev.Verdict = VerdictTooFew
		}
		if ev.NSat >= 2 {
			sub, err := edf(m, c, opt)
			if err != nil {
				return nil, fmt.Errorf("%s: %v", c, err)
			}
			ev.D, ev.P = stats.KS(sub, allEDF)
			ev.Below, ev.Above = oneSided(allEDF, sub)
			ev.Diffs = stats.DiffAtQuantiles(allEDF, sub, opt.Quantiles)
			ev.Threshold = opt.Threshold
			if ev.Threshold <= 0 {
				a, b := sub.NEff(), allEDF.NEff()
				ev.Threshold = math.Sqrt(-math.Log(opt.Alpha)/2) * math.Sqrt((a+b)/(a*b))
			}
			if ev.Verdict == "" {
				switch {
				case ev.Below > ev.Threshold:
					ev.Verdict = VerdictWorse
				case ev.Above > ev.Threshold:
					ev.Verdict = VerdictBetter
				default:
					ev.Verdict = VerdictNoWorse
				}
			}
		}
		out = append(out, ev)
	}
	return out, nil
}

// oneSided returns sup (F_a − F_b) and sup (F_b − F_a) over all errors, both ≥ 0.
// The EDFs are step functions that jump at their points, so it evaluates them at
// every point and just above it.
func oneSided(a, b *stats.EDF) (aAbove, bAbove float64) {
	xa, _ := a.Points()
	xb, _ := b.Points()
	for _, x := range slices.Concat(xa, xb) {
		for _, e := range []float64{x, math.Nextafter(x, math.Inf(1))} {
			d := a.At(e) - b.At(e)
			aAbove, bAbove = max(aAbove, d), max(bAbove, -d)
		}
	}
	return aAbove, bAbove
}

// Choose returns the constraint --auto applies: among the candidates whose
// verdict is better or no worse, the most restrictive (fewest satisfying models),
// the paper's order breaking ties; "" when there is none.
func Choose(evs []Evidence) string {
	best := -1
	for i, e := range evs {
		if e.Verdict != VerdictBetter && e.Verdict != VerdictNoWorse {
			continue
		}
		if best < 0 || e.NSat < evs[best].NSat {
			best = i
		}
	}
	if best < 0 {
		return ""
	}
	return evs[best].Constraint
}
