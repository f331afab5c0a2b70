package design

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/ddstools/dds/formats"
)

// DefaultError is the error column the analysis reads unless told otherwise: the
// top-1 test error in percent, as evaluate writes it.
const DefaultError = "test_error"

// Sample is the evaluated models of one design space.
type Sample struct {
	Space   *formats.Space // the space the models were drawn from; nil when unknown
	Name    string         // the space's name (from the records' space column)
	Configs []formats.Config
	Errs    []float64
	Skipped int // records whose error is null (not trained or not evaluated)
}

// Load reads the records of rd and keeps, for each record whose error column is
// not null, its config and error. The space comes from the stream metadata
// (dds.space) unless space is given. It is an error, naming the record, when the
// column is missing or not numeric, an error is not a percentage in [0, 100], a
// model's flops, params or acts are not positive or its config is not a valid
// network; and an error when the records come from more than one space (the space
// column).
func Load(rd *formats.Reader, column string, space *formats.Space) (*Sample, error) {
	s := &Sample{Space: space}
	if s.Space == nil {
		sp, err := formats.SourceSpace(rd)
		if err != nil {
			return nil, fmt.Errorf("space in the stream metadata: %v", err)
		}
		s.Space = sp
	}
	spaces := map[string]int{}
	row := 0
	for rd.Next() {
		rec := rd.Record()
		cfgs, invalid, err := formats.DecodeConfigRows(rec)
		if err != nil {
			return nil, fmt.Errorf("input is not a config-based stream: %v", err)
		}
		errs, valid, err := numbers(rec, column)
		if err != nil {
			return nil, err
		}
		for i, c := range cfgs {
			if !valid[i] {
				s.Skipped++
				continue
			}
			if err := checkModel(c, invalid[i], column, errs[i]); err != nil {
				return nil, fmt.Errorf("record %d (id %s): %v", row+i, c.ID, err)
			}
			spaces[c.Space]++
			s.Configs = append(s.Configs, c)
			s.Errs = append(s.Errs, errs[i])
		}
		row += len(cfgs)
	}
	if err := rd.Err(); err != nil {
		return nil, err
	}
	if len(spaces) > 1 {
		var names []string
		for n, k := range spaces {
			names = append(names, fmt.Sprintf("%s (%d)", n, k))
		}
		slices.Sort(names)
		return nil, fmt.Errorf("the records come from %d spaces: %s; analyse one space at a time", len(spaces), strings.Join(names, ", "))
	}
	for n := range spaces {
		s.Name = n
	}
	if s.Space != nil && s.Name != "" && s.Name != s.Space.Name && !strings.HasPrefix(s.Name, "zoo:") {
		return nil, fmt.Errorf("the records come from space %q but the space given is %q", s.Name, s.Space.Name)
	}
	return s, nil
}

// checkModel reports why an evaluated model cannot be analysed: its config is not a
// valid network (invalid), its error is not a percentage in [0, 100], or its flops,
// params or acts are not positive.
func checkModel(c formats.Config, invalid error, column string, e float64) error {
	switch {
	case invalid != nil:
		return fmt.Errorf("not a valid network: %v", invalid)
	case math.IsNaN(e) || math.IsInf(e, 0):
		return fmt.Errorf("%s is %v", column, e)
	case e < 0 || e > 100:
		return fmt.Errorf("%s %g is not a percentage in [0, 100]", column, e)
	case c.Complexity.Flops <= 0:
		return fmt.Errorf("flops %d must be positive", c.Complexity.Flops)
	case c.Complexity.Params <= 0:
		return fmt.Errorf("params %d must be positive", c.Complexity.Params)
	case c.Complexity.Acts <= 0:
		return fmt.Errorf("acts %d must be positive", c.Complexity.Acts)
	}
	return nil
}

// numbers reads a numeric column of rec as float64 with its validity.
func numbers(rec arrow.RecordBatch, column string) ([]float64, []bool, error) {
	idx := rec.Schema().FieldIndices(column)
	if len(idx) == 0 {
		var have []string
		for _, f := range rec.Schema().Fields() {
			if f.Type.ID() == arrow.FLOAT64 || f.Type.ID() == arrow.FLOAT32 {
				have = append(have, f.Name)
			}
		}
		return nil, nil, fmt.Errorf("input has no column %q (numeric columns: %s); run evaluate first or choose one with --error", column, strings.Join(have, ", "))
	}
	a := rec.Column(idx[0])
	n := a.Len()
	out, valid := make([]float64, n), make([]bool, n)
	for i := 0; i < n; i++ {
		valid[i] = a.IsValid(i)
		if !valid[i] {
			continue
		}
		switch v := a.(type) {
		case *array.Float64:
			out[i] = v.Value(i)
		case *array.Float32:
			out[i] = float64(v.Value(i))
		case *array.Int64:
			out[i] = float64(v.Value(i))
		case *array.Int32:
			out[i] = float64(v.Value(i))
		default:
			return nil, nil, fmt.Errorf("column %q has type %s, want a number", column, a.DataType())
		}
	}
	return out, valid, nil
}

// Input is what bootstrap and refine read: the evaluated records of file ("-" or ""
// for stdin) with the error column, the space they were drawn from (spaceArg when
// given, see formats.LoadSpace, else the records' metadata), at least minModels
// evaluated models, and their design parameters. Errors name program; notes on a
// space file go to warn.
func Input(program, file string, stdin io.Reader, warn io.Writer, column, spaceArg string, minModels int) (*Models, error) {
	var space *formats.Space
	if spaceArg != "" {
		var err error
		if space, err = formats.LoadSpace(spaceArg, stdin, warn); err != nil {
			return nil, err
		}
	}
	rd, closeIn, err := formats.OpenReader(file, stdin)
	if err != nil {
		return nil, err
	}
	defer closeIn()
	s, err := Load(rd, column, space)
	if err != nil {
		return nil, err
	}
	if s.Space == nil {
		return nil, fmt.Errorf("the records carry no source space (dds.space metadata); name it with --space")
	}
	if len(s.Errs) < minModels {
		return nil, fmt.Errorf("%s needs at least %d evaluated models, the input has %d (%d without %s); sample more or lower --min-models",
			program, minModels, len(s.Errs), s.Skipped, column)
	}
	return NewModels(s)
}
