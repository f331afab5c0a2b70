package formats

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
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
