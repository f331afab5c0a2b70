package formats

import (
	"fmt"
	"slices"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// SpaceFields are the columns of a space stream. A space is written one row per
// parameter, so that it reads as a table (param, dist, lo, hi, median, n) in any Arrow
// tool; the space-level columns repeat on each row of that space. Null complexity
// bounds are unbounded.
var SpaceFields = []arrow.Field{
	{Name: "space", Type: arrow.BinaryTypes.String},
	{Name: "param", Type: arrow.BinaryTypes.String},
	{Name: "dist", Type: arrow.BinaryTypes.String},
	{Name: "lo", Type: arrow.PrimitiveTypes.Float64},
	{Name: "hi", Type: arrow.PrimitiveTypes.Float64},
	{Name: "quantum", Type: arrow.PrimitiveTypes.Float64},
	{Name: "choices", Type: arrow.ListOf(arrow.PrimitiveTypes.Float64), Nullable: true},
	{Name: "median", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "n", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "family", Type: arrow.BinaryTypes.String},
	{Name: "res", Type: arrow.PrimitiveTypes.Int32},
	{Name: "channels", Type: arrow.PrimitiveTypes.Int32},
	{Name: "classes", Type: arrow.PrimitiveTypes.Int32},
	{Name: "stem_w", Type: arrow.PrimitiveTypes.Int32},
	{Name: "stem_s", Type: arrow.PrimitiveTypes.Int32},
	{Name: "block", Type: arrow.BinaryTypes.String},
	{Name: "se_ratio", Type: arrow.PrimitiveTypes.Float64},
	{Name: "strides", Type: arrow.ListOf(arrow.PrimitiveTypes.Int32)},
	{Name: "constraints", Type: arrow.ListOf(arrow.BinaryTypes.String)},
	{Name: "flops_lo", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "flops_hi", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "params_lo", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "params_hi", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "acts_lo", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "acts_hi", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "parent", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "narrowed_by", Type: arrow.BinaryTypes.String, Nullable: true},
}

// SpaceSchema returns the schema of a space stream written by p.
func SpaceSchema(p Provenance) *arrow.Schema {
	md := p.metadata(KindSpace)
	return arrow.NewSchema(SpaceFields, &md)
}

// SpaceRecord encodes spaces as one record batch, one row per parameter. Each space
// must be valid.
func SpaceRecord(mem memory.Allocator, schema *arrow.Schema, spaces []*Space) (arrow.RecordBatch, error) {
	if mem == nil {
		mem = memory.DefaultAllocator
	}
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	f := b.Fields()
	str := func(i int, v string) { f[i].(*array.StringBuilder).Append(v) }
	f64 := func(i int, v float64) { f[i].(*array.Float64Builder).Append(v) }
	i32 := func(i int, v int) { f[i].(*array.Int32Builder).Append(int32(v)) }
	optI64 := func(i int, v int64) {
		if v == 0 {
			f[i].AppendNull()
		} else {
			f[i].(*array.Int64Builder).Append(v)
		}
	}
	optStr := func(i int, v string) {
		if v == "" {
			f[i].AppendNull()
		} else {
			str(i, v)
		}
	}
	for _, s := range spaces {
		if err := s.Validate(); err != nil {
			return nil, err
		}
		for _, p := range s.Vars {
			str(0, s.Name)
			str(1, p.Name)
			str(2, p.Dist)
			f64(3, p.Lo)
			f64(4, p.Hi)
			f64(5, p.Quantum)
			if p.Choices == nil {
				f[6].AppendNull()
			} else {
				lb := f[6].(*array.ListBuilder)
				lb.Append(true)
				lb.ValueBuilder().(*array.Float64Builder).AppendValues(p.Choices, nil)
			}
			if p.Median == nil {
				f[7].AppendNull()
			} else {
				f64(7, *p.Median)
			}
			optI64(8, p.N)
			str(9, s.Family)
			i32(10, s.Res)
			i32(11, s.Channels)
			i32(12, s.Classes)
			i32(13, s.StemW)
			i32(14, s.StemS)
			str(15, s.Block)
			f64(16, s.SERatio)
			lb := f[17].(*array.ListBuilder)
			lb.Append(true)
			for _, st := range s.Strides {
				lb.ValueBuilder().(*array.Int32Builder).Append(int32(st))
			}
			lb = f[18].(*array.ListBuilder)
			lb.Append(true)
			lb.ValueBuilder().(*array.StringBuilder).AppendValues(s.Constraints, nil)
			optI64(19, s.Flops.Lo)
			optI64(20, s.Flops.Hi)
			optI64(21, s.Params.Lo)
			optI64(22, s.Params.Hi)
			optI64(23, s.Acts.Lo)
			optI64(24, s.Acts.Hi)
			optStr(25, s.Parent)
			optStr(26, s.NarrowedBy)
		}
	}
	return b.NewRecordBatch(), nil
}

// SpaceDecoder gathers the rows of a space stream, record batch by record batch, into
// spaces. Rows of one space must agree on every space-level column. An absent
// nullable column reads as all null.
type SpaceDecoder struct {
	spaces []*Space
	byName map[string]*Space
	rows   int
}

// Add decodes the rows of rec.
func (d *SpaceDecoder) Add(rec arrow.RecordBatch) (err error) {
	defer guard(&err)
	if d.byName == nil {
		d.byName = map[string]*Space{}
	}
	cols := make([]arrow.Array, len(SpaceFields))
	for i, f := range SpaceFields {
		if f.Nullable && len(rec.Schema().FieldIndices(f.Name)) == 0 {
			cols[i] = array.MakeArrayOfNull(memory.DefaultAllocator, f.Type, int(rec.NumRows()))
			defer cols[i].Release()
			continue
		}
		a, err := column(rec, f)
		if err != nil {
			return err
		}
		cols[i] = a
	}
	str := func(i, r int) string { return cols[i].(*array.String).Value(r) }
	f64 := func(i, r int) float64 { return cols[i].(*array.Float64).Value(r) }
	i32 := func(i, r int) int { return int(cols[i].(*array.Int32).Value(r)) }
	optI64 := func(i, r int) int64 {
		if cols[i].IsNull(r) {
			return 0
		}
		return cols[i].(*array.Int64).Value(r)
	}
	optStr := func(i, r int) string {
		if cols[i].IsNull(r) {
			return ""
		}
		return str(i, r)
	}
	for r := 0; r < int(rec.NumRows()); r++ {
		row := d.rows
		d.rows++
		for i, f := range SpaceFields {
			if !f.Nullable && cols[i].IsNull(r) {
				return fmt.Errorf("space row %d: column %q is null", row, f.Name)
			}
		}
		s := &Space{
			Name: str(0, r), Family: str(9, r), Res: i32(10, r), Channels: i32(11, r), Classes: i32(12, r),
			StemW: i32(13, r), StemS: i32(14, r), Block: str(15, r), SERatio: f64(16, r),
			Flops:  Bounds{optI64(19, r), optI64(20, r)},
			Params: Bounds{optI64(21, r), optI64(22, r)},
			Acts:   Bounds{optI64(23, r), optI64(24, r)},
			Parent: optStr(25, r), NarrowedBy: optStr(26, r),
		}
		strides := cols[17].(*array.List)
		lo, hi := strides.ValueOffsets(r)
		sv := strides.ListValues().(*array.Int32)
		for j := lo; j < hi; j++ {
			s.Strides = append(s.Strides, int(sv.Value(int(j))))
		}
		cons := cols[18].(*array.List)
		lo, hi = cons.ValueOffsets(r)
		cv := cons.ListValues().(*array.String)
		for j := lo; j < hi; j++ {
			s.Constraints = append(s.Constraints, cv.Value(int(j)))
		}
		p := Param{Name: str(1, r), Dist: str(2, r), Lo: f64(3, r), Hi: f64(4, r), Quantum: f64(5, r), N: optI64(8, r)}
		if !cols[6].IsNull(r) {
			ch := cols[6].(*array.List)
			lo, hi := ch.ValueOffsets(r)
			vals := ch.ListValues().(*array.Float64)
			p.Choices = append([]float64{}, vals.Float64Values()[lo:hi]...)
		}
		if !cols[7].IsNull(r) {
			m := f64(7, r)
			p.Median = &m
		}
		prev, ok := d.byName[s.Name]
		if !ok {
			d.byName[s.Name] = s
			d.spaces = append(d.spaces, s)
			prev = s
		} else if !sameSpaceLevel(prev, s) {
			return fmt.Errorf("space row %d: rows of space %q disagree on space-level columns", row, s.Name)
		}
		prev.Vars = append(prev.Vars, p)
	}
	return nil
}

// Spaces validates and returns the decoded spaces in order of first appearance.
func (d *SpaceDecoder) Spaces() ([]*Space, error) {
	if len(d.spaces) == 0 {
		return nil, fmt.Errorf("the space stream holds no rows")
	}
	for _, s := range d.spaces {
		if err := s.Validate(); err != nil {
			return nil, err
		}
	}
	return d.spaces, nil
}

func sameSpaceLevel(a, b *Space) bool {
	return a.Family == b.Family && a.Res == b.Res && a.Channels == b.Channels && a.Classes == b.Classes &&
		a.StemW == b.StemW && a.StemS == b.StemS && a.Block == b.Block && a.SERatio == b.SERatio &&
		slices.Equal(a.Strides, b.Strides) && slices.Equal(a.Constraints, b.Constraints) &&
		a.Flops == b.Flops && a.Params == b.Params && a.Acts == b.Acts &&
		a.Parent == b.Parent && a.NarrowedBy == b.NarrowedBy
}
