package network

import (
	"fmt"

	"github.com/ddstools/dds/train/engine"
)

// Steps runs a sequence of training steps whose per-step inputs live in engine
// memory: the batch indices and crops of every step, its learning rate, and a step
// counter that each step advances. Every step is then the same operations, so on an
// engine.Recorder (a GPU) the step is recorded once, at the first Run, and replayed
// afterwards, and the per-step statistics are read back in groups rather than after
// every step.
type Steps struct {
	n       *Net
	Len     int // steps in one Load
	set     engine.ImageSet
	pad     int
	mean    []float32
	std     []float32
	r       Hyper
	augment bool
	resized engine.ResizedCropper // the engine, when batches are random-resized crops

	idxs, crops, counter engine.Ints
	lrs, stats           engine.Buf
	replay               engine.Replay // the recorded step, after the first Run
}

// recorded returns f as it is issued on e: recorded once and replayed on an
// engine.Recorder, called directly (with a Replay whose Close does nothing)
// elsewhere.
func recorded(e engine.Engine, f func()) (engine.Replay, error) {
	if rec, ok := e.(engine.Recorder); ok {
		return rec.Record(f)
	}
	return direct(f), nil
}

// direct is a Replay that issues its operations anew each Run.
type direct func()

func (d direct) Run()   { d() }
func (d direct) Close() {}

// NewSteps prepares runs of steps on n (built for training) with batches assembled
// from set with the normalisation mean and std and, when augment, crops padded by
// pad; each Load holds the inputs of steps steps.
func (n *Net) NewSteps(steps int, set engine.ImageSet, augment bool, pad int, mean, std []float32, r Hyper) (*Steps, error) {
	if !n.Train {
		return nil, fmt.Errorf("network: NewSteps on a net built without train")
	}
	if steps < 1 {
		return nil, fmt.Errorf("network: %d steps, want at least 1", steps)
	}
	e := n.E
	s := &Steps{n: n, Len: steps, set: set, pad: pad, mean: mean, std: std, r: r, augment: augment}
	s.idxs = e.AllocInts(steps * n.Batch)
	if augment {
		s.crops = e.AllocInts(3 * steps * n.Batch)
	}
	s.counter = e.AllocInts(1)
	s.lrs = e.Alloc(steps)
	s.stats = e.Alloc(3 * steps)
	return s, e.Err()
}

// NewResizedCropSteps is NewSteps with batches of random-resized crops of set
// (engine.ResizedCropper.ResizedBatchAt): each Load's crops are then the
// (top, left, height, width, flip) boxes of every example. An engine that does not
// assemble such crops is an error.
func (n *Net) NewResizedCropSteps(steps int, set engine.ImageSet, mean, std []float32, r Hyper) (*Steps, error) {
	rc, ok := n.E.(engine.ResizedCropper)
	if !ok {
		return nil, fmt.Errorf("the %s engine does not assemble random-resized crops yet; use --device cpu (or another augmentation)", n.E.Name())
	}
	s, err := n.NewSteps(steps, set, false, 0, mean, std, r)
	if err != nil {
		return nil, err
	}
	s.resized = rc
	s.crops = n.E.AllocInts(5 * steps * n.Batch)
	return s, n.E.Err()
}

// Load sets the inputs of the next Len steps and resets the counter: idx holds
// Len·Batch example indices, crops (when augmenting) Len·Batch (DY, DX, flip)
// triples, or Len·Batch (top, left, height, width, flip) boxes for random-resized
// crops, lrs Len learning rates.
func (s *Steps) Load(idx, crops []int32, lrs []float32) {
	b := s.n.Batch
	per := 0
	switch {
	case s.resized != nil:
		per = 5
	case s.augment:
		per = 3
	}
	if len(idx) != s.Len*b || len(lrs) != s.Len || (per > 0 && len(crops) != per*s.Len*b) {
		panic(fmt.Sprintf("network: Steps.Load: %d indices, %d crops, %d rates for %d steps of %d", len(idx), len(crops), len(lrs), s.Len, b))
	}
	e := s.n.E
	e.UploadInts(s.idxs, idx)
	if per > 0 {
		e.UploadInts(s.crops, crops)
	}
	e.Upload(s.lrs, lrs)
	e.UploadInts(s.counter, []int32{0})
}

