// Package evaluator measures trained networks on a dataset split: it rebuilds each
// network from its config and weights and attaches top-1 and top-5 error and loss
// to its record.
package evaluator

import (
	"fmt"
	"io"
	"math"
	"runtime/debug"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/ddstools/dds/formats"
	"github.com/ddstools/dds/formats/anynet"
	"github.com/ddstools/dds/train/data"
	"github.com/ddstools/dds/train/engine"
	"github.com/ddstools/dds/train/network"
	"github.com/ddstools/dds/train/safetensors"
)

// Metrics are the results on one split.
type Metrics struct {
	Images     int64
	Top1, Top5 float64 // error in percent: rows whose label is not the top (top 5) prediction
	Loss       float64 // mean cross-entropy (no label smoothing), natural log
}

// Evaluate runs the network arch with the given safetensors weights over set in
// batches of batch images on e, with BN in evaluation mode (running statistics).
// The last partial batch fills only its first rows; the outputs of the rest are
// ignored (evaluation mode treats every image independently).
func Evaluate(e engine.Engine, arch anynet.Net, weights []byte, set *data.Set, mean, std []float32, batch int) (m Metrics, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("internal error: %v\n%s", p, debug.Stack())
		}
	}()
	f, err := safetensors.Decode(weights)
	if err != nil {
		return m, fmt.Errorf("weights: %v", err)
	}
	net, err := network.New(e, arch, batch, false)
	if err != nil {
		return m, fmt.Errorf("build: %v", err)
	}
	if err := net.Load(f); err != nil {
		return m, err
	}
	c := arch.Classes
	images := e.UploadImages(set.Images, set.Labels, set.H, set.W, set.C)
	idx := make([]int32, set.Len())
	for i := range idx {
		idx[i] = int32(i)
	}
	logits, err := net.PredictAll(images, idx, mean, std)
	if err != nil {
		return m, err
	}
	var wrong1, wrong5 int64
	var loss float64
	for r := range set.Len() {
		row := logits[r*c : (r+1)*c]
		label := int(set.Labels[r])
		if label >= c {
			return m, fmt.Errorf("label %d of example %d is outside the network's %d classes", label, r, c)
		}
		above := 0 // logits ranked above the label's (ties count for the label)
		zmax := math.Inf(-1)
		for _, v := range row {
			if v > row[label] {
				above++
			}
			zmax = math.Max(zmax, float64(v))
		}
		if above >= 1 {
			wrong1++
		}
		if above >= 5 {
			wrong5++
		}
		var sum float64
		for _, v := range row {
			sum += math.Exp(float64(v) - zmax)
		}
		loss += zmax + math.Log(sum) - float64(row[label])
	}
	total := float64(set.Len())
	return Metrics{Images: int64(set.Len()), Top1: 100 * float64(wrong1) / total, Top5: 100 * float64(wrong5) / total, Loss: loss / total}, nil
}

// Options configures Run.
type Options struct {
	Data        string // dataset spec; "" means each record's recipe.data
	Split       string // "test" or "train"
	Subset      int    // evaluate on this many examples of the split (0: all)
	Batch       int
	DropWeights bool
	NewEngine   func() (engine.Engine, error)
	Prov        formats.Provenance
	Log         io.Writer // summary line; nil for none
	DeviceNote  string    // why the device is the CPU under --device auto; logged before the first model
	Progress    io.Writer // live progress line (a terminal); nil for none
	// OpenData loads a dataset spec; nil means data.Open. Run opens each spec once.
	OpenData func(spec string) (*data.Data, error)
}

