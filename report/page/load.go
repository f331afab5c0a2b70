// Package page builds the sweep report: one self-contained HTML page (figures as
// inline SVG, data as tables and data: downloads, no external resources) holding
// the comparison of design spaces, and for each space the bootstrap intervals of
// its design parameters, the refinement evidence, the RegNet fit of its best
// models, the training curves of its best and worst models and a table of all of
// them. The statistics come from bootstrap/design and bootstrap/stats; this
// package only lays them out.
package page

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/ddstools/dds/bootstrap/design"
	"github.com/ddstools/dds/formats"
)

// ChainSpaces are the file stems of a refinement chain's evaluated streams
// (pipelines/chain.mk writes OUT/<stem>.eval.arrows), in the chain's order.
var ChainSpaces = []string{"a", "b", "c", "d", "e", "regnet"}

// Input is one evaluated stream to report on.
type Input struct {
	Label string // short name of the space in figures and tables ("" for the space's name)
	Path  string // file name, or "-" for stdin
}

// Resolve turns command-line arguments into inputs: a file is one space; a folder
// is a chain's output folder, whose *.eval.arrows files are the spaces, in the
// chain's order (ChainSpaces) and then by name, labelled by their stem.
func Resolve(args []string) ([]Input, error) {
	var out []Input
	for _, a := range args {
		st, err := os.Stat(a)
		if a == "-" || err != nil || !st.IsDir() {
			out = append(out, Input{Path: a})
			continue
		}
		files, err := filepath.Glob(filepath.Join(a, "*.eval.arrows"))
		if err != nil {
			return nil, err
		}
		if len(files) == 0 {
			return nil, fmt.Errorf("%s: a folder holds no *.eval.arrows files (want a chain's output folder)", a)
		}
		rank := func(f string) int {
			if i := slices.Index(ChainSpaces, stem(f)); i >= 0 {
				return i
			}
			return len(ChainSpaces)
		}
		slices.SortFunc(files, func(x, y string) int {
			if d := rank(x) - rank(y); d != 0 {
				return d
			}
			return strings.Compare(x, y)
		})
		for _, f := range files {
			out = append(out, Input{Label: stem(f), Path: f})
		}
	}
	return out, nil
}

func stem(path string) string {
	return strings.TrimSuffix(filepath.Base(path), ".eval.arrows")
}

// Run is what training and evaluation recorded about one model beyond its
// config and error; a number the stream lacks is NaN.
type Run struct {
	Status     string // training status (ok, diverged, failed), "" when absent
	TrainError float64
	Top5       float64
	TestLoss   float64
	Wall       float64 // seconds
	ImgPerSec  float64
	EpochLoss  []float64
	EpochErr   []float64
	Recipe     *formats.Recipe // nil when the stream has no recipe column
}

// Loaded is the evaluated models of one stream: the design package's view of them
// and, aligned with it, each model's Run.
type Loaded struct {
	Input  Input
	Models *design.Models
	Runs   []Run
}

// Load reads one evaluated stream: the models with a non-null error column (see
// design.Load), their design parameters (design.NewModels) and their runs.
func Load(in Input, r io.Reader, column string) (*Loaded, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	name := in.Path
	rd, err := formats.NewReader(bytes.NewReader(data), name, nil)
	if err != nil {
		return nil, err
	}
	s, err := design.Load(rd, column, nil)
	rd.Release()
	if err != nil {
		return nil, err
	}
	if len(s.Errs) == 0 {
		return nil, fmt.Errorf("no evaluated models (%d records without %s)", s.Skipped, column)
	}
	m, err := design.NewModels(s)
	if err != nil {
		return nil, err
	}
	// A second pass over the same bytes reads the run columns of the rows that
	// design.Load kept: those whose error column is valid, in order.
	rd, err = formats.NewReader(bytes.NewReader(data), name, nil)
	if err != nil {
		return nil, err
	}
	defer rd.Release()
	var runs []Run
	for rd.Next() {
		rec := rd.Record()
		keep := valid(rec, column)
		recipes, err := recipeColumn(rec)
		if err != nil {
			return nil, err
		}
		for i := 0; i < int(rec.NumRows()); i++ {
			if !keep[i] {
				continue
			}
			run := Run{
				Status:     str(rec, "status", i),
				TrainError: num(rec, "train_error", i),
				Top5:       num(rec, "test_top5_error", i),
				TestLoss:   num(rec, "test_loss", i),
				Wall:       num(rec, "wall_s", i),
				ImgPerSec:  num(rec, "img_per_s", i),
				EpochLoss:  list(rec, "epoch_loss", i),
				EpochErr:   list(rec, "epoch_error", i),
			}
			if recipes != nil {
				run.Recipe = &recipes[i]
			}
			runs = append(runs, run)
		}
	}
	if err := rd.Err(); err != nil {
		return nil, err
	}
	if len(runs) != len(s.Errs) {
		return nil, fmt.Errorf("read %d runs for %d models", len(runs), len(s.Errs))
	}
	return &Loaded{Input: in, Models: m, Runs: runs}, nil
}

func field(rec arrow.RecordBatch, name string) arrow.Array {
	idx := rec.Schema().FieldIndices(name)
	if len(idx) == 0 {
		return nil
	}
	return rec.Column(idx[0])
}

// valid reports, for each row, whether column is not null (design.Load keeps those).
func valid(rec arrow.RecordBatch, column string) []bool {
	out := make([]bool, rec.NumRows())
	a := field(rec, column)
	for i := range out {
		out[i] = a != nil && a.IsValid(i)
	}
	return out
}

func recipeColumn(rec arrow.RecordBatch) ([]formats.Recipe, error) {
	if field(rec, "recipe") == nil {
		return nil, nil
	}
	return formats.RecipeOverrides(rec, formats.Recipe{})
}

// num returns row i of a numeric column, NaN when the column is missing, null or
// not numeric.
func num(rec arrow.RecordBatch, name string, i int) float64 {
	a := field(rec, name)
	if a == nil || a.IsNull(i) {
		return math.NaN()
	}
	switch v := a.(type) {
	case *array.Float64:
		return v.Value(i)
	case *array.Float32:
		return float64(v.Value(i))
	case *array.Int64:
		return float64(v.Value(i))
	case *array.Int32:
		return float64(v.Value(i))
	}
	return math.NaN()
}

func str(rec arrow.RecordBatch, name string, i int) string {
	if s, ok := field(rec, name).(*array.String); ok && s.IsValid(i) {
		return s.Value(i)
	}
	return ""
}

// list returns row i of a list<float64> column, nil when missing or null.
func list(rec arrow.RecordBatch, name string, i int) []float64 {
	l, ok := field(rec, name).(*array.List)
	if !ok || l.IsNull(i) {
		return nil
	}
	vals, ok := l.ListValues().(*array.Float64)
	if !ok {
		return nil
	}
	lo, hi := l.ValueOffsets(i)
	out := make([]float64, 0, hi-lo)
	for k := lo; k < hi; k++ {
		out = append(out, vals.Value(int(k)))
	}
	return out
}
