// Command train trains every config of an Arrow config stream and writes one
// trained record per config: the config's columns, the recipe used, per-epoch
// training loss and error, timing, a status and the trained weights.
package main

import (
	"io"
	"os"

	"github.com/ddstools/dds/formats"
	"github.com/ddstools/dds/internal/cli"
	"github.com/ddstools/dds/internal/sysmem"
	"github.com/ddstools/dds/train/data"
	"github.com/ddstools/dds/train/device"
	"github.com/ddstools/dds/train/trainer"
)

const synopsis = `
usage: train [--data SPEC] [--epochs N] [--batch N] [--lr LR] [--wd WD] [--momentum M]
             [--nesterov=BOOL] [--warmup EPOCHS] [--warmup-factor F] [--label-smoothing E]
             [--augment auto|none|crop-flip|resized-crop-flip] [--train-subset N]
             [--precision fp32|bf16] [--concurrency N] [--max-memory SIZE] [--cache-dir DIR] [--skip-bad]
             [--checkpoint DIR] [--device auto|cpu|cuda|cuda:N] [-q] [-o FILE] [FILE|-]

Reads a config stream (from sample) and trains each config with SGD (momentum,
Nesterov, weight decay, cosine learning rate with optional linear warmup, label
smoothing) on the train split of --data, then writes it with the trained weights
(a safetensors state dict that loads into the PyTorch peer module) as one record per
config, in input order, each as soon as it is done. A config whose input carries a
"recipe" struct column uses that column's non-null fields instead of the flags.
A config that cannot be trained is written with status failed and the reason: an
invalid network or a size out of range (see the README's limits), a bad recipe, or a
model whose memory (network.Footprint: weights, activations, buffers and train images
on its engine) is more than --max-memory; one whose loss becomes NaN or infinite with
status diverged. With --checkpoint DIR a run that is killed and started again with
the same input and flags finishes the missing work and writes the same records
(timing columns aside).

--device auto trains on GPU 0 when the CUDA library (libdds_cuda.so, make cuda)
loads and sees a GPU, else on the CPU. --concurrency N trains N models at once (each
on its own engine: on a GPU its own stream, recorded step and memory); 0 chooses:
one per 4 cores on the CPU, on a GPU as many as fit in 90% of its free memory (at
most 16). --jobs is another name for --concurrency. --max-memory SIZE (K, M, G, T:
powers of 1024) is the budget of one model; by default 90% of the GPU's free memory,
or on the CPU half of the machine's physical memory. --precision bf16 stores
activations as bfloat16 (compute and master weights stay float32; on a GPU the GEMMs
run on tensor cores); the CPU engine emulates it exactly.

Data specs: mnist (the embedded default), mnist:DIR, cifar10:DIR,
cifar100:DIR[:coarse], imagefolder:DIR[:R] (DIR/train/CLASS/* and DIR/val/CLASS/*,
JPEG or PNG, decoded once into R×R centre crops, R = 224 by default, cached in
--cache-dir, default $XDG_CACHE_HOME/dds or ~/.cache/dds; --skip-bad leaves out
files that do not decode instead of failing), synthetic:HxWxC[:CLASSES[:NTRAIN[:NTEST]]].
--augment auto is crop-flip for CIFAR and image folders of R ≤ 32, resized-crop-flip
(ImageNet's random-resized crop and flip, on either device) for larger
image folders, none otherwise.
Example: sample --space regnetx-mnist -n 8 | train --epochs 1 | evaluate | show`

