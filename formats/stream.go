package formats

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// eos is the IPC end-of-stream marker: a continuation token and a zero length.
var eos = []byte{0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0}

// tailReader remembers the last 8 bytes read through it, so the end of a stream can
// be told apart from a cut at a message boundary.
type tailReader struct {
	r    *bufio.Reader
	tail [8]byte
	n    int // bytes held in tail (≤ 8)
}

func (t *tailReader) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	if n >= 8 {
		copy(t.tail[:], p[n-8:n])
		t.n = 8
	} else if n > 0 {
		keep := min(t.n, 8-n)
		copy(t.tail[:], t.tail[t.n-keep:t.n])
		copy(t.tail[keep:], p[:n])
		t.n = keep + n
	}
	return n, err
}

func (t *tailReader) endedWithEOS() bool {
	return t.n == 8 && bytes.Equal(t.tail[:], eos)
}

// Reader reads one or more Arrow IPC streams written back to back from an io.Reader
// as one sequence of record batches. Every stream must have the same fields as the
// first; the first stream's schema (with its metadata) is the reader's schema.
// A stream that ends without its end-of-stream marker is an error.
type Reader struct {
	name   string
	in     *tailReader
	mem    memory.Allocator
	cur    *ipc.Reader
	schema *arrow.Schema
	rec    arrow.RecordBatch
	err    error
	done   bool
}

// NewReader returns a Reader over r. name says where the data comes from in errors
// ("stdin", a file path). The first stream's schema is read at once, so an input
// that is not an Arrow stream fails here.
func NewReader(r io.Reader, name string, mem memory.Allocator) (*Reader, error) {
	if mem == nil {
		mem = memory.DefaultAllocator
	}
	rd := &Reader{name: name, in: &tailReader{r: bufio.NewReaderSize(r, 1<<16)}, mem: mem}
	if _, err := rd.in.r.Peek(1); err == io.EOF {
		return nil, fmt.Errorf("%s: empty input, expected an Arrow IPC stream", name)
	} else if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if err := rd.open(); err != nil {
		return nil, err
	}
	rd.schema = rd.cur.Schema()
	return rd, nil
}

func (r *Reader) open() error {
	cur, err := ipc.NewReader(r.in, ipc.WithAllocator(r.mem), ipc.WithDelayReadSchema(false))
	if err != nil {
		return r.wrap(err)
	}
	if r.schema != nil && !sameFields(r.schema, cur.Schema()) {
		cur.Release()
		return fmt.Errorf("%s: concatenated streams have different columns: %s then %s", r.name, fieldList(r.schema), fieldList(cur.Schema()))
	}
	r.cur = cur
	return nil
}

func (r *Reader) wrap(err error) error {
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
			r.rec.Retain()
			return true
		}
		if err := r.cur.Err(); err != nil {
			r.err = r.wrap(err)
			break
		}
		r.cur.Release()
		r.cur = nil
		if !r.in.endedWithEOS() {
			r.err = fmt.Errorf("%s: truncated Arrow stream (no end-of-stream marker; did the producer fail?)", r.name)
			break
		}
		if _, err := r.in.r.Peek(1); err == io.EOF {
			r.done = true
			break
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

// Release frees the reader's resources.
func (r *Reader) Release() {
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

// Writer writes record batches as one Arrow IPC stream with zstd-compressed bodies.
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
	return &Writer{w: ipc.NewWriter(w, ipc.WithSchema(schema), ipc.WithAllocator(mem), ipc.WithZstd())}
}

// Write appends one record batch to the stream.
func (w *Writer) Write(rec arrow.RecordBatch) error { return w.w.Write(rec) }

// Close ends the stream: it writes the schema if no batch was written, then the
// end-of-stream marker.
func (w *Writer) Close() error { return w.w.Close() }
