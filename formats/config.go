package formats

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/ddstools/dds/formats/anynet"
)

// Config is one network to train: its architecture, where it came from and its size.
type Config struct {
	ID         string // ConfigID of the architecture
	Space      string // name of the space (or "zoo") it was drawn from
	Index      int64  // position in the sampler's output sequence
	Seed       int64  // seed for everything random about this model (init, data order)
	Net        anynet.Net
	RegNet     *anynet.RegNet // parameters when drawn from a RegNet space or the zoo
	Complexity anynet.Complexity
}

// ConfigID returns the stable content hash of an architecture: the first 16 hex
// digits of SHA-256 over a canonical text of geometry, stem, block and stages.
// Equal architectures get equal ids whatever space or seed produced them.
func ConfigID(n anynet.Net) string {
	var b strings.Builder
	fmt.Fprintf(&b, "anynet/v1 res=%d ch=%d classes=%d stem=%d/%d block=%s se=%s",
		n.Res, n.Channels, n.Classes, n.StemW, n.StemS, n.Block, strconv.FormatFloat(n.SERatio, 'g', -1, 64))
	for _, s := range n.Stages {
		fmt.Fprintf(&b, " [d=%d w=%d s=%d b=%s g=%d]", s.D, s.W, s.S, strconv.FormatFloat(s.B, 'g', -1, 64), s.G)
	}
	sum := sha256.Sum256([]byte(b.String()))
	return hex.EncodeToString(sum[:8])
}

// StageType is the Arrow type of one stage: struct<d, w, s, b, g>.
var StageType = arrow.StructOf(
	arrow.Field{Name: "d", Type: arrow.PrimitiveTypes.Int32},
	arrow.Field{Name: "w", Type: arrow.PrimitiveTypes.Int32},
	arrow.Field{Name: "s", Type: arrow.PrimitiveTypes.Int32},
	arrow.Field{Name: "b", Type: arrow.PrimitiveTypes.Float64},
	arrow.Field{Name: "g", Type: arrow.PrimitiveTypes.Int32},
)

