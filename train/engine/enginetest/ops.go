package enginetest

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/ddstools/dds/internal/approx"
	"github.com/ddstools/dds/train/engine"
)

// actNames are the names the op cases give activation arguments (engine's
// "Activation arguments"): runOp allocates them with AllocAct, and in BF16 they are
// compared with actTol. Every other argument is float32.
var actNames = map[string]bool{"x": true, "y": true, "dx": true, "dy": true, "a": true, "b": true,
	"res": true, "dres": true, "s": true, "ds": true, "logits": true, "dlogits": true}

// isAct reports whether a is an activation argument.
func (a arg) isAct() bool { return a.labels == nil && a.scratch == nil && actNames[a.name] }

// fill says how an argument's random values are drawn.
type fill int

const (
	normal   fill = iota // N(0, 1)
	positive             // |N(0, 1)| + 0.5: variances
	unit                 // uniform in (0.01, 0.99): sigmoid outputs
	offset               // 3 + N(0, 1): a mean far from 0, for variance sums
)

// arg is one argument of an operation under test.
type arg struct {
	name    string
	n       int
	fill    fill
	labels  []int32      // a label argument when not nil (not compared)
	scratch *engine.Conv // a convolution scratch (length from each engine's ConvScratch; not compared)
	skip    bool         // an output the operation leaves unspecified: not compared
	only    []int        // compare only these values
}

func in(name string, n int) arg             { return arg{name: name, n: n} }
func inFill(name string, n int, f fill) arg { return arg{name: name, n: n, fill: f} }
func lab(name string, l []int32) arg        { return arg{name: name, labels: l} }

// opCase is one operation of a family with its arguments. run receives the arguments
// in order: float buffers in b (nil at Ints positions), Ints buffers in l.
type opCase struct {
	family string
	name   string // the case: shape and variant
	args   []arg
	run    func(e engine.Engine, b []engine.Buf, l []engine.Ints)
}

// guard is how many values beyond each end of an argument are allocated, filled and
// checked to be left exactly as they were.
const guard = 16

// result is what one engine left in the arguments: each float argument downloaded
// with its guards.
type result [][]float32

// runOp runs c on e with the arguments filled from seed, and returns every float
// argument afterwards (with guards), activations allocated with AllocAct (so stored
// in e's precision); scratch and label arguments are nil.
func runOp(e engine.Engine, c opCase, seed uint64) (result, error) {
	r := rand.New(rand.NewPCG(seed, 0x6f70))
	b := make([]engine.Buf, len(c.args))
	l := make([]engine.Ints, len(c.args))
	full := make([]engine.Buf, len(c.args))
	for i, a := range c.args {
		switch {
		case a.labels != nil:
			l[i] = e.AllocInts(len(a.labels))
			e.UploadInts(l[i], a.labels)
		case a.scratch != nil:
			b[i] = e.Alloc(e.ConvScratch(*a.scratch))
		default:
			v := values(r, a.n+2*guard, a.fill)
			if a.isAct() {
				full[i] = e.AllocAct(len(v))
			} else {
				full[i] = e.Alloc(len(v))
			}
			e.Upload(full[i], v)
			b[i] = e.Slice(full[i], guard, a.n)
		}
	}
	c.run(e, b, l)
	out := make(result, len(c.args))
	for i := range c.args {
		if full[i] != nil {
			out[i] = make([]float32, full[i].Len())
			e.Download(out[i], full[i])
		}
	}
	if err := e.Err(); err != nil {
		return nil, fmt.Errorf("%s %s: %s: %w", c.family, c.name, e.Name(), err)
	}
	return out, nil
}

// values returns n random values of kind f.
func values(r *rand.Rand, n int, f fill) []float32 {
	v := make([]float32, n)
	for i := range v {
		switch f {
		case normal:
			v[i] = float32(r.NormFloat64())
		case positive:
			v[i] = float32(math.Abs(r.NormFloat64()) + 0.5)
		case unit:
			v[i] = float32(0.01 + 0.98*r.Float64())
		case offset:
			v[i] = float32(3 + r.NormFloat64())
		}
	}
	return v
}

