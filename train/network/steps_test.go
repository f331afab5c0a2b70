package network

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/ddstools/dds/internal/approx"
	"github.com/ddstools/dds/train/cpu"
	"github.com/ddstools/dds/train/data"
	"github.com/ddstools/dds/train/engine"
)

// recording is the CPU engine with a Recorder that records f by keeping it, so the
// record-once-replay path of Steps runs without a GPU.
type recording struct {
	*cpu.Engine
	records int
}

func (r *recording) Record(f func()) (engine.Replay, error) {
	r.records++
	return direct(f), nil
}

// TestStepsEqualStep checks that steps driven by engine-resident inputs (BatchAt,
// SGDStepAt, CopyAt, Count), issued directly or through a Recorder, give exactly the
// parameters, momentum, running statistics and losses of Batch + Step with the same
// indices, crops and learning rates.
func TestStepsEqualStep(t *testing.T) {
	const batch, nsteps = 4, 5
	d, err := data.Open("synthetic:16x16x3:7:64:8")
	if err != nil {
		t.Fatal(err)
	}
	rc := Hyper{Momentum: 0.9, WeightDecay: 5e-4, Nesterov: true, Smoothing: 0.1}
	for _, augment := range []bool{false, true} {
		for _, recorded := range []bool{false, true} {
			arch := oracleNets["y"]
			r := rand.New(rand.NewPCG(3, 4))
			idx := make([]int32, nsteps*batch)
			for i := range idx {
				idx[i] = int32(r.IntN(d.Train.Len()))
			}
			var crops []int32
			if augment {
				crops = make([]int32, 3*nsteps*batch)
				for i := 0; i < len(crops); i += 3 {
					crops[i], crops[i+1], crops[i+2] = int32(r.IntN(9)), int32(r.IntN(9)), int32(r.IntN(2))
				}
			}
			lrs := []float32{0.05, 0.1, 0.08, 0.03, 0.01}

			ref, err := New(cpu.NewEngine(), arch, batch, true)
			if err != nil {
				t.Fatal(err)
			}
			ref.Init(11)
			set := ref.E.UploadImages(d.Train.Images, d.Train.Labels, 16, 16, 3)
			var want []Stats
			for s := range nsteps {
				var c8 []int8
				if augment {
					for _, v := range crops[3*s*batch : 3*(s+1)*batch] {
						c8 = append(c8, int8(v))
					}
				}
				ref.E.Batch(ref.X, ref.Y, set, idx[s*batch:(s+1)*batch], c8, 4, d.Mean, d.Std)
				st, err := ref.Step(lrs[s], rc)
				if err != nil {
					t.Fatal(err)
				}
				want = append(want, st)
			}

			var e engine.Engine = cpu.NewEngine()
			rec := &recording{Engine: cpu.NewEngine()}
			if recorded {
				e = rec
			}
			n, err := New(e, arch, batch, true)
			if err != nil {
				t.Fatal(err)
			}
			n.Init(11)
			steps, err := n.NewSteps(nsteps, e.UploadImages(d.Train.Images, d.Train.Labels, 16, 16, 3), augment, 4, d.Mean, d.Std, rc)
			if err != nil {
				t.Fatal(err)
			}
			steps.Load(idx, crops, lrs)
			for range nsteps {
				if err := steps.Run(); err != nil {
					t.Fatal(err)
				}
			}
			got, err := steps.Stats(0, nsteps)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, want) {
				t.Errorf("augment %v recorded %v: stats %v, want %v", augment, recorded, got, want)
			}
			if recorded && rec.records != 1 {
				t.Errorf("recorded %d times, want once", rec.records)
			}
			gs, _ := n.State()
			ws, _ := ref.State()
			for i := range ws {
				if !slices.Equal(gs[i].Data, ws[i].Data) {
					t.Errorf("augment %v recorded %v: %s differs from Step's", augment, recorded, ws[i].Name)
				}
			}
			gv, wv := make([]float32, n.NParams), make([]float32, n.NParams)
			n.E.Download(gv, n.V)
			ref.E.Download(wv, ref.V)
			if !slices.Equal(gv, wv) {
				t.Errorf("augment %v recorded %v: momentum differs", augment, recorded)
			}
		}
	}
}

