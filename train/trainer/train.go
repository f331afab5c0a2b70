package trainer

import (
	"errors"
	"fmt"
	"github.com/ddstools/dds/formats"
	"math"
	"math/rand/v2"
	"runtime/debug"
	"time"

	"github.com/ddstools/dds/formats/anynet"
	"github.com/ddstools/dds/train/data"
	"github.com/ddstools/dds/train/engine"
	"github.com/ddstools/dds/train/network"
	"github.com/ddstools/dds/train/safetensors"
)

// Job is one model to train.
type Job struct {
	Key    string // checkpoint key (JobKey)
	Arch   anynet.Net
	Seed   uint64
	Recipe formats.Recipe // with Augment resolved (not formats.AugmentAuto)
}

// Result is the outcome of training one model.
type Result struct {
	Status    string    `json:"status"` // formats.StatusOK, StatusDiverged or StatusFailed
	Error     string    `json:"error,omitempty"`
	EpochLoss []float64 `json:"epoch_loss"`  // mean training loss of each completed epoch
	EpochErr  []float64 `json:"epoch_error"` // training top-1 error of each completed epoch, percent
	Steps     int64     `json:"steps"`
	Wall      float64   `json:"wall_s"`     // seconds spent training, summed over resumed runs
	Images    int64     `json:"images"`     // images trained on
	MemBytes  int64     `json:"mem_bytes"`  // memory the engine allocated (its peak)
	StepBytes int64     `json:"step_bytes"` // network.StepBytes of the model
	Weights   []byte    `json:"weights,omitempty"`
	// Resumed is the number of epochs taken from a checkpoint instead of trained
	// by this call (not saved).
	Resumed int `json:"-"`
	// OutOfMemory reports a failure because the engine's memory ran out (not saved).
	OutOfMemory bool `json:"-"`
}

// Progress reports where a training run is, after each step.
type Progress struct {
	Epoch, Epochs int // 0-based epoch and the number of epochs
	Step, Steps   int // 0-based step within the epoch and steps per epoch
	Loss          float64
	Images        int64   // images trained on so far in this process
	Elapsed       float64 // seconds spent in this process
}

// failed returns a failed Result with the error text.
func failed(format string, a ...any) Result {
	return Result{Status: formats.StatusFailed, Error: fmt.Sprintf(format, a...)}
}

// Train trains j on the train split of d with engine e and returns the result. It
// never panics: a model that cannot be built, a failure of the engine or of a
// kernel becomes a failed Result; a NaN or infinite loss ends the run as diverged.
//
// Training is deterministic given j: epoch k visits the (subset of the) train split
// in the order data.Permutation(n, seed, k), in batches of Recipe.Batch (the last
// partial batch is dropped), with augmentation drawn from a PCG generator seeded by
// (seed, k) (crop-flip: data.Augment{Pad: 4, Flip: true}; resized-crop-flip:
// data.ImageNetCrop, which needs an engine.ResizedCropper); the learning rate
// follows Recipe.LRAt per step. With a store, the state is saved after every epoch
// and a run resumes from the last saved epoch, giving the result of an
// uninterrupted run.
func Train(e engine.Engine, d *data.Data, j Job, st *Store, progress func(Progress)) Result {
	return trainUntil(e, d, j, st, progress, nil)
}

// trainUntil is Train that also ends, failed with errInterrupted, before the first
// step that starts after stop is closed (a nil stop never does). The epochs saved to
// the store by then stay there, so a later run resumes from them.
func trainUntil(e engine.Engine, d *data.Data, j Job, st *Store, progress func(Progress), stop <-chan struct{}) (res Result) {
	defer func() {
		if p := recover(); p != nil {
			res = failed("internal error: %v\n%s", p, debug.Stack())
		}
		res.OutOfMemory = res.Status == formats.StatusFailed && errors.Is(e.Err(), engine.ErrOutOfMemory)
	}()
	r, err := newRun(e, d, j, st)
	if err != nil {
		return failed("%v", err)
	}
	defer r.steps.Close()
	r.progress, r.stop = progress, stop
	r.t0 = time.Now()
	for epoch := r.start; epoch < r.recipe.Epochs; epoch++ {
		r.load(epoch)
		if ended := r.runEpoch(epoch); ended {
			return r.res
		}
		if err := r.checkpoint(epoch); err != nil {
			return failed("checkpoint: %v", err)
		}
	}
	return r.finish()
}

// errInterrupted is the error of a run that trainUntil's stop ended.
const errInterrupted = "interrupted before the model finished"

