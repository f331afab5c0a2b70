//go:build cgo

package cuda

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/ddstools/dds/train/engine"
)

// convShapes are the convolutions every conv operation is checked on: odd sizes,
// dense and grouped 3×3 with group widths 1 (depthwise), 8, 16, 24 and 64 at strides
// 1 and 2, 1×1 at stride 1 and 2 (the projection shortcut), the stem, and the grouped
// 3×3 of X-200MF's third stage.
var convShapes = []engine.Conv{
	{N: 2, H: 9, W: 7, Cin: 5, Cout: 6, K: 3, Stride: 1, Groups: 1},        // dense, odd sizes
	{N: 2, H: 8, W: 8, Cin: 16, Cout: 16, K: 3, Stride: 2, Groups: 1},      // dense, stride 2
	{N: 2, H: 32, W: 32, Cin: 3, Cout: 32, K: 3, Stride: 1, Groups: 1},     // the stem
	{N: 2, H: 9, W: 9, Cin: 24, Cout: 24, K: 3, Stride: 1, Groups: 24},     // group width 1
	{N: 2, H: 9, W: 9, Cin: 24, Cout: 24, K: 3, Stride: 2, Groups: 24},     // group width 1, stride 2
	{N: 3, H: 8, W: 8, Cin: 32, Cout: 32, K: 3, Stride: 1, Groups: 4},      // group width 8
	{N: 3, H: 9, W: 9, Cin: 32, Cout: 32, K: 3, Stride: 2, Groups: 4},      // group width 8, stride 2, odd input
	{N: 2, H: 7, W: 7, Cin: 48, Cout: 48, K: 3, Stride: 1, Groups: 3},      // group width 16
	{N: 2, H: 8, W: 8, Cin: 48, Cout: 48, K: 3, Stride: 2, Groups: 3},      // group width 16, stride 2
	{N: 2, H: 7, W: 5, Cin: 72, Cout: 72, K: 3, Stride: 1, Groups: 3},      // group width 24
	{N: 2, H: 8, W: 8, Cin: 48, Cout: 48, K: 3, Stride: 2, Groups: 2},      // group width 24, stride 2
	{N: 2, H: 6, W: 6, Cin: 128, Cout: 128, K: 3, Stride: 1, Groups: 2},    // group width 64
	{N: 2, H: 8, W: 8, Cin: 128, Cout: 128, K: 3, Stride: 2, Groups: 2},    // group width 64, stride 2
	{N: 4, H: 16, W: 16, Cin: 152, Cout: 152, K: 3, Stride: 1, Groups: 19}, // X-200MF stage 3
	{N: 4, H: 16, W: 16, Cin: 152, Cout: 152, K: 3, Stride: 2, Groups: 19}, // its first block
	{N: 2, H: 7, W: 7, Cin: 24, Cout: 40, K: 1, Stride: 1, Groups: 1},      // 1×1
	{N: 3, H: 5, W: 5, Cin: 7, Cout: 9, K: 1, Stride: 1, Groups: 1},        // 1×1, odd sizes
	{N: 2, H: 9, W: 9, Cin: 24, Cout: 56, K: 1, Stride: 2, Groups: 1},      // projection, odd input
	{N: 4, H: 8, W: 8, Cin: 152, Cout: 368, K: 1, Stride: 2, Groups: 1},    // X-200MF's last projection
}

func convName(s engine.Conv) string {
	return fmt.Sprintf("%dx%dx%dx%d->%d k%d s%d g%d", s.N, s.H, s.W, s.Cin, s.Cout, s.K, s.Stride, s.Groups)
}

