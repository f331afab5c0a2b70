package formats

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Reader reads one or more Arrow IPC streams written back to back from an io.Reader
// as one sequence of record batches. Every stream must have the same fields as the
// first; the first stream's schema (with its metadata) is the reader's schema.
// A stream that ends without its end-of-stream marker is an error. Columns come out in
// the plain types dds writes (see plainType), whatever encoding the writer chose.
type Reader struct {
	name   string
	in     *framer
	mem    memory.Allocator
	cur    *ipc.Reader
	schema *arrow.Schema // the first stream's, in plain types
	plain  *arrow.Schema // the current stream's in plain types; nil when it has them

	rec  arrow.RecordBatch
	err  error
	done bool
	// inputs are the inputs after the current one (OpenReaders), each opened when
	// the one before it ends; closeIn closes the current one when it is not the first.
	inputs  []string
	stdin   io.Reader
	closeIn func() error
}

// NewReader returns a Reader over r. name says where the data comes from in errors
// ("stdin", a file path). The first stream's schema is read at once, so an input
// that is not an Arrow stream fails here.
func NewReader(r io.Reader, name string, mem memory.Allocator) (*Reader, error) {
	if mem == nil {
		mem = memory.DefaultAllocator
	}
	rd := &Reader{name: name, in: &framer{r: bufio.NewReaderSize(r, 1<<16), nodes: -1, buffers: -1}, mem: mem}
	if _, err := rd.in.r.Peek(1); err == io.EOF {
		return nil, fmt.Errorf("%s: empty input, expected an Arrow IPC stream", name)
	} else if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if err := rd.open(); err != nil {
		return nil, err
	}
	rd.schema, _ = plainSchema(rd.cur.Schema())
	return rd, nil
}

func (r *Reader) open() error {
	r.in.reset()
	cur, err := ipc.NewReader(r.in, ipc.WithAllocator(r.mem), ipc.WithDelayReadSchema(false))
	if err != nil {
		return r.wrap(err)
	}
	if err := r.in.setSchema(cur.Schema()); err != nil {
		cur.Release()
		return fmt.Errorf("%s: %v", r.name, err)
	}
	plain, changed := plainSchema(cur.Schema())
	if r.schema != nil && !sameFields(r.schema, plain) {
		cur.Release()
		return fmt.Errorf("%s: concatenated streams have different columns: %s then %s", r.name, fieldList(r.schema), fieldList(plain))
	}
	r.cur, r.plain = cur, nil
	if changed {
		r.plain = plain
	}
	return nil
}

func (r *Reader) wrap(err error) error {
	if r.in.err != nil {
		err = r.in.err
	}
	if errors.Is(err, errCorrupt) {
		return fmt.Errorf("%s: %v", r.name, err)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("%s: truncated Arrow stream (input ends inside a message; did the producer fail?)", r.name)
	}
	return fmt.Errorf("%s: not a valid Arrow IPC stream: %v", r.name, err)
}

// Schema returns the schema of the first stream.
func (r *Reader) Schema() *arrow.Schema { return r.schema }

// Next advances to the next record batch, crossing into following streams.
// It returns false at the end of the input or on error; check Err.
func (r *Reader) Next() bool {
	if r.rec != nil {
		r.rec.Release()
		r.rec = nil
	}
	for !r.done && r.err == nil {
		if r.cur.Next() {
			r.rec = r.cur.RecordBatch()
			if r.plain == nil {
				r.rec.Retain()
				return true
			}
			var err error
			if r.rec, err = plainRecord(r.mem, r.rec, r.plain); err != nil {
				r.err = fmt.Errorf("%s: %v", r.name, err)
				return false
			}
			return true
		}
		if err := r.cur.Err(); err != nil {
			r.err = r.wrap(err)
			break
		}
		r.cur.Release()
		r.cur = nil
		if !r.in.eos {
			r.err = fmt.Errorf("%s: truncated Arrow stream (no end-of-stream marker; did the producer fail?)", r.name)
			break
		}
		if _, err := r.in.r.Peek(1); err == io.EOF {
			if err := r.nextInput(); err != nil {
				r.err = err
				break
			}
			if r.in == nil {
				r.done = true
				break
			}
		} else if err != nil {
			r.err = fmt.Errorf("%s: %w", r.name, err)
			break
		}
		if err := r.open(); err != nil {
			r.err = err
		}
	}
	return false
}

// Record returns the current record batch, valid until the next call to Next.
func (r *Reader) Record() arrow.RecordBatch { return r.rec }

// Err returns the first error met, or nil at a clean end of input.
func (r *Reader) Err() error { return r.err }

// nextInput moves to the next of the inputs given to OpenReaders, closing the
// current one; r.in is nil when there is none.
func (r *Reader) nextInput() error {
	if r.closeIn != nil {
		r.closeIn()
		r.closeIn = nil
	}
	r.in = nil
	if len(r.inputs) == 0 {
		return nil
	}
	path := r.inputs[0]
	r.inputs = r.inputs[1:]
	in, name, closeIn, err := OpenInput(path, r.stdin)
	if err != nil {
		return err
	}
	r.name, r.closeIn = name, closeIn
	r.in = &framer{r: bufio.NewReaderSize(in, 1<<16), nodes: -1, buffers: -1}
	if _, err := r.in.r.Peek(1); err == io.EOF {
		return fmt.Errorf("%s: empty input, expected an Arrow IPC stream", name)
	} else if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}