// run is one training run in progress: the network, its prepared steps, the host
// buffers each epoch's inputs are drawn into, and the result so far.
type run struct {
	job      Job
	recipe   formats.Recipe
	st       *Store
	set      *data.Set // the train split, or its Recipe.TrainSubset
	spe      int       // steps per epoch
	net      *network.Net
	steps    *network.Steps
	res      Result // the epochs completed, those resumed from the store first
	start    int    // the first epoch to train (after those resumed)
	progress func(Progress)
	stop     <-chan struct{}

	aug              data.Augment // crop-flip's crops; zero for none
	augment, resized bool         // crop-flip, random-resized crop
	readEvery        int          // steps between reads of the loss statistics
	idx, crops32     []int32      // one epoch's example indices and crops, as Steps.Load takes them
	crops            []data.Crop
	boxes            []data.Box
	lrs              []float32
	t0               time.Time // when this process started training
	seen             int64     // images trained on by this process
}

// newRun checks j against d and e, builds the network and its steps on e with the
// train images uploaded, and restores the state and the completed epochs from the
// store when it holds a checkpoint of j. Its errors are the failed result's text.
func newRun(e engine.Engine, d *data.Data, j Job, st *Store) (*run, error) {
	rc := j.Recipe
	if err := rc.Validate(); err != nil {
		return nil, fmt.Errorf("recipe: %v", err)
	}
	if err := d.Fits(j.Arch); err != nil {
		return nil, err
	}
	if _, ok := e.(engine.ResizedCropper); rc.Augment == formats.AugmentResizedCrop && !ok {
		// Checked before anything is built or uploaded.
		return nil, fmt.Errorf("build: the %s engine does not assemble random-resized crops yet; use --device cpu (or another augmentation)", e.Name())
	}
	r := &run{job: j, recipe: rc, st: st, set: d.Train.Subset(rc.TrainSubset, 0)}
	r.spe = r.set.Len() / rc.Batch
	if r.spe < 1 {
		return nil, fmt.Errorf("train split of %s has %d examples, fewer than one batch of %d", d.Name, r.set.Len(), rc.Batch)
	}
	net, err := network.New(e, j.Arch, rc.Batch, true)
	if err != nil {
		return nil, fmt.Errorf("build: %v", err)
	}
	net.Init(j.Seed)
	r.net = net
	stepBytes, err := network.StepBytes(e, j.Arch, rc.Batch)
	if err != nil {
		return nil, fmt.Errorf("build: %v", err)
	}
	r.res = Result{Status: formats.StatusOK}
	if st != nil {
		ck, err := st.LoadState(j.Key, net)
		if err != nil {
			return nil, fmt.Errorf("checkpoint: %v", err)
		}
		if ck != nil {
			r.res, r.start = *ck, len(ck.EpochLoss)
			r.res.Resumed = r.start
		}
	}
	r.res.StepBytes = stepBytes
	if rc.Augment == formats.AugmentCropFlip {
		r.aug = data.Augment{Pad: 4, Flip: true}
	}
	r.resized = rc.Augment == formats.AugmentResizedCrop
	hyper := network.Hyper{Momentum: float32(rc.Momentum), WeightDecay: float32(rc.WeightDecay), Nesterov: rc.Nesterov, Smoothing: float32(rc.Smoothing)}
	set := r.set
	images := e.UploadImages(set.Images, set.Labels, set.H, set.W, set.C)
	r.augment = r.aug != (data.Augment{})
	if r.resized {
		r.steps, err = net.NewResizedCropSteps(r.spe, images, d.Mean, d.Std, hyper)
	} else {
		r.steps, err = net.NewSteps(r.spe, images, r.augment, r.aug.Pad, d.Mean, d.Std, hyper)
	}
	if err != nil {
		return nil, fmt.Errorf("build: %v", err)
	}
	// An engine that records steps runs them asynchronously: read the statistics
	// back every readEvery steps, not after each one.
	r.readEvery = 1
	if _, ok := e.(engine.Recorder); ok {
		r.readEvery = asyncReadEvery
	}
	r.idx = make([]int32, r.spe*rc.Batch)
	r.crops = make([]data.Crop, rc.Batch)
	switch {
	case r.resized:
		r.crops32 = make([]int32, 5*r.spe*rc.Batch)
		r.boxes = make([]data.Box, rc.Batch)
	case r.augment:
		r.crops32 = make([]int32, 3*r.spe*rc.Batch)
	}
	r.lrs = make([]float32, r.spe)
	return r, nil
}