// aligned is a CPU engine that reports another allocation granularity.
type aligned struct {
	*cpu.Engine
	align int
}

func (a aligned) AllocAlign() int { return a.align }

// TestFootprint checks Footprint against the memory New allocates on the CPU engine,
// which counts bytes exactly (AllocAlign 1), so the two agree exactly; and that on an
// engine of granularity 512 every allocation is rounded up to it: the footprint is a
// multiple of 512 and at most 511 bytes more per buffer.
func TestFootprint(t *testing.T) {
	for name, arch := range oracleNets {
		for _, train := range []bool{false, true} {
			e := &countingAllocs{Engine: cpu.NewEngine()}
			if _, err := New(e, arch, 8, train); err != nil {
				t.Fatal(err)
			}
			got, err := Footprint(cpu.NewEngine(), arch, 8, train)
			if err != nil {
				t.Fatal(err)
			}
			if used := e.MemUsed(); got != used {
				t.Errorf("%s train %v: footprint %d, New allocated %d", name, train, got, used)
			}
			got512, err := Footprint(aligned{cpu.NewEngine(), 512}, arch, 8, train)
			if err != nil {
				t.Fatal(err)
			}
			if got512%512 != 0 || got512 < got || got512 > got+511*e.n {
				t.Errorf("%s train %v: footprint at 512 bytes %d, exact %d over %d buffers", name, train, got512, got, e.n)
			}
		}
	}
}

// countingAllocs is a CPU engine that counts its allocations.
type countingAllocs struct {
	*cpu.Engine
	n int64
}

func (c *countingAllocs) Alloc(n int) engine.Buf      { c.n++; return c.Engine.Alloc(n) }
func (c *countingAllocs) AllocAct(n int) engine.Buf   { c.n++; return c.Engine.AllocAct(n) }
func (c *countingAllocs) AllocInts(n int) engine.Ints { c.n++; return c.Engine.AllocInts(n) }

// TestStepBytes checks the traffic count of a step on X and Y networks (every
// operation of the step is counted, none runs): it is affine in the batch size
// (activations scale with it, parameters do not) and at least the SGD update's
// five passes over the parameters.
func TestStepBytes(t *testing.T) {
	for name, arch := range oracleNets {
		var b [4]int64
		for i := 1; i < 4; i++ {
			v, err := StepBytes(cpu.NewEngine(), arch, 8*i)
			if err != nil {
				t.Fatal(err)
			}
			b[i] = v
		}
		params := arch.Complexity().Params
		if b[2]-b[1] != b[3]-b[2] || b[2] <= b[1] || b[1] < 20*params {
			t.Errorf("%s: bytes at batch 8, 16, 24: %d, %d, %d (params %d)", name, b[1], b[2], b[3], params)
		}
		t.Logf("%s: %d bytes per step at batch 8, %d per extra image", name, b[1], (b[2]-b[1])/8)
	}
}