// Release frees the reader's resources.
func (r *Reader) Release() {
	if r.closeIn != nil {
		r.closeIn()
		r.closeIn = nil
	}
	if r.rec != nil {
		r.rec.Release()
		r.rec = nil
	}
	if r.cur != nil {
		r.cur.Release()
		r.cur = nil
	}
}

func sameFields(a, b *arrow.Schema) bool {
	return slices.EqualFunc(a.Fields(), b.Fields(), func(x, y arrow.Field) bool {
		return x.Name == y.Name && x.Nullable == y.Nullable && arrow.TypeEqual(x.Type, y.Type)
	})
}

func fieldList(s *arrow.Schema) string {
	var b bytes.Buffer
	b.WriteByte('[')
	for i, f := range s.Fields() {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(f.Name)
	}
	b.WriteByte(']')
	return b.String()
}

// Compression is the codec of a stream's record batch bodies: zstd (the default),
// lz4 (LZ4 frame) or none. Every Arrow reader that handles compressed IPC reads both
// codecs; some (duckdb-wasm, readers built without codecs) read only uncompressed
// streams.
type Compression string

// The codecs a writer offers.
const (
	Zstd         Compression = "zstd"
	LZ4          Compression = "lz4"
	Uncompressed Compression = "none"
)

// String returns the codec's flag spelling; the zero value is zstd.
func (c *Compression) String() string {
	if c == nil || *c == "" {
		return string(Zstd)
	}
	return string(*c)
}

// Set parses a --compression value.
func (c *Compression) Set(s string) error {
	switch Compression(s) {
	case Zstd, LZ4, Uncompressed:
		*c = Compression(s)
		return nil
	}
	return fmt.Errorf("want zstd, lz4 or none")
}

// CompressionFlag adds --compression to fs and returns its value (zstd unless set).
func CompressionFlag(fs *flag.FlagSet) *Compression {
	c := Zstd
	fs.Var(&c, "compression", compressionUsage)
	return &c
}

func (c Compression) option() []ipc.Option {
	switch c {
	case LZ4:
		return []ipc.Option{ipc.WithLZ4()}
	case Uncompressed:
		return nil
	}
	return []ipc.Option{ipc.WithZstd()}
}

// Writer writes record batches as one Arrow IPC stream, its bodies compressed with
// the codec of the destination (an Output's Compression) or zstd.
// Close writes the end-of-stream marker; a caller that fails part-way must not call
// Close, so that readers see the output as truncated.
type Writer struct {
	w *ipc.Writer
}

// NewWriter starts a stream with the given schema on w.
func NewWriter(w io.Writer, schema *arrow.Schema, mem memory.Allocator) *Writer {
	if mem == nil {
		mem = memory.DefaultAllocator
	}
	codec := Zstd
	if o, ok := w.(*Output); ok && o.Compression != "" {
		codec = o.Compression
	}
	opts := append([]ipc.Option{ipc.WithSchema(schema), ipc.WithAllocator(mem)}, codec.option()...)
	return &Writer{w: ipc.NewWriter(w, opts...)}
}

// Write appends one record batch to the stream.
func (w *Writer) Write(rec arrow.RecordBatch) error { return w.w.Write(rec) }

// Close ends the stream: it writes the schema if no batch was written, then the
// end-of-stream marker.
func (w *Writer) Close() error { return w.w.Close() }

// guard turns a panic raised while reading array values into an error. arrow-go does
// not validate offsets of arrays it reads from IPC, so a corrupt buffer that passes
// the framing checks can still index out of range when its values are read.
func guard(err *error) {
	if p := recover(); p != nil {
		*err = fmt.Errorf("corrupt record batch: %v", p)
	}
}

// checkColumn verifies that a column read from IPC has rows values and buffers large
// enough for them (validity bitmap, fixed-width data, offsets within their values),
// recursively through lists and structs, before any value is read.
func checkColumn(a arrow.Array, rows int) error {
	if a.Len() != rows {
		return fmt.Errorf("column has %d values for %d rows", a.Len(), rows)
	}
	d := a.Data()
	end := d.Offset() + d.Len()
	bufs := d.Buffers()
	if len(bufs) > 0 && bufs[0] != nil && bufs[0].Len()*8 < end {
		return fmt.Errorf("validity bitmap too short")
	}
	if fw, ok := a.DataType().(arrow.FixedWidthDataType); ok && a.DataType().ID() != arrow.BOOL {
		if len(bufs) < 2 || bufs[1] == nil || bufs[1].Len() < end*fw.BitWidth()/8 {
			return fmt.Errorf("data buffer too short")
		}
	}
	if v, ok := a.(interface{ ValidateFull() error }); ok {
		if err := v.ValidateFull(); err != nil {
			return err
		}
	}
	switch a := a.(type) {
	case *array.List:
		vals := a.ListValues()
		return checkColumn(vals, vals.Len())
	case *array.Struct:
		for i := 0; i < a.NumField(); i++ {
			f := a.Field(i)
			if f.Len() < a.Len() {
				return fmt.Errorf("struct field shorter than its struct")
			}
			if err := checkColumn(f, f.Len()); err != nil {
				return err
			}
		}
	}
	return nil
}