// opReport is the outcome of one op case: its failures, a line with each
// argument's error, and the largest error.
type opReport struct {
	fails   []string
	errs    string
	largest float64
}

// compareOp runs c on e and on ref (both in precision p) from the same random
// arguments and compares every float argument (outputs, in-place updates, and inputs,
// which must be unchanged): norm-wise relative error at most opTol, guards
// untouched; in BF16, activations within actTol with at most actDiffFrac of their
// values different, float32 arguments within floatTolBF16. Every failure names the
// family, the precision, the case and the argument.
func compareOp(p engine.Precision, e, ref engine.Engine, oc opCase, seed uint64) (opReport, error) {
	var rep opReport
	bf16 := p == engine.BF16
	want, err := runOp(ref, oc, seed)
	if err != nil {
		return rep, err
	}
	got, err := runOp(e, oc, seed)
	if err != nil {
		return rep, err
	}
	at := fmt.Sprintf("%s %s %s", oc.family, p, oc.name)
	fail := func(format string, args ...any) { rep.fails = append(rep.fails, at+": "+fmt.Sprintf(format, args...)) }
	var msgs []string
	for i, a := range oc.args {
		if want[i] == nil || a.skip {
			continue
		}
		g, w := got[i], want[i]
		for j := range guard {
			for _, k := range []int{j, len(w) - 1 - j} {
				if math.Float32bits(g[k]) != math.Float32bits(w[k]) {
					fail("guard value %d of %s changed: %g, was %g", k, a.name, g[k], w[k])
				}
			}
		}
		g, w = g[guard:guard+a.n], w[guard:guard+a.n]
		if a.only != nil {
			gs, ws := make([]float32, len(a.only)), make([]float32, len(a.only))
			for k, j := range a.only {
				gs[k], ws[k] = g[j], w[j]
			}
			g, w = gs, ws
		}
		tol := opTol
		if bf16 && a.isAct() {
			tol = actTol
			if d := differing(g, w); float64(d) > actDiffFrac*float64(len(w)) {
				j := worst(g, w)
				fail("%s: %d of %d values differ, more than %g of them (worst at %d: %s %g, %s %g)",
					a.name, d, len(w), actDiffFrac, j, e.Name(), g[j], ref.Name(), w[j])
			}
		} else if bf16 {
			tol = floatTolBF16
		}
		re := approx.RelErr(g, w, 0)
		rep.largest = max(rep.largest, re)
		if math.IsNaN(re) {
			rep.largest = re
		}
		msgs = append(msgs, fmt.Sprintf("%s %.1e", a.name, re))
		if !(re <= tol) {
			j := worst(g, w)
			fail("%s: relative error %.3g > %.0e (worst at %d: %s %g, %s %g)", a.name, re, tol, j, e.Name(), g[j], ref.Name(), w[j])
		}
	}
	rep.errs = at + ": " + strings.Join(msgs, ", ")
	return rep, nil
}

// checkOp is compareOp reported on t; it returns the largest error.
func (c *suite) checkOp(t *testing.T, e, ref engine.Engine, oc opCase, seed uint64) float64 {
	t.Helper()
	rep, err := compareOp(c.p, e, ref, oc, seed)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range rep.fails {
		t.Error(f)
	}
	t.Log(rep.errs)
	return rep.largest
}

// ops runs every op case of the families want selects, one fresh engine of each
// subject per case (so that a failure does not hide the rest).
func (c *suite) ops(t *testing.T, want func(string) bool) {
	for i, oc := range opCases() {
		if !want(oc.family) {
			continue
		}
		t.Run(oc.family+"/"+strings.ReplaceAll(oc.name, " ", "_"), func(t *testing.T) {
			e, ref := c.newEngine(t, c.s), c.newEngine(t, c.ref)
			c.sum.add(oc.family, c.p, c.checkOp(t, e, ref, oc, uint64(i)))
		})
	}
}

