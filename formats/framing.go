package formats

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/apache/arrow-go/v18/arrow"
)

// Limits on what one IPC message may claim before its bytes are trusted.
const (
	maxMetadataSize = 16 << 20 // flatbuffer metadata of one message
	// A message's compressed buffers may claim at most uncompressedSlack plus
	// maxCompressionRatio times the body size in all: real data (near-incompressible
	// weights, or small batches of metadata columns) stays far inside it, while a
	// corrupt size field cannot make the reader allocate gigabytes.
	uncompressedSlack   = 64 << 20
	maxCompressionRatio = 64
	maxFlatbufferNest   = 64 // nesting depth of fields in a schema
)

// errCorrupt marks input whose framing or metadata is inconsistent.
var errCorrupt = errors.New("corrupt Arrow IPC message")

// framer sits between the input and arrow-go's IPC reader. It reads one message at a
// time, checks its flatbuffer metadata (every vector within the message, so no claimed
// length can make the reader allocate more than the input holds), reads the whole body
// before passing anything on (so a claimed body size must be backed by real bytes),
// checks the uncompressed sizes of compressed buffers, and notes whether the stream
// ended with its end-of-stream marker (0xFFFFFFFF then a zero length, or the legacy
// 4-byte zero length that writers before format version 1.0 end a stream with).
type framer struct {
	r       *bufio.Reader
	pending []byte // bytes of the current message not yet handed on
	eos     bool   // the current stream's end-of-stream marker was read
	err     error  // why the input was rejected
	msg     bytes.Buffer
	// nodes and buffers are how many field nodes and buffers a record batch of the
	// current stream's schema has (arrow-go reads them by index without checking
	// the lengths of the vectors that hold them); -1 until the schema is known.
	nodes, buffers int
	dicts          bool // the schema has dictionary-encoded (string or binary) columns
}

func (f *framer) Read(p []byte) (int, error) {
	if len(f.pending) == 0 {
		if f.eos {
			return 0, io.EOF
		}
		if f.err != nil {
			return 0, f.err
		}
		if err := f.next(); err != nil {
			if err != io.EOF {
				f.err = err
			}
			return 0, err
		}
	}
	n := copy(p, f.pending)
	f.pending = f.pending[n:]
	return n, nil
}

// reset starts the next stream of a concatenated input.
func (f *framer) reset() {
	f.eos, f.pending, f.nodes, f.buffers, f.dicts = false, nil, -1, -1, false
}

// setSchema records the layout of record batches of schema s. Streams with view,
// union or run-end-encoded columns, or dictionaries of anything but strings or
// binary, are refused.
func (f *framer) setSchema(s *arrow.Schema) error {
	f.nodes, f.buffers = 0, 0
	for _, fd := range s.Fields() {
		if err := f.count(fd.Type); err != nil {
			return fmt.Errorf("column %q: %v", fd.Name, err)
		}
	}
	return nil
}

// count adds the field nodes and buffers that arrow-go's IPC loader reads for one
// array of type dt: one node per array, a validity bitmap for every type but null,
// then one data buffer (fixed width), offsets and data (binary, string), or offsets
// (list, map) before the children.
func (f *framer) count(dt arrow.DataType) error {
	f.nodes++
	switch dt := dt.(type) {
	case *arrow.NullType:
	case *arrow.BinaryType, *arrow.StringType, *arrow.LargeBinaryType, *arrow.LargeStringType:
		f.buffers += 3
	case *arrow.ListType:
		f.buffers += 2
		return f.count(dt.Elem())
	case *arrow.LargeListType:
		f.buffers += 2
		return f.count(dt.Elem())
	case *arrow.MapType:
		f.buffers += 2
		return f.count(dt.Elem())
	case *arrow.FixedSizeListType:
		f.buffers++
		return f.count(dt.Elem())
	case *arrow.StructType:
		f.buffers++
		for _, c := range dt.Fields() {
			if err := f.count(c.Type); err != nil {
				return err
			}
		}
	case arrow.ExtensionType:
		f.nodes--
		return f.count(dt.StorageType())
	case *arrow.DictionaryType:
		switch dt.ValueType.(type) {
		case *arrow.StringType, *arrow.LargeStringType, *arrow.BinaryType, *arrow.LargeBinaryType:
		default:
			return fmt.Errorf("dictionary-encoded columns of %s are not supported", dt.ValueType)
		}
		f.dicts = true
		f.buffers += 2 // the indices; the values come in dictionary batches
	case arrow.FixedWidthDataType:
		f.buffers += 2
	default:
		return fmt.Errorf("columns of type %s are not supported", dt)
	}
	return nil
}

