package trainer

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/ddstools/dds/formats"
	"github.com/ddstools/dds/internal/cli"
	"github.com/ddstools/dds/train/data"
	"github.com/ddstools/dds/train/engine"
)

// Options configures Run.
type Options struct {
	Defaults formats.Recipe // the recipe of configs that carry none (from flags)
	Jobs     int            // models trained at once (0: chosen by AutoConcurrency)
	// FreeMemory reports the device's free memory (ok false on the CPU); it bounds
	// the automatic concurrency. nil is the CPU.
	FreeMemory func() (free int64, ok bool, err error)
	Store      *Store                                        // checkpoints; nil for none
	Device     string                                        // recorded in each record
	DeviceNote string                                        // why the device is the CPU under --device auto; logged once the input is read
	NewEngine  func(engine.Precision) (engine.Engine, error) // an engine storing activations in a precision
	Prov       formats.Provenance
	Progress   io.Writer // live progress line (a terminal); nil for none
	Log        io.Writer // one summary line at the end; nil for none
	// OpenData loads a dataset spec; nil means data.Open. Run opens each spec once.
	OpenData func(spec string) (*data.Data, error)
	// MaxMemory is the memory budget of one model in bytes: a model whose footprint
	// (see footprint: its network by network.Footprint, per-step buffers and train
	// images on its engine) is larger is written as failed, naming both numbers,
	// without being built. 0 is no budget.
	MaxMemory     int64
	MaxMemoryNote string // how MaxMemory was chosen, for the log
}

// item is one input row and what will be trained for it.
type item struct {
	rec   arrow.RecordBatch
	row   int // in rec
	index int // in the whole input
	cfg   formats.Config
	job   Job
	bad   string // why the row cannot be trained, "" when it can
	data  *data.Data
}