// convShapes are the convolutions every conv operation is checked on: odd sizes,
// dense and grouped 3×3 with group widths 1 (depthwise), 8, 16, 24 and 64 at strides
// 1 and 2, an odd number of groups, more output than input channels per group, 1×1
// at stride 1 and 2 (the projection shortcut) and the stem.
var convShapes = []engine.Conv{
	{N: 2, H: 5, W: 7, Cin: 5, Cout: 6, K: 3, Stride: 1, Groups: 1},     // dense, odd sizes
	{N: 2, H: 7, W: 5, Cin: 8, Cout: 12, K: 3, Stride: 2, Groups: 1},    // dense, stride 2
	{N: 2, H: 9, W: 7, Cin: 3, Cout: 16, K: 3, Stride: 1, Groups: 1},    // the stem
	{N: 2, H: 5, W: 7, Cin: 24, Cout: 24, K: 3, Stride: 1, Groups: 24},  // group width 1
	{N: 2, H: 7, W: 5, Cin: 24, Cout: 24, K: 3, Stride: 2, Groups: 24},  // group width 1, stride 2
	{N: 3, H: 5, W: 7, Cin: 32, Cout: 32, K: 3, Stride: 1, Groups: 4},   // group width 8
	{N: 2, H: 7, W: 7, Cin: 32, Cout: 32, K: 3, Stride: 2, Groups: 4},   // group width 8, stride 2, odd input
	{N: 2, H: 5, W: 7, Cin: 40, Cout: 40, K: 3, Stride: 1, Groups: 5},   // group width 8, 5 groups
	{N: 2, H: 5, W: 7, Cin: 48, Cout: 48, K: 3, Stride: 1, Groups: 3},   // group width 16
	{N: 2, H: 6, W: 6, Cin: 32, Cout: 32, K: 3, Stride: 2, Groups: 2},   // group width 16, stride 2
	{N: 2, H: 5, W: 5, Cin: 72, Cout: 72, K: 3, Stride: 1, Groups: 3},   // group width 24
	{N: 2, H: 7, W: 5, Cin: 48, Cout: 48, K: 3, Stride: 2, Groups: 2},   // group width 24, stride 2
	{N: 2, H: 5, W: 5, Cin: 24, Cout: 72, K: 3, Stride: 1, Groups: 3},   // group width 8 in, 24 out
	{N: 2, H: 5, W: 5, Cin: 128, Cout: 128, K: 3, Stride: 1, Groups: 2}, // group width 64
	{N: 2, H: 6, W: 6, Cin: 128, Cout: 128, K: 3, Stride: 2, Groups: 2}, // group width 64, stride 2
	{N: 2, H: 5, W: 7, Cin: 24, Cout: 40, K: 1, Stride: 1, Groups: 1},   // 1×1
	{N: 3, H: 5, W: 5, Cin: 7, Cout: 9, K: 1, Stride: 1, Groups: 1},     // 1×1, odd sizes
	{N: 2, H: 7, W: 9, Cin: 24, Cout: 56, K: 1, Stride: 2, Groups: 1},   // projection, odd input
	{N: 2, H: 6, W: 6, Cin: 48, Cout: 104, K: 1, Stride: 2, Groups: 1},  // a wide projection
}

// convName names a convolution case by its shape and group width.
func convName(s engine.Conv) string {
	return fmt.Sprintf("%dx%dx%dx%d->%d k%d s%d g%d gw%d", s.N, s.H, s.W, s.Cin, s.Cout, s.K, s.Stride, s.Groups, s.Cin/s.Groups)
}

