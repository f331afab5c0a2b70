// Package designtest builds evaluated streams with planted errors for the tests of
// the analysis programs: configs sampled from a space, each with a test_error that a
// given function of its architecture decides.
package designtest

import (
	"bytes"
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
	field := formats.EvalFields[5] // test_error
	var out bytes.Buffer
	w := formats.NewWriter(&out, formats.WithFields(rd.Schema(), []arrow.Field{field}, &md), nil)
	for rd.Next() {
		rec := rd.Record()
		cs, err := formats.DecodeConfigs(rec)
		if err != nil {
			t.Fatal(err)
		}
		b := array.NewFloat64Builder(memory.DefaultAllocator)
		for _, c := range cs {
			if e := errFn(c); e < 0 {
				b.AppendNull()
			} else {
				b.Append(e)
			}
		}
		col := b.NewArray()
		res := formats.WithColumns(rec, []arrow.Field{field}, []arrow.Array{col}, &md)
		if err := w.Write(res); err != nil {
			t.Fatal(err)
		}
		res.Release()
		col.Release()
		b.Release()
	}
	if err := rd.Err(); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}
