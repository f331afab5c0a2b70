package design

import (
	"fmt"
	"math"
	"slices"
	"strconv"

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
	VerdictTooFew   = "too few"   // fewer satisfying models than RefineOptions.MinModels
	VerdictHas      = "in space"  // the space already imposes or implies it (never chosen)
	VerdictNotReady = "needs b,g" // quantized_linear needs shared_b and shared_g first
)

// RefineOptions configures Evidence.
type RefineOptions struct {
	Normalize string    // "flops", "params" or "none": normalized EDFs over this complexity
	Bins      int       // bins of the normalization
	Quantiles []float64 // where the error differences are reported
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

// weighted returns the errors of the models idx and their normalization weights
// over opt.Normalize (nil weights for "none").
func (m *Models) weighted(idx []int, opt RefineOptions) (errs, w []float64, err error) {
	errs = make([]float64, len(idx))
	for k, i := range idx {
		errs[k] = m.Sample.Errs[i]
	}
	if opt.Normalize == "none" || opt.Normalize == "" {
		return errs, nil, nil
	}
	all, err := m.Complexity(opt.Normalize)
	if err != nil {
		return nil, nil, err
	}
	cx := make([]float64, len(idx))
	for k, i := range idx {
		cx[k] = all[i]
	}
	w, _, err = stats.NormalizedWeights(cx, opt.Bins)
	return errs, w, err
}

// satisfying returns the indices of the models that meet constraint c ("" for all).
func (m *Models) satisfying(c string, maxEFit float64) []int {
	var idx []int
	for i := range m.Sample.Errs {
		if c == "" || m.satisfies(i, c, maxEFit) {
			idx = append(idx, i)
		}
	}
	return idx
}

// Errors returns the errors and normalization weights (nil when opt.Normalize is
// "none") of the models that meet constraint c, or of all models when c is "".
func (m *Models) Errors(c string, opt RefineOptions) (errs, weights []float64, err error) {
	return m.weighted(m.satisfying(c, opt.MaxEFit), opt)
}

// edf builds the (normalized) EDF of the models that meet c ("" for all).
func (m *Models) edf(c string, opt RefineOptions) (*stats.EDF, error) {
	errs, w, err := m.Errors(c, opt)
	if err != nil {
		return nil, err
	}
	return stats.NewEDF(errs, w)
}

// Evidence compares, for each candidate constraint, the EDF of the models that
// satisfy it with the EDF of all models.
func (m *Models) Evidence(space *formats.Space, opt RefineOptions) ([]Evidence, error) {
	n := len(m.Sample.Errs)
	allEDF, err := m.edf("", opt)
	if err != nil {
		return nil, err
	}
	var out []Evidence
	for _, c := range Candidates {
		ev := Evidence{Constraint: c, N: n, NSat: len(m.satisfying(c, opt.MaxEFit))}
		switch {
		case space != nil && space.Implies(c):
			ev.Verdict = VerdictHas
		case c == formats.QuantizedLinear && space != nil && !(space.Has(formats.SharedB) && space.Has(formats.SharedG)):
			ev.Verdict = VerdictNotReady
		case ev.NSat < max(opt.MinModels, 2):
			ev.Verdict = VerdictTooFew
		}
		if ev.NSat >= 2 {
			sub, err := m.edf(c, opt)
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

// Apply returns the next space: s with constraint c added and its parameters
// adjusted, named name, with s as its parent and why recorded.
//
//   - shared_b / shared_g: the per-stage b1.. (g1..) become one b (g) whose range
//     and choices span theirs;
//   - nondecreasing_w / nondecreasing_d: the parameters stay;
//   - quantized_linear: a RegNet space (shared b and g kept) whose depth, w0, wa and
//     wm ranges span the values fitted to the models that satisfy the constraint
//     (fits within opt.MaxEFit), within the built-in RegNet ranges.
func (m *Models) Apply(s *formats.Space, c, name, why string, opt RefineOptions) (*formats.Space, error) {
	out := Copy(s)
	out.Name, out.Parent, out.NarrowedBy = name, s.Name, why
	if out.Has(c) {
		return nil, fmt.Errorf("space %q already has %s", s.Name, c)
	}
	out.Constraints = append(out.Constraints, c)
	switch c {
	case formats.SharedB, formats.SharedG:
		p := c[len(c)-1:]
		merged := formats.Param{Name: p}
		var keep []formats.Param
		first := true
		for _, v := range out.Vars {
			if len(v.Name) < 2 || v.Name[:1] != p {
				keep = append(keep, v)
				continue
			}
			if _, err := strconv.Atoi(v.Name[1:]); err != nil {
				keep = append(keep, v)
				continue
			}
			if first {
				merged = v
				merged.Name, merged.Median, merged.N = p, nil, 0
				first = false
				continue
			}
			merged.Lo, merged.Hi = math.Min(merged.Lo, v.Lo), math.Max(merged.Hi, v.Hi)
			for _, ch := range v.Choices {
				if !slices.Contains(merged.Choices, ch) {
					merged.Choices = append(merged.Choices, ch)
				}
			}
			slices.Sort(merged.Choices)
		}
		if first {
			return nil, fmt.Errorf("space %q has no per-stage %s parameters to share", s.Name, p)
		}
		out.Vars = append(keep, merged)
	case formats.QuantizedLinear:
		if !out.Has(formats.SharedB) || !out.Has(formats.SharedG) {
			return nil, fmt.Errorf("quantized_linear needs shared_b and shared_g in the space first")
		}
		out.Family = formats.FamilyRegNet
		var fitted [4][]float64
		for _, f := range m.Fits {
			if f.EFit <= opt.MaxEFit {
				for k, v := range []float64{float64(f.D), f.W0, f.WA, f.WM} {
					fitted[k] = append(fitted[k], v)
				}
			}
		}
		if len(fitted[0]) == 0 {
			return nil, fmt.Errorf("no model has a RegNet fit within e_fit %g", opt.MaxEFit)
		}
		var vars []formats.Param
		for k, name := range []string{"depth", "w0", "wa", "wm"} {
			v := formats.RegNetVar(name)
			lo, hi := slices.Min(fitted[k]), slices.Max(fitted[k])
			if v.Quantum > 0 {
				lo, hi = math.Floor(lo/v.Quantum)*v.Quantum, math.Ceil(hi/v.Quantum)*v.Quantum
			}
			v.Lo, v.Hi = math.Max(v.Lo, math.Min(lo, v.Hi)), math.Min(v.Hi, math.Max(hi, v.Lo))
			vars = append(vars, v)
		}
		for _, name := range []string{"b", "g"} {
			if p := out.Var(name); p != nil {
				vars = append(vars, *p)
			}
		}
		out.Vars = vars
	}
	return out, out.Validate()
}