// next reads the next message into pending. It returns io.EOF when the input ends at
// a message boundary, io.ErrUnexpectedEOF when it ends inside a message.
func (f *framer) next() error {
	var prefix [8]byte
	if _, err := io.ReadFull(f.r, prefix[:4]); err != nil {
		return err // io.EOF at a boundary, io.ErrUnexpectedEOF inside the prefix
	}
	switch binary.LittleEndian.Uint32(prefix[:4]) {
	case 0xffffffff:
	case 0:
		// The end-of-stream marker of the format before 1.0 (0.14 and earlier wrote
		// no continuation token): a zero metadata length. arrow-go reads it as the end.
		f.eos = true
		f.pending = append(f.msg.Bytes()[:0], prefix[:4]...)
		return nil
	default:
		return fmt.Errorf("%w: bad message prefix %x", errCorrupt, prefix[:4])
	}
	if _, err := io.ReadFull(f.r, prefix[4:]); err != nil {
		return unexpected(err)
	}
	n := int32(binary.LittleEndian.Uint32(prefix[4:]))
	if n == 0 {
		f.eos = true
		f.pending = append(f.msg.Bytes()[:0], prefix[:]...)
		return nil
	}
	if n < 8 || n > maxMetadataSize {
		return fmt.Errorf("%w: metadata size %d", errCorrupt, n)
	}
	f.msg.Reset()
	f.msg.Write(prefix[:])
	if _, err := io.CopyN(&f.msg, f.r, int64(n)); err != nil {
		return unexpected(err)
	}
	meta := f.msg.Bytes()[8:]
	info, err := checkMessage(meta)
	if err != nil {
		return fmt.Errorf("%w: %v", errCorrupt, err)
	}
	if info.dict && (!f.dicts || info.nodes < 1 || len(info.buffers) < 3) {
		return fmt.Errorf("%w: dictionary batch of %d field nodes and %d buffers in a stream whose schema has no string dictionary",
			errCorrupt, info.nodes, len(info.buffers))
	}
	if info.batch && (f.nodes < 0 || info.nodes < f.nodes || len(info.buffers) < f.buffers) {
		return fmt.Errorf("%w: record batch has %d field nodes and %d buffers, its schema needs %d and %d",
			errCorrupt, info.nodes, len(info.buffers), f.nodes, f.buffers)
	}
	if _, err := io.CopyN(&f.msg, f.r, info.bodyLen); err != nil {
		return unexpected(err)
	}
	if info.compressed {
		body := f.msg.Bytes()[8+int(n):]
		budget := uncompressedSlack + maxCompressionRatio*info.bodyLen
		for _, b := range info.buffers {
			if b.length == 0 {
				continue
			}
			if b.length < 8 { // every compressed buffer starts with its 8-byte size
				return fmt.Errorf("%w: compressed buffer of %d bytes", errCorrupt, b.length)
			}
			size := int64(binary.LittleEndian.Uint64(body[b.offset:]))
			if size == -1 {
				continue
			}
			if size < 0 || size > budget {
				return fmt.Errorf("%w: compressed buffers claim more than %d bytes", errCorrupt, uncompressedSlack+maxCompressionRatio*info.bodyLen)
			}
			budget -= size
		}
	}
	f.pending = f.msg.Bytes()
	return nil
}

