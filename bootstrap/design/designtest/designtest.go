// Package designtest builds evaluated streams with planted errors for the tests of
// the analysis programs: configs sampled from a space, each with a test_error that a
// given function of its architecture decides. Used by the tests of bootstrap/design,
// bootstrap, refine, refine/refiner, compare and report.
package designtest

import (
	"bytes"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/ddstools/dds/formats"
	"github.com/ddstools/dds/sample/sampler"
)

// Stream samples n configs from space with seed and returns them as an evaluated
// stream whose test_error column is errFn(config) (NaN written as NaN; a negative
// value written as null, like a record that was not evaluated).
func Stream(t testing.TB, space *formats.Space, n int, seed uint64, errFn func(formats.Config) float64) []byte {
	t.Helper()
	field := formats.EvalFields[5] // test_error
	return write(t, space, n, seed, []arrow.Field{field}, nil, func(_ int, cs []formats.Config) []arrow.Array {
		b := array.NewFloat64Builder(memory.DefaultAllocator)
		defer b.Release()
		for _, c := range cs {
			if e := errFn(c); e < 0 {
				b.AppendNull()
			} else {
				b.Append(e)
			}
		}
		return []arrow.Array{b.NewArray()}
	})
}

// Evaluated is Stream with every column train and evaluate write: a model whose
// planted error is e gets a training run of epochs epochs whose loss falls as
// 0.02·e + 2·exp(−k) and whose training error as e + 40·exp(−k) at epoch k = 1..,
// a wall time growing with its flops, and test top-1 error e (top-5 error e/3, test
// loss 0.02·e). A negative e makes a record that failed training (null metrics).
func Evaluated(t testing.TB, space *formats.Space, n int, seed uint64, epochs int, errFn func(formats.Config) float64) []byte {
	t.Helper()
	fields := append(append([]arrow.Field(nil), formats.TrainedFields...), formats.EvalFields...)
	return write(t, space, n, seed, fields, nil, func(_ int, cs []formats.Config) []arrow.Array {
		ts := make([]formats.Trained, len(cs))
		es := make([]formats.Evaluated, len(cs))
		for i, c := range cs {
			e := errFn(c)
			tr := formats.Trained{Recipe: formats.Recipe{Epochs: epochs, Batch: 128, LR: 0.1, Data: "synthetic"}, Device: "cpu", Status: "ok"}
			ev := formats.Evaluated{Data: "synthetic", Split: "test", Status: "ok", Images: 1000, Top1: e, Top5: e / 3, Loss: 0.02 * e}
			if e < 0 {
				tr.Status, tr.Error = "failed", "planted failure"
				ev.Status, ev.Error = "skipped", "not trained"
			} else {
				for k := 1; k <= epochs; k++ {
					tr.EpochLoss = append(tr.EpochLoss, 0.02*e+2*math.Exp(-float64(k)))
					tr.EpochErr = append(tr.EpochErr, e+40*math.Exp(-float64(k)))
				}
				tr.Steps = int64(epochs * 100)
				tr.Wall = float64(epochs) * (1 + float64(c.Complexity.Flops)/1e6)
				tr.ImgPerSec = 12800 * float64(epochs) / tr.Wall
			}
			ts[i], es[i] = tr, ev
		}
		return append(formats.TrainedColumns(nil, ts), formats.EvalColumns(nil, es)...)
	})
}

// Mutated samples len(errs) configs from space with seed, lets mut change each one
// (given its position in the stream), and returns them as an evaluated stream whose
// test_error column is errs written as given, negative and out-of-range values
// included: records the analysis must refuse.
func Mutated(t testing.TB, space *formats.Space, seed uint64, errs []float64, mut func(i int, c *formats.Config)) []byte {
	t.Helper()
	field := formats.EvalFields[5] // test_error
	return write(t, space, len(errs), seed, []arrow.Field{field}, mut, func(first int, cs []formats.Config) []arrow.Array {
		b := array.NewFloat64Builder(memory.DefaultAllocator)
		defer b.Release()
		b.AppendValues(errs[first:first+len(cs)], nil)
		return []arrow.Array{b.NewArray()}
	})
}

// PlantedSpace is an AnyNet space (anynetx-a-mnist, unbounded flops) whose models
// always share b = 1, often share their group width (g ∈ {8, 16}) and have 1 or 2
// blocks per stage: enough models satisfy shared_g and nondecreasing_w, and every
// one satisfies shared_b.
func PlantedSpace() *formats.Space {
	s, err := formats.LookupSpace("anynetx-a-mnist")
	if err != nil {
		panic(err)
	}
	s.Name = "planted"
	s.Flops = formats.Bounds{}
	for i := range s.Vars {
		v := &s.Vars[i]
		switch v.Name[0] {
		case 'g':
			v.Choices, v.Lo, v.Hi = []float64{8, 16}, 8, 16
		case 'b':
			v.Choices, v.Lo, v.Hi = []float64{1}, 1, 1
		case 'd':
			v.Lo, v.Hi = 1, 2
		case 'w':
			v.Lo, v.Hi = 16, 128
		}
	}
	return s
}

// PlantedError is the error of a model of PlantedSpace: 20, less 3 points when its
// stages share the group width, plus 4 when its widths do not decrease, plus unit
// normal noise seeded by the config's seed.
func PlantedError(c formats.Config) float64 {
	r := rand.New(rand.NewPCG(uint64(c.Seed), 2))
	e := 20 + r.NormFloat64()
	st := c.Net.Stages
	shared, nondec := true, true
	for i := 1; i < len(st); i++ {
		shared = shared && st[i].G == st[0].G
		nondec = nondec && st[i].W >= st[i-1].W
	}
	if shared {
		e -= 3
	}
	if nondec {
		e += 4
	}
	return e
}

// write samples the configs, lets mut (when not nil) change each one and encodes
// them again, and adds to each record the columns of fields that cols returns for
// its configs (first: the position of the record's first config in the stream).
func write(t testing.TB, space *formats.Space, n int, seed uint64, fields []arrow.Field, mut func(i int, c *formats.Config), cols func(first int, cs []formats.Config) []arrow.Array) []byte {
	t.Helper()
	var cfgs bytes.Buffer
	if err := sampler.WriteStream(&cfgs, space, sampler.Options{N: n, Seed: seed}, formats.Provenance{Producer: "test"}, nil); err != nil {
		t.Fatal(err)
	}
	rd, err := formats.NewReader(&cfgs, "configs", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Release()
	md := formats.Derive(rd.Schema().Metadata(), formats.KindEvaluated, formats.Provenance{Producer: "test"})
	var out bytes.Buffer
	w := formats.NewWriter(&out, formats.WithFields(rd.Schema(), fields, &md), nil)
	first := 0
	for rd.Next() {
		rec := rd.Record()
		cs, err := formats.DecodeConfigs(rec)
		if err != nil {
			t.Fatal(err)
		}
		if mut != nil {
			for i := range cs {
				mut(first+i, &cs[i])
			}
			rec = formats.ConfigRecord(memory.DefaultAllocator, rec.Schema(), cs)
			defer rec.Release()
		}
		arrs := cols(first, cs)
		res := formats.WithColumns(rec, fields, arrs, &md)
		if err := w.Write(res); err != nil {
			t.Fatal(err)
		}
		res.Release()
		for _, a := range arrs {
			a.Release()
		}
		first += len(cs)
	}
	if err := rd.Err(); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}
