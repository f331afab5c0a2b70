//go:build cgo

package cuda

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/ddstools/dds/formats/anynet"
	"github.com/ddstools/dds/train/cpu"
	"github.com/ddstools/dds/train/data"
	"github.com/ddstools/dds/train/engine"
	"github.com/ddstools/dds/train/network"
	"github.com/ddstools/dds/train/safetensors"
)

// netArchs are the whole networks trained on both engines: those of
// train/network/oracle_test.go (X and Y blocks; group widths 1, 3, 4, 8, 16 and 24;
// bottleneck ratios 1 and 2; strides 1 and 2 in the stem and the stages; identity and
// projection shortcuts, by width and by stride) and a wide X network with group width
// 64 (one and two groups). seed draws their data; see TestNetworkMargin for how it was
// chosen.
var netArchs = []struct {
	name string
	arch anynet.Net
	seed uint64
}{
	{"x", anynet.Net{Res: 16, Channels: 3, Classes: 10, StemW: 8, StemS: 1, Block: anynet.BlockX, Stages: []anynet.Stage{
		{D: 2, W: 8, S: 1, B: 1, G: 8},
		{D: 2, W: 16, S: 2, B: 1, G: 4},
		{D: 1, W: 24, S: 2, B: 2, G: 1},
		{D: 2, W: 32, S: 1, B: 1, G: 16},
	}}, 12},
	{"y", anynet.Net{Res: 16, Channels: 3, Classes: 7, StemW: 12, StemS: 2, Block: anynet.BlockY, SERatio: 0.25, Stages: []anynet.Stage{
		{D: 1, W: 16, S: 1, B: 1, G: 8},
		{D: 3, W: 24, S: 2, B: 1, G: 24},
		{D: 2, W: 48, S: 2, B: 2, G: 3},
	}}, 7},
	{"x64", anynet.Net{Res: 16, Channels: 3, Classes: 10, StemW: 16, StemS: 2, Block: anynet.BlockX, Stages: []anynet.Stage{
		{D: 1, W: 64, S: 1, B: 1, G: 64},
		{D: 2, W: 128, S: 2, B: 1, G: 64},
	}}, 3},
}

// netBatch is the batch size of the network tests.
const netBatch = 16

// The training recipe of the network tests: pycls's CIFAR recipe, but with learning
// rate 0.01. At 0.1, ten steps of these small networks on random data are chaotic:
// perturbing the CPU engine's initial parameters by 1e-7 relative (about one float32
// rounding) moved its own parameters after ten steps by 0.5 to 8% (norm-wise, all
// parameters together; single tensors by up to 50%), so no tolerance could tell a GPU
// kernel's error from the GPU's rounding. At 0.01 a 1e-6 perturbation moves them by
// at most 1.2e-3 (over ten data seeds; TestNetworkMargin checks the chosen ones).
var testRecipe = network.Recipe{Momentum: 0.9, WeightDecay: 5e-4, Nesterov: true, Smoothing: 0.1}

const testLR = 0.01

// Tolerances of the network tests, norm-wise relative.
//
// After one step the engines differ by float32 rounding in different summation
// orders, so the op tolerance holds for the loss, the logits, every gradient tensor
// (against max(‖g‖, 1e-3 × the largest gradient norm), as in the PyTorch oracle test,
// for γ gradients whose terms cancel) and every state tensor. What could break it is
// a ReLU whose input lies within rounding of 0: its mask differs between the engines
// and moves the gradients of the layers below it by about 1% at these sizes. Most
// data seeds have such a ReLU; netArchs' seeds were chosen among 16 as ones where 8
// draws of a 1e-6 perturbation moved no first-step tensor by more than 5e-5, and
// TestNetworkMargin keeps checking two of them.
//
// Over ten steps such mask flips do happen, and they move single tensors (biases,
// which are nothing but their updates, and the momentum above all) by percents, so
// after ten steps the test compares the whole of each kind of state at once: all
// parameters, all running statistics, the loss of every step, at 1e-2, and the
// evaluation logits at 5e-2; over ten data seeds a 1e-6 perturbation of the CPU engine
// moved these by at most 1.2e-3, 2.9e-3, 1.8e-3 and 6.3e-3.
const (
	stepTol  = 1e-3
	gradTolF = 1e-3
	steps10  = 10
	tenTol   = 1e-2
	evalTol  = 5e-2
)