// convCases returns the three convolution operations on shape s.
func convCases(s engine.Conv) []opCase {
	sc := &s
	scratch := arg{name: "scratch", scratch: sc}
	name := convName(s)
	return []opCase{
		{name: "conv fwd " + name, args: []arg{in("x", s.InLen()), in("w", s.WeightLen()), in("y", s.OutLen()), scratch},
			run: func(e engine.Engine, b []engine.Buf, _ []engine.Labels) { e.ConvForward(b[2], b[0], b[1], s, b[3]) }},
		{name: "conv bwd data " + name, args: []arg{in("dy", s.OutLen()), in("w", s.WeightLen()), in("dx", s.InLen()), scratch},
			run: func(e engine.Engine, b []engine.Buf, _ []engine.Labels) {
				e.ConvBackwardData(b[2], b[0], b[1], s, b[3])
			}},
		{name: "conv bwd weight " + name, args: []arg{in("dy", s.OutLen()), in("x", s.InLen()), in("dw", s.WeightLen()), scratch},
			run: func(e engine.Engine, b []engine.Buf, _ []engine.Labels) {
				e.ConvBackwardWeight(b[2], b[0], b[1], s, b[3])
			}},
	}
}

// bnCases returns the batch-norm operations over [m][c] with inputs of kind f.
func bnCases(m, c int, f fill) []opCase {
	name := fmt.Sprintf("%dx%d", m, c)
	if f == offset {
		name += " offset"
	}
	var cs []opCase
	cs = append(cs,
		opCase{name: "bn stats " + name, args: []arg{inFill("x", m*c, f), in("mean", c), in("var", c)},
			run: func(e engine.Engine, b []engine.Buf, _ []engine.Labels) { e.BatchNormStats(b[1], b[2], b[0], m, c) }},
		opCase{name: "bn running " + name, args: []arg{in("runMean", c), inFill("runVar", c, positive), in("mean", c), inFill("var", c, positive)},
			run: func(e engine.Engine, b []engine.Buf, _ []engine.Labels) {
				e.BatchNormUpdateRunning(b[0], b[1], b[2], b[3], m, c, 0.1)
			}})
	for _, res := range []bool{false, true} {
		for _, relu := range []bool{false, true} {
			cs = append(cs, opCase{name: fmt.Sprintf("bn apply %s res=%v relu=%v", name, res, relu),
				args: []arg{inFill("x", m*c, f), in("res", m*c), in("gamma", c), in("beta", c), inFill("mean", c, f), inFill("var", c, positive), in("y", m*c)},
				run: func(e engine.Engine, b []engine.Buf, _ []engine.Labels) {
					r := b[1]
					if !res {
						r = nil
					}
					e.BatchNormApply(b[6], b[0], r, b[2], b[3], b[4], b[5], m, c, 1e-5, relu)
				}})
		}
	}
	bwd := func(label string, relu, dres, alias bool) opCase {
		return opCase{name: "bn bwd " + name + " " + label,
			args: []arg{in("dy", m*c), in("y", m*c), inFill("x", m*c, f), in("gamma", c), inFill("mean", c, f), inFill("var", c, positive),
				in("dx", m*c), in("dres", m*c), in("dgamma", c), in("dbeta", c)},
			run: func(e engine.Engine, b []engine.Buf, _ []engine.Labels) {
				dx, dr, y := b[6], b[7], b[1]
				if alias {
					dx = b[0]
				}
				if !dres {
					dr = nil
				}
				if !relu {
					y = nil
				}
				e.BatchNormBackward(dx, dr, b[8], b[9], b[0], y, b[2], b[3], b[4], b[5], m, c, 1e-5, relu)
			}}
	}
	return append(cs, bwd("plain", false, false, false), bwd("relu", true, false, false),
		bwd("relu+dres", true, true, false), bwd("plain dx=dy", false, false, true), bwd("relu dx=dy", true, false, true))
}

// elementwiseCases returns ReLU, Add and sigmoid over n values.
func elementwiseCases(n int) []opCase {
	name := fmt.Sprint(n)
	return []opCase{
		{name: "relu fwd " + name, args: []arg{in("x", n), in("y", n)},
			run: func(e engine.Engine, b []engine.Buf, _ []engine.Labels) { e.ReLUForward(b[1], b[0], n) }},
		{name: "relu bwd " + name, args: []arg{in("dy", n), in("y", n), in("dx", n)},
			run: func(e engine.Engine, b []engine.Buf, _ []engine.Labels) { e.ReLUBackward(b[2], b[0], b[1], n) }},
		{name: "add " + name, args: []arg{in("a", n), in("b", n), in("y", n)},
			run: func(e engine.Engine, b []engine.Buf, _ []engine.Labels) { e.Add(b[2], b[0], b[1], n) }},
		{name: "add y=a " + name, args: []arg{in("a", n), in("b", n)},
			run: func(e engine.Engine, b []engine.Buf, _ []engine.Labels) { e.Add(b[0], b[0], b[1], n) }},
		{name: "sigmoid fwd " + name, args: []arg{in("x", n), in("y", n)},
			run: func(e engine.Engine, b []engine.Buf, _ []engine.Labels) { e.SigmoidForward(b[1], b[0], n) }},
		{name: "sigmoid bwd " + name, args: []arg{in("dy", n), inFill("y", n, unit), in("dx", n)},
			run: func(e engine.Engine, b []engine.Buf, _ []engine.Labels) { e.SigmoidBackward(b[2], b[0], b[1], n) }},
	}
}