// TestBF16Network trains the X and Y networks a few steps with bfloat16
// activations (the CPU engine's emulation) and with float32 from the same weights
// and batches: the losses agree to a few percent but not exactly, and BF16 needs
// less memory and moves fewer bytes per step.
func TestBF16Network(t *testing.T) {
	const batch, steps = 8, 4
	rc := Hyper{Momentum: 0.9, WeightDecay: 5e-4, Nesterov: true}
	for name, arch := range oracleNets {
		d, err := data.Open(fmt.Sprintf("synthetic:16x16x3:%d:64:8", arch.Classes))
		if err != nil {
			t.Fatal(err)
		}
		var losses [2][]float64
		for k, p := range []engine.Precision{engine.FP32, engine.BF16} {
			n, err := New(cpu.NewEngineWith(p), arch, batch, true)
			if err != nil {
				t.Fatal(err)
			}
			n.Init(3)
			set := n.E.UploadImages(d.Train.Images, d.Train.Labels, 16, 16, 3)
			for s := range steps {
				idx := []int32{0, 1, 2, 3, 4, 5, 6, 7}
				for i := range idx {
					idx[i] += int32(8 * s)
				}
				n.E.Batch(n.X, n.Y, set, idx, nil, 0, d.Mean, d.Std)
				st, err := n.Step(0.02, rc)
				if err != nil {
					t.Fatal(err)
				}
				losses[k] = append(losses[k], st.Loss)
			}
		}
		same := true
		for s := range steps {
			f, b := losses[0][s], losses[1][s]
			same = same && f == b
			if !approx.Close(b, f, 0, 0.03) {
				t.Errorf("%s step %d: loss %g in BF16, %g in FP32", name, s, b, f)
			}
		}
		if same {
			t.Errorf("%s: BF16 losses equal FP32's exactly: nothing was rounded", name)
		}
		f32, _ := Footprint(cpu.NewEngineWith(engine.FP32), arch, batch, true)
		b16, _ := Footprint(cpu.NewEngineWith(engine.BF16), arch, batch, true)
		s32, _ := StepBytes(cpu.NewEngineWith(engine.FP32), arch, batch)
		s16, _ := StepBytes(cpu.NewEngineWith(engine.BF16), arch, batch)
		if !(b16 < f32 && s16 < s32 && 2*s16 > s32) {
			t.Errorf("%s: footprint %d in BF16, %d in FP32; step bytes %d, %d", name, b16, f32, s16, s32)
		}
		t.Logf("%s: losses FP32 %.5f, BF16 %.5f; step bytes %d vs %d", name, losses[0], losses[1], s32, s16)
	}
}

// TestPredictAll checks recorded and direct evaluation passes over more batches than
// one read-back round holds, the last batch partial, against Batch + Predictions
// batch by batch.
func TestPredictAll(t *testing.T) {
	const batch = 2
	arch := oracleNets["x"]
	d, err := data.Open("synthetic:16x16x3:10:300:8")
	if err != nil {
		t.Fatal(err)
	}
	idx := make([]int32, 2*evalChunk*batch+3) // three rounds, the last batch of one
	for i := range idx {
		idx[i] = int32((7 * i) % d.Train.Len())
	}
	var want []float32
	ref, err := New(cpu.NewEngine(), arch, batch, false)
	if err != nil {
		t.Fatal(err)
	}
	ref.Init(5)
	set := ref.E.UploadImages(d.Train.Images, d.Train.Labels, 16, 16, 3)
	for lo := 0; lo < len(idx); lo += batch {
		hi := min(lo+batch, len(idx))
		ref.E.Batch(ref.X, ref.Y, set, idx[lo:hi], nil, 0, d.Mean, d.Std)
		p, err := ref.Predictions(hi - lo)
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, p...)
	}
	for _, e := range []engine.Engine{cpu.NewEngine(), &recording{Engine: cpu.NewEngine()}} {
		n, err := New(e, arch, batch, false)
		if err != nil {
			t.Fatal(err)
		}
		n.Init(5)
		got, err := n.PredictAll(e.UploadImages(d.Train.Images, d.Train.Labels, 16, 16, 3), idx, d.Mean, d.Std)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, want) {
			t.Errorf("%T: PredictAll differs from Predictions batch by batch (%d and %d values)", e, len(got), len(want))
		}
	}
	if rec := (&recording{Engine: cpu.NewEngineWith(engine.BF16)}); true {
		n, _ := New(rec, arch, batch, false)
		if _, err := n.PredictAll(rec.UploadImages(d.Train.Images, d.Train.Labels, 16, 16, 3), idx, d.Mean, d.Std); err == nil {
			t.Error("PredictAll accepted an engine in BF16")
		}
	}
}