// trainData is a synthetic image set and the batches drawn from it for each step.
type trainData struct {
	images    []uint8
	labels    []int32
	h, w, c   int
	mean, std []float32
	pad       int
	idx       [][]int32
	crops     [][]int8
}

// newTrainData draws 4·batch images of arch's shape and steps batches of batch
// random examples with random crops (pad 2) and flips.
func newTrainData(arch anynet.Net, batch, steps int, seed uint64) *trainData {
	r := rand.New(rand.NewPCG(seed, 0x646174))
	d := &trainData{h: arch.Res, w: arch.Res, c: arch.Channels, pad: 2}
	n := 4 * batch
	d.images = make([]uint8, n*d.h*d.w*d.c)
	for i := range d.images {
		d.images[i] = uint8(r.IntN(256))
	}
	d.labels = make([]int32, n)
	for i := range d.labels {
		d.labels[i] = int32(r.IntN(arch.Classes))
	}
	for range d.c {
		d.mean = append(d.mean, 0.5)
		d.std = append(d.std, 0.25)
	}
	for range steps {
		idx := make([]int32, batch)
		for i := range idx {
			idx[i] = int32(r.IntN(n))
		}
		cs := make([]data.Crop, batch)
		data.Augment{Pad: d.pad, Flip: true}.Draw(rand.NewPCG(seed, uint64(len(d.idx))), cs)
		var crops []int8
		for _, c := range cs {
			f := int8(0)
			if c.Flip {
				f = 1
			}
			crops = append(crops, c.DY, c.DX, f)
		}
		d.idx, d.crops = append(d.idx, idx), append(d.crops, crops)
	}
	return d
}

// netRun is a network training on one engine.
type netRun struct {
	e   engine.Engine
	net *network.Net
	set engine.ImageSet
	d   *trainData
}

func newNetRun(t testing.TB, e engine.Engine, arch anynet.Net, batch int, d *trainData) *netRun {
	t.Helper()
	net, err := network.New(e, arch, batch, true)
	if err != nil {
		t.Fatal(err)
	}
	net.Init(7)
	r := &netRun{e: e, net: net, d: d, set: e.UploadImages(d.images, d.labels, d.h, d.w, d.c)}
	if err := e.Err(); err != nil {
		t.Fatal(err)
	}
	return r
}

// step assembles batch i and takes one training step.
func (r *netRun) step(t testing.TB, i int) network.Stats {
	t.Helper()
	r.e.Batch(r.net.X, r.net.Y, r.set, r.d.idx[i], r.d.crops[i], r.d.pad, r.d.mean, r.d.std)
	st, err := r.net.Step(testLR, testRecipe)
	if err != nil {
		t.Fatalf("%s: step %d: %v", r.e.Name(), i+1, err)
	}
	return st
}

func (r *netRun) download(t testing.TB, b engine.Buf) []float32 {
	t.Helper()
	v := make([]float32, b.Len())
	r.e.Download(v, b)
	if err := r.e.Err(); err != nil {
		t.Fatal(err)
	}
	return v
}