// Run trains every config of rd and writes one trained record per config to w, in
// input order, each as soon as it and all before it are done. Every input column
// passes through; the TrainedFields are added (replacing a "recipe" column, whose
// non-null fields override opt.Defaults for that row). Up to opt.Jobs models train
// at once. A config that cannot be trained becomes a record with status failed;
// an unreadable default dataset, an input that is not a config stream or a failed
// write is an error, and then the end-of-stream marker is not written. Run returns
// only when all its goroutines have: on an error the models still training stop
// before their next step (what they saved to the store stays for a later run), and
// no model is trained, logged or stored after Run has returned.
func Run(rd *formats.Reader, w io.Writer, opt Options) error {
	var items []*item
	for rd.Next() {
		rec := rd.Record()
		cfgs, invalid, err := formats.DecodeConfigRows(rec)
		if err != nil {
			return fmt.Errorf("input is not a config stream: %v", err)
		}
		recipes, err := formats.RecipeOverrides(rec, opt.Defaults)
		if err != nil {
			return err
		}
		rec.Retain()
		defer rec.Release()
		for i, c := range cfgs {
			it := &item{rec: rec, row: i, index: len(items), cfg: c}
			it.job = Job{Arch: c.Net, Seed: uint64(c.Seed), Recipe: ResolveAugment(recipes[i])}
			it.job.Key = JobKey(c.ID, c.Index, it.job.Seed, it.job.Recipe)
			if invalid[i] != nil {
				it.bad = "config: " + invalid[i].Error()
			} else if err := it.job.Recipe.Validate(); err != nil {
				it.bad = "recipe: " + err.Error()
			}
			items = append(items, it)
		}
	}
	if err := rd.Err(); err != nil {
		return err
	}
	if err := openData(items, opt); err != nil {
		return err
	}
	if opt.DeviceNote != "" {
		opt.logf("train: on the CPU (%s)\n", opt.DeviceNote)
	}
	if opt.Jobs <= 0 {
		jobs, why, err := AutoConcurrency(items, opt)
		if err != nil {
			return err
		}
		opt.Jobs = jobs
		what := "models"
		if jobs == 1 {
			what = "model"
		}
		opt.logf("train: %d %s at once (%s)\n", jobs, what, why)
	}
	if opt.MaxMemory > 0 {
		opt.logf("train: memory budget of one model %s (%s)\n", cli.FormatBytes(opt.MaxMemory), opt.MaxMemoryNote)
	}
	md := formats.Derive(rd.Schema().Metadata(), formats.KindTrained, opt.Prov)
	schema := formats.WithFields(rd.Schema(), formats.TrainedFields, &md)
	out := formats.NewWriter(w, schema, nil)

	results := make([]chan formats.Trained, len(items))
	for i := range results {
		results[i] = make(chan formats.Trained, 1)
	}
	prog := newProgress(opt.Progress, len(items))
	defer prog.stop()
	opt.Log = prog.logTo(opt.Log)
	queue := make(chan int)
	quit := make(chan struct{})
	// On every return the feeder stops handing out models, the running ones stop
	// before their next step, and Run waits for all of them: nothing trains, logs or
	// touches the store once Run has returned.
	var workers sync.WaitGroup
	defer func() {
		close(quit)
		workers.Wait()
	}()
	// Models train under gate's read lock. One that runs out of device memory beside
	// others is trained again under the write lock, alone (from its last checkpoint
	// when there is a store).
	var gate sync.RWMutex
	for range opt.Jobs {
		workers.Go(func() {
			for i := range queue {
				select {
				case <-quit:
					return // the feeder stops too; no result is read any more
				default:
				}
				gate.RLock()
				t, oom := trainItem(items[i], opt, prog, quit)
				gate.RUnlock()
				if oom && opt.Jobs > 1 {
					opt.logf("train: %s (input row %d) ran out of device memory beside other models; training it alone\n", items[i].cfg.ID, i)
					gate.Lock()
					t, _ = trainItem(items[i], opt, prog, quit)
					gate.Unlock()
				}
				results[i] <- t
			}
		})
	}
	workers.Go(func() {
		defer close(queue)
		for i := range items {
			select {
			case queue <- i:
			case <-quit:
				return
			}
		}
	})
	counts := map[string]int{}
	start := time.Now()
	for i, it := range items {
		t := <-results[i]
		counts[t.Status]++
		cols := formats.TrainedColumns(nil, []formats.Trained{t})
		row := it.rec.NewSlice(int64(it.row), int64(it.row+1))
		rec := formats.WithColumns(row, formats.TrainedFields, cols, &md)
		err := out.Write(rec)
		rec.Release()
		row.Release()
		for _, c := range cols {
			c.Release()
		}
		if err == nil {
			err = flush(w)
		}
		if err != nil {
			return err
		}
	}
	if err := out.Close(); err != nil {
		return err
	}
	prog.stop()
	if opt.Log != nil {
		fmt.Fprintf(opt.Log, "train: %d models in %s: %d ok, %d diverged, %d failed\n", len(items),
			time.Since(start).Round(time.Second), counts[formats.StatusOK], counts[formats.StatusDiverged], counts[formats.StatusFailed])
	}
	return nil
}

// flush pushes a buffered writer's data out, so each record reaches the reader
// as soon as it is written.
func flush(w io.Writer) error {
	if f, ok := w.(interface{ Flush() error }); ok {
		return f.Flush()
	}
	return nil
}

// logf writes a log line unless the options have no log.
func (opt Options) logf(format string, a ...any) {
	if opt.Log != nil {
		fmt.Fprintf(opt.Log, format, a...)
	}
}

// ResolveAugment replaces augment "auto" by crop-flip for CIFAR-10 and CIFAR-100
// data and for image folders cached at 32×32 or less, by resized-crop-flip for
// larger image folders, and by none for everything else.
func ResolveAugment(r formats.Recipe) formats.Recipe {
	if r.Augment != formats.AugmentAuto {
		return r
	}
	r.Augment = formats.AugmentNone
	kind, arg, _ := strings.Cut(r.Data, ":")
	switch kind {
	case "cifar10", "cifar100":
		r.Augment = formats.AugmentCropFlip
	case "imagefolder":
		r.Augment = formats.AugmentCropFlip
		if _, res, err := data.ParseImageFolder(arg); err == nil && res > maxCropFlipRes {
			r.Augment = formats.AugmentResizedCrop
		}
	}
	return r
}