// issue enqueues one step: assemble step t's batch, Forward, Backward, SGD with
// rate t, keep the loss statistics as those of step t, advance the counter.
func (s *Steps) issue() {
	n, e := s.n, s.n.E
	if s.resized != nil {
		s.resized.ResizedBatchAt(n.X, n.Y, s.set, s.idxs, s.crops, s.counter, n.Batch, s.mean, s.std)
	} else {
		e.BatchAt(n.X, n.Y, s.set, s.idxs, s.crops, s.counter, n.Batch, s.pad, s.mean, s.std)
	}
	n.Forward(true, s.r.Smoothing)
	n.Backward()
	e.SGDStepAt(n.P, n.G, n.V, n.NParams, s.lrs, s.counter, s.r.Momentum, s.r.WeightDecay, s.r.Nesterov)
	e.CopyAt(s.stats, n.stats, s.counter, 3)
	e.Count(s.counter)
}

// Run enqueues the next step. On a Recorder the first Run records the step and
// every Run replays it; otherwise the operations are issued one by one.
func (s *Steps) Run() error {
	if s.replay == nil {
		r, err := recorded(s.n.E, s.issue)
		if err != nil {
			return err
		}
		s.replay = r
	}
	s.replay.Run()
	s.n.Steps++
	return nil
}

// Stats reads back the loss statistics of steps [from, to) of the current Load
// (waiting for them on an asynchronous engine). A step with labels outside the
// network's classes is an error.
func (s *Steps) Stats(from, to int) ([]Stats, error) {
	e := s.n.E
	raw := make([]float32, 3*(to-from))
	e.Download(raw, e.Slice(s.stats, 3*from, len(raw)))
	if err := e.Err(); err != nil {
		return nil, err
	}
	out := make([]Stats, to-from)
	for i := range out {
		st := raw[3*i : 3*i+3]
		if st[2] > 0 {
			return nil, fmt.Errorf("%d labels of the batch of step %d are outside the network's %d classes", int(st[2]), from+i+1, s.n.Arch.Classes)
		}
		out[i] = Stats{Loss: float64(st[0]), Correct: int(st[1])}
	}
	return out, nil
}

// Close frees the recorded step, if any (the buffers live until the engine's Close).
func (s *Steps) Close() {
	if s.replay != nil {
		s.replay.Close()
		s.replay = nil
	}
}

// evalChunk bounds the batches of one PredictAll round: their logits are read back
// together.
const evalChunk = 64

// PredictAll runs evaluation Forward passes over the examples idx of set (any
// number; batches of n.Batch, the last one padded with repeats of idx[0]) and returns
// their logits, [len(idx)][Classes] on the host. As in Steps, each batch's inputs are
// in engine memory, so on a Recorder the pass is recorded once and replayed, and the
// logits of up to evalChunk batches are read back at a time. The engine must store
// activations in FP32.
func (n *Net) PredictAll(set engine.ImageSet, idx []int32, mean, std []float32) ([]float32, error) {
	e, b, c := n.E, n.Batch, n.Arch.Classes
	if e.Precision() != engine.FP32 {
		return nil, fmt.Errorf("network: PredictAll on an engine in %v, want fp32", e.Precision())
	}
	out := make([]float32, 0, len(idx)*c)
	if len(idx) == 0 {
		return out, nil
	}
	steps := min((len(idx)+b-1)/b, evalChunk)
	idxs, counter := e.AllocInts(steps*b), e.AllocInts(1)
	logits := e.Alloc(steps * b * c)
	issue := func() {
		e.BatchAt(n.X, n.Y, set, idxs, nil, counter, b, 0, mean, std)
		n.Forward(false, 0)
		e.CopyAt(logits, n.Logits, counter, b*c)
		e.Count(counter)
	}
	replay, err := recorded(e, issue)
	if err != nil {
		return nil, err
	}
	defer replay.Close()
	chunk := make([]int32, steps*b)
	host := make([]float32, steps*b*c)
	for lo := 0; lo < len(idx); lo += steps * b {
		m := copy(chunk, idx[lo:])
		for i := m; i < len(chunk); i++ {
			chunk[i] = idx[0]
		}
		e.UploadInts(idxs, chunk)
		e.UploadInts(counter, []int32{0})
		for range (m + b - 1) / b {
			replay.Run()
		}
		e.Download(host[:m*c], logits)
		if err := e.Err(); err != nil {
			return nil, err
		}
		out = append(out, host[:m*c]...)
	}
	return out, nil
}
