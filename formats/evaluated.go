package formats

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Evaluated is the outcome of evaluating one trained record.
type Evaluated struct {
	Data, Split string
	Status      string // StatusOK, StatusSkipped (not trained) or StatusFailed
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
				if e.Status != StatusOK {
					f[5+k].AppendNull()
				} else {
					f[5+k].(*array.Float64Builder).Append(v)
				}
			}
		}
	})
}
