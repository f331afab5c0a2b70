package anynet

import (
	"fmt"
	"sort"
	"strings"
)

// Geometry is the input an architecture is built for, with the stem and stage
// strides that suit that input size.
type Geometry struct {
	Name     string
	Res      int
	Channels int
	Classes  int
	StemS    int
	Strides  []int // stride of the first block of each stage
}

// The built-in geometries. ImageNet-size input uses a stride-2 stem and stride 2 in
// every stage (224 → 112 → 56 → 28 → 14 → 7). The 32×32 and 28×28 inputs keep full
// resolution in the stem and the first stage (32 → 32 → 16 → 8 → 4).
var (
	ImageNet = Geometry{Name: "imagenet", Res: 224, Channels: 3, Classes: 1000, StemS: 2, Strides: []int{2, 2, 2, 2}}
	CIFAR10  = Geometry{Name: "cifar10", Res: 32, Channels: 3, Classes: 10, StemS: 1, Strides: []int{1, 2, 2, 2}}
	MNIST    = Geometry{Name: "mnist", Res: 28, Channels: 1, Classes: 10, StemS: 1, Strides: []int{1, 2, 2, 2}}
)

// Geometries lists the built-in geometries by name.
var Geometries = []Geometry{ImageNet, CIFAR10, MNIST}

// LookupGeometry returns the built-in geometry with the given name (case-insensitive).
func LookupGeometry(name string) (Geometry, error) {
	for _, g := range Geometries {
		if strings.EqualFold(g.Name, name) {
			return g, nil
		}
	}
	return Geometry{}, fmt.Errorf("unknown geometry %q (known: imagenet, cifar10, mnist)", name)
}

// StemWidth is the stem width of every zoo model and built-in space.
const StemWidth = 32

// ZooModel is one model of the pycls RegNet model zoo.
type ZooModel struct {
	Name   string
	RegNet RegNet
	G      int  // group width
	SE     bool // RegNetY: squeeze-excitation with ratio 0.25
}

// Zoo holds the pycls RegNetX and RegNetY models (configs/dds_baselines), all with
// bottleneck ratio 1 and stem width 32.
var Zoo = []ZooModel{
	{"RegNetX-200MF", RegNet{13, 24, 36.44, 2.49}, 8, false},
	{"RegNetX-400MF", RegNet{22, 24, 24.48, 2.54}, 16, false},
	{"RegNetX-600MF", RegNet{16, 48, 36.97, 2.24}, 24, false},
	{"RegNetX-800MF", RegNet{16, 56, 35.73, 2.28}, 16, false},
	{"RegNetX-1.6GF", RegNet{18, 80, 34.01, 2.25}, 24, false},
	{"RegNetX-3.2GF", RegNet{25, 88, 26.31, 2.25}, 48, false},
	{"RegNetX-4.0GF", RegNet{23, 96, 38.65, 2.43}, 40, false},
	{"RegNetX-6.4GF", RegNet{17, 184, 60.83, 2.07}, 56, false},
	{"RegNetX-8.0GF", RegNet{23, 80, 49.56, 2.88}, 120, false},
	{"RegNetX-12GF", RegNet{19, 168, 73.36, 2.37}, 112, false},
	{"RegNetX-16GF", RegNet{22, 216, 55.59, 2.1}, 128, false},
	{"RegNetX-32GF", RegNet{23, 320, 69.86, 2.0}, 168, false},
	{"RegNetY-200MF", RegNet{13, 24, 36.44, 2.49}, 8, true},
	{"RegNetY-400MF", RegNet{16, 48, 27.89, 2.09}, 8, true},
	{"RegNetY-600MF", RegNet{15, 48, 32.54, 2.32}, 16, true},
	{"RegNetY-800MF", RegNet{14, 56, 38.84, 2.4}, 16, true},
	{"RegNetY-1.6GF", RegNet{27, 48, 20.71, 2.65}, 24, true},
	{"RegNetY-3.2GF", RegNet{21, 80, 42.63, 2.66}, 24, true},
	{"RegNetY-4.0GF", RegNet{22, 96, 31.41, 2.24}, 64, true},
	{"RegNetY-6.4GF", RegNet{25, 112, 33.22, 2.27}, 72, true},
	{"RegNetY-8.0GF", RegNet{17, 192, 76.82, 2.19}, 56, true},
	{"RegNetY-12GF", RegNet{19, 168, 73.36, 2.37}, 112, true},
	{"RegNetY-16GF", RegNet{18, 200, 106.23, 2.48}, 112, true},
	{"RegNetY-32GF", RegNet{20, 232, 115.89, 2.53}, 232, true},
}

// LookupModel returns the zoo model with the given name (case-insensitive).
func LookupModel(name string) (ZooModel, error) {
	for _, m := range Zoo {
		if strings.EqualFold(m.Name, name) {
			return m, nil
		}
	}
	names := make([]string, len(Zoo))
	for i, m := range Zoo {
		names[i] = m.Name
	}
	sort.Strings(names)
	return ZooModel{}, fmt.Errorf("unknown model %q (known: %s)", name, strings.Join(names, ", "))
}

// Net builds the zoo model for geometry g.
func (m ZooModel) Net(g Geometry) (Net, error) {
	block, se := BlockX, 0.0
	if m.SE {
		block, se = BlockY, 0.25
	}
	return BuildRegNet(m.RegNet, 1, m.G, block, se, StemWidth, g)
}

// BuildRegNet builds the network that RegNet parameters p describe with bottleneck
// ratio b and group width gw, after the compatibility adjustment. The geometry must
// give one stride per stage the rule produces.
func BuildRegNet(p RegNet, b float64, gw int, block string, se float64, stemW int, g Geometry) (Net, error) {
	if err := p.Validate(); err != nil {
		return Net{}, err
	}
	ws, ds := p.Stages()
	if len(ws) != len(g.Strides) {
		return Net{}, fmt.Errorf("regnet %+v gives %d stages, geometry %s has %d", p, len(ws), g.Name, len(g.Strides))
	}
	bs := make([]float64, len(ws))
	gs := make([]int, len(ws))
	for i := range ws {
		bs[i], gs[i] = b, gw
	}
	ws, gs = AdjustCompat(ws, bs, gs)
	n := Net{Res: g.Res, Channels: g.Channels, Classes: g.Classes, StemW: stemW, StemS: g.StemS, Block: block, SERatio: se}
	for i := range ws {
		n.Stages = append(n.Stages, Stage{D: ds[i], W: ws[i], S: g.Strides[i], B: bs[i], G: gs[i]})
	}
	return n, n.Validate()
}
