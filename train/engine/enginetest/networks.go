package enginetest

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/ddstools/dds/formats/anynet"
	"github.com/ddstools/dds/internal/approx"
	"github.com/ddstools/dds/train/engine"
	"github.com/ddstools/dds/train/network"
	"github.com/ddstools/dds/train/safetensors"
)

// Net is a network the suite trains, with the seed its data is drawn from.
type Net struct {
	Name string
	Arch anynet.Net
	Seed uint64
}

// Nets are the whole networks trained on both engines: X and Y blocks; group widths
// 1, 4, 8, 16, 24 and 64 (one and two groups); bottleneck ratios 1 and 2; strides 1
// and 2 in the stem and the stages; identity and projection shortcuts, by width and
// by stride; SE. Each Seed was chosen among 1 to 32 as one where two draws of a 1e-6
// perturbation of the CPU engine's initial parameters moved no first-step tensor by
// more than 1e-4 and no ten-step measure by more than 1e-5 (a fifth of the
// tolerances is what NetworkMargin requires): where no ReLU input of the ten steps
// lies within rounding of 0. Most seeds have one.
var Nets = []Net{
	{"x", anynet.Net{Res: 8, Channels: 3, Classes: 10, StemW: 8, StemS: 1, Block: anynet.BlockX, Stages: []anynet.Stage{
		{D: 2, W: 8, S: 1, B: 1, G: 8},
		{D: 2, W: 16, S: 2, B: 1, G: 4},
		{D: 1, W: 24, S: 2, B: 2, G: 1},
		{D: 2, W: 32, S: 1, B: 1, G: 16},
	}}, 16},
	{"y", anynet.Net{Res: 8, Channels: 3, Classes: 7, StemW: 12, StemS: 1, Block: anynet.BlockY, SERatio: 0.25, Stages: []anynet.Stage{
		{D: 1, W: 16, S: 1, B: 1, G: 8},
		{D: 3, W: 24, S: 2, B: 1, G: 24},
		{D: 2, W: 48, S: 2, B: 2, G: 3},
	}}, 3},
	{"x64", anynet.Net{Res: 8, Channels: 3, Classes: 10, StemW: 16, StemS: 2, Block: anynet.BlockX, Stages: []anynet.Stage{
		{D: 1, W: 64, S: 1, B: 1, G: 64},
		{D: 2, W: 128, S: 2, B: 1, G: 64},
	}}, 15},
}

// netBatch is the batch size of the network cases.
const netBatch = 8

// steps10 is the length of the long network runs.
const steps10 = 10

// Hyper holds the step settings of the network cases, from pycls's CIFAR recipe, run at
// learning rate LR = 0.01. At 0.1, ten steps of these small networks on random data
// are chaotic (a 1e-7 perturbation of the initial parameters moves the parameters
// after ten steps by percents), so no tolerance could tell an engine's error from its
// rounding.
var Hyper = network.Hyper{Momentum: 0.9, WeightDecay: 5e-4, Nesterov: true, Smoothing: 0.1}

// LR is the learning rate of the network cases.
const LR = 0.01

// Data is a synthetic image set and the batches drawn from it for each step.
type Data struct {
	Images    []uint8
	Labels    []int32
	H, W, C   int
	Mean, Std []float32
	Pad       int
	Idx       [][]int32 // each step's example indices
	Crops     [][]int8  // each step's (DY, DX, flip) triples
}

