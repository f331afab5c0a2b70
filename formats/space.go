package formats

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/ddstools/dds/formats/anynet"
)

// Families of design spaces.
const (
	FamilyAnyNet = "anynet" // free per-stage depths, widths, bottlenecks and groups
	FamilyRegNet = "regnet" // widths from the quantized linear rule
)

// Constraints a space may impose on the networks drawn from it.
const (
	SharedB         = "shared_b"         // one bottleneck ratio for all stages
	SharedG         = "shared_g"         // one group width for all stages
	NonDecreasingW  = "nondecreasing_w"  // w_{i+1} ≥ w_i
	NonDecreasingD  = "nondecreasing_d"  // d_{i+1} ≥ d_i
	QuantizedLinear = "quantized_linear" // RegNet widths; implies shared b and g
)

// Distributions of a parameter.
const (
	DistUniform    = "uniform"     // uniform on [lo, hi]; on the grid of multiples of quantum when quantum > 0
	DistLogUniform = "log-uniform" // log uniform on [lo, hi], rounded to the nearest multiple of quantum
	DistChoice     = "choice"      // uniform over the choices that lie in [lo, hi]
)

// Param is one parameter of a space: its distribution and range, and, where the
// space was narrowed by bootstrap, the evidence behind the range.
type Param struct {
	Name    string    `json:"name"`
	Dist    string    `json:"dist"`
	Lo      float64   `json:"lo"`
	Hi      float64   `json:"hi"`
	Quantum float64   `json:"quantum,omitempty"`
	Choices []float64 `json:"choices,omitempty"`
	Median  *float64  `json:"median,omitempty"` // most likely best value (bootstrap)
	N       int64     `json:"n,omitempty"`      // models behind the evidence
}

// Bounds is a closed range of a complexity measure; zero ends are unbounded.
type Bounds struct {
	Lo int64 `json:"lo,omitempty"`
	Hi int64 `json:"hi,omitempty"`
}

// Contains reports whether v lies in b.
func (b Bounds) Contains(v int64) bool {
	return v >= b.Lo && (b.Hi == 0 || v <= b.Hi)
}

// String writes b with K/M/G suffixes, e.g. "360M:400M"; unbounded ends are empty.
func (b Bounds) String() string {
	s := ""
	if b.Lo != 0 {
		s = FormatCount(b.Lo)
	}
	s += ":"
	if b.Hi != 0 {
		s += FormatCount(b.Hi)
	}
	return s
}

// Space is a design space as data: the networks' geometry, stem and block, the
// parameters drawn for each network, the constraints between them, complexity
// bounds, and where the space came from.
type Space struct {
	Name        string   `json:"name"`
	Family      string   `json:"family"`
	Res         int      `json:"res"`
	Channels    int      `json:"channels"`
	Classes     int      `json:"classes"`
	StemW       int      `json:"stem_w"`
	StemS       int      `json:"stem_s"`
	Block       string   `json:"block"`
	SERatio     float64  `json:"se_ratio"`
	Strides     []int    `json:"strides"` // stride of each stage's first block; the stage count
	Constraints []string `json:"constraints"`
	Flops       Bounds   `json:"flops"`
	Params      Bounds   `json:"params"`
	Acts        Bounds   `json:"acts"`
	Parent      string   `json:"parent,omitempty"`      // the space this one was narrowed from
	NarrowedBy  string   `json:"narrowed_by,omitempty"` // how: the program and its evidence
	Vars        []Param  `json:"vars"`
}

// Clone returns a deep copy of s: every field, with its own copies of the strides,
// the constraints and the parameters, and of each parameter's choices and median,
// so that changing the copy leaves s unchanged. Nil slices and a nil median stay
// nil, and empty strides and constraints stay empty; an empty choice list becomes
// nil, as in the JSON form, where choices are left out when there are none.
func (s *Space) Clone() *Space {
	c := *s
	c.Strides = slices.Clone(s.Strides)
	c.Constraints = slices.Clone(s.Constraints)
	c.Vars = slices.Clone(s.Vars)
	for i := range c.Vars {
		p := &c.Vars[i]
		p.Choices = nil
		if len(s.Vars[i].Choices) > 0 {
			p.Choices = slices.Clone(s.Vars[i].Choices)
		}
		if p.Median != nil {
			m := *p.Median
			p.Median = &m
		}
	}
	return &c
}

