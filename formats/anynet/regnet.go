package anynet

import (
	"fmt"
	"math"
)

// RegNet holds the parameters of the quantized-linear width rule: D blocks,
// initial width W0 (a positive multiple of 8), slope WA ≥ 0 and multiplier WM > 1.
type RegNet struct {
	D  int
	W0 float64
	WA float64
	WM float64
}

// WidthQuantum is the quantum q of RegNet block widths.
const WidthQuantum = 8

// Validate reports why p cannot generate widths, or nil: D in [1, MaxDepth], W0 a
// positive multiple of WidthQuantum up to MaxWidth, WA in [0, MaxWidth], WM > 1 finite.
func (p RegNet) Validate() error {
	switch {
	case p.D < 1 || p.D > MaxDepth:
		return fmt.Errorf("regnet depth %d is outside [1, %d]", p.D, MaxDepth)
	case !(p.W0 > 0) || p.W0 > MaxWidth || math.Mod(p.W0, WidthQuantum) != 0:
		return fmt.Errorf("regnet w0 %g must be a positive multiple of %d up to %d", p.W0, WidthQuantum, MaxWidth)
	case !(p.WA >= 0) || p.WA > MaxWidth:
		return fmt.Errorf("regnet wa %g is outside [0, %d]", p.WA, MaxWidth)
	case !(p.WM > 1) || math.IsInf(p.WM, 0):
		return fmt.Errorf("regnet wm %g must be greater than 1", p.WM)
	}
	return nil
}

// BlockWidths returns the width of each block j = 0..D−1 by the quantized linear rule:
// u_j = W0 + WA·j; s_j = round(log(u_j/W0) / log(WM)); w_j = round(W0·WM^s_j / q)·q,
// rounding half to even as numpy does. A depth outside [0, MaxDepth] has no widths
// (nil): Validate says why.
func (p RegNet) BlockWidths() []int {
	if p.D < 0 || p.D > MaxDepth {
		return nil
	}
	ws := make([]int, p.D)
	for j := range ws {
		u := p.W0 + p.WA*float64(j)
		s := math.RoundToEven(math.Log(u/p.W0) / math.Log(p.WM))
		ws[j] = int(math.RoundToEven(p.W0*math.Pow(p.WM, s)/WidthQuantum)) * WidthQuantum
	}
	return ws
}

// Stages returns the stage widths and depths: the runs of equal block widths, widths
// ascending and each depth the count of blocks of that width.
func (p RegNet) Stages() (ws, ds []int) {
	for _, w := range p.BlockWidths() {
		if n := len(ws); n > 0 && ws[n-1] == w {
			ds[n-1]++
			continue
		}
		ws = append(ws, w)
		ds = append(ds, 1)
	}
	return ws, ds
}

// AdjustCompat makes widths, bottleneck ratios and group widths compatible as pycls
// does, stage by stage, with m = 1/b the bottleneck multiplier:
// v = max(1, ⌊w·m⌋); g = min(g, v); v = max(q, round(v/q)·q) with q = lcm(g, m) when
// m > 1 is an integer, else q = g; w = ⌊v/m⌋. Afterwards round(w/b) is a multiple of g.
// It returns new slices.
func AdjustCompat(ws []int, bs []float64, gs []int) ([]int, []int) {
	outW := make([]int, len(ws))
	outG := make([]int, len(gs))
	for i := range ws {
		m := 1 / bs[i]
		v := max(1, int(float64(ws[i])*m))
		g := min(gs[i], v)
		q := g
		if m > 1 && m == math.Trunc(m) {
			q = lcm(g, int(m))
		}
		v = max(q, int(math.RoundToEven(float64(v)/float64(q)))*q)
		outW[i] = int(float64(v) / m)
		outG[i] = g
	}
	return outW, outG
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

func lcm(a, b int) int { return a / gcd(a, b) * b }