// convCases returns the three convolution operations on shape s.
func convCases(s engine.Conv) []opCase {
	sc := &s
	scratch := arg{name: "scratch", scratch: sc}
	name := convName(s)
	return []opCase{
		{family: "conv_forward", name: name, args: []arg{in("x", s.InLen()), in("w", s.WeightLen()), in("y", s.OutLen()), scratch},
			run: func(e engine.Engine, b []engine.Buf, _ []engine.Ints) { e.ConvForward(b[2], b[0], b[1], s, b[3]) }},
		{family: "conv_backward_data", name: name, args: []arg{in("dy", s.OutLen()), in("w", s.WeightLen()), in("dx", s.InLen()), scratch},
			run: func(e engine.Engine, b []engine.Buf, _ []engine.Ints) {
				e.ConvBackwardData(b[2], b[0], b[1], s, b[3])
			}},
		{family: "conv_backward_weight", name: name, args: []arg{in("dy", s.OutLen()), in("x", s.InLen()), in("dw", s.WeightLen()), scratch},
			run: func(e engine.Engine, b []engine.Buf, _ []engine.Ints) {
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
		opCase{family: "bn_stats", name: name, args: []arg{inFill("x", m*c, f), in("mean", c), in("var", c)},
			run: func(e engine.Engine, b []engine.Buf, _ []engine.Ints) { e.BatchNormStats(b[1], b[2], b[0], m, c) }},
		opCase{family: "bn_running", name: name, args: []arg{in("runMean", c), inFill("runVar", c, positive), in("mean", c), inFill("var", c, positive)},
			run: func(e engine.Engine, b []engine.Buf, _ []engine.Ints) {
				e.BatchNormUpdateRunning(b[0], b[1], b[2], b[3], m, c, 0.1)
			}})
	for _, res := range []bool{false, true} {
		for _, relu := range []bool{false, true} {
			cs = append(cs, opCase{family: "bn_apply", name: fmt.Sprintf("%s res=%v relu=%v", name, res, relu),
				args: []arg{inFill("x", m*c, f), in("res", m*c), in("gamma", c), in("beta", c), inFill("mean", c, f), inFill("var", c, positive), in("y", m*c)},
				run: func(e engine.Engine, b []engine.Buf, _ []engine.Ints) {
					r := b[1]
					if !res {
						r = nil
					}
					e.BatchNormApply(b[6], b[0], r, b[2], b[3], b[4], b[5], m, c, 1e-5, relu)
				}})
		}
	}
	bwd := func(label string, relu, dres, alias bool) opCase {
		return opCase{family: "bn_backward", name: name + " " + label,
			args: []arg{in("dy", m*c), in("y", m*c), inFill("x", m*c, f), in("gamma", c), inFill("mean", c, f), inFill("var", c, positive),
				in("dx", m*c), in("dres", m*c), in("dgamma", c), in("dbeta", c)},
			run: func(e engine.Engine, b []engine.Buf, _ []engine.Ints) {
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
		{family: "relu_forward", name: name, args: []arg{in("x", n), in("y", n)},
			run: func(e engine.Engine, b []engine.Buf, _ []engine.Ints) { e.ReLUForward(b[1], b[0], n) }},
		{family: "relu_forward", name: name + " y=x", args: []arg{in("x", n)},
			run: func(e engine.Engine, b []engine.Buf, _ []engine.Ints) { e.ReLUForward(b[0], b[0], n) }},
		{family: "relu_backward", name: name, args: []arg{in("dy", n), in("y", n), in("dx", n)},
			run: func(e engine.Engine, b []engine.Buf, _ []engine.Ints) { e.ReLUBackward(b[2], b[0], b[1], n) }},
		{family: "add", name: name, args: []arg{in("a", n), in("b", n), in("y", n)},
			run: func(e engine.Engine, b []engine.Buf, _ []engine.Ints) { e.Add(b[2], b[0], b[1], n) }},
		{family: "add", name: name + " y=a", args: []arg{in("a", n), in("b", n)},
			run: func(e engine.Engine, b []engine.Buf, _ []engine.Ints) { e.Add(b[0], b[0], b[1], n) }},
		{family: "sigmoid_forward", name: name, args: []arg{in("x", n), in("y", n)},
			run: func(e engine.Engine, b []engine.Buf, _ []engine.Ints) { e.SigmoidForward(b[1], b[0], n) }},
		{family: "sigmoid_backward", name: name, args: []arg{in("dy", n), inFill("y", n, unit), in("dx", n)},
			run: func(e engine.Engine, b []engine.Buf, _ []engine.Ints) { e.SigmoidBackward(b[2], b[0], b[1], n) }},
	}
}

// seCases returns the SE scale and the average pool over n images of hw pixels and c channels.
func seCases(n, hw, c int) []opCase {
	name := fmt.Sprintf("%dx%dx%d", n, hw, c)
	size := n * hw * c
	return []opCase{
		{family: "scale_forward", name: name, args: []arg{in("x", size), inFill("s", n*c, unit), in("y", size)},
			run: func(e engine.Engine, b []engine.Buf, _ []engine.Ints) { e.ScaleForward(b[2], b[0], b[1], n, hw, c) }},
		{family: "scale_backward", name: name, args: []arg{in("dy", size), in("x", size), inFill("s", n*c, unit), in("dx", size), in("ds", n*c)},
			run: func(e engine.Engine, b []engine.Buf, _ []engine.Ints) {
				e.ScaleBackward(b[3], b[4], b[0], b[1], b[2], n, hw, c)
			}},
		{family: "scale_backward", name: name + " dx=dy", args: []arg{in("dy", size), in("x", size), inFill("s", n*c, unit), in("ds", n*c)},
			run: func(e engine.Engine, b []engine.Buf, _ []engine.Ints) {
				e.ScaleBackward(b[0], b[3], b[0], b[1], b[2], n, hw, c)
			}},
		{family: "avgpool_forward", name: name, args: []arg{in("x", size), in("y", n*c)},
			run: func(e engine.Engine, b []engine.Buf, _ []engine.Ints) { e.AvgPoolForward(b[1], b[0], n, hw, c) }},
		{family: "avgpool_backward", name: name, args: []arg{in("dy", n*c), in("dx", size)},
			run: func(e engine.Engine, b []engine.Buf, _ []engine.Ints) { e.AvgPoolBackward(b[1], b[0], n, hw, c) }},
	}
}

// linearCases returns the linear layer [n][in] → [n][out] with and without bias,
// and its backward pass with and without dx and dbias.
func linearCases(n, inW, out int) []opCase {
	name := fmt.Sprintf("%dx%d->%d", n, inW, out)
	fwd := func(bias bool) opCase {
		return opCase{family: "linear_forward", name: fmt.Sprintf("%s bias=%v", name, bias),
			args: []arg{in("x", n*inW), in("w", out*inW), in("bias", out), in("y", n*out)},
			run: func(e engine.Engine, b []engine.Buf, _ []engine.Ints) {
				bb := b[2]
				if !bias {
					bb = nil
				}
				e.LinearForward(b[3], b[0], b[1], bb, n, inW, out)
			}}
	}
	bwd := func(dx, dbias bool) opCase {
		return opCase{family: "linear_backward", name: fmt.Sprintf("%s dx=%v dbias=%v", name, dx, dbias),
			args: []arg{in("dy", n*out), in("x", n*inW), in("w", out*inW), in("dx", n*inW), in("dw", out*inW), in("dbias", out)},
			run: func(e engine.Engine, b []engine.Buf, _ []engine.Ints) {
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
		return opCase{family: "softmax_cross_entropy", name: strings.TrimSpace(name + " " + label),
			args: []arg{in("logits", n*c), lab("labels", ls), dl, st},
			run: func(e engine.Engine, b []engine.Buf, l []engine.Ints) {
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
		cs = append(cs, opCase{family: "sgd", name: fmt.Sprintf("%d momentum=%g wd=%g nesterov=%v", n, p.momentum, p.wd, p.nesterov),
			args: []arg{in("p", n), in("g", n), in("v", n)},
			run: func(e engine.Engine, b []engine.Buf, _ []engine.Ints) {
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
	cs = append(cs, bnCases(2*3*3, 104, normal)...)
	cs = append(cs, bnCases(16384, 8, offset)...) // long columns with a mean far from 0
	cs = append(cs, elementwiseCases(1001)...)
	cs = append(cs, elementwiseCases(30011)...)
	cs = append(cs, seCases(3, 35, 24)...)
	cs = append(cs, seCases(2, 1, 104)...)
	cs = append(cs, seCases(4, 16, 40)...)
	cs = append(cs, linearCases(5, 24, 10)...)
	cs = append(cs, linearCases(16, 104, 10)...)
	cs = append(cs, linearCases(4, 40, 6)...) // an SE fc1
	cs = append(cs, lossCases(7, 10, 0.1)...)
	cs = append(cs, lossCases(16, 10, 0)...)
	cs = append(cs, lossCases(5, 1000, 0.1)...)
	cs = append(cs, sgdCases(1001)...)
	cs = append(cs, sgdCases(30011)...)
	return cs
}