// Has reports whether s imposes constraint c.
func (s *Space) Has(c string) bool { return slices.Contains(s.Constraints, c) }

// Implies reports whether every model of s meets constraint c: s imposes it, or c
// is nondecreasing_w and s imposes quantized_linear (RegNet widths w0·wm^s_j with
// s_j non-decreasing in the block index, rounded to multiples of 8, never fall, and
// the compatibility adjustment with one b and g for all stages keeps that order).
func (s *Space) Implies(c string) bool {
	return s.Has(c) || (c == NonDecreasingW && s.Has(QuantizedLinear))
}

// Var returns the parameter called name, or nil.
func (s *Space) Var(name string) *Param {
	for i := range s.Vars {
		if s.Vars[i].Name == name {
			return &s.Vars[i]
		}
	}
	return nil
}

// JSON returns s as compact JSON.
func (s *Space) JSON() (string, error) {
	b, err := json.Marshal(s)
	return string(b), err
}

// SpaceFromJSON parses a space written by JSON and validates it.
func SpaceFromJSON(js string) (*Space, error) {
	var s Space
	if err := json.Unmarshal([]byte(js), &s); err != nil {
		return nil, fmt.Errorf("bad space JSON: %v", err)
	}
	return &s, s.Validate()
}

// stageVar names the per-stage parameter p of stage i (1-based): "d1", "w3", ...
func stageVar(p string, i int) string { return p + strconv.Itoa(i) }

// GenerativeVars returns the names of the parameters drawn for each network of s, in
// the order they are drawn. Stage parameters are numbered from 1.
func (s *Space) GenerativeVars() []string {
	if s.Family == FamilyRegNet {
		return []string{"depth", "w0", "wa", "wm", "b", "g"}
	}
	var names []string
	for _, p := range []string{"d", "w"} {
		for i := 1; i <= len(s.Strides); i++ {
			names = append(names, stageVar(p, i))
		}
	}
	for _, p := range []string{"b", "g"} {
		if (p == "b" && s.Has(SharedB)) || (p == "g" && s.Has(SharedG)) {
			names = append(names, p)
			continue
		}
		for i := 1; i <= len(s.Strides); i++ {
			names = append(names, stageVar(p, i))
		}
	}
	return names
}

// FilterVars returns the names of derived quantities s may restrict by range (a draw
// outside the range is rejected): total depth for AnyNet, stage depths and widths
// for RegNet.
func (s *Space) FilterVars() []string {
	if s.Family == FamilyRegNet {
		var names []string
		for _, p := range []string{"d", "w"} {
			for i := 1; i <= len(s.Strides); i++ {
				names = append(names, stageVar(p, i))
			}
		}
		return names
	}
	return []string{"depth"}
}

// Validate reports the first inconsistency in s, or nil.
func (s *Space) Validate() error {
	fail := func(format string, a ...any) error {
		return fmt.Errorf("space %q: %s", s.Name, fmt.Sprintf(format, a...))
	}
	if s.Name == "" {
		return fmt.Errorf("space has no name")
	}
	switch s.Family {
	case FamilyAnyNet, FamilyRegNet:
	default:
		return fail("unknown family %q (want anynet or regnet)", s.Family)
	}
	if (s.Family == FamilyRegNet) != s.Has(QuantizedLinear) {
		return fail("family %s and constraint %s disagree: a regnet space has quantized_linear widths and only it", s.Family, QuantizedLinear)
	}
	if len(s.Strides) == 0 {
		return fail("no stages (strides is empty)")
	}
	probe := anynet.Net{Res: s.Res, Channels: s.Channels, Classes: s.Classes, StemW: s.StemW, StemS: s.StemS,
		Block: s.Block, SERatio: s.SERatio}
	for _, st := range s.Strides {
		probe.Stages = append(probe.Stages, anynet.Stage{D: 1, W: 8, S: st, B: 1, G: 1})
	}
	if err := probe.Validate(); err != nil {
		return fail("%v", err)
	}
	for _, c := range s.Constraints {
		switch c {
		case SharedB, SharedG, NonDecreasingW, NonDecreasingD, QuantizedLinear:
		default:
			return fail("unknown constraint %q (known: %s, %s, %s, %s, %s)", c, SharedB, SharedG, NonDecreasingW, NonDecreasingD, QuantizedLinear)
		}
	}
	if s.Family == FamilyRegNet && (!s.Has(SharedB) || !s.Has(SharedG)) {
		return fail("a regnet space shares b and g: add %s and %s", SharedB, SharedG)
	}
	for name, b := range map[string]Bounds{"flops": s.Flops, "params": s.Params, "acts": s.Acts} {
		if b.Lo < 0 || b.Hi < 0 || (b.Hi != 0 && b.Lo > b.Hi) {
			return fail("%s bounds %s are empty or negative", name, b)
		}
	}
	gen, filt := s.GenerativeVars(), s.FilterVars()
	seen := map[string]bool{}
	for _, p := range s.Vars {
		if seen[p.Name] {
			return fail("parameter %q appears twice", p.Name)
		}
		seen[p.Name] = true
		if !slices.Contains(gen, p.Name) && !slices.Contains(filt, p.Name) {
			return fail("parameter %q is not one of a %s space with %d stages and constraints %v (drawn: %s; restrictable: %s)",
				p.Name, s.Family, len(s.Strides), s.Constraints, strings.Join(gen, " "), strings.Join(filt, " "))
		}
		if err := p.validate(); err != nil {
			return fail("parameter %q: %v", p.Name, err)
		}
		if hi, ok := paramLimit(p.Name); ok && p.Hi > hi {
			return fail("parameter %q: range [%g, %g] goes above %g, the largest a network may have", p.Name, p.Lo, p.Hi, hi)
		}
	}
	for _, name := range gen {
		if !seen[name] {
			return fail("parameter %q is missing (a %s space with constraints %v draws %s)", name, s.Family, s.Constraints, strings.Join(gen, " "))
		}
	}
	return nil
}

