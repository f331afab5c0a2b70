package safetensors

import (
	"encoding/binary"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"unicode/utf8"
)

// MaxHeaderSize is the largest header, in bytes, that Encode writes and Decode reads;
// the reference implementation has the same limit.
const MaxHeaderSize = 100_000_000

// metadataKey is the header key that holds the metadata instead of a tensor.
const metadataKey = "__metadata__"

// Encode returns the safetensors file holding tensors, in the order given, and
// metadata (nil or empty for none). The output depends only on the arguments: tensors
// and their header entries appear in the order given, metadata keys sorted, and the
// header is padded with spaces to a multiple of 8 bytes.
//
// Encode errors when a tensor name is empty, repeated or "__metadata__", when a name
// or metadata string is not valid UTF-8, when a dtype is unknown, a dimension
// negative, or len(Data) is not product(Shape) × DType.Size(), and when the header
// would exceed MaxHeaderSize.
func Encode(tensors []Tensor, metadata map[string]string) ([]byte, error) {
	hdr := []byte{'{'}
	if len(metadata) > 0 {
		hdr = appendString(hdr, metadataKey)
		hdr = append(hdr, ':', '{')
		for i, k := range slices.Sorted(maps.Keys(metadata)) {
			v := metadata[k]
			if !utf8.ValidString(k) || !utf8.ValidString(v) {
				return nil, fmt.Errorf("safetensors: metadata %q: %q: not valid UTF-8", k, v)
			}
			if i > 0 {
				hdr = append(hdr, ',')
			}
			hdr = appendString(hdr, k)
			hdr = append(hdr, ':')
			hdr = appendString(hdr, v)
		}
		hdr = append(hdr, '}')
	}

	seen := make(map[string]bool, len(tensors))
	var off int
	for _, t := range tensors {
		switch {
		case t.Name == "":
			return nil, fmt.Errorf("safetensors: tensor with an empty name (dtype %s, shape %v)", t.DType, t.Shape)
		case t.Name == metadataKey:
			return nil, fmt.Errorf("safetensors: tensor name %q is reserved for the metadata", t.Name)
		case !utf8.ValidString(t.Name):
			return nil, fmt.Errorf("safetensors: tensor name %q is not valid UTF-8", t.Name)
		case seen[t.Name]:
			return nil, fmt.Errorf("safetensors: tensor %q appears twice", t.Name)
		}
		seen[t.Name] = true
		n, err := byteLen(t.DType, t.Shape)
		if err != nil {
			return nil, fmt.Errorf("safetensors: tensor %q: %v", t.Name, err)
		}
		if n != len(t.Data) {
			return nil, fmt.Errorf("safetensors: tensor %q has %d data bytes, want %d for %s %v", t.Name, len(t.Data), n, t.DType, t.Shape)
		}

		if len(hdr) > 1 {
			hdr = append(hdr, ',')
		}
		hdr = appendString(hdr, t.Name)
		hdr = append(hdr, `:{"dtype":`...)
		hdr = appendString(hdr, string(t.DType))
		hdr = append(hdr, `,"shape":[`...)
		for i, d := range t.Shape {
			if i > 0 {
				hdr = append(hdr, ',')
			}
			hdr = strconv.AppendInt(hdr, int64(d), 10)
		}
		hdr = append(hdr, `],"data_offsets":[`...)
		hdr = strconv.AppendInt(hdr, int64(off), 10)
		hdr = append(hdr, ',')
		off += n
		hdr = strconv.AppendInt(hdr, int64(off), 10)
		hdr = append(hdr, ']', '}')
	}
	hdr = append(hdr, '}')
	for len(hdr)%8 != 0 {
		hdr = append(hdr, ' ')
	}
	if len(hdr) > MaxHeaderSize {
		return nil, fmt.Errorf("safetensors: header of %d bytes exceeds the limit of %d bytes", len(hdr), MaxHeaderSize)
	}

	out := make([]byte, 8, 8+len(hdr)+off)
	binary.LittleEndian.PutUint64(out, uint64(len(hdr)))
	out = append(out, hdr...)
	for _, t := range tensors {
		out = append(out, t.Data...)
	}
	return out, nil
}

// appendString appends s, which must be valid UTF-8, to b as a JSON string. Only '"',
// '\\' and control characters are escaped; everything else is written as is.
func appendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c == '\n':
			b = append(b, '\\', 'n')
		case c == '\r':
			b = append(b, '\\', 'r')
		case c == '\t':
			b = append(b, '\\', 't')
		case c < 0x20:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}