func unexpected(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// messageInfo is what the framer needs from a message's metadata.
type messageInfo struct {
	bodyLen    int64
	batch      bool // a record batch
	dict       bool // a dictionary batch
	nodes      int
	compressed bool
	buffers    []span
}

type span struct{ offset, length int64 }

// fb reads a flatbuffer with every access bounds-checked; the first failure sticks.
type fb struct {
	b   []byte
	bad bool
}

func (f *fb) u32(pos int) int {
	if pos < 0 || pos+4 > len(f.b) {
		f.bad = true
		return 0
	}
	return int(binary.LittleEndian.Uint32(f.b[pos:]))
}

func (f *fb) i64(pos int) int64 {
	if pos < 0 || pos+8 > len(f.b) {
		f.bad = true
		return 0
	}
	return int64(binary.LittleEndian.Uint64(f.b[pos:]))
}

func (f *fb) u16(pos int) int {
	if pos < 0 || pos+2 > len(f.b) {
		f.bad = true
		return 0
	}
	return int(binary.LittleEndian.Uint16(f.b[pos:]))
}

// field returns the position of field slot i of the table at pos, or -1 when absent.
func (f *fb) field(table, slot int) int {
	vt := table - int(int32(f.u32(table)))
	vtSize := f.u16(vt)
	if f.bad || 4+2*slot >= vtSize { // as flatbuffers does: a slot starting inside the vtable counts
		return -1
	}
	off := f.u16(vt + 4 + 2*slot)
	if off == 0 {
		return -1
	}
	return table + off
}

// ref follows the offset stored at field slot i, returning the target or -1.
func (f *fb) ref(table, slot int) int {
	p := f.field(table, slot)
	if p < 0 {
		return -1
	}
	t := p + f.u32(p)
	if t >= len(f.b) {
		f.bad = true
		return -1
	}
	return t
}

// vector returns the start and length of the vector at field slot i with elements
// of elem bytes, checking that it lies inside the buffer; n is -1 when absent.
func (f *fb) vector(table, slot, elem int) (start, n int) {
	v := f.ref(table, slot)
	if v < 0 {
		return 0, -1
	}
	n = f.u32(v)
	if f.bad || n > (len(f.b)-v-4)/elem {
		f.bad = true
		return 0, -1
	}
	return v + 4, n
}

// tables calls fn for each table of a vector of tables at field slot i.
func (f *fb) tables(table, slot int, fn func(int)) {
	start, n := f.vector(table, slot, 4)
	for i := 0; i < n && !f.bad; i++ {
		p := start + 4*i
		fn(p + f.u32(p))
	}
}

func (f *fb) keyValues(table, slot int) {
	f.tables(table, slot, func(kv int) {
		f.vector(kv, 0, 1)
		f.vector(kv, 1, 1)
	})
}

// schemaField checks a Field table and its children.
func (f *fb) schemaField(t, depth int) {
	if depth > maxFlatbufferNest {
		f.bad = true
		return
	}
	f.vector(t, 0, 1) // name
	if typ := f.ref(t, 3); typ >= 0 {
		switch p := f.field(t, 2); {
		case p >= 0 && p < len(f.b) && f.b[p] == 14: // Union: typeIds
			f.vector(typ, 1, 4)
		case p >= 0 && p < len(f.b) && f.b[p] == 10: // Timestamp: timezone
			f.vector(typ, 1, 1)
		}
	}
	if d := f.ref(t, 4); d >= 0 {
		f.ref(d, 1)
	}
	f.tables(t, 5, func(c int) { f.schemaField(c, depth+1) })
	f.keyValues(t, 6)
}

// recordBatch checks a RecordBatch table and returns its buffers and compression.
func (f *fb) recordBatch(t int, info *messageInfo) {
	info.batch = true
	_, info.nodes = f.vector(t, 1, 16)
	start, n := f.vector(t, 2, 16)
	for i := 0; i < n && !f.bad; i++ {
		b := span{f.i64(start + 16*i), f.i64(start + 16*i + 8)}
		if b.offset < 0 || b.length < 0 || b.offset > info.bodyLen || b.length > info.bodyLen-b.offset {
			f.bad = true
			return
		}
		info.buffers = append(info.buffers, b)
	}
	info.compressed = f.ref(t, 3) >= 0
	f.vector(t, 4, 8) // variadic buffer counts
}

// checkMessage verifies the flatbuffer metadata of one IPC message.
func checkMessage(meta []byte) (messageInfo, error) {
	f := &fb{b: meta}
	var info messageInfo
	root := f.u32(0)
	if p := f.field(root, 3); p >= 0 {
		info.bodyLen = f.i64(p)
	}
	if info.bodyLen < 0 {
		return info, fmt.Errorf("negative body length")
	}
	kind := -1
	if p := f.field(root, 1); p >= 0 && p < len(meta) {
		kind = int(meta[p])
	}
	h := f.ref(root, 2)
	f.keyValues(root, 4)
	if h < 0 && !f.bad {
		return info, fmt.Errorf("message has no header")
	}
	switch kind {
	case 1: // Schema
		f.tables(h, 1, func(t int) { f.schemaField(t, 0) })
		f.keyValues(h, 2)
		f.vector(h, 3, 8)
	case 2: // DictionaryBatch: id, data (a RecordBatch), isDelta
		if d := f.ref(h, 1); d >= 0 {
			f.recordBatch(d, &info)
		} else if !f.bad {
			return info, fmt.Errorf("dictionary batch has no data")
		}
		info.batch, info.dict = false, true
	case 3: // RecordBatch
		f.recordBatch(h, &info)
	default:
		return info, fmt.Errorf("unsupported message type %d", kind)
	}
	if f.bad {
		return info, fmt.Errorf("metadata offsets or lengths out of range")
	}
	return info, nil
}
