package safetensors

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// File is a decoded safetensors file.
type File struct {
	// Tensors in the order of their data offsets; tensors with equal offsets (empty
	// ones) keep their header order.
	Tensors []Tensor
	// Metadata is the header's "__metadata__" object, nil when there is none or it is
	// empty.
	Metadata map[string]string
}

// Get returns the tensor called name and whether there is one.
func (f *File) Get(name string) (Tensor, bool) {
	for _, t := range f.Tensors {
		if t.Name == name {
			return t, true
		}
	}
	return Tensor{}, false
}

// Decode parses a safetensors file and checks it against every rule of the format
// (see the package documentation), returning an error that names the first rule
// broken. It does not panic on any input. The tensors' Data are copied out of b, into
// one allocation shared by all of them.
func Decode(b []byte) (*File, error) {
	if len(b) < 8 {
		return nil, fmt.Errorf("safetensors: input of %d bytes is shorter than the 8-byte header length", len(b))
	}
	n := binary.LittleEndian.Uint64(b)
	if n > MaxHeaderSize {
		return nil, fmt.Errorf("safetensors: header length %d exceeds the limit of %d bytes", n, MaxHeaderSize)
	}
	if n > uint64(len(b)-8) {
		return nil, fmt.Errorf("safetensors: header length %d exceeds the %d bytes after the length (input truncated?)", n, len(b)-8)
	}
	header, data := b[8:8+n], b[8+n:]
	if !utf8.Valid(header) {
		return nil, errors.New("safetensors: header is not valid UTF-8")
	}
	fields, err := objectFields(header)
	if err != nil {
		return nil, fmt.Errorf("safetensors: header: %v", err)
	}

	type entry struct {
		t          Tensor
		begin, end uint64
	}
	f := &File{}
	entries := make([]entry, 0, len(fields))
	for _, fl := range fields {
		if fl.key == metadataKey {
			if f.Metadata, err = parseMetadata(fl.val); err != nil {
				return nil, err
			}
			continue
		}
		t, begin, end, err := parseEntry(fl.key, fl.val)
		if err != nil {
			return nil, err
		}
		entries = append(entries, entry{t, begin, end})
	}

	slices.SortStableFunc(entries, func(a, b entry) int {
		return cmp.Or(cmp.Compare(a.begin, b.begin), cmp.Compare(a.end, b.end))
	})
	var pos uint64
	for i, e := range entries {
		switch {
		case e.begin != pos && i == 0:
			return nil, fmt.Errorf("safetensors: tensor %q: data_offsets [%d,%d] leave a gap: the first tensor must begin at 0", e.t.Name, e.begin, e.end)
		case e.begin > pos:
			return nil, fmt.Errorf("safetensors: tensor %q: data_offsets [%d,%d] leave a gap after tensor %q, which ends at %d", e.t.Name, e.begin, e.end, entries[i-1].t.Name, pos)
		case e.begin < pos:
			return nil, fmt.Errorf("safetensors: tensor %q: data_offsets [%d,%d] overlap tensor %q, which ends at %d", e.t.Name, e.begin, e.end, entries[i-1].t.Name, pos)
		}
		pos = e.end
	}
	if pos != uint64(len(data)) {
		if pos > uint64(len(data)) {
			return nil, fmt.Errorf("safetensors: data section is %d bytes, but the tensors end at %d (input truncated?)", len(data), pos)
		}
		return nil, fmt.Errorf("safetensors: data section is %d bytes, but the tensors end at %d: %d bytes left over", len(data), pos, uint64(len(data))-pos)
	}

	data = bytes.Clone(data)
	f.Tensors = make([]Tensor, len(entries))
	for i, e := range entries {
		e.t.Data = data[e.begin:e.end:e.end]
		f.Tensors[i] = e.t
	}
	return f, nil
}

// parseEntry parses the header entry of the tensor called name and returns the tensor,
// without its data, and its data offsets. It checks that the offsets hold exactly
// the tensor's bytes.
func parseEntry(name string, raw []byte) (t Tensor, begin, end uint64, err error) {
	fail := func(format string, args ...any) (Tensor, uint64, uint64, error) {
		return Tensor{}, 0, 0, fmt.Errorf("safetensors: tensor %q: "+format, append([]any{name}, args...)...)
	}
	if name == "" {
		return Tensor{}, 0, 0, errors.New("safetensors: tensor with an empty name")
	}
	fields, err := objectFields(raw)
	if err != nil {
		return fail("%v", err)
	}
	var dtype, shape, offsets []byte
	for _, fl := range fields {
		switch fl.key {
		case "dtype":
			dtype = fl.val
		case "shape":
			shape = fl.val
		case "data_offsets":
			offsets = fl.val
		}
	}
	switch {
	case dtype == nil:
		return fail(`no "dtype"`)
	case shape == nil:
		return fail(`no "shape"`)
	case offsets == nil:
		return fail(`no "data_offsets"`)
	}

	var s string
	if !isString(dtype) || json.Unmarshal(dtype, &s) != nil {
		return fail("dtype %s is not a string", short(dtype))
	}
	t = Tensor{Name: name, DType: DType(s)}
	if t.DType.Size() == 0 {
		return fail("unknown dtype %q", s)
	}

	dims, err := uints(shape)
	if err != nil {
		return fail("shape %s: %v", short(shape), err)
	}
	t.Shape = make([]int, len(dims))
	for i, d := range dims {
		if d > math.MaxInt {
			return fail("shape %s: dimension %d is too large", short(shape), d)
		}
		t.Shape[i] = int(d)
	}
	size, err := byteLen(t.DType, t.Shape)
	if err != nil {
		return fail("%v", err)
	}

	off, err := uints(offsets)
	if err != nil {
		return fail("data_offsets %s: %v", short(offsets), err)
	}
	if len(off) != 2 {
		return fail("data_offsets %s: want [begin,end], got %d numbers", short(offsets), len(off))
	}
	begin, end = off[0], off[1]
	if end < begin {
		return fail("data_offsets [%d,%d] end before they begin", begin, end)
	}
	if end-begin != uint64(size) {
		return fail("data_offsets [%d,%d] hold %d bytes, want %d for %s %v", begin, end, end-begin, size, t.DType, t.Shape)
	}
	return t, begin, end, nil
}

