package formats

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
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