// compareTensors compares two state dicts (or gradient lists) tensor by tensor:
// integers exactly, floats by norm-wise relative error at most tol, the denominator
// at least floorFrac × the largest norm among want. It returns the largest error and
// the tensor it is in.
func compareTensors(t *testing.T, what string, got, want []safetensors.Tensor, tol, floorFrac float64) (float64, string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d tensors, want %d", what, len(got), len(want))
	}
	floor := 0.0
	for _, w := range want {
		if v, err := w.Float32s(); err == nil {
			floor = max(floor, floorFrac*norm(v))
		}
	}
	worstErr, worstName := 0.0, ""
	for i, w := range want {
		g := got[i]
		if g.Name != w.Name || !slices.Equal(g.Shape, w.Shape) || g.DType != w.DType {
			t.Fatalf("%s: tensor %d is %s %v %s, want %s %v %s", what, i, g.Name, g.Shape, g.DType, w.Name, w.Shape, w.DType)
		}
		if w.DType != safetensors.F32 {
			if !slices.Equal(g.Data, w.Data) {
				t.Errorf("%s: %s differs", what, w.Name)
			}
			continue
		}
		gv, _ := g.Float32s()
		wv, _ := w.Float32s()
		re := relErr(gv, wv, floor)
		if !(re <= tol) {
			j := worst(gv, wv)
			t.Errorf("%s: %s: relative error %.3g > %.0e (worst at %d: %g, cpu %g)", what, w.Name, re, tol, j, gv[j], wv[j])
		}
		if !(re <= worstErr) {
			worstErr, worstName = re, w.Name
		}
	}
	return worstErr, worstName
}