// load draws the inputs of every step of epoch, all from (seed, epoch): the example
// order, the crops (from the augmentation generator, step by step) and the learning
// rates, and loads them into the steps.
func (r *run) load(epoch int) {
	rc, seed, spe := r.recipe, r.job.Seed, r.spe
	perm := data.Permutation(r.set.Len(), seed, epoch)
	rng := rand.NewPCG(seed, uint64(epoch)+augmentStream)
	for i, v := range perm[:spe*rc.Batch] {
		r.idx[i] = int32(v)
	}
	total := rc.Epochs * spe
	for s := range spe {
		r.lrs[s] = float32(rc.LRAt(epoch*spe+s, total, spe))
		if r.resized {
			data.ImageNetCrop.Draw(rng, r.set.H, r.set.W, r.boxes)
			for i, b := range r.boxes {
				k := 5 * (s*rc.Batch + i)
				r.crops32[k], r.crops32[k+1], r.crops32[k+2], r.crops32[k+3], r.crops32[k+4] = b.Top, b.Left, b.Height, b.Width, 0
				if b.Flip {
					r.crops32[k+4] = 1
				}
			}
			continue
		}
		if !r.augment {
			continue
		}
		r.aug.Draw(rng, r.crops)
		for i, c := range r.crops {
			k := 3 * (s*rc.Batch + i)
			r.crops32[k], r.crops32[k+1], r.crops32[k+2] = int32(c.DY), int32(c.DX), 0
			if c.Flip {
				r.crops32[k+2] = 1
			}
		}
	}
	r.steps.Load(r.idx, r.crops32, r.lrs)
}

// runEpoch runs the loaded steps of epoch, reading their loss statistics back every
// readEvery steps (and after the last) and reporting each step to the progress
// callback, then appends the epoch's mean loss and training error to the result.
// It reports ended when the run ends within the epoch: a step failed or was
// stopped (r.res failed), or the loss became NaN or infinite (r.res diverged, with
// the partial epoch's values up to that step).
func (r *run) runEpoch(epoch int) (ended bool) {
	rc, spe := r.recipe, r.spe
	var lossSum float64
	var correct int
	read := 0 // steps of this epoch whose statistics have been read
	for s := range spe {
		select {
		case <-r.stop:
			r.res = stepFailed(r.res, errInterrupted)
			return true
		default:
		}
		if err := r.steps.Run(); err != nil {
			r.res = stepFailed(r.res, fmt.Sprintf("epoch %d step %d: %v", epoch+1, s+1, err))
			return true
		}
		if s+1 < spe && s+1-read < r.readEvery {
			continue
		}
		stats, err := r.steps.Stats(read, s+1)
		if err != nil {
			r.res = stepFailed(r.res, fmt.Sprintf("epoch %d steps %d-%d: %v", epoch+1, read+1, s+1, err))
			return true
		}
		for k, st := range stats {
			step := read + k
			r.seen += int64(rc.Batch)
			if math.IsNaN(st.Loss) || math.IsInf(st.Loss, 0) {
				res := &r.res
				res.Status, res.Error = formats.StatusDiverged, fmt.Sprintf("loss %v at epoch %d step %d", st.Loss, epoch+1, step+1)
				res.EpochLoss = append(res.EpochLoss, st.Loss)
				res.EpochErr = append(res.EpochErr, 100*(1-float64(correct)/float64((step+1)*rc.Batch)))
				res.Steps = int64(epoch*spe + step + 1)
				res.Wall += time.Since(r.t0).Seconds()
				res.Images += r.seen
				return true
			}
			lossSum += st.Loss
			correct += st.Correct
			if r.progress != nil {
				r.progress(Progress{Epoch: epoch, Epochs: rc.Epochs, Step: step, Steps: spe, Loss: st.Loss,
					Images: r.seen, Elapsed: time.Since(r.t0).Seconds()})
			}
		}
		read = s + 1
	}
	r.res.EpochLoss = append(r.res.EpochLoss, lossSum/float64(spe))
	r.res.EpochErr = append(r.res.EpochErr, 100*(1-float64(correct)/float64(spe*rc.Batch)))
	r.res.Steps = r.net.Steps
	return false
}

// checkpoint saves the network's state and the result so far (its wall time and
// images counting this process's work) to the store after every epoch but the
// last, whose result the caller stores as done. Without a store it does nothing.
func (r *run) checkpoint(epoch int) error {
	if r.st == nil || epoch+1 >= r.recipe.Epochs {
		return nil
	}
	part := r.res
	part.Wall += time.Since(r.t0).Seconds()
	part.Images += r.seen
	return r.st.SaveState(r.job.Key, r.net, part)
}

// finish completes the result of a run that trained every epoch: this process's
// wall time and images are added, and the weights are the network's final state as
// a safetensors file.
func (r *run) finish() Result {
	res := r.res
	res.Wall += time.Since(r.t0).Seconds()
	res.Images += r.seen
	state, err := r.net.State()
	if err != nil {
		return failed("weights: %v", err)
	}
	if res.Weights, err = safetensors.Encode(state, nil); err != nil {
		return failed("weights: %v", err)
	}
	return res
}

// stepFailed ends a run whose step failed: the epochs completed so far stay in the
// result, the weights are not kept.
func stepFailed(res Result, why string) Result {
	res.Status, res.Error, res.Weights = formats.StatusFailed, why, nil
	return res
}

// asyncReadEvery is how many steps an asynchronous engine runs between reads of
// the loss statistics (each read waits for the engine).
const asyncReadEvery = 50

// augmentStream offsets the PCG stream of the augmentation generator from the model seed's other uses.
const augmentStream = 0x617567 // "aug"
