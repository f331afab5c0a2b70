//go:build cgo

package cuda

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/ddstools/dds/train/cpu"
	"github.com/ddstools/dds/train/engine"
)

// The GPU tests open the library from DefaultPaths (so $DDS_CUDA_LIB) once per test
// binary. Where that fails they skip with Open's error, unless DDS_REQUIRE_GPU=1,
// which the GPU machine's check (gpu-check.sh) sets so that a missing GPU or library
// fails there instead of passing silently.
var gpu struct {
	once sync.Once
	lib  *Library
	err  error
}

// gpuLibrary returns the opened library or skips (fails under DDS_REQUIRE_GPU=1).
func gpuLibrary(tb testing.TB) *Library {
	tb.Helper()
	gpu.once.Do(func() { gpu.lib, gpu.err = Open("") })
	if gpu.err != nil {
		if os.Getenv("DDS_REQUIRE_GPU") == "1" {
			tb.Fatalf("DDS_REQUIRE_GPU=1 but the CUDA library did not open: %v", gpu.err)
		}
		tb.Skip(gpu.err)
	}
	return gpu.lib
}

// gpuEngine returns a new engine on device 0, closed when the test ends.
func gpuEngine(tb testing.TB) *Engine { return gpuEngineWith(tb, engine.FP32) }

// gpuEngineWith returns a new engine on device 0 in precision p, closed when the
// test ends.
func gpuEngineWith(tb testing.TB, p engine.Precision) *Engine {
	tb.Helper()
	e, err := gpuLibrary(tb).NewEngineWith(0, p)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(e.Close)
	return e
}

// precisions are the engine precisions the tests run in.
var precisions = []engine.Precision{engine.FP32, engine.BF16}

// opTol is the norm-wise relative error allowed between an engine and the CPU
// reference for one operation: the kernels sum in other orders (and the CPU's batch
// norm in float64), which moves float32 results by about 1e-6 relative; 1e-3 leaves
// room for long reductions and still catches any indexing or formula error, which
// shows as O(1).
const opTol = 1e-3

// In BF16 an operation's arguments are the same bfloat16 activations (and float32
// weights) on both engines, and each engine computes in float32 and rounds its
// activation outputs to bfloat16: where the two float32 results differ in their last
// bits (other summation orders) and straddle a rounding boundary, the bfloat16 values
// are one bfloat16 ulp apart. So an activation output may differ by actTol (2^-7,
// one ulp relative, norm-wise), and at most actDiffFrac of its values may differ at
// all (boundaries are rare: a kernel that rounded something the reference does not,
// or forgot to round the weights, changes far more of them). Float32 outputs
// (weight gradients, statistics) are sums of the same bfloat16 inputs, as in FP32;
// floatTolBF16 gives them twice opTol for margin.
const (
	actTol       = 1.0 / 128
	actDiffFrac  = 0.05
	floatTolBF16 = 2 * opTol
)

// actNames are the names the op cases give activation arguments (engine's
// "Activation arguments"): runOp allocates them with AllocAct, and in BF16 checkOp
// compares them with actTol. Every other argument is float32.
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

// opCase is one operation with its arguments. run receives the arguments in order:
// float buffers in b (nil at label positions), label buffers in l.
type opCase struct {
	name string
	args []arg
	run  func(e engine.Engine, b []engine.Buf, l []engine.Labels)
	tol  float64 // 0: opTol
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
func runOp(t *testing.T, e engine.Engine, c opCase, seed uint64) result {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, 0x6f70))
	b := make([]engine.Buf, len(c.args))
	l := make([]engine.Labels, len(c.args))
	full := make([]engine.Buf, len(c.args))
	for i, a := range c.args {
		switch {
		case a.labels != nil:
			l[i] = e.AllocLabels(len(a.labels))
			e.UploadLabels(l[i], a.labels)
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
		t.Fatalf("%s: %v", e.Name(), err)
	}
	return out
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

// checkOp runs c on e and on the CPU engine of e's precision from the same random
// arguments and compares every float argument (outputs, in-place updates, and inputs,
// which must be unchanged): norm-wise relative error at most c.tol, guards
// untouched; in BF16, activations within actTol with at most actDiffFrac of their
// values different, float32 arguments within floatTolBF16. It logs each argument's
// error.
func checkOp(t *testing.T, e engine.Engine, c opCase, seed uint64) {
	t.Helper()
	bf16 := e.Precision() == engine.BF16
	want := runOp(t, cpu.NewEngineWith(e.Precision()), c, seed)
	got := runOp(t, e, c, seed)
	var msgs []string
	for i, a := range c.args {
		if want[i] == nil || a.skip {
			continue
		}
		g, w := got[i], want[i]
		for j := range guard {
			for _, k := range []int{j, len(w) - 1 - j} {
				if math.Float32bits(g[k]) != math.Float32bits(w[k]) {
					t.Errorf("%s: guard value %d of %s changed: %g, was %g", c.name, k, a.name, g[k], w[k])
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
		tol := c.tol
		if tol == 0 {
			tol = opTol
		}
		if bf16 && a.isAct() {
			tol = max(tol, actTol)
			if d := differing(g, w); float64(d) > actDiffFrac*float64(len(w)) {
				j := worst(g, w)
				t.Errorf("%s: %s: %d of %d values differ, more than %g of them (worst at %d: %s %g, cpu %g)", c.name, a.name, d, len(w), actDiffFrac, j, e.Name(), g[j], w[j])
			}
		} else if bf16 {
			tol = max(tol, floatTolBF16)
		}
		re := relErr(g, w, 0)
		msgs = append(msgs, fmt.Sprintf("%s %.1e", a.name, re))
		if !(re <= tol) {
			j := worst(g, w)
			t.Errorf("%s: %s: relative error %.3g > %.0e (worst at %d: %s %g, cpu %g)", c.name, a.name, re, tol, j, e.Name(), g[j], w[j])
		}
	}
	t.Logf("%s: %s", c.name, strings.Join(msgs, ", "))
}

// differing returns how many values of got and want have different bits.
func differing(got, want []float32) int {
	d := 0
	for i := range got {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			d++
		}
	}
	return d
}

// relErr is the norm-wise relative error ‖got − want‖₂ / max(‖want‖₂, floor); the
// absolute error ‖got − want‖₂ when that denominator is 0; NaN when the lengths
// differ, +Inf when a value is not finite.
func relErr(got, want []float32, floor float64) float64 {
	if len(got) != len(want) {
		return math.NaN()
	}
	var d float64
	for i := range got {
		if math.IsNaN(float64(got[i])) || math.IsInf(float64(got[i]), 0) {
			return math.Inf(1)
		}
		e := float64(got[i]) - float64(want[i])
		d += e * e
	}
	den := max(norm(want), floor)
	if den == 0 {
		return math.Sqrt(d)
	}
	return math.Sqrt(d) / den
}

// norm is the Euclidean norm of v, in float64.
func norm(v []float32) float64 {
	var s float64
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	return math.Sqrt(s)
}

// worst returns the index of the largest absolute difference (a NaN first).
func worst(got, want []float32) int {
	j, m := 0, -1.0
	for i := range got {
		d := math.Abs(float64(got[i]) - float64(want[i]))
		if math.IsNaN(d) {
			return i
		}
		if d > m {
			j, m = i, d
		}
	}
	return j
}