// maxCropFlipRes is the largest image-folder resolution whose "auto" augmentation
// is CIFAR's crop-flip rather than ImageNet's random-resized crop.
const maxCropFlipRes = 32

// openData gives every item the dataset it names, opened once each through one
// data.Cache. The default dataset failing to load is an error; one named by a row's
// recipe fails only those rows.
func openData(items []*item, opt Options) error {
	sets := data.NewCache(opt.OpenData)
	for _, it := range items {
		if it.bad != "" {
			continue
		}
		spec := it.job.Recipe.Data
		d, err := sets.Get(spec)
		if err != nil && spec == opt.Defaults.Data {
			return err
		}
		if err != nil {
			it.bad = "data: " + err.Error()
			continue
		}
		it.data = d
	}
	return nil
}

// trainItem runs one item, or takes its finished result from the store; oom reports
// that it failed because the engine's memory ran out. Its training stops before the
// next step once stop is closed.
func trainItem(it *item, opt Options, prog *progress, stop <-chan struct{}) (_ formats.Trained, oom bool) {
	t := formats.Trained{Recipe: it.job.Recipe, Device: opt.Device}
	counted := false // the progress line counts the model done
	defer func() {
		if !counted {
			prog.finished()
		}
	}()
	var res Result
	switch {
	case it.bad != "":
		res = failed("%s", it.bad)
	default:
		if opt.Store != nil {
			done, err := opt.Store.LoadDone(it.job.Key)
			if err != nil {
				res = failed("checkpoint: %v", err)
				break
			}
			if done != nil {
				res = *done
				opt.logf("train: %s (input row %d) is already trained in the checkpoint directory\n", it.cfg.ID, it.index)
				break
			}
		}
		prec, _ := engine.ParsePrecision(it.job.Recipe.Precision) // validated with the recipe
		e, err := opt.NewEngine(prec)
		if err != nil {
			res = failed("engine: %v", err)
			break
		}
		if err := checkBudget(it, e, opt.MaxMemory); err != nil {
			e.Close()
			res = failed("%v", err)
			break
		}
		slot := prog.start(it.cfg.ID)
		res = trainUntil(e, it.data, it.job, opt.Store, slot.update, stop)
		res.MemBytes = e.MemUsed()
		// Done unless it is trained again alone (Run's retry after running out of
		// memory beside others), which counts it then.
		prog.end(slot, !(res.OutOfMemory && opt.Jobs > 1))
		counted = true
		e.Close()
		if res.Resumed > 0 {
			opt.logf("train: %s (input row %d) resumed from its checkpoint after epoch %d of %d\n", it.cfg.ID, it.index, res.Resumed, it.job.Recipe.Epochs)
		}
		if opt.Store != nil && res.Status != formats.StatusFailed {
			if err := opt.Store.SaveDone(it.job.Key, res); err != nil {
				res = failed("checkpoint: %v", err)
			}
		}
	}
	t.Status, t.Error = res.Status, res.Error
	t.EpochLoss, t.EpochErr = nonNil(res.EpochLoss), nonNil(res.EpochErr)
	t.Steps, t.Wall, t.Weights = res.Steps, res.Wall, res.Weights
	t.MemBytes, t.StepBytes = res.MemBytes, res.StepBytes
	if it.data != nil {
		t.ClassNames = it.data.ClassNames
	}
	if res.Wall > 0 {
		t.ImgPerSec = float64(res.Images) / res.Wall
	}
	return t, res.OutOfMemory
}

func nonNil(v []float64) []float64 {
	if v == nil {
		return []float64{}
	}
	return v
}
