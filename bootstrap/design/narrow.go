package design

import (
	"math"
	"slices"

	"github.com/ddstools/dds/bootstrap/stats"
	"github.com/ddstools/dds/formats"
)

// Narrowing says what Narrow did with one parameter's interval.
type Narrowing struct {
	Name     string
	Interval stats.Interval
	Before   string // the range in the space before ("" when the space had none)
	After    string // the range after ("" when the parameter is not one of the space's)
}

// Narrow returns a copy of s with each named parameter's range intersected with its
// bootstrap interval and the interval's median and count recorded:
//
//   - a parameter the space draws or restricts (its Vars) keeps its distribution; its
//     range becomes [max(lo, iv.Lo), min(hi, iv.Hi)], moved inward to the nearest
//     values it can take (multiples of its quantum, its choices); when no value is
//     left, the range collapses to the value nearest the median;
//   - a derived quantity the space may restrict but does not yet (total depth of an
//     AnyNet space, stage depths and widths of a RegNet space) is added as a uniform
//     parameter over the interval, widened to whole numbers;
//   - flops, params and acts narrow the space's complexity bounds the same way;
//   - anything else (RegNet parameters of an AnyNet space, e_fit, per-stage values
//     the space shares) cannot be expressed in the space and is left out.
//
// The result is not validated here; the caller validates it.
func Narrow(s *formats.Space, names []string, ivs map[string]stats.Interval) (*formats.Space, []Narrowing) {
	out := s.Clone()
	var report []Narrowing
	for _, name := range names {
		iv, ok := ivs[name]
		if !ok {
			continue
		}
		r := Narrowing{Name: name, Interval: iv}
		switch name {
		case "flops", "params", "acts":
			b := map[string]*formats.Bounds{"flops": &out.Flops, "params": &out.Params, "acts": &out.Acts}[name]
			r.Before = b.String()
			lo, hi := int64(math.Floor(iv.Lo)), int64(math.Ceil(iv.Hi))
			b.Lo = max(b.Lo, lo)
			if b.Hi == 0 || hi < b.Hi {
				b.Hi = hi
			}
			if b.Lo > b.Hi {
				b.Lo, b.Hi = lo, hi
			}
			r.After = b.String()
			report = append(report, r)
			continue
		}
		p := out.Var(name)
		if p == nil {
			if !slices.Contains(out.FilterVars(), name) {
				report = append(report, r)
				continue
			}
			out.Vars = append(out.Vars, formats.Param{Name: name, Dist: formats.DistUniform, Lo: math.Floor(iv.Lo), Hi: math.Ceil(iv.Hi)})
			p = &out.Vars[len(out.Vars)-1]
		} else {
			r.Before = rangeString(p)
			narrowParam(p, iv)
		}
		med := math.Min(math.Max(iv.Median, p.Lo), p.Hi)
		p.Median, p.N = &med, int64(iv.N)
		r.After = rangeString(p)
		report = append(report, r)
	}
	return out, report
}

// narrowParam intersects p's range with iv, keeping at least one value p can take.
func narrowParam(p *formats.Param, iv stats.Interval) {
	lo, hi := math.Max(p.Lo, iv.Lo), math.Min(p.Hi, iv.Hi)
	if lo > hi { // the interval lies outside the range: keep the end nearest to it
		lo, hi = math.Min(math.Max(iv.Median, p.Lo), p.Hi), math.Min(math.Max(iv.Median, p.Lo), p.Hi)
	}
	switch {
	case p.Dist == formats.DistChoice:
		var in []float64
		for _, c := range p.Choices {
			if c >= lo && c <= hi {
				in = append(in, c)
			}
		}
		if len(in) == 0 {
			best := p.InRange()[0]
			for _, c := range p.InRange() {
				if math.Abs(c-iv.Median) < math.Abs(best-iv.Median) {
					best = c
				}
			}
			in = []float64{best}
		}
		p.Lo, p.Hi = slices.Min(in), slices.Max(in)
	case p.Quantum > 0:
		q := p.Quantum
		l, h := math.Ceil(lo/q-1e-9)*q, math.Floor(hi/q+1e-9)*q
		if l > h {
			v := math.Round(iv.Median/q) * q
			v = math.Min(math.Max(v, math.Ceil(p.Lo/q-1e-9)*q), math.Floor(p.Hi/q+1e-9)*q)
			l, h = v, v
		}
		p.Lo, p.Hi = l, h
	default:
		p.Lo, p.Hi = lo, hi
	}
}

// rangeString writes p's range as "[lo, hi]" or its choices in range.
func rangeString(p *formats.Param) string {
	if p.Dist == formats.DistChoice {
		return formatList(p.InRange())
	}
	return "[" + formatFloat(p.Lo) + ", " + formatFloat(p.Hi) + "]"
}
