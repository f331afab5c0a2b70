// Command evaluate measures the trained networks of a trained stream on a dataset
// split and attaches top-1 and top-5 error and loss to each record.
package main

import (
	"io"
	"os"

	"github.com/ddstools/dds/evaluate/evaluator"
	"github.com/ddstools/dds/formats"
	"github.com/ddstools/dds/internal/cli"
	"github.com/ddstools/dds/train/data"
	"github.com/ddstools/dds/train/device"
	"github.com/ddstools/dds/train/engine"
)

const synopsis = `
usage: evaluate [--data SPEC] [--split test|train] [--subset N] [--batch N]
                [--drop-weights] [--device auto|cpu|cuda|cuda:N] [--cache-dir DIR] [--skip-bad]
                [-q] [-o FILE] [FILE|-]

Reads a trained stream (from train), rebuilds each network from its config and
weights, and writes every record with its evaluation on the split added:
test_error and test_top5_error (percent of images whose label is not the top,
top-5, prediction), test_loss (mean cross-entropy), eval_data, eval_split,
eval_images, eval_status (ok, skipped for records not trained, failed) and
eval_error. Everything else passes through. The dataset is each record's own
(recipe.data) unless --data names one. Image folders are read from their cache
(--cache-dir, as in train) and evaluated on their cached centre crops.
Example: train ... | evaluate --drop-weights | show -c id,flops,test_error`

func main() { cli.Main("evaluate", run) }

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := cli.NewFlags("evaluate", synopsis, stderr)
	dest := formats.DestinationFlags(fs.FlagSet)
	devSpec := device.Flag(fs.FlagSet)
	dopt := data.Flags(fs.FlagSet)
	dataSpec := fs.String("data", "", "dataset spec (default: the one each model trained on)")
	split := fs.String("split", "test", "split to evaluate: test or train")
	subset := new(int)
	fs.IntIn(subset, "subset", 0, 0, formats.MaxSubset, "evaluate on this many examples of the split (0: all)")
	batch := new(int)
	fs.IntIn(batch, "batch", 250, 1, formats.MaxBatch, "images per forward pass")
	drop := fs.Bool("drop-weights", false, "leave the weights column out of the output")
	quiet := fs.Bool("q", false, "no summary line on stderr")
	file, err := fs.ParseFile(args)
	if err != nil {
		return err
	}
	switch {
	case *split != "test" && *split != "train":
		return cli.Usagef("--split %q: want test or train", *split)
	case *subset < 0:
		return cli.Usagef("--subset must not be negative")
	case *batch < 1:
		return cli.Usagef("--batch must be positive")
	}
	dev, err := device.OpenFlag(*devSpec)
	if err != nil {
		return err
	}
	opt := evaluator.Options{Data: *dataSpec, Split: *split, Subset: *subset, Batch: *batch, DropWeights: *drop,
		NewEngine: func() (engine.Engine, error) { return dev.NewEngine(engine.FP32) }, Prov: formats.Provenance{Producer: "evaluate", Args: cli.Recorded(args, "o", "q", "cache-dir")}}
	if !*quiet {
		opt.Log = stderr
		dopt.Log = stderr
		opt.DeviceNote = dev.Note
		if f, ok := stderr.(*os.File); ok && formats.IsTerminal(f) {
			opt.Progress = stderr
		}
	}
	opt.OpenData = dopt.Opener()
	return dest.Filter(file, stdin, stdout, func(rd *formats.Reader, w io.Writer) error {
		return evaluator.Run(rd, w, opt)
	})
}
