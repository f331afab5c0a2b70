package formats

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// TextOptions selects what a text view shows.
type TextOptions struct {
	Columns []string // columns to show, in this order; empty shows all
	Limit   int      // rows to show; 0 shows all
	// Int64Strings writes 64-bit integers in JSON as decimal strings ("1234"), which
	// JavaScript's JSON.parse and other float64 readers keep exact; as numbers they
	// keep only 53 bits there (seeds use all 64).
	Int64Strings bool
}

// selected returns the indices of the columns to show, or an error naming a column
// the schema lacks.
func (o TextOptions) selected(s *arrow.Schema) ([]int, error) {
	if len(o.Columns) == 0 {
		idx := make([]int, s.NumFields())
		for i := range idx {
			idx[i] = i
		}
		return idx, nil
	}
	var idx []int
	for _, c := range o.Columns {
		i := s.FieldIndices(c)
		if len(i) == 0 {
			return nil, fmt.Errorf("no column %q (columns: %s)", c, fieldList(s))
		}
		idx = append(idx, i[0])
	}
	return idx, nil
}

// WriteTable writes the stream as an aligned text table with a header line. Nested
// stage lists print as one list per field (d=1,1,4,7 w=24,56,152,368 ...), binary
// values as their size.
func WriteTable(w io.Writer, rd *Reader, o TextOptions) (err error) {
	defer guard(&err)
	idx, err := o.selected(rd.Schema())
	if err != nil {
		return err
	}
	rows := [][]string{make([]string, len(idx))}
	for j, i := range idx {
		rows[0][j] = rd.Schema().Field(i).Name
	}
	for rd.Next() && (o.Limit == 0 || len(rows)-1 < o.Limit) {
		rec := rd.Record()
		for r := 0; r < int(rec.NumRows()) && (o.Limit == 0 || len(rows)-1 < o.Limit); r++ {
			row := make([]string, len(idx))
			for j, i := range idx {
				row[j] = cell(rec.Column(i), r)
			}
			rows = append(rows, row)
		}
	}
	if err := rd.Err(); err != nil {
		return err
	}
	width := make([]int, len(idx))
	for _, row := range rows {
		for j, c := range row {
			width[j] = max(width[j], utf8.RuneCountInString(c))
		}
	}
	var b strings.Builder
	for _, row := range rows {
		b.Reset()
		for j, c := range row {
			if j > 0 {
				b.WriteString("  ")
			}
			b.WriteString(c)
			if j < len(row)-1 {
				b.WriteString(strings.Repeat(" ", width[j]-utf8.RuneCountInString(c)))
			}
		}
		if _, err := io.WriteString(w, strings.TrimRight(b.String(), " ")+"\n"); err != nil {
			return err
		}
	}
	return nil
}

// WriteJSONL writes each row as one JSON object with the columns in schema order (or
// in the order of o.Columns); nested values stay nested, binary values are base64
// strings, nulls are null, NaN and infinities the strings "NaN", "+Inf", "-Inf", and
// 64-bit integers numbers or, with o.Int64Strings, decimal strings.
func WriteJSONL(w io.Writer, rd *Reader, o TextOptions) (err error) {
	defer guard(&err)
	idx, err := o.selected(rd.Schema())
	if err != nil {
		return err
	}
	names := make([][]byte, len(idx))
	for j, i := range idx {
		names[j], _ = json.Marshal(rd.Schema().Field(i).Name)
	}
	n := 0
	var line []byte
	for rd.Next() && (o.Limit == 0 || n < o.Limit) {
		rec := rd.Record()
		for r := 0; r < int(rec.NumRows()) && (o.Limit == 0 || n < o.Limit); r++ {
			line = append(line[:0], '{')
			for j, i := range idx {
				if j > 0 {
					line = append(line, ',')
				}
				line = append(line, names[j]...)
				line = append(line, ':')
				line = appendJSON(line, rec.Column(i), r, o.Int64Strings)
			}
			line = append(line, '}', '\n')
			if _, err := w.Write(line); err != nil {
				return err
			}
			n++
		}
	}
	return rd.Err()
}

