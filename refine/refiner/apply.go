package refiner

import (
	"fmt"
	"math"
	"slices"
	"strconv"

	"github.com/ddstools/dds/bootstrap/design"
	"github.com/ddstools/dds/formats"
)

// Apply returns the next space: s with constraint c added and its parameters
// adjusted, named name, with s as its parent and why recorded.
//
//   - shared_b / shared_g: the per-stage b1.. (g1..) become one b (g) whose range
//     and choices span theirs;
//   - nondecreasing_w / nondecreasing_d: the parameters stay;
//   - quantized_linear: a RegNet space (shared b and g kept) whose depth, w0, wa and
//     wm ranges span the values fitted to the models that satisfy the constraint
//     (the fits of m's models within opt.MaxEFit), within the built-in RegNet
//     ranges.
//
// s is left unchanged.
func Apply(m *design.Models, s *formats.Space, c, name, why string, opt Options) (*formats.Space, error) {
	out := s.Clone()
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
