package design

import (
	"bytes"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/ddstools/dds/formats"
	"github.com/ddstools/dds/sample/sampler"
)

// evaluated samples len(errs) configs of regnetx-mnist, applies mut to each, and
// returns them as an evaluated stream with test_error errs (written as given).
func evaluated(t *testing.T, errs []float64, mut func(i int, c *formats.Config)) []byte {
	t.Helper()
	space, err := formats.LookupSpace("regnetx-mnist")
	if err != nil {
		t.Fatal(err)
	}
	var cfgs bytes.Buffer
	if err := sampler.WriteStream(&cfgs, space, sampler.Options{N: len(errs), Seed: 1}, formats.Provenance{Producer: "test"}, nil); err != nil {
		t.Fatal(err)
	}
	rd, err := formats.NewReader(&cfgs, "configs", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Release()
	var cs []formats.Config
	for rd.Next() {
		got, err := formats.DecodeConfigs(rd.Record())
		if err != nil {
			t.Fatal(err)
		}
		cs = append(cs, got...)
	}
	for i := range cs {
		mut(i, &cs[i])
	}
	md := formats.Derive(rd.Schema().Metadata(), formats.KindEvaluated, formats.Provenance{Producer: "test"})
	schema := arrow.NewSchema(rd.Schema().Fields(), &md)
	rec := formats.ConfigRecord(memory.DefaultAllocator, schema, cs)
	defer rec.Release()
	b := array.NewFloat64Builder(memory.DefaultAllocator)
	defer b.Release()
	b.AppendValues(errs, nil)
	col := b.NewArray()
	defer col.Release()
	field := arrow.Field{Name: DefaultError, Type: arrow.PrimitiveTypes.Float64, Nullable: true}
	res := formats.WithColumns(rec, []arrow.Field{field}, []arrow.Array{col}, &md)
	defer res.Release()
	var out bytes.Buffer
	w := formats.NewWriter(&out, res.Schema(), nil)
	if err := w.Write(res); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// TestLoadRejectsImpossible: an error outside [0, 100], a non-positive complexity or
// an invalid network is refused with the record named; sane records load.
func TestLoadRejectsImpossible(t *testing.T) {
	keep := func(int, *formats.Config) {}
	cases := []struct {
		name string
		errs []float64
		mut  func(i int, c *formats.Config)
		want string // "" for loaded
	}{
		{"sane", []float64{0, 12.5, 100, 50}, keep, ""},
		{"negative error", []float64{10, 20, -5, 30}, keep, "record 2 (id "},
		{"error above 100", []float64{10, 120, 20, 30}, keep, "test_error 120 is not a percentage in [0, 100]"},
		{"zero flops", []float64{10, 20, 30, 40}, func(i int, c *formats.Config) {
			if i == 3 {
				c.Complexity.Flops = 0
			}
		}, "record 3 (id "},
		{"negative params", []float64{10, 20, 30, 40}, func(i int, c *formats.Config) {
			if i == 1 {
				c.Complexity.Params = -7
			}
		}, "params -7 must be positive"},
		{"invalid network", []float64{10, 20, 30, 40}, func(i int, c *formats.Config) {
			if i == 0 {
				c.Net.Classes = 1_000_000_000
			}
		}, "record 0 (id "},
	}
	for _, c := range cases {
		in := evaluated(t, c.errs, c.mut)
		rd, err := formats.NewReader(bytes.NewReader(in), "in", nil)
		if err != nil {
			t.Fatal(err)
		}
		s, err := Load(rd, DefaultError, nil)
		rd.Release()
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s: %v", c.name, err)
		case c.want == "" && len(s.Errs) != len(c.errs):
			t.Errorf("%s: %d models loaded", c.name, len(s.Errs))
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s: error %v, want one saying %q", c.name, err, c.want)
		}
	}
}
