package design

import (
	"fmt"
	"math"
	"strconv"

	"github.com/ddstools/dds/formats/anynet"
)

// Models holds every design parameter of a sample's models, computed once.
type Models struct {
	Sample *Sample
	Fits   []anynet.Fit // the RegNet fit of each model's block widths
	stages int
}

// NewModels fits a RegNet to every model of s (the RegNet parameters of a model
// drawn from a RegNet space are its own; the fit still gives its e_fit).
func NewModels(s *Sample) (*Models, error) {
	if len(s.Configs) == 0 {
		return nil, fmt.Errorf("no evaluated records")
	}
	m := &Models{Sample: s, Fits: make([]anynet.Fit, len(s.Configs)), stages: len(s.Configs[0].Net.Stages)}
	for i, c := range s.Configs {
		if len(c.Net.Stages) != m.stages {
			return nil, fmt.Errorf("record %s has %d stages, the first %d; a space's models share their stage count", c.ID, len(c.Net.Stages), m.stages)
		}
		f, err := c.Net.FitRegNet()
		if err != nil {
			return nil, fmt.Errorf("record %s: RegNet fit: %v", c.ID, err)
		}
		m.Fits[i] = f
	}
	return m, nil
}

// Names returns the design parameters the models carry, in a fixed order: stage
// depths d1.., widths w1.., bottleneck ratios b1.. and group widths g1..; the
// shared b and g when every model shares them; total depth; the RegNet parameters
// w0, wa, wm and e_fit (the model's own when it was drawn from a RegNet space,
// fitted otherwise; e_fit always fitted); flops, params and acts.
func (m *Models) Names() []string {
	var names []string
	for _, p := range []string{"d", "w", "b", "g"} {
		for i := 1; i <= m.stages; i++ {
			names = append(names, p+strconv.Itoa(i))
		}
	}
	for _, p := range []string{"b", "g"} {
		shared := true
		for _, c := range m.Sample.Configs {
			if _, ok := stageShared(c.Net, p); !ok {
				shared = false
				break
			}
		}
		if shared {
			names = append(names, p)
		}
	}
	return append(names, "depth", "w0", "wa", "wm", "e_fit", "flops", "params", "acts")
}

// stageShared returns parameter p ("b" or "g") of n when the stages share one value.
// For b that is every stage having it. For g it is what a space with one g for all
// stages gives after the compatibility adjustment, which caps g at a stage's
// bottleneck width: with G the largest group width, every stage has G or, narrower
// than G, a group width equal to its bottleneck width round(w/b).
func stageShared(n anynet.Net, p string) (float64, bool) {
	if len(n.Stages) == 0 {
		return 0, false
	}
	if p == "g" {
		g := 0
		for _, s := range n.Stages {
			g = max(g, s.G)
		}
		for _, s := range n.Stages {
			if s.G != g && s.G != int(math.RoundToEven(float64(s.W)/s.B)) {
				return 0, false
			}
		}
		return float64(g), true
	}
	v := n.Stages[0].B
	for _, s := range n.Stages[1:] {
		if s.B != v {
			return 0, false
		}
	}
	return v, true
}

// Value returns parameter name of model i, and false when the model has no such
// parameter (a shared b of a model whose stages differ, a stage it lacks).
func (m *Models) Value(i int, name string) (float64, bool) {
	c := m.Sample.Configs[i]
	n := c.Net
	f := m.Fits[i]
	switch name {
	case "b", "g":
		return stageShared(n, name)
	case "depth":
		return float64(n.Depth()), true
	case "w0", "wa", "wm":
		if r := c.RegNet; r != nil {
			return map[string]float64{"w0": r.W0, "wa": r.WA, "wm": r.WM}[name], true
		}
		return map[string]float64{"w0": f.W0, "wa": f.WA, "wm": f.WM}[name], true
	case "e_fit":
		return f.EFit, true
	case "flops":
		return float64(c.Complexity.Flops), true
	case "params":
		return float64(c.Complexity.Params), true
	case "acts":
		return float64(c.Complexity.Acts), true
	}
	if len(name) >= 2 {
		k, err := strconv.Atoi(name[1:])
		if err == nil && k >= 1 && k <= len(n.Stages) {
			s := n.Stages[k-1]
			switch name[0] {
			case 'd':
				return float64(s.D), true
			case 'w':
				return float64(s.W), true
			case 'b':
				return s.B, true
			case 'g':
				return float64(s.G), true
			}
		}
	}
	return 0, false
}

// Column returns parameter name for every model, failing when a model lacks it.
func (m *Models) Column(name string) ([]float64, error) {
	out := make([]float64, len(m.Sample.Configs))
	for i := range out {
		v, ok := m.Value(i, name)
		if !ok {
			return nil, fmt.Errorf("model %s has no parameter %q", m.Sample.Configs[i].ID, name)
		}
		out[i] = v
	}
	return out, nil
}

// Complexity returns flops or params of every model, for normalized EDFs.
func (m *Models) Complexity(measure string) ([]float64, error) {
	if measure != "flops" && measure != "params" {
		return nil, fmt.Errorf("normalize by %q: want flops or params", measure)
	}
	return m.Column(measure)
}
