package anynet

import (
	"fmt"
	"math"
)

// Stage is one stage of an AnyNet: D blocks of output width W, the first with
// stride S, each with bottleneck ratio B (bottleneck width round(W/B)) and
// group width G (groups = bottleneck width / G).
type Stage struct {
	D int     // number of blocks
	W int     // block output width
	S int     // stride of the first block (1 or 2)
	B float64 // bottleneck ratio b; pycls stores the multiplier 1/b
	G int     // group width
}

// Block types.
const (
	BlockX = "x" // residual bottleneck with group convolution
	BlockY = "y" // X block with squeeze-excitation
)

// Net describes one network completely: input geometry, stem, block type and stages.
type Net struct {
	Res      int // input height and width
	Channels int // input channels
	Classes  int // output classes
	StemW    int // stem width
	StemS    int // stem stride
	Block    string
	SERatio  float64 // w_se = round(SERatio · w_in); 0 for X blocks
	Stages   []Stage
}

// BottleneckWidth returns round(w / b), the width of a block's 3x3 convolution.
// Rounding is half to even, as Python's round does in pycls.
func BottleneckWidth(w int, b float64) int {
	return int(math.RoundToEven(float64(w) / b))
}

// SEWidth returns round(r · wIn), the squeeze-excitation width of a Y block whose
// input width is wIn (pycls convention: the block's input width, not its bottleneck).
func SEWidth(wIn int, r float64) int {
	return int(math.RoundToEven(float64(wIn) * r))
}

// Validate reports the first reason n cannot be built as a network, or nil.
// It checks sizes against the limits (resolution in [1, MaxRes], channels in
// [1, MaxChannels], classes in [MinClasses, MaxClasses], widths in [1, MaxWidth],
// at most MaxStages stages and MaxDepth blocks in all), strides in {1, 2}, a known
// block type, an SE ratio only on Y blocks, and that every stage's group width is at
// most and divides its bottleneck width.
func (n Net) Validate() error {
	switch {
	case n.Res < 1 || n.Res > MaxRes:
		return fmt.Errorf("resolution %d is outside [1, %d]", n.Res, MaxRes)
	case n.Channels < 1 || n.Channels > MaxChannels:
		return fmt.Errorf("channels %d is outside [1, %d]", n.Channels, MaxChannels)
	case n.Classes < MinClasses || n.Classes > MaxClasses:
		return fmt.Errorf("classes %d is outside [%d, %d]", n.Classes, MinClasses, MaxClasses)
	case n.StemW < 1 || n.StemW > MaxWidth:
		return fmt.Errorf("stem width %d is outside [1, %d]", n.StemW, MaxWidth)
	case n.StemS != 1 && n.StemS != 2:
		return fmt.Errorf("stem stride %d must be 1 or 2", n.StemS)
	case len(n.Stages) == 0:
		return fmt.Errorf("a network needs at least one stage")
	case len(n.Stages) > MaxStages:
		return fmt.Errorf("%d stages, more than the %d allowed", len(n.Stages), MaxStages)
	}
	switch n.Block {
	case BlockX:
		if n.SERatio != 0 {
			return fmt.Errorf("block x has no squeeze-excitation but se_ratio is %g", n.SERatio)
		}
	case BlockY:
		if !(n.SERatio > 0 && n.SERatio <= 1) {
			return fmt.Errorf("block y needs an se_ratio in (0, 1], got %g", n.SERatio)
		}
	default:
		return fmt.Errorf("unknown block type %q (want x or y)", n.Block)
	}
	wIn := n.StemW
	depth := 0
	for i, s := range n.Stages {
		switch {
		case s.D < 1 || s.D > MaxDepth:
			return fmt.Errorf("stage %d: depth %d is outside [1, %d]", i+1, s.D, MaxDepth)
		case s.W < 1 || s.W > MaxWidth:
			return fmt.Errorf("stage %d: width %d is outside [1, %d]", i+1, s.W, MaxWidth)
		case s.S != 1 && s.S != 2:
			return fmt.Errorf("stage %d: stride %d must be 1 or 2", i+1, s.S)
		case !(s.B > 0) || math.IsInf(s.B, 0):
			return fmt.Errorf("stage %d: bottleneck ratio %g must be positive", i+1, s.B)
		case s.G < 1:
			return fmt.Errorf("stage %d: group width %d must be positive", i+1, s.G)
		}
		if depth += s.D; depth > MaxDepth {
			return fmt.Errorf("depth %d (blocks in all stages) is more than the %d allowed", n.Depth(), MaxDepth)
		}
		wbf := math.RoundToEven(float64(s.W) / s.B)
		if wbf > MaxWidth {
			return fmt.Errorf("stage %d: bottleneck width round(%d/%g) = %g is more than %d", i+1, s.W, s.B, wbf, MaxWidth)
		}
		wb := int(wbf)
		if wb < 1 {
			return fmt.Errorf("stage %d: bottleneck width round(%d/%g) is zero", i+1, s.W, s.B)
		}
		if s.G > wb {
			return fmt.Errorf("stage %d: group width %d is more than the bottleneck width %d", i+1, s.G, wb)
		}
		if wb%s.G != 0 {
			return fmt.Errorf("stage %d: group width %d does not divide bottleneck width %d", i+1, s.G, wb)
		}
		if n.Block == BlockY && SEWidth(wIn, n.SERatio) < 1 {
			return fmt.Errorf("stage %d: squeeze-excitation width round(%g·%d) is zero", i+1, n.SERatio, wIn)
		}
		wIn = s.W
	}
	return nil
}

// Depth returns the total number of blocks.
func (n Net) Depth() int {
	d := 0
	for _, s := range n.Stages {
		d += s.D
	}
	return d
}

// BlockWidths returns the output width of every block in order, one entry per block.
func (n Net) BlockWidths() []int {
	ws := make([]int, 0, n.Depth())
	for _, s := range n.Stages {
		for j := 0; j < s.D; j++ {
			ws = append(ws, s.W)
		}
	}
	return ws
}