func main() { cli.Main("train", run) }

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := cli.NewFlags("train", synopsis, stderr)
	dest := formats.DestinationFlags(fs.FlagSet)
	devSpec := device.Flag(fs.FlagSet)
	dopt := data.Flags(fs.FlagSet)
	def := formats.DefaultRecipe()
	r := def
	fs.StringVar(&r.Data, "data", def.Data, "dataset spec")
	fs.IntIn(&r.Epochs, "epochs", def.Epochs, 1, formats.MaxEpochs, "training epochs")
	fs.IntIn(&r.Batch, "batch", def.Batch, 1, formats.MaxBatch, "batch size")
	lr := new(float64)
	fs.FloatIn(lr, "lr", 0, cli.In("[0, 10000]"), "peak learning rate (0: 0.1·batch/128)")
	fs.FloatIn(&r.WeightDecay, "wd", def.WeightDecay, cli.In("[0, 1]"), "weight decay")
	fs.FloatIn(&r.Momentum, "momentum", def.Momentum, cli.In("[0, 1)"), "SGD momentum")
	fs.BoolVar(&r.Nesterov, "nesterov", def.Nesterov, "Nesterov momentum")
	fs.FloatIn(&r.WarmupEpochs, "warmup", def.WarmupEpochs, cli.In("[0, 10000]"), "linear warmup length in epochs")
	fs.FloatIn(&r.WarmupFactor, "warmup-factor", def.WarmupFactor, cli.In("(0, 1]"), "learning rate multiplier at the start of warmup")
	fs.FloatIn(&r.Smoothing, "label-smoothing", def.Smoothing, cli.In("[0, 1)"), "label smoothing")
	fs.StringVar(&r.Augment, "augment", def.Augment, "augmentation: auto, none, crop-flip or resized-crop-flip")
	fs.IntIn(&r.TrainSubset, "train-subset", 0, 0, formats.MaxSubset, "train on this many examples of the train split (0: all), the same for every model")
	fs.StringVar(&r.Precision, "precision", def.Precision, "activation storage: fp32 or bf16")
	jobs := new(int)
	fs.IntIn(jobs, "concurrency", 0, 0, 1024, "models trained at once (0: chosen from the cores or the GPU's free memory)")
	fs.IntIn(jobs, "jobs", 0, 0, 1024, "the same as --concurrency")
	var maxMem int64
	fs.BytesVar(&maxMem, "max-memory", "memory budget of one model, e.g. 8G (default: 90% of the GPU's free memory, or half the machine's memory on the CPU)")
	ckpt := fs.String("checkpoint", "", "checkpoint directory: resume a killed run")
	quiet := fs.Bool("q", false, "no summary line on stderr")
	file, err := fs.ParseFile(args)
	if err != nil {
		return err
	}
	r.LR = *lr
	if r.LR == 0 {
		r.LR = formats.BaseLR * float64(r.Batch) / formats.BaseBatch
	}
	if err := r.Validate(); err != nil {
		return cli.Usagef("%v", err)
	}
	if *jobs < 0 {
		return cli.Usagef("--concurrency must not be negative")
	}
	dev, err := device.OpenFlag(*devSpec)
	if err != nil {
		return err
	}
	budgetWhy := "--max-memory"
	if maxMem == 0 {
		maxMem, budgetWhy = trainer.DefaultMaxMemory(dev.FreeMemory, sysmem.Total)
	}
	opt := trainer.Options{Defaults: r, Jobs: *jobs, MaxMemory: maxMem, MaxMemoryNote: budgetWhy, Device: dev.Name, NewEngine: dev.NewEngine, FreeMemory: dev.FreeMemory,
		Prov: formats.Provenance{Producer: "train", Args: cli.Recorded(args, "o", "jobs", "concurrency", "q", "checkpoint", "cache-dir")}}
	if !*quiet {
		dopt.Log = stderr
	}
	opt.OpenData = dopt.Opener()
	if f, ok := stderr.(*os.File); ok && formats.IsTerminal(f) {
		opt.Progress = stderr
	}
	if !*quiet {
		opt.Log = stderr
		opt.DeviceNote = dev.Note
	}
	if *ckpt != "" {
		if opt.Store, err = trainer.OpenStore(*ckpt); err != nil {
			return err
		}
	}
	return dest.Filter(file, stdin, stdout, func(rd *formats.Reader, w io.Writer) error {
		return trainer.Run(rd, w, opt)
	})
}
