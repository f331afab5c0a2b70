package enginetest

import (
	"fmt"
	"slices"
	"testing"

	"github.com/ddstools/dds/train/engine"
)

// stepInputs is one engine's per-step inputs in engine memory, for steps issued with
// the step-indexed operations (as network.Steps issues them): the batches' indices
// and crops, the learning rates, the step counter, and where each step's logits are
// kept.
type stepInputs struct {
	idxs, crops, counter engine.Ints
	lrs, kept            engine.Buf
}

// newStepInputs uploads d's batches and lrs (one per batch) and resets the counter.
func newStepInputs(t testing.TB, e engine.Engine, d *Data, batch, classes int, lrs []float32) *stepInputs {
	t.Helper()
	steps := len(d.Idx)
	s := &stepInputs{idxs: e.AllocInts(steps * batch), crops: e.AllocInts(3 * steps * batch), counter: e.AllocInts(1),
		lrs: e.Alloc(steps), kept: e.Alloc(steps * batch * classes)}
	var idx, crops []int32
	for i := range d.Idx {
		idx = append(idx, d.Idx[i]...)
		for _, v := range d.Crops[i] {
			crops = append(crops, int32(v))
		}
	}
	e.UploadInts(s.idxs, idx)
	e.UploadInts(s.crops, crops)
	e.Upload(s.lrs, lrs)
	e.UploadInts(s.counter, []int32{0})
	checkErr(t, e, "record_replay")
	return s
}

// issue enqueues one training step of r on the inputs of step counter[0]: BatchAt,
// Forward, Backward, SGDStepAt, the logits kept with CopyAt (in FP32 only: CopyAt
// copies float32 values, and in BF16 the logits are bfloat16 activations), Count.
func (s *stepInputs) issue(r *NetRun) {
	e, n := r.e, r.net
	e.BatchAt(n.X, n.Y, r.set, s.idxs, s.crops, s.counter, n.Batch, r.d.Pad, r.d.Mean, r.d.Std)
	n.Forward(true, Hyper.Smoothing)
	n.Backward()
	e.SGDStepAt(n.P, n.G, n.V, n.NParams, s.lrs, s.counter, Hyper.Momentum, Hyper.WeightDecay, Hyper.Nesterov)
	if e.Precision() == engine.FP32 {
		e.CopyAt(s.kept, n.Logits, s.counter, n.Batch*n.Arch.Classes)
	}
	e.Count(s.counter)
}

// record checks Record and Replay where the subject is an engine.Recorder (it skips
// otherwise): one training step of the X and Y networks (BatchAt, Forward, Backward,
// SGDStepAt, CopyAt, Count: every kind of operation) is recorded once and replayed
// steps+1 times (the last one past the loaded steps, where the step-indexed
// operations do nothing), and every parameter, running statistic, momentum and
// gradient value, the batch, the kept logits and the counter must be bit for bit
// those of steps+1 direct issues of the same operations on a second engine from the
// same initial state. The counter makes each replay take another batch and learning
// rate.
func (c *suite) record(t *testing.T) {
	const steps = 4
	lrs := []float32{0.01, 0.02, 0.005, 0.015}
	for _, a := range Nets[:2] {
		t.Run(a.Name, func(t *testing.T) {
			e := c.newEngine(t, c.s)
			rec, ok := e.(engine.Recorder)
			if !ok {
				t.Skipf("%s is not an engine.Recorder", c.s.Name)
			}
			direct := c.newEngine(t, c.s)
			at := fmt.Sprintf("record_replay %s network %s", c.p, a.Name)
			d := NewData(a.Arch, netBatch, steps, a.Seed)
			rr, rd := NewNetRun(t, rec, a.Arch, netBatch, d), NewNetRun(t, direct, a.Arch, netBatch, d)
			sr, sd := newStepInputs(t, rec, d, netBatch, a.Arch.Classes, lrs), newStepInputs(t, direct, d, netBatch, a.Arch.Classes, lrs)
			p0 := rr.download(t, rr.net.P)
			rep, err := rec.Record(func() { sr.issue(rr) })
			if err != nil {
				t.Fatalf("%s: %v", at, err)
			}
			defer rep.Close()
			ct := make([]int32, 1)
			rec.DownloadInts(ct, sr.counter)
			if p := rr.download(t, rr.net.P); ct[0] != 0 || !sameBits(p, p0) {
				t.Fatalf("%s: recording ran operations: counter %d, parameters changed %v", at, ct[0], !sameBits(p, p0))
			}
			for range steps + 1 {
				rep.Run()
				sd.issue(rd)
			}
			checkErr(t, rec, at)
			checkErr(t, direct, at)
			gs, ws := state(t, rr.net), state(t, rd.net)
			for i, w := range ws {
				if gs[i].Name != w.Name || !slices.Equal(gs[i].Data, w.Data) {
					t.Errorf("%s: state %s differs between the replayed and the direct steps", at, w.Name)
				}
			}
			for _, b := range []struct {
				name string
				r, d engine.Buf
			}{{"parameters", rr.net.P, rd.net.P}, {"momentum", rr.net.V, rd.net.V}, {"gradients", rr.net.G, rd.net.G},
				{"batch", rr.net.X, rd.net.X}, {"logits", rr.net.Logits, rd.net.Logits}, {"kept logits", sr.kept, sd.kept}} {
				if b.name == "kept logits" && c.p != engine.FP32 {
					continue // not kept in BF16 (issue)
				}
				if !sameBits(rr.download(t, b.r), rd.download(t, b.d)) {
					t.Errorf("%s: %s differ between the replayed and the direct steps", at, b.name)
				}
			}
			direct.DownloadInts(ct, sd.counter)
			cr := make([]int32, 1)
			rec.DownloadInts(cr, sr.counter)
			if cr[0] != steps+1 || ct[0] != steps+1 {
				t.Errorf("%s: counters %d (replayed), %d (direct), want %d", at, cr[0], ct[0], steps+1)
			}
			if sameBits(rr.download(t, rr.net.P), p0) {
				t.Errorf("%s: the replayed steps left the parameters as they were", at)
			}
			checkErr(t, rec, at)
			c.sum.add("record_replay", c.p, 0)
		})
	}
}
