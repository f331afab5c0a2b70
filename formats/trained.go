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

// RecipeType is the struct column "recipe": one field per Recipe field.
var RecipeType = arrow.StructOf(
	arrow.Field{Name: "epochs", Type: arrow.PrimitiveTypes.Int32},
	arrow.Field{Name: "batch", Type: arrow.PrimitiveTypes.Int32},
	arrow.Field{Name: "lr", Type: arrow.PrimitiveTypes.Float64},
	arrow.Field{Name: "momentum", Type: arrow.PrimitiveTypes.Float64},
	arrow.Field{Name: "nesterov", Type: arrow.FixedWidthTypes.Boolean},
	arrow.Field{Name: "weight_decay", Type: arrow.PrimitiveTypes.Float64},
	arrow.Field{Name: "warmup_epochs", Type: arrow.PrimitiveTypes.Float64},
	arrow.Field{Name: "warmup_factor", Type: arrow.PrimitiveTypes.Float64},
	arrow.Field{Name: "label_smoothing", Type: arrow.PrimitiveTypes.Float64},
	arrow.Field{Name: "augment", Type: arrow.BinaryTypes.String},
	arrow.Field{Name: "data", Type: arrow.BinaryTypes.String},
	arrow.Field{Name: "train_subset", Type: arrow.PrimitiveTypes.Int64},
	arrow.Field{Name: "precision", Type: arrow.BinaryTypes.String},
)