// parseMetadata parses the header's "__metadata__" value: an object of strings, or
// null. It returns nil for null and for an empty object.
func parseMetadata(raw []byte) (map[string]string, error) {
	if string(raw) == "null" {
		return nil, nil
	}
	fields, err := objectFields(raw)
	if err != nil {
		return nil, fmt.Errorf("safetensors: %s: %v", metadataKey, err)
	}
	if len(fields) == 0 {
		return nil, nil
	}
	md := make(map[string]string, len(fields))
	for _, fl := range fields {
		var s string
		if !isString(fl.val) || json.Unmarshal(fl.val, &s) != nil {
			return nil, fmt.Errorf("safetensors: %s: value of %q is %s, want a string", metadataKey, fl.key, short(fl.val))
		}
		md[fl.key] = s
	}
	return md, nil
}

// field is one key of a JSON object and its value, as raw JSON without surrounding
// white space.
type field struct {
	key string
	val []byte
}

// objectFields parses raw as exactly one JSON object and returns its keys and values
// in order. It errors on invalid JSON, a value that is not an object, a repeated key
// and anything after the object but white space.
func objectFields(raw []byte) ([]field, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	tok, err := dec.Token()
	if err != nil {
		return nil, jsonError(err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, fmt.Errorf("got %s, want a JSON object", short(raw))
	}
	var fields []field
	seen := make(map[string]bool)
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, jsonError(err)
		}
		key, ok := tok.(string)
		if !ok {
			return nil, fmt.Errorf("invalid JSON: object key %v is not a string", tok)
		}
		if seen[key] {
			return nil, fmt.Errorf("key %q appears twice", key)
		}
		seen[key] = true
		var val json.RawMessage
		if err := dec.Decode(&val); err != nil {
			return nil, jsonError(err)
		}
		fields = append(fields, field{key, bytes.TrimSpace(val)})
	}
	if tok, err := dec.Token(); err != nil {
		return nil, jsonError(err)
	} else if d, ok := tok.(json.Delim); !ok || d != '}' {
		return nil, fmt.Errorf("invalid JSON: got %v, want '}'", tok)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("invalid JSON: data after the object")
	}
	return fields, nil
}

// jsonError describes an error of the JSON decoder.
func jsonError(err error) error {
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return errors.New("invalid JSON: unexpected end")
	}
	return fmt.Errorf("invalid JSON: %v", err)
}

// uints parses raw as a JSON array of non-negative integers, each written as plain
// digits.
func uints(raw []byte) ([]uint64, error) {
	var elems []json.RawMessage
	if !bytes.HasPrefix(raw, []byte("[")) || json.Unmarshal(raw, &elems) != nil {
		return nil, errors.New("not an array of non-negative integers")
	}
	v := make([]uint64, len(elems))
	for i, e := range elems {
		e = bytes.TrimSpace(e)
		x, err := strconv.ParseUint(string(e), 10, 64)
		if err != nil {
			if len(e) > 0 && e[0] == '-' {
				return nil, fmt.Errorf("%s is negative", short(e))
			}
			if errors.Is(err, strconv.ErrRange) {
				return nil, fmt.Errorf("%s exceeds %d", short(e), uint64(math.MaxUint64))
			}
			return nil, fmt.Errorf("%s is not a non-negative integer", short(e))
		}
		v[i] = x
	}
	return v, nil
}

// isString reports whether raw JSON is a string.
func isString(raw []byte) bool { return bytes.HasPrefix(raw, []byte(`"`)) }

// short returns raw JSON for a one-line error message: white space outside strings
// becomes spaces (JSON strings hold no raw line breaks), and it is cut to at most 40
// bytes.
func short(raw []byte) string {
	const max = 40
	s := string(raw)
	if len(s) > max {
		cut := max
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return strings.Map(func(r rune) rune {
		if r == '\n' || r == '\r' || r == '\t' {
			return ' '
		}
		return r
	}, s)
}
