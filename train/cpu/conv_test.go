package cpu

import (
	"fmt"
	"runtime"
	"testing"
)

// convCases covers every code path: the 1×1 GEMM path, the depthwise path and the
// im2col path, with odd sizes, stride 2, w_in != w_out, and group widths 1, 2, 8, 16, 24.
// fd marks the cases small enough for a finite-difference check of every coordinate.
var convCases = []struct {
	s  ConvShape
	fd bool
}{
	{ConvShape{N: 2, H: 5, W: 7, Cin: 3, Cout: 4, K: 3, Stride: 1, Groups: 1}, true},    // dense, odd image
	{ConvShape{N: 2, H: 5, W: 7, Cin: 3, Cout: 4, K: 3, Stride: 2, Groups: 1}, true},    // dense, stride 2
	{ConvShape{N: 2, H: 5, W: 7, Cin: 4, Cout: 6, K: 3, Stride: 1, Groups: 2}, true},    // 2 groups, w_in != w_out
	{ConvShape{N: 2, H: 5, W: 7, Cin: 4, Cout: 6, K: 3, Stride: 2, Groups: 2}, true},    // 2 groups, stride 2
	{ConvShape{N: 2, H: 5, W: 7, Cin: 4, Cout: 4, K: 3, Stride: 1, Groups: 4}, true},    // depthwise
	{ConvShape{N: 2, H: 5, W: 7, Cin: 4, Cout: 4, K: 3, Stride: 2, Groups: 4}, true},    // depthwise, stride 2
	{ConvShape{N: 2, H: 5, W: 7, Cin: 4, Cout: 8, K: 3, Stride: 1, Groups: 4}, true},    // depthwise multiplier 2 (im2col path)
	{ConvShape{N: 2, H: 5, W: 7, Cin: 5, Cout: 3, K: 1, Stride: 1, Groups: 1}, true},    // 1×1: GEMM path
	{ConvShape{N: 2, H: 5, W: 7, Cin: 5, Cout: 3, K: 1, Stride: 2, Groups: 1}, true},    // 1×1 stride 2 (shortcut)
	{ConvShape{N: 2, H: 5, W: 7, Cin: 4, Cout: 6, K: 1, Stride: 1, Groups: 2}, true},    // grouped 1×1
	{ConvShape{N: 1, H: 1, W: 1, Cin: 2, Cout: 3, K: 3, Stride: 1, Groups: 1}, true},    // 1×1 image, all padding but the centre
	{ConvShape{N: 3, H: 6, W: 5, Cin: 16, Cout: 16, K: 3, Stride: 1, Groups: 2}, false}, // group width 8
	{ConvShape{N: 3, H: 6, W: 5, Cin: 16, Cout: 16, K: 3, Stride: 2, Groups: 2}, false},
	{ConvShape{N: 2, H: 7, W: 5, Cin: 32, Cout: 32, K: 3, Stride: 1, Groups: 2}, false}, // group width 16
	{ConvShape{N: 2, H: 7, W: 5, Cin: 48, Cout: 48, K: 3, Stride: 2, Groups: 2}, false}, // group width 24
	{ConvShape{N: 2, H: 5, W: 5, Cin: 24, Cout: 72, K: 3, Stride: 1, Groups: 3}, false}, // gw in 8, out 24
	{ConvShape{N: 2, H: 7, W: 7, Cin: 8, Cout: 8, K: 3, Stride: 1, Groups: 8}, false},   // depthwise, 8 channels
	{ConvShape{N: 5, H: 9, W: 9, Cin: 16, Cout: 16, K: 3, Stride: 1, Groups: 2}, false}, // several im2col blocks
	{ConvShape{N: 2, H: 6, W: 7, Cin: 40, Cout: 64, K: 1, Stride: 1, Groups: 1}, false}, // 1×1 on gonum's shapes
	{ConvShape{N: 3, H: 7, W: 7, Cin: 3, Cout: 32, K: 3, Stride: 2, Groups: 1}, false},  // stem
	// Shapes of the benchmark networks at a small batch: full register tiles, several
	// im2col blocks with a partial last one, C wide enough for the 16-lane kernels.
	{ConvShape{N: 3, H: 10, W: 11, Cin: 64, Cout: 64, K: 3, Stride: 1, Groups: 8}, false},
	{ConvShape{N: 2, H: 12, W: 11, Cin: 56, Cout: 56, K: 3, Stride: 2, Groups: 7}, false},
	{ConvShape{N: 3, H: 9, W: 9, Cin: 48, Cout: 104, K: 1, Stride: 1, Groups: 1}, false},
	{ConvShape{N: 2, H: 8, W: 9, Cin: 56, Cout: 152, K: 1, Stride: 2, Groups: 1}, false},
	{ConvShape{N: 2, H: 11, W: 10, Cin: 3, Cout: 32, K: 3, Stride: 1, Groups: 1}, false},
	// Group width 8 with 5 groups: the 12-row kernels of 8 columns with a partial
	// last block, the 8-row weight-gradient kernels, one im2col tap moving 5 runs.
	{ConvShape{N: 3, H: 13, W: 11, Cin: 40, Cout: 40, K: 3, Stride: 1, Groups: 5}, false},
	{ConvShape{N: 2, H: 9, W: 13, Cin: 40, Cout: 40, K: 3, Stride: 2, Groups: 5}, false},
}