// seCases returns the SE scale and the average pool over n images of hw pixels and c channels.
func seCases(n, hw, c int) []opCase {
	name := fmt.Sprintf("%dx%dx%d", n, hw, c)
	size := n * hw * c
	return []opCase{
		{name: "scale fwd " + name, args: []arg{in("x", size), inFill("s", n*c, unit), in("y", size)},
			run: func(e engine.Engine, b []engine.Buf, _ []engine.Labels) { e.ScaleForward(b[2], b[0], b[1], n, hw, c) }},
		{name: "scale bwd " + name, args: []arg{in("dy", size), in("x", size), inFill("s", n*c, unit), in("dx", size), in("ds", n*c)},
			run: func(e engine.Engine, b []engine.Buf, _ []engine.Labels) {
				e.ScaleBackward(b[3], b[4], b[0], b[1], b[2], n, hw, c)
			}},
		{name: "scale bwd dx=dy " + name, args: []arg{in("dy", size), in("x", size), inFill("s", n*c, unit), in("ds", n*c)},
			run: func(e engine.Engine, b []engine.Buf, _ []engine.Labels) {
				e.ScaleBackward(b[0], b[3], b[0], b[1], b[2], n, hw, c)
			}},
		{name: "avgpool fwd " + name, args: []arg{in("x", size), in("y", n*c)},
			run: func(e engine.Engine, b []engine.Buf, _ []engine.Labels) { e.AvgPoolForward(b[1], b[0], n, hw, c) }},
		{name: "avgpool bwd " + name, args: []arg{in("dy", n*c), in("dx", size)},
			run: func(e engine.Engine, b []engine.Buf, _ []engine.Labels) { e.AvgPoolBackward(b[1], b[0], n, hw, c) }},
	}
}

// linearCases returns the linear layer [n][in] → [n][out] with and without bias,
// and its backward pass with and without dx and dbias.
func linearCases(n, inW, out int) []opCase {
	name := fmt.Sprintf("%dx%d->%d", n, inW, out)
	fwd := func(bias bool) opCase {
		return opCase{name: fmt.Sprintf("linear fwd %s bias=%v", name, bias),
			args: []arg{in("x", n*inW), in("w", out*inW), in("bias", out), in("y", n*out)},
			run: func(e engine.Engine, b []engine.Buf, _ []engine.Labels) {
				bb := b[2]
				if !bias {
					bb = nil
				}
				e.LinearForward(b[3], b[0], b[1], bb, n, inW, out)
			}}
	}
	bwd := func(dx, dbias bool) opCase {
		return opCase{name: fmt.Sprintf("linear bwd %s dx=%v dbias=%v", name, dx, dbias),
			args: []arg{in("dy", n*out), in("x", n*inW), in("w", out*inW), in("dx", n*inW), in("dw", out*inW), in("dbias", out)},
			run: func(e engine.Engine, b []engine.Buf, _ []engine.Labels) {
				x, db := b[3], b[5]
				if !dx {
					x = nil
				}
				if !dbias {
					db = nil
				}
				e.LinearBackward(x, b[4], db, b[0], b[1], b[2], n, inW, out)
			}}
	}
	return []opCase{fwd(true), fwd(false), bwd(true, true), bwd(false, true), bwd(true, false)}
}