// paramLimit returns the largest value a parameter may range up to: the network
// depth limit for depths (depth, d1, ...), the width limit for widths and group
// widths (w0, wa, w1, ..., g, g1, ...); ok is false for the others.
func paramLimit(name string) (float64, bool) {
	switch {
	case name == "depth" || (strings.HasPrefix(name, "d") && isStageVar(name)):
		return anynet.MaxDepth, true
	case name == "w0" || name == "wa" || name == "g" ||
		((strings.HasPrefix(name, "w") || strings.HasPrefix(name, "g")) && isStageVar(name)):
		return anynet.MaxWidth, true
	}
	return 0, false
}

// isStageVar reports whether name is a letter followed by a stage number.
func isStageVar(name string) bool {
	_, err := strconv.Atoi(name[1:])
	return len(name) > 1 && err == nil
}

func (p *Param) validate() error {
	finite := func(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
	if !finite(p.Lo) || !finite(p.Hi) || !finite(p.Quantum) {
		return fmt.Errorf("range [%g, %g] quantum %g is not finite", p.Lo, p.Hi, p.Quantum)
	}
	if p.Lo > p.Hi {
		return fmt.Errorf("empty range [%g, %g]", p.Lo, p.Hi)
	}
	if p.Quantum < 0 {
		return fmt.Errorf("negative quantum %g", p.Quantum)
	}
	switch p.Dist {
	case DistUniform, DistLogUniform:
		if p.Dist == DistLogUniform && p.Lo <= 0 {
			return fmt.Errorf("log-uniform needs lo > 0, got %g", p.Lo)
		}
		if p.Quantum > 0 && math.Ceil(p.Lo/p.Quantum-1e-9)*p.Quantum > p.Hi+1e-9*p.Quantum {
			return fmt.Errorf("no multiple of %g lies in [%g, %g]", p.Quantum, p.Lo, p.Hi)
		}
	case DistChoice:
		if len(p.InRange()) == 0 {
			return fmt.Errorf("no choice of %v lies in [%g, %g]", p.Choices, p.Lo, p.Hi)
		}
	default:
		return fmt.Errorf("unknown distribution %q (want uniform, log-uniform or choice)", p.Dist)
	}
	return nil
}

// InRange returns the choices of a choice parameter that lie in [Lo, Hi].
func (p *Param) InRange() []float64 {
	var out []float64
	for _, c := range p.Choices {
		if c >= p.Lo && c <= p.Hi {
			out = append(out, c)
		}
	}
	return out
}

// Contains reports whether v is a value p can take.
func (p *Param) Contains(v float64) bool {
	switch {
	case v < p.Lo || v > p.Hi:
		return false
	case p.Dist == DistChoice:
		return slices.Contains(p.Choices, v)
	case p.Quantum > 0:
		k := v / p.Quantum
		return math.Abs(k-math.Round(k)) < 1e-6
	}
	return true
}