func state(t *testing.T, n *network.Net) []safetensors.Tensor {
	t.Helper()
	s, err := n.State()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// running returns every running statistic of n's state, concatenated.
func running(t *testing.T, n *network.Net) []float32 {
	t.Helper()
	var out []float32
	for _, e := range state(t, n) {
		if strings.HasSuffix(e.Name, ".running_mean") || strings.HasSuffix(e.Name, ".running_var") {
			v, _ := e.Float32s()
			out = append(out, v...)
		}
	}
	return out
}

// trainErrors is how far two runs of the same training are apart.
type trainErrors struct {
	loss1, logits1 float64 // first step: loss and logits
	grad1, state1  float64 // first step: the largest error of a gradient tensor, of a state tensor
	grad1Name      string
	state1Name     string
	loss           float64 // the largest error of the loss of steps 2 to 10
	params         float64 // after ten steps: all parameters together
	running        float64 // after ten steps: all running statistics together
	momentum       float64 // after ten steps: all momentum buffers together (logged only)
	eval           float64 // after ten steps: evaluation logits
}

// compareRuns trains got and want in step on the same batches and measures how far
// apart they are after one step and after steps10; tol1 is the per-tensor tolerance of
// the first step (a failing tensor is reported with t.Errorf).
func compareRuns(t *testing.T, got, want *netRun, tol1 float64) trainErrors {
	t.Helper()
	var r trainErrors
	ws, gs := want.step(t, 0), got.step(t, 0)
	r.loss1 = relErr([]float32{float32(gs.Loss)}, []float32{float32(ws.Loss)}, 0)
	r.logits1 = relErr(got.download(t, got.net.Logits), want.download(t, want.net.Logits), 0)
	gg, err := got.net.Gradients()
	if err != nil {
		t.Fatal(err)
	}
	wg, _ := want.net.Gradients()
	r.grad1, r.grad1Name = compareTensors(t, "step 1 gradients", gg, wg, tol1, gradTolF)
	r.state1, r.state1Name = compareTensors(t, "state after 1 step", state(t, got.net), state(t, want.net), tol1, 0)
	for i := 1; i < steps10; i++ {
		ws, gs := want.step(t, i), got.step(t, i)
		r.loss = max(r.loss, relErr([]float32{float32(gs.Loss)}, []float32{float32(ws.Loss)}, 0))
	}
	r.params = relErr(got.download(t, got.net.P), want.download(t, want.net.P), 0)
	r.momentum = relErr(got.download(t, got.net.V), want.download(t, want.net.V), 0)
	r.running = relErr(running(t, got.net), running(t, want.net), 0)
	gp, err := got.net.Predictions(got.net.Batch)
	if err != nil {
		t.Fatal(err)
	}
	wp, _ := want.net.Predictions(want.net.Batch)
	r.eval = relErr(gp, wp, 0)
	return r
}

func (r trainErrors) String() string {
	return fmt.Sprintf("step 1: loss %.1e, logits %.1e, gradients %.1e (%s), state %.1e (%s); "+
		"%d steps: losses %.1e, parameters %.1e, running statistics %.1e, momentum %.1e, evaluation logits %.1e",
		r.loss1, r.logits1, r.grad1, r.grad1Name, r.state1, r.state1Name, steps10, r.loss, r.params, r.running, r.momentum, r.eval)
}

// TestNetworks trains each of netArchs on the GPU and on the CPU from the same
// initial state (Init(7)) on the same batches (assembled by each engine's Batch from
// the same uint8 images, crops and flips) and compares them after one step and after
// ten.
func TestNetworks(t *testing.T) {
	lib := gpuLibrary(t)
	for _, a := range netArchs {
		t.Run(a.name, func(t *testing.T) {
			e, err := lib.NewEngine(0)
			if err != nil {
				t.Fatal(err)
			}
			defer e.Close()
			d := newTrainData(a.arch, netBatch, steps10, a.seed)
			want, got := newNetRun(t, cpu.NewEngine(), a.arch, netBatch, d), newNetRun(t, e, a.arch, netBatch, d)
			r := compareRuns(t, got, want, stepTol)
			t.Log(r)
			for _, c := range []struct {
				what     string
				err, tol float64
			}{
				{"step 1: loss", r.loss1, stepTol}, {"step 1: logits", r.logits1, stepTol},
				{"losses of steps 2-10", r.loss, tenTol}, {"parameters after 10 steps", r.params, tenTol},
				{"running statistics after 10 steps", r.running, tenTol}, {"evaluation logits after 10 steps", r.eval, evalTol},
			} {
				if !(c.err <= c.tol) {
					t.Errorf("%s: relative error %.3g > %.0e", c.what, c.err, c.tol)
				}
			}
		})
	}
}

// bf16LossTol is the relative error TestNetworksBF16 allows in the loss of each of
// ten steps. Both engines round the same float32 formulas to bfloat16, but where
// their float32 results straddle a rounding boundary (other summation orders) one
// activation moves by a bfloat16 ulp (2^-8 relative), a perturbation far larger than
// FP32's rounding, which the following layers and steps carry along.
const bf16LossTol = 2e-2

// TestNetworksBF16 trains each of netArchs on the GPU in BF16 and on the CPU engine's
// exact emulation of BF16 (cpu.NewEngineWith(engine.BF16)) from the same initial
// state on the same batches, and requires the loss of each of ten steps to agree
// within bf16LossTol; it logs how far the parameters and evaluation logits are apart.
func TestNetworksBF16(t *testing.T) {
	lib := gpuLibrary(t)
	for _, a := range netArchs {
		t.Run(a.name, func(t *testing.T) {
			e, err := lib.NewEngineWith(0, engine.BF16)
			if err != nil {
				t.Fatal(err)
			}
			defer e.Close()
			d := newTrainData(a.arch, netBatch, steps10, a.seed)
			want, got := newNetRun(t, cpu.NewEngineWith(engine.BF16), a.arch, netBatch, d), newNetRun(t, e, a.arch, netBatch, d)
			var losses []string
			worstLoss := 0.0
			for i := range steps10 {
				ws, gs := want.step(t, i), got.step(t, i)
				re := relErr([]float32{float32(gs.Loss)}, []float32{float32(ws.Loss)}, 0)
				losses = append(losses, fmt.Sprintf("%.4f/%.4f", gs.Loss, ws.Loss))
				worstLoss = max(worstLoss, re)
				if !(re <= bf16LossTol) {
					t.Errorf("step %d: loss %g, cpu %g: relative error %.3g > %g", i+1, gs.Loss, ws.Loss, re, bf16LossTol)
				}
			}
			params := relErr(got.download(t, got.net.P), want.download(t, want.net.P), 0)
			gp, err := got.net.Predictions(got.net.Batch)
			if err != nil {
				t.Fatal(err)
			}
			wp, _ := want.net.Predictions(want.net.Batch)
			t.Logf("losses (gpu/cpu) %s; worst relative error %.1e; after %d steps: parameters %.1e, evaluation logits %.1e",
				strings.Join(losses, " "), worstLoss, steps10, params, relErr(gp, wp, 0))
		})
	}
}

// TestNetworkMargin checks, on the CPU alone, that the network tests' tolerances are
// far from what rounding can do to these networks and data: it trains each network
// twice, the second time with its initial parameters perturbed by 1e-6 relative
// (several float32 roundings; two draws), and requires the first step's tensors to
// stay within 1e-4 (no ReLU within reach of rounding) and the ten-step measures within
// a fifth of their tolerances. A change to the CPU kernels, the network or the data
// that breaks this needs new seeds in netArchs.
func TestNetworkMargin(t *testing.T) {
	if testing.Short() {
		t.Skip("trains each network 4 times for 10 steps")
	}
	for _, a := range netArchs {
		t.Run(a.name, func(t *testing.T) {
			d := newTrainData(a.arch, netBatch, steps10, a.seed)
			for draw := uint64(1); draw <= 2; draw++ {
				want, got := newNetRun(t, cpu.NewEngine(), a.arch, netBatch, d), newNetRun(t, cpu.NewEngine(), a.arch, netBatch, d)
				p := got.download(t, got.net.P)
				r := rand.New(rand.NewPCG(draw, 0x70))
				for i := range p {
					p[i] *= float32(1 + 1e-6*r.NormFloat64())
				}
				got.e.Upload(got.net.P, p)
				m := compareRuns(t, got, want, 1e-4)
				t.Log(m)
				if m.loss > tenTol/5 || m.params > tenTol/5 || m.running > tenTol/5 || m.eval > evalTol/5 {
					t.Errorf("draw %d: ten steps too sensitive: %v", draw, m)
				}
			}
		})
	}
}

// TestMemoryReleased builds, trains one step and closes 16 networks in a row and
// checks that the device memory is all free again, as Library.MemInfo reports it
// (dds_mem_info, within 256 MiB) and as freeChunks measures it: how many 256 MiB
// allocations one context gets before dds_alloc reports DDS_ERR_OOM (which also checks
// that Err then wraps ErrOutOfMemory). It also checks that every network's engine reports the same
// dds_mem_used (the accounting does not drift) and 0 after Close.
func TestMemoryReleased(t *testing.T) {
	lib := gpuLibrary(t)
	arch := x200mf
	train := func() int64 {
		e, err := lib.NewEngine(0)
		if err != nil {
			t.Fatal(err)
		}
		d := newTrainData(arch, 64, 1, 1)
		r := newNetRun(t, e, arch, 64, d)
		r.step(t, 0)
		used := e.MemUsed()
		e.Close()
		if e.MemUsed() != 0 || e.Err() != nil {
			t.Fatalf("after Close: MemUsed() = %d, Err() = %v", e.MemUsed(), e.Err())
		}
		return used
	}
	first := train() // the first engine also makes the CUDA context and loads cuBLAS
	freeBefore, total, err := lib.MemInfo(0)
	if err != nil || freeBefore <= 0 || freeBefore > total {
		t.Fatalf("MemInfo(0) = %d, %d, %v", freeBefore, total, err)
	}
	before := freeChunks(t, lib)
	for i := range 16 {
		if used := train(); used != first {
			t.Errorf("network %d: %d bytes in use, the first had %d", i+1, used, first)
		}
	}
	freeAfter, _, err := lib.MemInfo(0)
	if err != nil {
		t.Fatal(err)
	}
	after := freeChunks(t, lib)
	t.Logf("each network: %.1f MiB; free before: %d, after: %d chunks of 256 MiB; MemInfo: %.1f MiB free before, %.1f MiB after, of %.1f MiB",
		float64(first)/(1<<20), before, after, float64(freeBefore)/(1<<20), float64(freeAfter)/(1<<20), float64(total)/(1<<20))
	if freeAfter < freeBefore-256<<20 {
		t.Errorf("MemInfo: %.1f MiB free after 16 networks, %.1f MiB before", float64(freeAfter)/(1<<20), float64(freeBefore)/(1<<20))
	}
	if after < before-1 {
		t.Errorf("16 networks left %d of %d free 256 MiB chunks (%.1f MiB each used)", after, before, float64(first)/(1<<20))
	}
}

// freeChunks returns how many 256 MiB buffers one new engine can allocate.
func freeChunks(t *testing.T, lib *Library) int {
	t.Helper()
	e, err := lib.NewEngine(0)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	const chunk = 64 << 20 // float32 values: 256 MiB
	for n := 0; n < 4096; n++ {
		e.Alloc(chunk)
		if err := e.Err(); err != nil {
			if !errors.Is(err, ErrOutOfMemory) || !strings.HasPrefix(err.Error(), "CUDA: ") {
				t.Fatalf("after %d chunks: %v, want a \"CUDA: \" error wrapping ErrOutOfMemory", n, err)
			}
			return n
		}
	}
	t.Fatal("4096 chunks of 256 MiB and no DDS_ERR_OOM")
	return 0
}

// BenchmarkStepGPU times whole training steps (network.Net.Step: forward, backward,
// SGD, and the download of the loss, which waits for the stream) of X-200MF on CIFAR
// shapes at batch 128 and 256, with float32 and bfloat16 activations (sub-benchmarks
// fp32/batch=N, bf16/batch=N), as ../shared/peer/torch_anynet.py measures its
// modes: compare img/s with it in the same run on the same machine.
func BenchmarkStepGPU(b *testing.B) {
	lib := gpuLibrary(b)
	for _, p := range precisions {
		for _, batch := range []int{128, 256} {
			b.Run(fmt.Sprintf("%v/batch=%d", p, batch), func(b *testing.B) { benchStep(b, lib, p, batch) })
		}
	}
}

func benchStep(b *testing.B, lib *Library, p engine.Precision, batch int) {
	e, err := lib.NewEngineWith(0, p)
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close()
	d := newTrainData(x200mf, batch, 1, 1)
	r := newNetRun(b, e, x200mf, batch, d)
	r.step(b, 0) // Batch once; the steps reuse X and Y
	for range 5 {
		if _, err := r.net.Step(testLR, testRecipe); err != nil {
			b.Fatal(err)
		}
	}
	for b.Loop() {
		if _, err := r.net.Step(testLR, testRecipe); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(batch*b.N)/b.Elapsed().Seconds(), "img/s")
	b.ReportMetric(float64(e.MemUsed())/(1<<20), "MiB")
}

// stepInputs is one engine's per-step inputs in engine memory, for steps issued with
// the step-indexed operations (as network.Steps issues them): the batches' indices
// and crops, the learning rates, the step counter, and where each step's logits are
// kept.
type stepInputs struct {
	idxs, crops, counter engine.Labels
	lrs, kept            engine.Buf
}

// newStepInputs uploads d's batches and lrs (one per batch) and resets the counter.
func newStepInputs(t testing.TB, e engine.Engine, d *trainData, batch, classes int, lrs []float32) *stepInputs {
	t.Helper()
	steps := len(d.idx)
	s := &stepInputs{idxs: e.AllocLabels(steps * batch), crops: e.AllocLabels(3 * steps * batch), counter: e.AllocLabels(1),
		lrs: e.Alloc(steps), kept: e.Alloc(steps * batch * classes)}
	var idx, crops []int32
	for i := range d.idx {
		idx = append(idx, d.idx[i]...)
		for _, v := range d.crops[i] {
			crops = append(crops, int32(v))
		}
	}
	e.UploadLabels(s.idxs, idx)
	e.UploadLabels(s.crops, crops)
	e.Upload(s.lrs, lrs)
	e.UploadLabels(s.counter, []int32{0})
	if err := e.Err(); err != nil {
		t.Fatal(err)
	}
	return s
}

// issue enqueues one training step of r on the inputs of step counter[0]: BatchAt,
// Forward, Backward, SGDStepAt, the logits kept with CopyAt (in FP32 only: CopyAt
// copies float32 values, and in BF16 the logits are bfloat16 activations), Count.
func (s *stepInputs) issue(r *netRun) {
	e, n := r.e, r.net
	e.BatchAt(n.X, n.Y, r.set, s.idxs, s.crops, s.counter, n.Batch, r.d.pad, r.d.mean, r.d.std)
	n.Forward(true, testRecipe.Smoothing)
	n.Backward()
	e.SGDStepAt(n.P, n.G, n.V, n.NParams, s.lrs, s.counter, testRecipe.Momentum, testRecipe.WeightDecay, testRecipe.Nesterov)
	if e.Precision() == engine.FP32 {
		e.CopyAt(s.kept, n.Logits, s.counter, n.Batch*n.Arch.Classes)
	}
	e.Count(s.counter)
}

// TestRecordedSteps records one training step of each of netArchs' X and Y networks
// (BatchAt, Forward, Backward, SGDStepAt, CopyAt, Count: every kind of operation,
// cuBLAS GEMMs included) with Record, replays it steps+1 times (the last one past the
// loaded steps, where the step-indexed operations do nothing), and requires every
// parameter, running statistic, momentum and gradient value, the batch, the kept
// logits and the counter to be bit for bit those of steps+1 direct issues of the same
// operations on a second engine from the same initial state. The counter makes each
// replay take another batch and learning rate.
func TestRecordedSteps(t *testing.T) {
	for _, p := range precisions {
		t.Run(p.String(), func(t *testing.T) { testRecordedSteps(t, p) })
	}
}

func testRecordedSteps(t *testing.T, p engine.Precision) {
	const steps = 4
	lrs := []float32{0.01, 0.02, 0.005, 0.015}
	for _, a := range netArchs[:2] {
		t.Run(a.name, func(t *testing.T) {
			rec, direct := gpuEngineWith(t, p), gpuEngineWith(t, p)
			d := newTrainData(a.arch, netBatch, steps, a.seed)
			rr, rd := newNetRun(t, rec, a.arch, netBatch, d), newNetRun(t, direct, a.arch, netBatch, d)
			sr, sd := newStepInputs(t, rec, d, netBatch, a.arch.Classes, lrs), newStepInputs(t, direct, d, netBatch, a.arch.Classes, lrs)
			p0 := rr.download(t, rr.net.P)
			rep, err := rec.Record(func() { sr.issue(rr) })
			if err != nil {
				t.Fatal(err)
			}
			defer rep.Close()
			ct := make([]int32, 1)
			rec.DownloadLabels(ct, sr.counter)
			if p := rr.download(t, rr.net.P); ct[0] != 0 || !sameBits(p, p0) {
				t.Fatalf("recording ran operations: counter %d, parameters changed %v", ct[0], !sameBits(p, p0))
			}
			for range steps + 1 {
				rep.Run()
				sd.issue(rd)
			}
			if err := rec.Sync(); err != nil {
				t.Fatal(err)
			}
			if err := direct.Sync(); err != nil {
				t.Fatal(err)
			}
			gs, ws := state(t, rr.net), state(t, rd.net)
			for i, w := range ws {
				if gs[i].Name != w.Name || !slices.Equal(gs[i].Data, w.Data) {
					t.Errorf("state %s differs between the replayed and the direct steps", w.Name)
				}
			}
			for _, c := range []struct {
				name string
				r, d engine.Buf
			}{{"parameters", rr.net.P, rd.net.P}, {"momentum", rr.net.V, rd.net.V}, {"gradients", rr.net.G, rd.net.G},
				{"batch", rr.net.X, rd.net.X}, {"logits", rr.net.Logits, rd.net.Logits}, {"kept logits", sr.kept, sd.kept}} {
				if c.name == "kept logits" && p != engine.FP32 {
					continue // not kept in BF16 (issue)
				}
				if !sameBits(rr.download(t, c.r), rd.download(t, c.d)) {
					t.Errorf("%s differ between the replayed and the direct steps", c.name)
				}
			}
			direct.DownloadLabels(ct, sd.counter)
			cr := make([]int32, 1)
			rec.DownloadLabels(cr, sr.counter)
			if cr[0] != steps+1 || ct[0] != steps+1 {
				t.Errorf("counters %d (replayed), %d (direct), want %d", cr[0], ct[0], steps+1)
			}
			if sameBits(rr.download(t, rr.net.P), p0) {
				t.Error("the replayed steps left the parameters as they were")
			}
			if err := rec.Err(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestRecordGPU checks Record and Replay on small operations: replays run what was
// recorded on the buffers' current contents, Close is idempotent and Run after it
// panics, a transfer while recording fails the recording with the engine's error,
// and an engine closed with a live recording frees it.
func TestRecordGPU(t *testing.T) {
	e := gpuEngine(t)
	a, b := e.Alloc(5), e.Alloc(5)
	e.Upload(a, []float32{1, 2, 3, 4, 5})
	e.Upload(b, []float32{0.5, 0.25, 1, -1, 2})
	rep, err := e.Record(func() { e.Add(a, a, b, 5) })
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		rep.Run()
	}
	got := make([]float32, 5)
	e.Download(got, a)
	if want := []float32{2.5, 2.75, 6, 1, 11}; !slices.Equal(got, want) || e.Err() != nil {
		t.Errorf("after 3 replays of a += b: %v (%v), want %v", got, e.Err(), want)
	}
	rep2, err := e.Record(func() { e.ReLUForward(b, b, 5) })
	if err != nil {
		t.Fatal(err)
	}
	rep.Close()
	rep.Close()
	func() {
		defer func() {
			if r := recover(); r != "cuda: Replay used after Close" {
				t.Errorf("Run after Close: panic %v", r)
			}
		}()
		rep.Run()
	}()
	rep2.Run()
	e.Download(got, b)
	if want := []float32{0.5, 0.25, 1, 0, 2}; !slices.Equal(got, want) || e.Err() != nil {
		t.Errorf("second recording: %v (%v), want %v", got, e.Err(), want)
	}
	e.Close() // frees rep2
	rep2.Close()

	e = gpuEngine(t)
	x := e.Alloc(4)
	_, err = e.Record(func() {
		e.ReLUForward(x, x, 4)
		e.Upload(x, []float32{1, 2, 3, 4})
	})
	wantErr(t, err, "dds_upload: called while the stream is capturing")
	if e.Err() != err {
		t.Errorf("Err() = %v, want the recording's error %v", e.Err(), err)
	}
}

// BenchmarkStepGraphGPU times training steps of X-200MF as train runs them
// (network.Steps: the step recorded once as a CUDA graph and replayed, its inputs in
// device memory, the loss statistics read back once per 64 steps), with the batch
// sizes, precisions and recipe of BenchmarkStepGPU, which waits after every step. Sub-benchmarks fp32/batch=N and bf16/batch=N.
func BenchmarkStepGraphGPU(b *testing.B) {
	lib := gpuLibrary(b)
	for _, p := range precisions {
		for _, batch := range []int{128, 256} {
			b.Run(fmt.Sprintf("%v/batch=%d", p, batch), func(b *testing.B) { benchStepGraph(b, lib, p, batch) })
		}
	}
}

func benchStepGraph(b *testing.B, lib *Library, p engine.Precision, batch int) {
	const group = 64
	e, err := lib.NewEngineWith(0, p)
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close()
	d := newTrainData(x200mf, batch, group, 1)
	r := newNetRun(b, e, x200mf, batch, d)
	steps, err := r.net.NewSteps(group, r.set, false, 0, d.mean, d.std, testRecipe)
	if err != nil {
		b.Fatal(err)
	}
	defer steps.Close()
	var idx []int32
	for _, v := range d.idx {
		idx = append(idx, v...)
	}
	lrs := make([]float32, group)
	for i := range lrs {
		lrs[i] = testLR
	}
	run := func(n int) { // n steps, reading the statistics back per group as train does
		for i := range n {
			if i%group == 0 {
				steps.Load(idx, nil, lrs)
			}
			if err := steps.Run(); err != nil {
				b.Fatal(err)
			}
			if (i+1)%group == 0 || i+1 == n {
				if _, err := steps.Stats(0, i%group+1); err != nil {
					b.Fatal(err)
				}
			}
		}
	}
	run(5)
	b.ResetTimer()
	run(b.N)
	b.StopTimer()
	b.ReportMetric(float64(batch*b.N)/b.Elapsed().Seconds(), "img/s")
	b.ReportMetric(float64(e.MemUsed())/(1<<20), "MiB")
}
