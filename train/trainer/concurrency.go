package trainer

import (
	"fmt"
	"runtime"

	"github.com/ddstools/dds/formats"
	"github.com/ddstools/dds/internal/cli"
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
		if err != nil || (opt.MaxMemory > 0 && fp > opt.MaxMemory) {
			continue // fails without being built
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

// checkBudget reports a model whose footprint on e is more than budget bytes (none
// when budget is 0), with both sizes.
func checkBudget(it *item, e engine.Engine, budget int64) error {
	if budget <= 0 {
		return nil
	}
	fp, err := footprint(it, e.MemUsed(), e)
	if err != nil {
		return fmt.Errorf("build: %v", err)
	}
	if fp > budget {
		return fmt.Errorf("needs %s (%d bytes) of memory, more than the budget of %s (%d bytes; train --max-memory)", cli.FormatBytes(fp), fp, cli.FormatBytes(budget), budget)
	}
	return nil
}

// Shares of memory the default budget of one model (DefaultMaxMemory) takes.
const (
	HostMemoryShare = 0.5 // of the machine's physical memory, for the CPU engine
	GPUMemoryShare  = 0.9 // of the GPU's free memory when train starts
)

// DefaultMaxMemory returns the memory budget of one model when --max-memory is not
// given, and how it was chosen: GPUMemoryShare of the device's free memory when free
// reports one (a GPU), else HostMemoryShare of the machine's physical memory (total),
// else no budget (0).
func DefaultMaxMemory(free func() (int64, bool, error), total func() (int64, error)) (int64, string) {
	if free != nil {
		if f, ok, err := free(); err == nil && ok && f > 0 {
			return int64(GPUMemoryShare * float64(f)), fmt.Sprintf("%.0f%% of the GPU's %s free", 100*GPUMemoryShare, mib(f))
		}
	}
	if t, err := total(); err == nil && t > 0 {
		return int64(HostMemoryShare * float64(t)), fmt.Sprintf("%.0f%% of the machine's %s", 100*HostMemoryShare, mib(t))
	}
	return 0, "none: the machine's memory is unknown"
}

func mib(b int64) string { return fmt.Sprintf("%.0f MiB", float64(b)/(1<<20)) }