func TestConv(t *testing.T) { gemmModes(t, testConv) }

func testConv(t *testing.T) {
	for ci, c := range convCases {
		s := c.s
		t.Run(fmt.Sprintf("%d:%+v", ci, s), func(t *testing.T) {
			r := newRand(uint64(ci + 1))
			x := randSlice(r, s.InLen(), 1)
			w := randSlice(r, s.WeightLen(), 1)
			dy := randSlice(r, s.OutLen(), 1)
			scratch := make([]float32, s.ScratchLen())
			// float32 sums of up to K·K·Cin/G (forward, data) or N·OH·OW (weight) products.
			kdim := float64(s.K * s.K * s.Cin / s.Groups)
			pdim := float64(s.N * s.OutH() * s.OutW())

			y := guarded(s.OutLen())
			ConvForward(y, x, w, s, scratch)
			checkSlice(t, "y", y, refConvForward(x, w, s), 1e-6*kdim, 1e-5)
			checkGuard(t, "y", y, s.OutLen())

			dx := guarded(s.InLen())
			ConvBackwardData(dx, dy, w, s, scratch)
			checkSlice(t, "dx", dx, refConvBackwardData(dy, w, s), 1e-6*kdim*float64(s.Cout), 1e-5)
			checkGuard(t, "dx", dx, s.InLen())

			dw := guarded(s.WeightLen())
			ConvBackwardWeight(dw, dy, x, s, scratch)
			checkSlice(t, "dw", dw, refConvBackwardWeight(dy, x, s), 1e-6*pdim, 1e-5)
			checkGuard(t, "dw", dw, s.WeightLen())

			if !c.fd {
				return
			}
			// L = Σ dy·y(x, w) is linear in x and in w, so the central difference is exact
			// but for float32 rounding of y, divided by the step 2h = 0.02.
			loss := func() float64 {
				ConvForward(y, x, w, s, scratch)
				return dot64(dy, y[:s.OutLen()])
			}
			fdCheck(t, "fd dx", x, dx, 1e-2, loss, 2e-3, 1e-3)
			fdCheck(t, "fd dw", w, dw, 1e-2, loss, 2e-3, 1e-3)
		})
	}
}

// TestConvWorkers runs the im2col and depthwise paths with scratch for one worker only
// and with more workers than cores, and checks they agree with the reference.
func TestConvWorkers(t *testing.T) {
	shapes := []ConvShape{
		{N: 5, H: 9, W: 9, Cin: 16, Cout: 16, K: 3, Stride: 1, Groups: 2},
		{N: 3, H: 6, W: 7, Cin: 8, Cout: 8, K: 3, Stride: 2, Groups: 8},
	}
	prev := runtime.GOMAXPROCS(0)
	defer runtime.GOMAXPROCS(prev)
	for _, procs := range []int{1, 3, 5} {
		runtime.GOMAXPROCS(procs)
		for _, s := range shapes {
			for _, one := range []bool{false, true} {
				t.Run(fmt.Sprintf("procs=%d,oneWorker=%v,%+v", procs, one, s), func(t *testing.T) {
					r := newRand(7)
					x := randSlice(r, s.InLen(), 1)
					w := randSlice(r, s.WeightLen(), 1)
					dy := randSlice(r, s.OutLen(), 1)
					n := s.ScratchLen()
					if one {
						shared, per := s.scratchLayout()
						n = shared + per
					}
					scratch := make([]float32, n)
					y := guarded(s.OutLen())
					ConvForward(y, x, w, s, scratch)
					checkSlice(t, "y", y, refConvForward(x, w, s), 1e-4, 1e-5)
					dx := guarded(s.InLen())
					ConvBackwardData(dx, dy, w, s, scratch)
					checkSlice(t, "dx", dx, refConvBackwardData(dy, w, s), 1e-4, 1e-5)
					dw := guarded(s.WeightLen())
					ConvBackwardWeight(dw, dy, x, s, scratch)
					checkSlice(t, "dw", dw, refConvBackwardWeight(dy, x, s), 1e-4, 1e-5)
				})
			}
		}
	}
}

func TestConvPanics(t *testing.T) {
	s := ConvShape{N: 1, H: 4, W: 4, Cin: 8, Cout: 8, K: 3, Stride: 1, Groups: 2}
	ok := make([]float32, 1000)
	for _, c := range []struct {
		name string
		fn   func()
	}{
		{"groups do not divide", func() {
			b := s
			b.Groups = 3
			ConvForward(ok, ok, ok, b, ok)
		}},
		{"even kernel", func() {
			b := s
			b.K = 2
			ConvForward(ok, ok, ok, b, ok)
		}},
		{"short output", func() { ConvForward(ok[:10], ok, ok, s, ok) }},
		{"short scratch", func() { ConvBackwardWeight(ok, ok, ok, s, ok[:10]) }},
	} {
		t.Run(c.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("no panic")
				}
			}()
			c.fn()
		})
	}
}
