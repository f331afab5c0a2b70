package formats

import (
	"encoding/json"
	"fmt"
	"io"
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

// WriteJSONL writes each row as one JSON object with the columns in schema order;
// nested values stay nested, binary values are base64 strings, nulls are null.
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
				v, err := json.Marshal(rec.Column(i).GetOneForMarshal(r))
				if err != nil {
					return fmt.Errorf("column %q row %d: %v", rd.Schema().Field(i).Name, n, err)
				}
				line = append(line, v...)
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
