package formats

import (
	"fmt"
	"slices"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Stream kinds of the training stages: a trained stream is a config stream with
// the TrainedFields added, an evaluated stream a trained one with the EvalFields.
const (
	KindTrained   = "trained"
	KindEvaluated = "evaluated"
)

// Trained is the outcome of training one config.
type Trained struct {
	Recipe    Recipe
	Device    string
	Status    string // StatusOK, StatusDiverged or StatusFailed
	Error     string // why, when not ok ("" is written as null)
	EpochLoss []float64
	EpochErr  []float64 // training top-1 error per epoch, percent
	Steps     int64
	Wall      float64 // seconds
	ImgPerSec float64
	MemBytes  int64 // memory the model's engine allocated, its peak (device memory on a GPU)
	StepBytes int64 // memory traffic of one training step, unfused (network.StepBytes)
	// ClassNames names the dataset's classes by label (empty when it names none).
	ClassNames []string
	Weights    []byte // safetensors state dict (nil is written as null)
}

// TrainedFields are the columns train adds to each config record.
var TrainedFields = []arrow.Field{
	{Name: "recipe", Type: RecipeType},
	{Name: "device", Type: arrow.BinaryTypes.String},
	{Name: "status", Type: arrow.BinaryTypes.String},
	{Name: "error", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "epoch_loss", Type: arrow.ListOf(arrow.PrimitiveTypes.Float64)},
	{Name: "epoch_error", Type: arrow.ListOf(arrow.PrimitiveTypes.Float64)},
	{Name: "train_loss", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "train_error", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "steps", Type: arrow.PrimitiveTypes.Int64},
	{Name: "wall_s", Type: arrow.PrimitiveTypes.Float64},
	{Name: "img_per_s", Type: arrow.PrimitiveTypes.Float64},
	{Name: "mem_bytes", Type: arrow.PrimitiveTypes.Int64},
	{Name: "step_bytes", Type: arrow.PrimitiveTypes.Int64},
	{Name: "class_names", Type: arrow.ListOf(arrow.BinaryTypes.String)},
	{Name: "weights", Type: arrow.BinaryTypes.Binary, Nullable: true},
}

// TrainedColumns encodes ts as one array per TrainedFields entry. train_loss and
// train_error are the last epoch's values (null when no epoch completed). The
// caller releases the arrays.
func TrainedColumns(mem memory.Allocator, ts []Trained) []arrow.Array {
	return buildColumns(mem, TrainedFields, func(f []array.Builder) {
		for _, t := range ts {
			appendRecipe(f[0].(*array.StructBuilder), t.Recipe)
			f[1].(*array.StringBuilder).Append(t.Device)
			f[2].(*array.StringBuilder).Append(t.Status)
			appendString(f[3].(*array.StringBuilder), t.Error)
			appendFloats(f[4].(*array.ListBuilder), t.EpochLoss)
			appendFloats(f[5].(*array.ListBuilder), t.EpochErr)
			appendLast(f[6].(*array.Float64Builder), t.EpochLoss)
			appendLast(f[7].(*array.Float64Builder), t.EpochErr)
			f[8].(*array.Int64Builder).Append(t.Steps)
			f[9].(*array.Float64Builder).Append(t.Wall)
			f[10].(*array.Float64Builder).Append(t.ImgPerSec)
			f[11].(*array.Int64Builder).Append(t.MemBytes)
			f[12].(*array.Int64Builder).Append(t.StepBytes)
			names := f[13].(*array.ListBuilder)
			names.Append(true)
			names.ValueBuilder().(*array.StringBuilder).AppendValues(t.ClassNames, nil)
			if t.Weights == nil {
				f[14].AppendNull()
			} else {
				f[14].(*array.BinaryBuilder).Append(t.Weights)
			}
		}
	})
}

// DecodeTrained reads the status, error, recipe and weights of every row of a
// trained stream's record (the fields evaluate needs).
func DecodeTrained(rec arrow.RecordBatch) (_ []Trained, err error) {
	defer guard(&err)
	cols := map[string]arrow.Array{}
	for _, f := range TrainedFields {
		switch f.Name {
		case "recipe", "status", "error", "weights", "device":
			a, err := column(rec, f)
			if err != nil {
				return nil, err
			}
			cols[f.Name] = a
		}
	}
	recipes, err := RecipeOverrides(rec, Recipe{})
	if err != nil {
		return nil, err
	}
	out := make([]Trained, rec.NumRows())
	status, msg := cols["status"].(*array.String), cols["error"].(*array.String)
	dev, w := cols["device"].(*array.String), cols["weights"].(*array.Binary)
	for i := range out {
		t := &out[i]
		t.Recipe, t.Status, t.Device = recipes[i], status.Value(i), dev.Value(i)
		if msg.IsValid(i) {
			t.Error = msg.Value(i)
		}
		if w.IsValid(i) {
			t.Weights = w.Value(i)
		}
	}
	return out, nil
}

// Weights returns the weights (a safetensors file) of the model whose id is id, or
// starts with id when no id equals it, reading rd to its end, and the model's full
// id. It errors when the stream has no id or weights column (evaluate
// --drop-weights leaves it out), when no model or more than one matches, and when
// the model has no weights (it did not train: its status says why).
func Weights(rd *Reader, id string) (w []byte, full string, err error) {
	defer guard(&err)
	s := rd.Schema()
	wi, ii, si := s.FieldIndices("weights"), s.FieldIndices("id"), s.FieldIndices("status")
	switch {
	case len(ii) == 0:
		return nil, "", fmt.Errorf("input has no id column: not a trained stream")
	case len(wi) == 0:
		return nil, "", fmt.Errorf("input has no weights column (evaluate --drop-weights leaves it out; take the trained stream)")
	case id == "":
		return nil, "", fmt.Errorf("give the id (or a prefix of it) of the model whose weights to write")
	}
	type match struct {
		id, status string
		w          []byte
		null       bool
	}
	var exact, prefix []match
	for rd.Next() {
		rec := rd.Record()
		ids, ok := rec.Column(ii[0]).(*array.String)
		ws, ok2 := rec.Column(wi[0]).(*array.Binary)
		if !ok || !ok2 {
			return nil, "", fmt.Errorf("column id is %s and weights %s, want utf8 and binary", rec.Column(ii[0]).DataType(), rec.Column(wi[0]).DataType())
		}
		for _, c := range []arrow.Array{ids, ws} {
			if err := checkColumn(c, int(rec.NumRows())); err != nil {
				return nil, "", fmt.Errorf("corrupt column: %v", err)
			}
		}
		var st *array.String
		if len(si) > 0 {
			st, _ = rec.Column(si[0]).(*array.String)
		}
		for r := 0; r < int(rec.NumRows()); r++ {
			v := ids.Value(r)
			if !strings.HasPrefix(v, id) {
				continue
			}
			m := match{id: v, null: ws.IsNull(r)}
			if !m.null {
				m.w = slices.Clone(ws.Value(r))
			}
			if st != nil && !st.IsNull(r) {
				m.status = st.Value(r)
			}
			if v == id {
				exact = append(exact, m)
			} else {
				prefix = append(prefix, m)
			}
		}
	}
	if err := rd.Err(); err != nil {
		return nil, "", err
	}
	found := exact
	if len(found) == 0 {
		found = prefix
	}
	switch {
	case len(found) == 0:
		return nil, "", fmt.Errorf("no model with id %q", id)
	case len(found) > 1:
		var ids []string
		for _, m := range found[:min(3, len(found))] {
			ids = append(ids, m.id)
		}
		return nil, "", fmt.Errorf("%d models have an id starting with %q (%s); give one", len(found), id, strings.Join(ids, ", "))
	case found[0].null:
		return nil, "", fmt.Errorf("model %s has no weights (status %q)", found[0].id, found[0].status)
	}
	return found[0].w, found[0].id, nil
}