// WriteCSV writes the stream as CSV (RFC 4180) with a header line of column names.
// Numbers print in full (floats shortest round-trip, NaN as NaN), nulls as empty
// fields, binary values as base64, and lists and structs as JSON text (the form
// WriteJSONL gives them).
func WriteCSV(w io.Writer, rd *Reader, o TextOptions) (err error) {
	defer guard(&err)
	idx, err := o.selected(rd.Schema())
	if err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	row := make([]string, len(idx))
	for j, i := range idx {
		row[j] = rd.Schema().Field(i).Name
	}
	if err := cw.Write(row); err != nil {
		return err
	}
	n := 0
	var buf []byte
	for rd.Next() && (o.Limit == 0 || n < o.Limit) {
		rec := rd.Record()
		for r := 0; r < int(rec.NumRows()) && (o.Limit == 0 || n < o.Limit); r++ {
			for j, i := range idx {
				a := rec.Column(i)
				switch {
				case a.IsNull(r):
					row[j] = ""
				case a.DataType().ID() == arrow.STRING:
					row[j] = a.(*array.String).Value(r)
				default:
					buf = appendJSON(buf[:0], a, r, false)
					if buf[0] == '"' {
						var s string
						json.Unmarshal(buf, &s)
						row[j] = s
					} else {
						row[j] = string(buf)
					}
				}
			}
			if err := cw.Write(row); err != nil {
				return err
			}
			n++
		}
	}
	if err := rd.Err(); err != nil {
		return err
	}
	cw.Flush()
	return cw.Error()
}

// appendJSON appends value i of a as JSON (see WriteJSONL).
func appendJSON(b []byte, a arrow.Array, i int, int64Strings bool) []byte {
	if a.IsNull(i) {
		return append(b, "null"...)
	}
	switch a := a.(type) {
	case *array.Int64:
		if int64Strings {
			return strconv.AppendQuote(b, strconv.FormatInt(a.Value(i), 10))
		}
		return strconv.AppendInt(b, a.Value(i), 10)
	case *array.Uint64:
		if int64Strings {
			return strconv.AppendQuote(b, strconv.FormatUint(a.Value(i), 10))
		}
		return strconv.AppendUint(b, a.Value(i), 10)
	case *array.Float64:
		return appendFloat(b, a.Value(i), 64)
	case *array.Float32:
		return appendFloat(b, float64(a.Value(i)), 32)
	case *array.List:
		lo, hi := a.ValueOffsets(i)
		b = append(b, '[')
		for j := lo; j < hi; j++ {
			if j > lo {
				b = append(b, ',')
			}
			b = appendJSON(b, a.ListValues(), int(j), int64Strings)
		}
		return append(b, ']')
	case *array.Struct:
		st := a.DataType().(*arrow.StructType)
		b = append(b, '{')
		for f := 0; f < a.NumField(); f++ {
			if f > 0 {
				b = append(b, ',')
			}
			name, _ := json.Marshal(st.Field(f).Name)
			b = append(b, name...)
			b = append(b, ':')
			b = appendJSON(b, a.Field(f), i, int64Strings)
		}
		return append(b, '}')
	}
	v, err := json.Marshal(a.GetOneForMarshal(i))
	if err != nil {
		return strconv.AppendQuote(b, a.ValueStr(i))
	}
	return append(b, v...)
}

// appendFloat appends x as its shortest round-trip decimal, or as the string "NaN",
// "+Inf" or "-Inf", which JSON has no numbers for.
func appendFloat(b []byte, x float64, bits int) []byte {
	switch {
	case math.IsNaN(x):
		return append(b, `"NaN"`...)
	case math.IsInf(x, 1):
		return append(b, `"+Inf"`...)
	case math.IsInf(x, -1):
		return append(b, `"-Inf"`...)
	}
	return strconv.AppendFloat(b, x, 'g', -1, bits)
}

