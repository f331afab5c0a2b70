package trainer

import (
	"fmt"
	"runtime"

	"github.com/ddstools/dds/formats"
	"github.com/ddstools/dds/train/engine"
	"github.com/ddstools/dds/train/network"
)

// maxGPUConcurrency bounds the automatic number of models trained at once on a GPU.
const maxGPUConcurrency = 16

// memoryShare is the fraction of a GPU's free memory the automatic concurrency plans
// to fill, leaving the rest for the CUDA runtime and other processes.
const memoryShare = 0.9

// AutoConcurrency returns how many models to train at once when the user did not
// say, and why. On the CPU (no opt.FreeMemory, or it reports none) it is one model
// per 4 cores, since the kernels use every core. On a GPU it is
// floor(memoryShare · free / largest footprint), between 1 and min(models,
// maxGPUConcurrency), where a model's footprint is its network (network.Footprint on
// an engine of the device), its per-step buffers, its copy of the train images and
// the engine's own allocations (measured on a fresh engine).
func AutoConcurrency(items []*item, opt Options) (int, string, error) {
	cpu := func() (int, string, error) {
		n := max(1, runtime.GOMAXPROCS(0)/4)
		return n, fmt.Sprintf("one per 4 of %d cores", runtime.GOMAXPROCS(0)), nil
	}
	if opt.FreeMemory == nil {
		return cpu()
	}
	free, ok, err := opt.FreeMemory()
	if err != nil {
		return 0, "", fmt.Errorf("free device memory: %v", err)
	}
	if !ok {
		return cpu()
	}
	engines := map[engine.Precision]engine.Engine{} // one per precision the models use, for their sizes
	defer func() {
		for _, e := range engines {
			e.Close()
		}
	}()
	var largest int64
	models := 0
	for _, it := range items {
		if it.bad != "" {
			continue
		}
		models++
		prec, err := engine.ParsePrecision(it.job.Recipe.Precision)
		if err != nil {
			continue // Train reports it as the model's failure
		}
		e := engines[prec]
		if e == nil {
			if e, err = opt.NewEngine(prec); err != nil {
				return 0, "", err
			}
			engines[prec] = e
		}
		fp, err := footprint(it, e.MemUsed(), e)
		if err != nil {
			continue
		}
		largest = max(largest, fp)
	}
	limit := min(max(models, 1), maxGPUConcurrency)
	if largest == 0 {
		return limit, "no model to size", nil
	}
	n := min(max(int(memoryShare*float64(free)/float64(largest)), 1), limit)
	return n, fmt.Sprintf("the largest model needs %s of %s free, at most %d", mib(largest), mib(free), limit), nil
}

// footprint is the device memory one item needs on an engine of the device whose
// fresh engines allocate base bytes.
func footprint(it *item, base int64, e engine.Engine) (int64, error) {
	r := it.job.Recipe
	net, err := network.Footprint(e, it.job.Arch, r.Batch, true)
	if err != nil {
		return 0, err
	}
	set := it.data.Train.Subset(r.TrainSubset, 0)
	steps := int64(set.Len() / max(r.Batch, 1))
	perStep := int64(r.Batch)*4 + 4 + 3*4 // indices, learning rate, statistics
	switch r.Augment {
	case formats.AugmentCropFlip:
		perStep += 3 * 4 * int64(r.Batch)
	case formats.AugmentResizedCrop:
		perStep += 5 * 4 * int64(r.Batch)
	}
	images := int64(set.Len()) * int64(set.H*set.W*set.C+4)
	return base + net + steps*perStep + images, nil
}

func mib(b int64) string { return fmt.Sprintf("%.0f MiB", float64(b)/(1<<20)) }
