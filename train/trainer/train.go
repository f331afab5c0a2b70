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
	Key    string // checkpoint key (Store.Key)
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
// data.ImageNetCrop, which needs an engine.ResizedCropper); the learning rate follows Recipe.LRAt per step. With a store, the state
// is saved after every epoch and a run resumes from the last saved epoch, giving the
// result of an uninterrupted run.
func Train(e engine.Engine, d *data.Data, j Job, st *Store, progress func(Progress)) (res Result) {
	defer func() {
		if p := recover(); p != nil {
			res = failed("internal error: %v\n%s", p, debug.Stack())
		}
		res.OutOfMemory = res.Status == formats.StatusFailed && errors.Is(e.Err(), engine.ErrOutOfMemory)
	}()
	r := j.Recipe
	if err := r.Validate(); err != nil {
		return failed("recipe: %v", err)
	}
	if err := d.Fits(j.Arch); err != nil {
		return failed("%v", err)
	}
	if _, ok := e.(engine.ResizedCropper); r.Augment == formats.AugmentResizedCrop && !ok {
		// Checked before anything is built or uploaded.
		return failed("build: the %s engine does not assemble random-resized crops yet; use --device cpu (or another augmentation)", e.Name())
	}
	set := d.Train.Subset(r.TrainSubset, 0)
	spe := set.Len() / r.Batch
	if spe < 1 {
		return failed("train split of %s has %d examples, fewer than one batch of %d", d.Name, set.Len(), r.Batch)
	}
	net, err := network.New(e, j.Arch, r.Batch, true)
	if err != nil {
		return failed("build: %v", err)
	}
	net.Init(j.Seed)
	stepBytes, err := network.StepBytes(e, j.Arch, r.Batch)
	if err != nil {
		return failed("build: %v", err)
	}
	res = Result{Status: formats.StatusOK}
	start := 0
	if st != nil {
		ck, err := st.LoadState(j.Key, net)
		if err != nil {
			return failed("checkpoint: %v", err)
		}
		if ck != nil {
			res, start = *ck, len(ck.EpochLoss)
			res.Resumed = start
		}
	}
	res.StepBytes = stepBytes
	aug := data.Augment{}
	if r.Augment == formats.AugmentCropFlip {
		aug = data.Augment{Pad: 4, Flip: true}
	}
	resized := r.Augment == formats.AugmentResizedCrop
	rc := network.Hyper{Momentum: float32(r.Momentum), WeightDecay: float32(r.WeightDecay), Nesterov: r.Nesterov, Smoothing: float32(r.Smoothing)}
	images := e.UploadImages(set.Images, set.Labels, set.H, set.W, set.C)
	augment := aug != (data.Augment{})
	var steps *network.Steps
	if resized {
		steps, err = net.NewResizedCropSteps(spe, images, d.Mean, d.Std, rc)
	} else {
		steps, err = net.NewSteps(spe, images, augment, aug.Pad, d.Mean, d.Std, rc)
	}
	if err != nil {
		return failed("build: %v", err)
	}
	defer steps.Close()
	// An engine that records steps runs them asynchronously: read the statistics
	// back every readEvery steps, not after each one.
	readEvery := 1
	if _, ok := e.(engine.Recorder); ok {
		readEvery = asyncReadEvery
	}
	idx := make([]int32, spe*r.Batch)
	crops := make([]data.Crop, r.Batch)
	var crops32 []int32
	var boxes []data.Box
	switch {
	case resized:
		crops32 = make([]int32, 5*spe*r.Batch)
		boxes = make([]data.Box, r.Batch)
	case augment:
		crops32 = make([]int32, 3*spe*r.Batch)
	}
	lrs := make([]float32, spe)
	total := r.Epochs * spe
	t0 := time.Now()
	var seen int64
	for epoch := start; epoch < r.Epochs; epoch++ {
		perm := data.Permutation(set.Len(), j.Seed, epoch)
		rng := rand.NewPCG(j.Seed, uint64(epoch)+augmentStream)
		for i, v := range perm[:spe*r.Batch] {
			idx[i] = int32(v)
		}
		for s := range spe {
			lrs[s] = float32(r.LRAt(epoch*spe+s, total, spe))
			if resized {
				data.ImageNetCrop.Draw(rng, set.H, set.W, boxes)
				for i, b := range boxes {
					k := 5 * (s*r.Batch + i)
					crops32[k], crops32[k+1], crops32[k+2], crops32[k+3], crops32[k+4] = b.Top, b.Left, b.Height, b.Width, 0
					if b.Flip {
						crops32[k+4] = 1
					}
				}
				continue
			}
			if !augment {
				continue
			}
			aug.Draw(rng, crops)
			for i, c := range crops {
				k := 3 * (s*r.Batch + i)
				crops32[k], crops32[k+1], crops32[k+2] = int32(c.DY), int32(c.DX), 0
				if c.Flip {
					crops32[k+2] = 1
				}
			}
		}
		steps.Load(idx, crops32, lrs)
		var lossSum float64
		var correct int
		read := 0 // steps of this epoch whose statistics have been read
		for s := range spe {
			if err := steps.Run(); err != nil {
				return stepFailed(res, fmt.Sprintf("epoch %d step %d: %v", epoch+1, s+1, err))
			}
			if s+1 < spe && s+1-read < readEvery {
				continue
			}
			stats, err := steps.Stats(read, s+1)
			if err != nil {
				return stepFailed(res, fmt.Sprintf("epoch %d steps %d-%d: %v", epoch+1, read+1, s+1, err))
			}
			for k, st := range stats {
				step := read + k
				seen += int64(r.Batch)
				if math.IsNaN(st.Loss) || math.IsInf(st.Loss, 0) {
					res.Status, res.Error = formats.StatusDiverged, fmt.Sprintf("loss %v at epoch %d step %d", st.Loss, epoch+1, step+1)
					res.EpochLoss = append(res.EpochLoss, st.Loss)
					res.EpochErr = append(res.EpochErr, 100*(1-float64(correct)/float64((step+1)*r.Batch)))
					res.Steps = int64(epoch*spe + step + 1)
					res.Wall += time.Since(t0).Seconds()
					res.Images += seen
					return res
				}
				lossSum += st.Loss
				correct += st.Correct
				if progress != nil {
					progress(Progress{Epoch: epoch, Epochs: r.Epochs, Step: step, Steps: spe, Loss: st.Loss,
						Images: seen, Elapsed: time.Since(t0).Seconds()})
				}
			}
			read = s + 1
		}
		res.EpochLoss = append(res.EpochLoss, lossSum/float64(spe))
		res.EpochErr = append(res.EpochErr, 100*(1-float64(correct)/float64(spe*r.Batch)))
		res.Steps = net.Steps
		if st != nil && epoch+1 < r.Epochs {
			part := res
			part.Wall += time.Since(t0).Seconds()
			part.Images += seen
			if err := st.SaveState(j.Key, net, part); err != nil {
				return failed("checkpoint: %v", err)
			}
		}
	}
	res.Wall += time.Since(t0).Seconds()
	res.Images += seen
	state, err := net.State()
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