// cell formats one value for the table view.
func cell(a arrow.Array, i int) string {
	if a.IsNull(i) {
		return ""
	}
	switch a := a.(type) {
	case *array.Float64:
		return strconv.FormatFloat(a.Value(i), 'g', 6, 64)
	case *array.Float32:
		return strconv.FormatFloat(float64(a.Value(i)), 'g', 6, 32)
	case *array.Binary:
		return fmt.Sprintf("<%d bytes>", len(a.Value(i)))
	case *array.LargeBinary:
		return fmt.Sprintf("<%d bytes>", len(a.Value(i)))
	case *array.List:
		lo, hi := a.ValueOffsets(i)
		return listCell(a.ListValues(), int(lo), int(hi))
	case *array.Struct:
		parts := make([]string, a.NumField())
		st := a.DataType().(*arrow.StructType)
		for f := range parts {
			parts[f] = st.Field(f).Name + "=" + cell(a.Field(f), i)
		}
		return "{" + strings.Join(parts, " ") + "}"
	}
	return a.ValueStr(i)
}

// listCell formats elements lo..hi of vals: a list of structs as one comma list per
// field ("d=1,1,4,7 w=24,56,152,368"), any other list as [a,b,c].
func listCell(vals arrow.Array, lo, hi int) string {
	if st, ok := vals.(*array.Struct); ok {
		typ := st.DataType().(*arrow.StructType)
		parts := make([]string, st.NumField())
		for f := range parts {
			items := make([]string, 0, hi-lo)
			for j := lo; j < hi; j++ {
				items = append(items, cell(st.Field(f), j))
			}
			parts[f] = typ.Field(f).Name + "=" + strings.Join(items, ",")
		}
		return strings.Join(parts, " ")
	}
	items := make([]string, 0, hi-lo)
	for j := lo; j < hi; j++ {
		items = append(items, cell(vals, j))
	}
	return "[" + strings.Join(items, ",") + "]"
}

// WriteArrows re-encodes the stream as one Arrow IPC stream on w (the codec of w when
// it is an Output) with the reader's schema and metadata, or only the columns of
// o.Columns, and at most o.Limit rows. It is how several streams (concatenated, or
// several files) become one that every Arrow reader reads whole: most read only the
// first stream of a concatenation.
func WriteArrows(w io.Writer, rd *Reader, o TextOptions) (err error) {
	defer guard(&err)
	idx, err := o.selected(rd.Schema())
	if err != nil {
		return err
	}
	fields := make([]arrow.Field, len(idx))
	for j, i := range idx {
		fields[j] = rd.Schema().Field(i)
	}
	md := rd.Schema().Metadata()
	schema := arrow.NewSchema(fields, &md)
	sw := NewWriter(w, schema, nil)
	n := int64(0)
	for rd.Next() && (o.Limit == 0 || n < int64(o.Limit)) {
		rec := rd.Record()
		for i, c := range rec.Columns() {
			if err := checkColumn(c, int(rec.NumRows())); err != nil {
				return fmt.Errorf("corrupt column %q: %v", rec.Schema().Field(i).Name, err)
			}
		}
		cols := make([]arrow.Array, len(idx))
		for j, i := range idx {
			cols[j] = rec.Column(i)
		}
		rows := rec.NumRows()
		if o.Limit > 0 {
			rows = min(rows, int64(o.Limit)-n)
		}
		out := array.NewRecordBatch(schema, cols, rec.NumRows())
		if rows < rec.NumRows() {
			cut := out.NewSlice(0, rows)
			out.Release()
			out = cut
		}
		err := sw.Write(out)
		out.Release()
		if err != nil {
			return err
		}
		n += rows
	}
	if err := rd.Err(); err != nil {
		return err
	}
	return sw.Close()
}