// NewData draws 4·batch images of arch's shape and steps batches of batch random
// examples with random crops (pad 2) and flips.
func NewData(arch anynet.Net, batch, steps int, seed uint64) *Data {
	r := rand.New(rand.NewPCG(seed, 0x646174))
	d := &Data{H: arch.Res, W: arch.Res, C: arch.Channels, Pad: 2}
	n := 4 * batch
	d.Images = make([]uint8, n*d.H*d.W*d.C)
	for i := range d.Images {
		d.Images[i] = uint8(r.IntN(256))
	}
	d.Labels = make([]int32, n)
	for i := range d.Labels {
		d.Labels[i] = int32(r.IntN(arch.Classes))
	}
	for range d.C {
		d.Mean = append(d.Mean, 0.5)
		d.Std = append(d.Std, 0.25)
	}
	for range steps {
		idx := make([]int32, batch)
		for i := range idx {
			idx[i] = int32(r.IntN(n))
		}
		crops, _ := cropTriples(seed, uint64(len(d.Idx)), batch, d.Pad)
		d.Idx, d.Crops = append(d.Idx, idx), append(d.Crops, crops)
	}
	return d
}

// NetRun is a network training on one engine, on a data set uploaded to it.
type NetRun struct {
	e   engine.Engine
	net *network.Net
	set engine.ImageSet
	d   *Data
}

// NewNetRun makes the network arch with batch size batch on e (network.New, Init(7))
// and uploads d's images to e; it fails t on an error of either.
func NewNetRun(t testing.TB, e engine.Engine, arch anynet.Net, batch int, d *Data) *NetRun {
	t.Helper()
	net, err := network.New(e, arch, batch, true)
	if err != nil {
		t.Fatal(err)
	}
	net.Init(7)
	r := &NetRun{e: e, net: net, d: d, set: e.UploadImages(d.Images, d.Labels, d.H, d.W, d.C)}
	checkErr(t, e, "network")
	return r
}

// Net returns the network.
func (r *NetRun) Net() *network.Net { return r.net }

// Set returns the data set's images on the engine.
func (r *NetRun) Set() engine.ImageSet { return r.set }

// Step assembles batch i of the data set (Batch) and takes one training step at
// learning rate LR with Hyper, failing t on an error.
func (r *NetRun) Step(t testing.TB, i int) network.Stats {
	t.Helper()
	r.e.Batch(r.net.X, r.net.Y, r.set, r.d.Idx[i], r.d.Crops[i], r.d.Pad, r.d.Mean, r.d.Std)
	st, err := r.net.Step(LR, Hyper)
	if err != nil {
		t.Fatalf("%s: step %d: %v", r.e.Name(), i+1, err)
	}
	return st
}