// ConfigFields are the columns of a config stream, in order.
var ConfigFields = []arrow.Field{
	{Name: "id", Type: arrow.BinaryTypes.String},
	{Name: "space", Type: arrow.BinaryTypes.String},
	{Name: "index", Type: arrow.PrimitiveTypes.Int64},
	{Name: "seed", Type: arrow.PrimitiveTypes.Int64},
	{Name: "res", Type: arrow.PrimitiveTypes.Int32},
	{Name: "channels", Type: arrow.PrimitiveTypes.Int32},
	{Name: "classes", Type: arrow.PrimitiveTypes.Int32},
	{Name: "stem_w", Type: arrow.PrimitiveTypes.Int32},
	{Name: "stem_s", Type: arrow.PrimitiveTypes.Int32},
	{Name: "block", Type: arrow.BinaryTypes.String},
	{Name: "se_ratio", Type: arrow.PrimitiveTypes.Float64},
	{Name: "stages", Type: arrow.ListOf(StageType)},
	{Name: "regnet_d", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
	{Name: "regnet_w0", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "regnet_wa", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "regnet_wm", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "flops", Type: arrow.PrimitiveTypes.Int64},
	{Name: "params", Type: arrow.PrimitiveTypes.Int64},
	{Name: "acts", Type: arrow.PrimitiveTypes.Int64},
}

// ConfigSchema returns the schema of a config stream written by p. A non-nil source
// space is carried in the metadata, so later stages know what the configs came from.
func ConfigSchema(p Provenance, source *Space) (*arrow.Schema, error) {
	var extra []string
	if source != nil {
		js, err := source.JSON()
		if err != nil {
			return nil, err
		}
		extra = []string{KeySpace, js}
	}
	md := p.metadata(KindConfig, extra...)
	return arrow.NewSchema(ConfigFields, &md), nil
}

// ConfigRecord encodes configs as one record batch with the given schema, which must
// start with ConfigFields (ConfigSchema's).
func ConfigRecord(mem memory.Allocator, schema *arrow.Schema, cs []Config) arrow.RecordBatch {
	if mem == nil {
		mem = memory.DefaultAllocator
	}
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	f := b.Fields()
	stages := f[11].(*array.ListBuilder)
	st := stages.ValueBuilder().(*array.StructBuilder)
	for _, c := range cs {
		n := c.Net
		f[0].(*array.StringBuilder).Append(c.ID)
		f[1].(*array.StringBuilder).Append(c.Space)
		f[2].(*array.Int64Builder).Append(c.Index)
		f[3].(*array.Int64Builder).Append(c.Seed)
		f[4].(*array.Int32Builder).Append(int32(n.Res))
		f[5].(*array.Int32Builder).Append(int32(n.Channels))
		f[6].(*array.Int32Builder).Append(int32(n.Classes))
		f[7].(*array.Int32Builder).Append(int32(n.StemW))
		f[8].(*array.Int32Builder).Append(int32(n.StemS))
		f[9].(*array.StringBuilder).Append(n.Block)
		f[10].(*array.Float64Builder).Append(n.SERatio)
		stages.Append(true)
		for _, s := range n.Stages {
			st.Append(true)
			st.FieldBuilder(0).(*array.Int32Builder).Append(int32(s.D))
			st.FieldBuilder(1).(*array.Int32Builder).Append(int32(s.W))
			st.FieldBuilder(2).(*array.Int32Builder).Append(int32(s.S))
			st.FieldBuilder(3).(*array.Float64Builder).Append(s.B)
			st.FieldBuilder(4).(*array.Int32Builder).Append(int32(s.G))
		}
		if r := c.RegNet; r != nil {
			f[12].(*array.Int32Builder).Append(int32(r.D))
			f[13].(*array.Float64Builder).Append(r.W0)
			f[14].(*array.Float64Builder).Append(r.WA)
			f[15].(*array.Float64Builder).Append(r.WM)
		} else {
			for _, i := range []int{12, 13, 14, 15} {
				f[i].AppendNull()
			}
		}
		f[16].(*array.Int64Builder).Append(c.Complexity.Flops)
		f[17].(*array.Int64Builder).Append(c.Complexity.Params)
		f[18].(*array.Int64Builder).Append(c.Complexity.Acts)
	}
	return b.NewRecordBatch()
}

// DecodeConfigs reads the config columns of rec by name; other columns are ignored.
// It fails with a clear message when a column is missing or has the wrong type, and
// when a row does not describe a valid network.
func DecodeConfigs(rec arrow.RecordBatch) ([]Config, error) {
	cs, invalid, err := DecodeConfigRows(rec)
	if err != nil {
		return nil, err
	}
	for row, e := range invalid {
		if e != nil {
			return nil, fmt.Errorf("row %d (id %s): %v", row, cs[row].ID, e)
		}
	}
	return cs, nil
}

// DecodeConfigRows is DecodeConfigs for programs that handle configs one by one: a
// row that does not describe a valid network is returned as read, with the reason
// in invalid[row] (nil for valid rows), instead of failing the whole batch.
func DecodeConfigRows(rec arrow.RecordBatch) (_ []Config, invalid []error, err error) {
	defer guard(&err)
	cols := make([]arrow.Array, len(ConfigFields))
	for i, f := range ConfigFields {
		a, err := column(rec, f)
		if err != nil {
			return nil, nil, err
		}
		cols[i] = a
	}
	str := func(i, row int) string { return cols[i].(*array.String).Value(row) }
	i32 := func(i, row int) int { return int(cols[i].(*array.Int32).Value(row)) }
	i64 := func(i, row int) int64 { return cols[i].(*array.Int64).Value(row) }
	f64 := func(i, row int) float64 { return cols[i].(*array.Float64).Value(row) }
	list := cols[11].(*array.List)
	st := list.ListValues().(*array.Struct)
	sd, sw, ss := st.Field(0).(*array.Int32), st.Field(1).(*array.Int32), st.Field(2).(*array.Int32)
	sb, sg := st.Field(3).(*array.Float64), st.Field(4).(*array.Int32)
	out := make([]Config, int(rec.NumRows()))
	invalid = make([]error, len(out))
	for row := range out {
		for i, f := range ConfigFields {
			if !f.Nullable && cols[i].IsNull(row) {
				return nil, nil, fmt.Errorf("row %d: column %q is null", row, f.Name)
			}
		}
		c := Config{
			ID: str(0, row), Space: str(1, row), Index: i64(2, row), Seed: i64(3, row),
			Net: anynet.Net{
				Res: i32(4, row), Channels: i32(5, row), Classes: i32(6, row),
				StemW: i32(7, row), StemS: i32(8, row), Block: str(9, row), SERatio: f64(10, row),
			},
			Complexity: anynet.Complexity{Flops: i64(16, row), Params: i64(17, row), Acts: i64(18, row)},
		}
		lo, hi := list.ValueOffsets(row)
		for j := int(lo); j < int(hi); j++ {
			if st.IsNull(j) {
				return nil, nil, fmt.Errorf("row %d (id %s): stage %d is null", row, c.ID, j-int(lo)+1)
			}
			c.Net.Stages = append(c.Net.Stages, anynet.Stage{
				D: int(sd.Value(j)), W: int(sw.Value(j)), S: int(ss.Value(j)), B: sb.Value(j), G: int(sg.Value(j)),
			})
		}
		if !cols[12].IsNull(row) {
			c.RegNet = &anynet.RegNet{D: i32(12, row), W0: f64(13, row), WA: f64(14, row), WM: f64(15, row)}
		}
		invalid[row] = c.Net.Validate()
		out[row] = c
	}
	return out, invalid, nil
}

// column returns rec's column named f.Name, checking its type and buffers.
func column(rec arrow.RecordBatch, f arrow.Field) (arrow.Array, error) {
	idx := rec.Schema().FieldIndices(f.Name)
	if len(idx) == 0 {
		return nil, fmt.Errorf("input has no column %q (columns: %s)", f.Name, fieldList(rec.Schema()))
	}
	a := rec.Column(idx[0])
	if !arrow.TypeEqual(a.DataType(), f.Type) {
		return nil, fmt.Errorf("column %q has type %s, want %s", f.Name, a.DataType(), f.Type)
	}
	if err := checkColumn(a, int(rec.NumRows())); err != nil {
		return nil, fmt.Errorf("corrupt column %q: %v", f.Name, err)
	}
	return a, nil
}