// lossCases returns the loss over [n][c] logits with smoothing, with and without
// dlogits, and with two labels outside [0, c) (only stats[2] is specified then).
func lossCases(n, c int, smoothing float32) []opCase {
	name := fmt.Sprintf("%dx%d smoothing=%g", n, c, smoothing)
	r := rand.New(rand.NewPCG(uint64(n), uint64(c)))
	good := make([]int32, n)
	for i := range good {
		good[i] = int32(r.IntN(c))
	}
	bad := append([]int32(nil), good...)
	bad[0], bad[n-1] = -1, int32(c)
	loss := func(label string, ls []int32, dlogits bool) opCase {
		st := in("stats", 3)
		dl := in("dlogits", n*c)
		if ls[0] < 0 {
			st.only = []int{2}
			dl.skip = true
		}
		return opCase{name: "loss " + name + " " + label,
			args: []arg{in("logits", n*c), lab("labels", ls), dl, st},
			run: func(e engine.Engine, b []engine.Buf, l []engine.Labels) {
				d := b[2]
				if !dlogits {
					d = nil
				}
				e.SoftmaxCrossEntropy(d, b[0], l[1], n, c, smoothing, b[3])
			}}
	}
	return []opCase{loss("", good, true), loss("no dlogits", good, false), loss("bad labels", bad, true)}
}

// sgdCases returns SGD steps over n values.
func sgdCases(n int) []opCase {
	var cs []opCase
	for _, p := range []struct {
		momentum, wd float32
		nesterov     bool
	}{{0.9, 5e-4, true}, {0.9, 5e-4, false}, {0.9, 0, true}, {0, 5e-4, false}} {
		cs = append(cs, opCase{name: fmt.Sprintf("sgd %d momentum=%g wd=%g nesterov=%v", n, p.momentum, p.wd, p.nesterov),
			args: []arg{in("p", n), in("g", n), in("v", n)},
			run: func(e engine.Engine, b []engine.Buf, _ []engine.Labels) {
				e.SGDStep(b[0], b[1], b[2], n, 0.1, p.momentum, p.wd, p.nesterov)
			}})
	}
	return cs
}

// opCases is the whole table.
func opCases() []opCase {
	var cs []opCase
	for _, s := range convShapes {
		cs = append(cs, convCases(s)...)
	}
	cs = append(cs, bnCases(2*7*5, 24, normal)...)
	cs = append(cs, bnCases(3*3*3, 13, normal)...)
	cs = append(cs, bnCases(4*4*4, 368, normal)...)
	cs = append(cs, bnCases(128*32*32, 32, offset)...) // long columns with a mean far from 0
	cs = append(cs, elementwiseCases(1001)...)
	cs = append(cs, elementwiseCases(100003)...)
	cs = append(cs, seCases(3, 49, 24)...)
	cs = append(cs, seCases(2, 1, 368)...)
	cs = append(cs, seCases(4, 64, 152)...)
	cs = append(cs, linearCases(5, 24, 10)...)
	cs = append(cs, linearCases(128, 368, 10)...)
	cs = append(cs, linearCases(4, 152, 6)...) // an SE fc1
	cs = append(cs, lossCases(7, 10, 0.1)...)
	cs = append(cs, lossCases(128, 10, 0)...)
	cs = append(cs, lossCases(5, 1000, 0.1)...)
	cs = append(cs, sgdCases(1001)...)
	cs = append(cs, sgdCases(300007)...)
	return cs
}

// TestOps checks every engine operation, forward and backward, on the GPU against
// the CPU engine (one fresh engine per case, so a failure does not hide the rest).
func TestOps(t *testing.T) { testOps(t, engine.FP32) }

// TestOpsBF16 is TestOps with bfloat16 activations, against the CPU engine's exact
// emulation of them (cpu.NewEngineWith(engine.BF16)), with checkOp's BF16
// tolerances.
func TestOpsBF16(t *testing.T) { testOps(t, engine.BF16) }

func testOps(t *testing.T, p engine.Precision) {
	lib := gpuLibrary(t)
	for i, c := range opCases() {
		t.Run(strings.ReplaceAll(c.name, " ", "_"), func(t *testing.T) {
			e, err := lib.NewEngineWith(0, p)
			if err != nil {
				t.Fatal(err)
			}
			defer e.Close()
			checkOp(t, e, c, uint64(i))
		})
	}
}
