package formats

import (
	"fmt"
	"strings"

	"github.com/ddstools/dds/formats/anynet"
)

// Scale is an input geometry with the stem width and flops budget the built-in spaces
// use at that scale.
type Scale struct {
	Suffix string // appended to a space name: "" for ImageNet, "-cifar10", "-mnist"
	Geo    anynet.Geometry
	StemW  int
	Flops  Bounds
}

// Scales of the built-in spaces. ImageNet follows the paper (360–400 MF). At 32×32
// the budget 50–70 MF is centred on RegNetX-200MF built for CIFAR-10 (59.9 MF); at
// 28×28×1 the budget 4–8 MF is centred on a 16-wide network of about 1 to 2 blocks
// per stage (5.7 MF), which trains in seconds per epoch on a CPU.
var Scales = []Scale{
	{"", anynet.ImageNet, anynet.StemWidth, Bounds{360e6, 400e6}},
	{"-cifar10", anynet.CIFAR10, anynet.StemWidth, Bounds{50e6, 70e6}},
	{"-mnist", anynet.MNIST, 16, Bounds{4e6, 8e6}},
}

// The parameter distributions of the paper's spaces. AnyNetX: d_i ≤ 16, w_i ≤ 1024
// and divisible by 8, b_i ∈ {1, 2, 4}, g_i ∈ {1, 2, 4, 8, 16, 32}. RegNet: d < 64,
// w_0 < 256 (multiple of 8), 8 ≤ w_a < 256, 1.5 ≤ w_m ≤ 3, b and g as in AnyNetX.
// Depths are uniform; widths and the RegNet slope and multiplier are log-uniform
// (quantized to 8 for widths, 0.01 for w_a and w_m).
var (
	depthVar  = Param{Dist: DistUniform, Lo: 1, Hi: 16, Quantum: 1}
	widthVar  = Param{Dist: DistLogUniform, Lo: 8, Hi: 1024, Quantum: 8}
	bottleVar = Param{Dist: DistChoice, Lo: 1, Hi: 4, Choices: []float64{1, 2, 4}}
	groupVar  = Param{Dist: DistChoice, Lo: 1, Hi: 32, Choices: []float64{1, 2, 4, 8, 16, 32}}
	regnetVar = map[string]Param{
		"depth": {Dist: DistUniform, Lo: 1, Hi: 63, Quantum: 1},
		"w0":    {Dist: DistLogUniform, Lo: 8, Hi: 248, Quantum: 8},
		"wa":    {Dist: DistLogUniform, Lo: 8, Hi: 255.99, Quantum: 0.01},
		"wm":    {Dist: DistLogUniform, Lo: 1.5, Hi: 3, Quantum: 0.01},
		"b":     bottleVar,
		"g":     groupVar,
	}
)

// anyNetSteps are the AnyNetX refinements of the paper, each adding one constraint.
var anyNetSteps = []struct{ name, adds string }{
	{"anynetx-a", ""},
	{"anynetx-b", SharedB},
	{"anynetx-c", SharedG},
	{"anynetx-d", NonDecreasingW},
	{"anynetx-e", NonDecreasingD},
}

// BuiltinSpaces returns the paper's spaces at every scale: AnyNetX_A to _E, RegNetX
// and RegNetY (Y: X blocks with squeeze-excitation, ratio 0.25).
func BuiltinSpaces() []Space {
	var out []Space
	for _, sc := range Scales {
		base := Space{
			Res: sc.Geo.Res, Channels: sc.Geo.Channels, Classes: sc.Geo.Classes,
			StemW: sc.StemW, StemS: sc.Geo.StemS, Block: anynet.BlockX,
			Strides: sc.Geo.Strides, Flops: sc.Flops,
		}
		var cons []string
		for _, step := range anyNetSteps {
			if step.adds != "" {
				cons = append(cons, step.adds)
			}
			s := *base.Clone()
			s.Name, s.Family = step.name+sc.Suffix, FamilyAnyNet
			s.Constraints = append([]string(nil), cons...)
			for _, name := range s.GenerativeVars() {
				v := map[byte]Param{'d': depthVar, 'w': widthVar, 'b': bottleVar, 'g': groupVar}[name[0]]
				v.Name = name
				s.Vars = append(s.Vars, v)
			}
			out = append(out, s)
		}
		for _, y := range []bool{false, true} {
			s := *base.Clone()
			s.Name, s.Family = "regnetx"+sc.Suffix, FamilyRegNet
			if y {
				s.Name, s.Block, s.SERatio = "regnety"+sc.Suffix, anynet.BlockY, 0.25
			}
			s.Constraints = []string{SharedB, SharedG, QuantizedLinear}
			for _, name := range s.GenerativeVars() {
				v := regnetVar[name]
				v.Name = name
				s.Vars = append(s.Vars, v)
			}
			out = append(out, s)
		}
	}
	return out
}

// LookupSpace returns the built-in space with the given name (case-insensitive).
func LookupSpace(name string) (*Space, error) {
	var names []string
	for _, s := range BuiltinSpaces() {
		if strings.EqualFold(s.Name, name) {
			return &s, nil
		}
		names = append(names, s.Name)
	}
	return nil, fmt.Errorf("unknown space %q (built-in: %s; or give a space file)", name, strings.Join(names, ", "))
}

// RegNetVar returns the built-in RegNet spaces' parameter name (depth, w0, wa, wm,
// b or g) with its default distribution and range.
func RegNetVar(name string) Param {
	v := regnetVar[name]
	v.Name = name
	return v
}
