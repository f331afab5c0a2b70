package formats

import (
	"fmt"
	"math"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Other Arrow writers choose other physical types for the same values: polars writes
// large_string and large_list, apache-arrow JS writes strings dictionary-encoded. A
// Reader hands every batch on in the plain types dds writes, so that a file edited in
// such a tool reads like one dds wrote. plainType is the rule: dictionary<string>,
// large_string → string; dictionary<binary>, large_binary → binary;
// large_list<T> → list<T>; lists and structs convert their children; every other type
// stays. Nullability and field names stay as written.
func plainType(dt arrow.DataType) arrow.DataType {
	switch dt := dt.(type) {
	case *arrow.DictionaryType:
		return plainType(dt.ValueType)
	case *arrow.LargeStringType:
		return arrow.BinaryTypes.String
	case *arrow.LargeBinaryType:
		return arrow.BinaryTypes.Binary
	case *arrow.LargeListType:
		return arrow.ListOfField(plainField(dt.ElemField()))
	case *arrow.ListType:
		e := dt.ElemField()
		if p := plainField(e); !arrow.TypeEqual(p.Type, e.Type) {
			return arrow.ListOfField(p)
		}
	case *arrow.StructType:
		fields := make([]arrow.Field, dt.NumFields())
		changed := false
		for i, f := range dt.Fields() {
			fields[i] = plainField(f)
			changed = changed || !arrow.TypeEqual(fields[i].Type, f.Type)
		}
		if changed {
			return arrow.StructOf(fields...)
		}
	}
	return dt
}

func plainField(f arrow.Field) arrow.Field {
	f.Type = plainType(f.Type)
	return f
}

// plainSchema returns s with every field in its plain type, and whether any changed.
func plainSchema(s *arrow.Schema) (*arrow.Schema, bool) {
	fields := make([]arrow.Field, s.NumFields())
	changed := false
	for i, f := range s.Fields() {
		fields[i] = plainField(f)
		changed = changed || !arrow.TypeEqual(fields[i].Type, f.Type)
	}
	if !changed {
		return s, false
	}
	md := s.Metadata()
	return arrow.NewSchema(fields, &md), true
}

// plainRecord converts rec to schema (its plainSchema). The caller releases the result.
func plainRecord(mem memory.Allocator, rec arrow.RecordBatch, schema *arrow.Schema) (out arrow.RecordBatch, err error) {
	defer guard(&err)
	cols := make([]arrow.Array, rec.NumCols())
	defer func() {
		for _, c := range cols {
			if c != nil {
				c.Release()
			}
		}
	}()
	for i, c := range rec.Columns() {
		if err := checkColumn(c, int(rec.NumRows())); err != nil {
			return nil, fmt.Errorf("corrupt column %q: %v", rec.Schema().Field(i).Name, err)
		}
		if cols[i], err = plainArray(mem, c); err != nil {
			return nil, fmt.Errorf("column %q: %v", rec.Schema().Field(i).Name, err)
		}
	}
	return array.NewRecordBatch(schema, cols, rec.NumRows()), nil
}

// plainArray returns a converted to its plainType (a new reference).
func plainArray(mem memory.Allocator, a arrow.Array) (arrow.Array, error) {
	want := plainType(a.DataType())
	if arrow.TypeEqual(want, a.DataType()) {
		a.Retain()
		return a, nil
	}
	switch a := a.(type) {
	case *array.Dictionary:
		n := a.Dictionary().Len()
		b := array.NewBuilder(mem, want)
		defer b.Release()
		for i := 0; i < a.Len(); i++ {
			if a.IsNull(i) {
				b.AppendNull()
				continue
			}
			k := a.GetValueIndex(i)
			if k < 0 || k >= n {
				return nil, fmt.Errorf("dictionary index %d out of range (%d entries)", k, n)
			}
			if a.Dictionary().IsNull(k) {
				b.AppendNull()
				continue
			}
			if err := appendText(b, a.Dictionary(), k); err != nil {
				return nil, err
			}
		}
		return b.NewArray(), nil
	case *array.LargeString, *array.LargeBinary:
		b := array.NewBuilder(mem, want)
		defer b.Release()
		for i := 0; i < a.Len(); i++ {
			if a.IsNull(i) {
				b.AppendNull()
				continue
			}
			if err := appendText(b, a, i); err != nil {
				return nil, err
			}
		}
		return b.NewArray(), nil
	case *array.LargeList:
		d := a.Data()
		raw := a.Offsets() // offset+len+1 values from the start of the buffer
		offs := make([]int32, len(raw))
		for i, o := range raw {
			if o < 0 || o > math.MaxInt32 {
				return nil, fmt.Errorf("large_list offset %d does not fit a list", o)
			}
			offs[i] = int32(o)
		}
		child, err := plainArray(mem, a.ListValues())
		if err != nil {
			return nil, err
		}
		defer child.Release()
		return nested(want, d, memory.NewBufferBytes(arrow.Int32Traits.CastToBytes(offs)), child), nil
	case *array.List:
		child, err := plainArray(mem, a.ListValues())
		if err != nil {
			return nil, err
		}
		defer child.Release()
		return nested(want, a.Data(), a.Data().Buffers()[1], child), nil
	case *array.Struct:
		children := make([]arrow.ArrayData, a.NumField())
		for i := range children {
			c, err := plainArray(mem, a.Field(i))
			if err != nil {
				return nil, err
			}
			defer c.Release()
			children[i] = c.Data()
		}
		nd := array.NewData(want, a.Len(), a.Data().Buffers()[:1], children, a.Data().NullN(), a.Data().Offset())
		defer nd.Release()
		return array.MakeFromData(nd), nil
	}
	return nil, fmt.Errorf("cannot convert %s to %s", a.DataType(), want)
}

// nested builds a list array of type dt with d's validity, length and offset, the
// given offsets buffer and child values.
func nested(dt arrow.DataType, d arrow.ArrayData, offsets *memory.Buffer, child arrow.Array) arrow.Array {
	nd := array.NewData(dt, d.Len(), []*memory.Buffer{d.Buffers()[0], offsets}, []arrow.ArrayData{child.Data()}, d.NullN(), d.Offset())
	defer nd.Release()
	return array.MakeFromData(nd)
}

// appendText appends value i of a string or binary array a to b.
func appendText(b array.Builder, a arrow.Array, i int) error {
	var v []byte
	switch a := a.(type) {
	case *array.String:
		v = []byte(a.Value(i))
	case *array.LargeString:
		v = []byte(a.Value(i))
	case *array.Binary:
		v = a.Value(i)
	case *array.LargeBinary:
		v = a.Value(i)
	default:
		return fmt.Errorf("values of type %s are not supported", a.DataType())
	}
	switch b := b.(type) {
	case *array.StringBuilder:
		b.BinaryBuilder.Append(v)
	case *array.BinaryBuilder:
		b.Append(v)
	default:
		return fmt.Errorf("cannot build %s", b.Type())
	}
	return nil
}