// Trained is the outcome of training one config.
type Trained struct {
	Recipe    Recipe
	Device    string
	Status    string // ok, diverged or failed
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

func appendRecipe(b *array.StructBuilder, r Recipe) {
	b.Append(true)
	b.FieldBuilder(0).(*array.Int32Builder).Append(int32(r.Epochs))
	b.FieldBuilder(1).(*array.Int32Builder).Append(int32(r.Batch))
	b.FieldBuilder(2).(*array.Float64Builder).Append(r.LR)
	b.FieldBuilder(3).(*array.Float64Builder).Append(r.Momentum)
	b.FieldBuilder(4).(*array.BooleanBuilder).Append(r.Nesterov)
	b.FieldBuilder(5).(*array.Float64Builder).Append(r.WeightDecay)
	b.FieldBuilder(6).(*array.Float64Builder).Append(r.WarmupEpochs)
	b.FieldBuilder(7).(*array.Float64Builder).Append(r.WarmupFactor)
	b.FieldBuilder(8).(*array.Float64Builder).Append(r.Smoothing)
	b.FieldBuilder(9).(*array.StringBuilder).Append(r.Augment)
	b.FieldBuilder(10).(*array.StringBuilder).Append(r.Data)
	b.FieldBuilder(11).(*array.Int64Builder).Append(int64(r.TrainSubset))
	b.FieldBuilder(12).(*array.StringBuilder).Append(r.Precision)
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

// RecipeOverrides reads the optional "recipe" struct column of rec: for each row,
// the defaults with every non-null field the column has (matched by name; integer
// and floating-point columns of any width are accepted) put in their place. Fields
// the struct lacks keep the default, so a user can sweep just "lr". Without such a
// column every row gets the defaults.
func RecipeOverrides(rec arrow.RecordBatch, defaults Recipe) (_ []Recipe, err error) {
	defer guard(&err)
	rows := int(rec.NumRows())
	out := make([]Recipe, rows)
	for i := range out {
		out[i] = defaults
	}
	idx := rec.Schema().FieldIndices("recipe")
	if len(idx) == 0 {
		return out, nil
	}
	col, ok := rec.Column(idx[0]).(*array.Struct)
	if !ok {
		return nil, fmt.Errorf("column \"recipe\" has type %s, want a struct", rec.Column(idx[0]).DataType())
	}
	if err := checkColumn(col, rows); err != nil {
		return nil, fmt.Errorf("corrupt column \"recipe\": %v", err)
	}
	st := col.DataType().(*arrow.StructType)
	for fi, f := range st.Fields() {
		a := col.Field(fi)
		for r := 0; r < rows; r++ {
			if col.IsNull(r) || a.IsNull(r) {
				continue
			}
			if err := setRecipeField(&out[r], f.Name, a, r); err != nil {
				return nil, fmt.Errorf("column \"recipe\" row %d: %v", r, err)
			}
		}
	}
	return out, nil
}

// setRecipeField sets the named field of r from row i of a.
func setRecipeField(r *Recipe, name string, a arrow.Array, i int) error {
	num := func() (float64, error) {
		switch v := a.(type) {
		case *array.Int8:
			return float64(v.Value(i)), nil
		case *array.Int16:
			return float64(v.Value(i)), nil
		case *array.Int32:
			return float64(v.Value(i)), nil
		case *array.Int64:
			return float64(v.Value(i)), nil
		case *array.Uint8:
			return float64(v.Value(i)), nil
		case *array.Uint16:
			return float64(v.Value(i)), nil
		case *array.Uint32:
			return float64(v.Value(i)), nil
		case *array.Uint64:
			return float64(v.Value(i)), nil
		case *array.Float32:
			return float64(v.Value(i)), nil
		case *array.Float64:
			return v.Value(i), nil
		}
		return 0, fmt.Errorf("field %q has type %s, want a number", name, a.DataType())
	}
	integer := func(dst *int) error {
		v, err := num()
		if err == nil && v != float64(int64(v)) {
			err = fmt.Errorf("field %q is %g, want an integer", name, v)
		}
		*dst = int(v)
		return err
	}
	float := func(dst *float64) (err error) {
		*dst, err = num()
		return err
	}
	str := func(dst *string) error {
		s, ok := a.(*array.String)
		if !ok {
			return fmt.Errorf("field %q has type %s, want a string", name, a.DataType())
		}
		*dst = s.Value(i)
		return nil
	}
	switch name {
	case "epochs":
		return integer(&r.Epochs)
	case "batch":
		return integer(&r.Batch)
	case "train_subset":
		return integer(&r.TrainSubset)
	case "lr":
		return float(&r.LR)
	case "momentum":
		return float(&r.Momentum)
	case "weight_decay":
		return float(&r.WeightDecay)
	case "warmup_epochs":
		return float(&r.WarmupEpochs)
	case "warmup_factor":
		return float(&r.WarmupFactor)
	case "label_smoothing":
		return float(&r.Smoothing)
	case "augment":
		return str(&r.Augment)
	case "data":
		return str(&r.Data)
	case "precision":
		return str(&r.Precision)
	case "nesterov":
		b, ok := a.(*array.Boolean)
		if !ok {
			return fmt.Errorf("field %q has type %s, want bool", name, a.DataType())
		}
		r.Nesterov = b.Value(i)
		return nil
	}
	return nil // unknown fields pass through untouched
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

// Evaluated is the outcome of evaluating one trained record.
type Evaluated struct {
	Data, Split string
	Status      string // ok, skipped (not trained) or failed
	Error       string
	Images      int64
	Top1, Top5  float64 // error, percent
	Loss        float64
}

// EvalFields are the columns evaluate adds. The metrics are null unless
// eval_status is ok.
var EvalFields = []arrow.Field{
	{Name: "eval_data", Type: arrow.BinaryTypes.String},
	{Name: "eval_split", Type: arrow.BinaryTypes.String},
	{Name: "eval_status", Type: arrow.BinaryTypes.String},
	{Name: "eval_error", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "eval_images", Type: arrow.PrimitiveTypes.Int64},
	{Name: "test_error", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "test_top5_error", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "test_loss", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
}

// EvalColumns encodes es as one array per EvalFields entry; the caller releases them.
func EvalColumns(mem memory.Allocator, es []Evaluated) []arrow.Array {
	return buildColumns(mem, EvalFields, func(f []array.Builder) {
		for _, e := range es {
			f[0].(*array.StringBuilder).Append(e.Data)
			f[1].(*array.StringBuilder).Append(e.Split)
			f[2].(*array.StringBuilder).Append(e.Status)
			appendString(f[3].(*array.StringBuilder), e.Error)
			f[4].(*array.Int64Builder).Append(e.Images)
			for k, v := range []float64{e.Top1, e.Top5, e.Loss} {
				if e.Status != "ok" {
					f[5+k].AppendNull()
				} else {
					f[5+k].(*array.Float64Builder).Append(v)
				}
			}
		}
	})
}

// Derive returns the metadata of a stream that a later stage (p, writing kind)
// derives from a stream with metadata md: every key of md is kept (the source
// space among them), the previous producer's arguments move to
// "dds.args.<producer>", and version, kind, producer and arguments become p's.
func Derive(md arrow.Metadata, kind string, p Provenance) arrow.Metadata {
	own := p.metadata(kind)
	keys, vals := own.Keys(), own.Values()
	have := map[string]bool{}
	for _, k := range keys {
		have[k] = true
	}
	prev, _ := md.GetValue(KeyProducer)
	prev = ProducerName(prev)
	for i, k := range md.Keys() {
		switch k {
		case KeySchemaVersion, KeyKind, KeyProducer:
			continue
		case KeyArgs:
			if prev == "" {
				continue
			}
			k = KeyArgs + "." + prev
		}
		if have[k] {
			continue
		}
		have[k] = true
		keys = append(keys, k)
		vals = append(vals, md.Values()[i])
	}
	return arrow.NewMetadata(keys, vals)
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