func (r *NetRun) download(t testing.TB, b engine.Buf) []float32 {
	t.Helper()
	v := make([]float32, b.Len())
	r.e.Download(v, b)
	checkErr(t, r.e, "network")
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
			floor = max(floor, floorFrac*approx.Norm(v))
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
		re := approx.RelErr(gv, wv, floor)
		if !(re <= tol) {
			j := worst(gv, wv)
			t.Errorf("%s: %s: relative error %.3g > %.0e (worst at %d: %g, want %g)", what, w.Name, re, tol, j, gv[j], wv[j])
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

func (r trainErrors) first() float64 { return max(r.loss1, r.logits1, r.grad1, r.state1) }
func (r trainErrors) ten() float64   { return max(r.loss, r.params, r.running, r.eval) }

// compareRuns trains got and want in step on the same batches and measures how far
// apart they are after one step and after steps10; tol1 is the per-tensor tolerance of
// the first step (a failing tensor is reported with t.Errorf, after at).
func compareRuns(t *testing.T, at string, got, want *NetRun, tol1 float64) trainErrors {
	t.Helper()
	var r trainErrors
	ws, gs := want.Step(t, 0), got.Step(t, 0)
	r.loss1 = approx.RelErr([]float32{float32(gs.Loss)}, []float32{float32(ws.Loss)}, 0)
	r.logits1 = approx.RelErr(got.download(t, got.net.Logits), want.download(t, want.net.Logits), 0)
	gg, err := got.net.Gradients()
	if err != nil {
		t.Fatal(err)
	}
	wg, _ := want.net.Gradients()
	r.grad1, r.grad1Name = compareTensors(t, at+": step 1 gradients", gg, wg, tol1, gradFloorFrac)
	r.state1, r.state1Name = compareTensors(t, at+": state after 1 step", state(t, got.net), state(t, want.net), tol1, 0)
	for i := 1; i < steps10; i++ {
		ws, gs := want.Step(t, i), got.Step(t, i)
		r.loss = max(r.loss, approx.RelErr([]float32{float32(gs.Loss)}, []float32{float32(ws.Loss)}, 0))
	}
	r.params = approx.RelErr(got.download(t, got.net.P), want.download(t, want.net.P), 0)
	r.momentum = approx.RelErr(got.download(t, got.net.V), want.download(t, want.net.V), 0)
	r.running = approx.RelErr(running(t, got.net), running(t, want.net), 0)
	gp, err := got.net.Predictions(got.net.Batch)
	if err != nil {
		t.Fatal(err)
	}
	wp, _ := want.net.Predictions(want.net.Batch)
	r.eval = approx.RelErr(gp, wp, 0)
	return r
}

func (r trainErrors) String() string {
	return fmt.Sprintf("step 1: loss %.1e, logits %.1e, gradients %.1e (%s), state %.1e (%s); "+
		"%d steps: losses %.1e, parameters %.1e, running statistics %.1e, momentum %.1e, evaluation logits %.1e",
		r.loss1, r.logits1, r.grad1, r.grad1Name, r.state1, r.state1Name, steps10, r.loss, r.params, r.running, r.momentum, r.eval)
}

// nets returns the networks the suite trains: all of Nets, or the first two in the
// short variant.
func nets() []Net {
	if Short() {
		return Nets[:2]
	}
	return Nets
}

// networks trains each network on the subject and on the reference from the same
// initial state (Init(7)) on the same batches (assembled by each engine's Batch from
// the same uint8 images, crops and flips). In FP32 it compares them after one step
// (every tensor) and after ten (each kind of state at once); in BF16 the loss of
// each of ten steps within bf16LossTol.
func (c *suite) networks(t *testing.T) {
	for _, a := range nets() {
		t.Run(a.Name, func(t *testing.T) {
			e, ref := c.newEngine(t, c.s), c.newEngine(t, c.ref)
			d := NewData(a.Arch, netBatch, steps10, a.Seed)
			want, got := NewNetRun(t, ref, a.Arch, netBatch, d), NewNetRun(t, e, a.Arch, netBatch, d)
			if c.p == engine.BF16 {
				c.networkBF16(t, a, got, want)
				return
			}
			r := compareRuns(t, fmt.Sprintf("network %s fp32", a.Name), got, want, netStepTol)
			t.Logf("network %s fp32: %v", a.Name, r)
			for _, m := range []struct {
				what     string
				err, tol float64
			}{
				{"step 1: loss", r.loss1, netStepTol}, {"step 1: logits", r.logits1, netStepTol},
				{"losses of steps 2-10", r.loss, tenTol}, {"parameters after 10 steps", r.params, tenTol},
				{"running statistics after 10 steps", r.running, tenTol}, {"evaluation logits after 10 steps", r.eval, evalTol},
			} {
				if !(m.err <= m.tol) {
					t.Errorf("network %s fp32: %s: relative error %.3g > %.0e", a.Name, m.what, m.err, m.tol)
				}
			}
			c.sum.add("network_1step", c.p, r.first())
			c.sum.add("network_10steps", c.p, r.ten())
		})
	}
}

// networkBF16 requires the loss of each of ten steps to agree within bf16LossTol;
// it logs how far the parameters and evaluation logits are apart.
func (c *suite) networkBF16(t *testing.T, a Net, got, want *NetRun) {
	var losses []string
	first, worstLoss := 0.0, 0.0
	for i := range steps10 {
		ws, gs := want.Step(t, i), got.Step(t, i)
		re := approx.RelErr([]float32{float32(gs.Loss)}, []float32{float32(ws.Loss)}, 0)
		losses = append(losses, fmt.Sprintf("%.4f/%.4f", gs.Loss, ws.Loss))
		if i == 0 {
			first = re
		}
		worstLoss = max(worstLoss, re)
		if !(re <= bf16LossTol) {
			t.Errorf("network %s bf16: step %d: loss %g, %s %g: relative error %.3g > %g", a.Name, i+1, gs.Loss, want.e.Name(), ws.Loss, re, bf16LossTol)
		}
	}
	params := approx.RelErr(got.download(t, got.net.P), want.download(t, want.net.P), 0)
	gp, err := got.net.Predictions(got.net.Batch)
	if err != nil {
		t.Fatal(err)
	}
	wp, _ := want.net.Predictions(want.net.Batch)
	t.Logf("network %s bf16: losses (%s/%s) %s; worst relative error %.1e; after %d steps: parameters %.1e, evaluation logits %.1e",
		a.Name, got.e.Name(), want.e.Name(), strings.Join(losses, " "), worstLoss, steps10, params, approx.RelErr(gp, wp, 0))
	c.sum.add("network_1step", c.p, first)
	c.sum.add("network_10steps", c.p, worstLoss)
}

// NetworkMargin checks, on s alone in FP32, that the network cases' tolerances are
// far from what rounding can do to Nets and their data: it trains each network
// twice, the second time with its initial parameters perturbed by 1e-6 relative
// (several float32 roundings; two draws), and requires the first step's tensors to
// stay within 1e-4 (no ReLU within reach of rounding) and the ten-step measures
// within a fifth of their tolerances. A change to the kernels, the network or the
// data that breaks this needs new seeds in Nets.
func NetworkMargin(t *testing.T, s Subject) {
	for _, a := range Nets {
		t.Run(a.Name, func(t *testing.T) {
			if m := margin(t, s, a); m.first() > 1e-4 || m.loss > tenTol/5 || m.params > tenTol/5 || m.running > tenTol/5 || m.eval > evalTol/5 {
				t.Errorf("network %s seed %d: too sensitive to rounding: %v", a.Name, a.Seed, m)
			}
		})
	}
}

// margin returns the largest of each measure over two perturbed runs of a on s.
func margin(t *testing.T, s Subject, a Net) trainErrors {
	d := NewData(a.Arch, netBatch, steps10, a.Seed)
	var worstOf trainErrors
	for draw := uint64(1); draw <= 2; draw++ {
		e1, err := s.New(engine.FP32)
		if err != nil {
			t.Fatal(err)
		}
		defer e1.Close()
		e2, err := s.New(engine.FP32)
		if err != nil {
			t.Fatal(err)
		}
		defer e2.Close()
		want, got := NewNetRun(t, e1, a.Arch, netBatch, d), NewNetRun(t, e2, a.Arch, netBatch, d)
		p := got.download(t, got.net.P)
		r := rand.New(rand.NewPCG(draw, 0x70))
		for i := range p {
			p[i] *= float32(1 + 1e-6*r.NormFloat64())
		}
		got.e.Upload(got.net.P, p)
		m := compareRuns(t, "margin of network "+a.Name, got, want, 1) // 1: measure, do not fail, per tensor
		t.Logf("network %s seed %d draw %d: %v", a.Name, a.Seed, draw, m)
		if m.grad1 > worstOf.grad1 {
			worstOf.grad1Name = m.grad1Name
		}
		if m.state1 > worstOf.state1 {
			worstOf.state1Name = m.state1Name
		}
		worstOf.loss1 = max(worstOf.loss1, m.loss1)
		worstOf.logits1 = max(worstOf.logits1, m.logits1)
		worstOf.grad1 = max(worstOf.grad1, m.grad1)
		worstOf.state1 = max(worstOf.state1, m.state1)
		worstOf.loss = max(worstOf.loss, m.loss)
		worstOf.params = max(worstOf.params, m.params)
		worstOf.running = max(worstOf.running, m.running)
		worstOf.momentum = max(worstOf.momentum, m.momentum)
		worstOf.eval = max(worstOf.eval, m.eval)
	}
	return worstOf
}
