package formats

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// WithColumns returns rec with the given columns set: a column whose name rec already
// has replaces it in place, the others are appended in order. Every other column of
// rec passes through untouched, so a program that adds results never drops what it
// does not know. The schema metadata is md when non-nil, rec's otherwise. The caller
// releases the result; rec and cols keep their own references.
func WithColumns(rec arrow.RecordBatch, fields []arrow.Field, cols []arrow.Array, md *arrow.Metadata) arrow.RecordBatch {
	schema := WithFields(rec.Schema(), fields, md)
	outC := append([]arrow.Array(nil), rec.Columns()...)
	for i, f := range fields {
		if idx := rec.Schema().FieldIndices(f.Name); len(idx) > 0 {
			outC[idx[0]] = cols[i]
			continue
		}
		outC = append(outC, cols[i])
	}
	return array.NewRecordBatch(schema, outC, rec.NumRows())
}

// WithFields is the schema WithColumns gives: s's fields with those of the same name
// replaced in place and the others appended, and metadata md (s's when nil).
func WithFields(s *arrow.Schema, fields []arrow.Field, md *arrow.Metadata) *arrow.Schema {
	outF := append([]arrow.Field(nil), s.Fields()...)
	for _, f := range fields {
		if idx := s.FieldIndices(f.Name); len(idx) > 0 {
			outF[idx[0]] = f
			continue
		}
		outF = append(outF, f)
	}
	meta := s.Metadata()
	if md != nil {
		meta = *md
	}
	return arrow.NewSchema(outF, &meta)
}

// buildColumns returns the arrays that fill appends to builders of fields; the
// caller releases them.
func buildColumns(mem memory.Allocator, fields []arrow.Field, fill func(f []array.Builder)) []arrow.Array {
	if mem == nil {
		mem = memory.DefaultAllocator
	}
	b := array.NewRecordBuilder(mem, arrow.NewSchema(fields, nil))
	defer b.Release()
	fill(b.Fields())
	rec := b.NewRecordBatch()
	defer rec.Release()
	cols := rec.Columns()
	for _, c := range cols {
		c.Retain()
	}
	return cols
}

func appendString(b *array.StringBuilder, s string) {
	if s == "" {
		b.AppendNull()
		return
	}
	b.Append(s)
}

func appendFloats(b *array.ListBuilder, v []float64) {
	b.Append(true)
	vb := b.ValueBuilder().(*array.Float64Builder)
	vb.AppendValues(v, nil)
}

func appendLast(b *array.Float64Builder, v []float64) {
	if len(v) == 0 {
		b.AppendNull()
		return
	}
	b.Append(v[len(v)-1])
}