// Run evaluates every record of a trained stream and writes it with the EvalFields
// added (and without the weights column with DropWeights). Records that were not
// trained successfully pass through with eval_status skipped; a record that cannot
// be evaluated gets eval_status failed and the reason. A dataset that cannot be
// loaded is an error when opt.Data names it, and otherwise (a record's own
// recipe.data) fails the records that use it.
func Run(rd *formats.Reader, w io.Writer, opt Options) error {
	md := formats.Derive(rd.Schema().Metadata(), formats.KindEvaluated, opt.Prov)
	schema := outSchema(rd.Schema(), &md, opt.DropWeights)
	out := formats.NewWriter(w, schema, nil)
	sets := data.NewCache(opt.OpenData)
	if opt.Data != "" {
		if _, err := sets.Get(opt.Data); err != nil {
			return err
		}
	}
	counts := map[string]int{}
	prog := newProgress(opt.Progress)
	defer prog.stop()
	for rd.Next() {
		rec := rd.Record()
		cfgs, _, err := formats.DecodeConfigRows(rec)
		if err != nil {
			return fmt.Errorf("input is not a trained stream: %v", err)
		}
		trained, err := formats.DecodeTrained(rec)
		if err != nil {
			return fmt.Errorf("input is not a trained stream: %v", err)
		}
		evals := make([]formats.Evaluated, len(cfgs))
		for i, c := range cfgs {
			ev := &evals[i]
			ev.Data, ev.Split = opt.Data, opt.Split
			if ev.Data == "" {
				ev.Data = trained[i].Recipe.Data
			}
			t := trained[i]
			if t.Status != formats.StatusOK || t.Weights == nil {
				ev.Status, ev.Error = formats.StatusSkipped, "not trained: status "+t.Status
				counts[ev.Status]++
				continue
			}
			d, dataErr := sets.Get(ev.Data)
			if opt.DeviceNote != "" && opt.Log != nil {
				fmt.Fprintf(opt.Log, "evaluate: on the CPU (%s)\n", opt.DeviceNote)
				opt.DeviceNote = ""
			}
			prog.start(c.ID)
			m, err := evaluate(c, t, d, dataErr, opt)
			prog.finished(err == nil)
			if err != nil {
				ev.Status, ev.Error = formats.StatusFailed, err.Error()
			} else {
				ev.Status, ev.Images, ev.Top1, ev.Top5, ev.Loss = formats.StatusOK, m.Images, m.Top1, m.Top5, m.Loss
			}
			counts[ev.Status]++
		}
		cols := formats.EvalColumns(nil, evals)
		res := formats.WithColumns(rec, formats.EvalFields, cols, &md)
		for _, c := range cols {
			c.Release()
		}
		if opt.DropWeights {
			res = dropWeights(res, schema)
		}
		err = out.Write(res)
		res.Release()
		if err != nil {
			return err
		}
	}
	if err := rd.Err(); err != nil {
		return err
	}
	if err := out.Close(); err != nil {
		return err
	}
	prog.stop()
	if opt.Log != nil {
		fmt.Fprintf(opt.Log, "evaluate: %d ok, %d skipped, %d failed\n", counts[formats.StatusOK], counts[formats.StatusSkipped], counts[formats.StatusFailed])
	}
	return nil
}

// evaluate measures one trained record on its dataset.
func evaluate(c formats.Config, t formats.Trained, d *data.Data, dataErr error, opt Options) (Metrics, error) {
	if dataErr != nil {
		return Metrics{}, fmt.Errorf("data: %v", dataErr)
	}
	if err := d.Fits(c.Net); err != nil {
		return Metrics{}, err
	}
	set := d.Test
	if opt.Split == "train" {
		set = d.Train
	}
	set = set.Subset(opt.Subset, 0)
	e, err := opt.NewEngine()
	if err != nil {
		return Metrics{}, fmt.Errorf("engine: %v", err)
	}
	defer e.Close()
	return Evaluate(e, c.Net, t.Weights, set, d.Mean, d.Std, min(opt.Batch, set.Len()))
}

// outSchema is the output schema: the input's with the EvalFields, without weights
// when drop is set.
func outSchema(in *arrow.Schema, md *arrow.Metadata, drop bool) *arrow.Schema {
	s := formats.WithFields(in, formats.EvalFields, md)
	if !drop {
		return s
	}
	var fields []arrow.Field
	for _, f := range s.Fields() {
		if f.Name != "weights" {
			fields = append(fields, f)
		}
	}
	return arrow.NewSchema(fields, md)
}

// dropWeights returns rec without its weights column, with the given schema.
func dropWeights(rec arrow.RecordBatch, schema *arrow.Schema) arrow.RecordBatch {
	var cols []arrow.Array
	for i, f := range rec.Schema().Fields() {
		if f.Name != "weights" {
			cols = append(cols, rec.Column(i))
		}
	}
	out := array.NewRecordBatch(schema, cols, rec.NumRows())
	rec.Release()
	return out
}
