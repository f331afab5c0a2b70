package safetensors

import (
	"bytes"
	"encoding/binary"
	"math"
	"slices"
	"strings"
	"testing"
)

// sample returns a few tensors of several dtypes and shapes, an I64 scalar and an empty
// tensor included, and metadata.
func sample() ([]Tensor, map[string]string) {
	w := make([]float32, 2*3*4)
	for i := range w {
		w[i] = float32(i)*0.25 - 3
	}
	w[5] = float32(math.Inf(-1))
	w[6] = float32(math.Copysign(0, -1))
	w[7] = math.SmallestNonzeroFloat32
	ts := []Tensor{
		Float32("s1.b1.f.a.weight", []int{2, 3, 4}, w),
		Float32("s1.b1.f.a_bn.bias", []int{3}, []float32{1.5, -2, 1e-30}),
		Int64("s1.b1.f.a_bn.num_batches_tracked", []int{}, []int64{1<<53 + 1}),
		Int64("steps", []int{2, 2}, []int64{-1, math.MaxInt64, math.MinInt64, 0}),
		Float32("empty", []int{0, 5}, nil),
		{Name: "bytes \"quoted\"\n\tü", DType: U8, Shape: []int{3}, Data: []byte{1, 2, 255}},
		{Name: "half", DType: BF16, Shape: []int{1, 2}, Data: []byte{0x80, 0x3f, 0x00, 0xc0}},
	}
	md := map[string]string{"format": "pt", "arch": "regnetx", "epoch": "12", "note": "a\"b\\c\n"}
	return ts, md
}

func encode(t *testing.T, ts []Tensor, md map[string]string) []byte {
	t.Helper()
	b, err := Encode(ts, md)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func decode(t *testing.T, b []byte) *File {
	t.Helper()
	f, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// sameTensors reports the first difference between two tensor lists, or "".
func sameTensors(a, b []Tensor) string {
	if len(a) != len(b) {
		return "different tensor counts"
	}
	for i := range a {
		x, y := a[i], b[i]
		switch {
		case x.Name != y.Name:
			return "tensor " + x.Name + " vs " + y.Name
		case x.DType != y.DType || !slices.Equal(x.Shape, y.Shape):
			return "tensor " + x.Name + ": dtype or shape"
		case !bytes.Equal(x.Data, y.Data):
			return "tensor " + x.Name + ": data"
		}
	}
	return ""
}

func sameMetadata(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func TestRoundTrip(t *testing.T) {
	ts, md := sample()
	b := encode(t, ts, md)
	if n := binary.LittleEndian.Uint64(b); (8+n)%8 != 0 {
		t.Errorf("data section starts at %d, not a multiple of 8", 8+n)
	}
	f := decode(t, b)
	if d := sameTensors(ts, f.Tensors); d != "" {
		t.Fatalf("round trip changed %s", d)
	}
	if !sameMetadata(md, f.Metadata) {
		t.Errorf("metadata %v, want %v", f.Metadata, md)
	}

	w, ok := f.Get("s1.b1.f.a.weight")
	if !ok {
		t.Fatal("Get: weight missing")
	}
	got, err := w.Float32s()
	if err != nil {
		t.Fatal(err)
	}
	want, _ := ts[0].Float32s()
	for i := range want {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Errorf("weight[%d] = %v, want %v", i, got[i], want[i])
		}
	}
	n, _ := f.Get("s1.b1.f.a_bn.num_batches_tracked")
	if v, err := n.Int64s(); err != nil || len(n.Shape) != 0 || !slices.Equal(v, []int64{1<<53 + 1}) {
		t.Errorf("scalar: shape %v values %v err %v", n.Shape, v, err)
	}
	if _, ok := f.Get("nope"); ok {
		t.Error("Get found a tensor that is not there")
	}

	// Data is a copy: changing the input does not change the tensors.
	for i := range b {
		b[i] = 0
	}
	if v, _ := n.Int64s(); v[0] != 1<<53+1 {
		t.Error("decoded data aliases the input")
	}
}

func TestDeterministic(t *testing.T) {
	ts, md := sample()
	first := encode(t, ts, md)
	for range 20 {
		m := make(map[string]string) // a fresh map each time: a different iteration order
		for k, v := range md {
			m[k] = v
		}
		if !bytes.Equal(encode(t, ts, m), first) {
			t.Fatal("Encode gave different bytes for the same input")
		}
	}
	f := decode(t, first)
	if !bytes.Equal(encode(t, f.Tensors, f.Metadata), first) {
		t.Error("Encode(Decode(b)) != b")
	}
	if !bytes.Equal(encode(t, nil, map[string]string{}), encode(t, nil, nil)) {
		t.Error("empty and nil metadata encode differently")
	}
	if got := string(encode(t, nil, nil)); got != "\x08\x00\x00\x00\x00\x00\x00\x00{}      " {
		t.Errorf("empty file: %q", got)
	}
}

// TestGolden checks a tiny file byte by byte against bytes built from the format.
func TestGolden(t *testing.T) {
	const header = `{"__metadata__":{"a":"1","format":"pt"},` +
		`"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},` +
		`"n":{"dtype":"I64","shape":[],"data_offsets":[8,16]}}`
	const padded = header + "      " // 146 bytes of JSON, padded to 152
	if len(padded) != 152 {
		t.Fatalf("test header is %d bytes", len(padded))
	}
	want := []byte{152, 0, 0, 0, 0, 0, 0, 0}
	want = append(want, padded...)
	want = append(want,
		0x00, 0x00, 0x80, 0x3f, // 1.0f
		0x00, 0x00, 0x00, 0xc0, // -2.0f
		0x07, 0, 0, 0, 0, 0, 0, 0, // int64 7
	)
	got := encode(t, []Tensor{
		Float32("w", []int{2}, []float32{1, -2}),
		Int64("n", nil, []int64{7}),
	}, map[string]string{"format": "pt", "a": "1"})
	if !bytes.Equal(got, want) {
		for i := range min(len(got), len(want)) {
			if got[i] != want[i] {
				t.Fatalf("byte %d: got %#02x, want %#02x\ngot  %q\nwant %q", i, got[i], want[i], got, want)
			}
		}
		t.Fatalf("got %d bytes, want %d\ngot  %q\nwant %q", len(got), len(want), got, want)
	}

	f := decode(t, want)
	if len(f.Tensors) != 2 || f.Tensors[0].Name != "w" || f.Tensors[1].Name != "n" {
		t.Fatalf("decoded %+v", f.Tensors)
	}
	if v, _ := f.Tensors[0].Float32s(); !slices.Equal(v, []float32{1, -2}) {
		t.Errorf("w = %v", v)
	}
	if v, _ := f.Tensors[1].Int64s(); !slices.Equal(v, []int64{7}) {
		t.Errorf("n = %v", v)
	}
}

// file builds a safetensors file with the given header text, unpadded, and data.
func file(header string, data ...byte) []byte {
	b := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
	return append(append(b, header...), data...)
}

func TestDecodeOrderAndLeniency(t *testing.T) {
	// Header order differs from offset order; padding absent; unknown entry keys,
	// white space and null metadata accepted; empty tensors with equal offsets keep
	// header order.
	b := file(` { "b" : {"shape":[1],"dtype":"U8","data_offsets":[1,2],"extra":[1]},`+
		`"z":{"dtype":"F32","shape":[0],"data_offsets":[0,0]},`+
		`"a":{"dtype":"U8","shape":[],"data_offsets":[0,1]},`+
		`"y":{"dtype":"F32","shape":[0],"data_offsets":[0,0]},`+
		`"__metadata__":null }`+"\n\t", 10, 20)
	f := decode(t, b)
	var names []string
	for _, x := range f.Tensors {
		names = append(names, x.Name)
	}
	if !slices.Equal(names, []string{"z", "y", "a", "b"}) || f.Metadata != nil {
		t.Errorf("names %v metadata %v", names, f.Metadata)
	}
	if a, _ := f.Get("a"); !bytes.Equal(a.Data, []byte{10}) {
		t.Errorf("a = %v", a.Data)
	}
	if x, _ := f.Get("b"); !bytes.Equal(x.Data, []byte{20}) || cap(x.Data) != 1 {
		t.Errorf("b = %v (cap %d)", x.Data, cap(x.Data))
	}
}

func TestDecodeErrors(t *testing.T) {
	const w = `"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}`
	data8 := make([]byte, 8)
	huge := binary.LittleEndian.AppendUint64(nil, MaxHeaderSize+1)
	for _, tc := range []struct {
		name string
		in   []byte
		want string
	}{
		{"empty input", nil, "input of 0 bytes is shorter than the 8-byte header length"},
		{"short input", []byte{1, 2, 3}, "input of 3 bytes"},
		{"header over the cap", append(huge, "{}"...), "header length 100000001 exceeds the limit of 100000000 bytes"},
		{"header length max uint64", []byte{255, 255, 255, 255, 255, 255, 255, 255, '{', '}'}, "exceeds the limit"},
		{"header past the end", append(binary.LittleEndian.AppendUint64(nil, 10), "{}"...), "header length 10 exceeds the 2 bytes after the length"},
		{"empty header", file(""), "header: invalid JSON: unexpected end"},
		{"header not UTF-8", file("{\"\xff\":1}"), "header is not valid UTF-8"},
		{"header not JSON", file(`{"w":`), "header: invalid JSON"},
		{"header bad JSON", file(`{"w" 1}`), "header: invalid JSON"},
		{"header an array", file(`[]`), "header: got [], want a JSON object"},
		{"header a string", file(`"x"`), "want a JSON object"},
		{"data after the object", file(`{} {}`), "header: invalid JSON: data after the object"},
		{"garbage after the object", file(`{}x`), "data after the object"},
		{"duplicate tensor", file(`{`+w+`,`+w+`}`, data8...), `header: key "w" appears twice`},
		{"duplicate metadata", file(`{"__metadata__":{},"__metadata__":{}}`), `key "__metadata__" appears twice`},
		{"empty name", file(`{"":{"dtype":"F32","shape":[],"data_offsets":[0,4]}}`, 0, 0, 0, 0), "tensor with an empty name"},
		{"entry not an object", file(`{"w":3}`), `tensor "w": got 3, want a JSON object`},
		{"entry duplicate key", file(`{"w":{"dtype":"F32","dtype":"F32","shape":[],"data_offsets":[0,4]}}`, 0, 0, 0, 0), `tensor "w": key "dtype" appears twice`},
		{"no dtype", file(`{"w":{"shape":[2],"data_offsets":[0,8]}}`, data8...), `tensor "w": no "dtype"`},
		{"no shape", file(`{"w":{"dtype":"F32","data_offsets":[0,8]}}`, data8...), `tensor "w": no "shape"`},
		{"no offsets", file(`{"w":{"dtype":"F32","shape":[2]}}`, data8...), `tensor "w": no "data_offsets"`},
		{"dtype not a string", file(`{"w":{"dtype":4,"shape":[2],"data_offsets":[0,8]}}`, data8...), `tensor "w": dtype 4 is not a string`},
		{"dtype null", file(`{"w":{"dtype":null,"shape":[2],"data_offsets":[0,8]}}`, data8...), `dtype null is not a string`},
		{"unknown dtype", file(`{"w":{"dtype":"F128","shape":[2],"data_offsets":[0,8]}}`, data8...), `tensor "w": unknown dtype "F128"`},
		{"lower-case dtype", file(`{"w":{"dtype":"f32","shape":[2],"data_offsets":[0,8]}}`, data8...), `unknown dtype "f32"`},
		{"shape not an array", file(`{"w":{"dtype":"F32","shape":2,"data_offsets":[0,8]}}`, data8...), `tensor "w": shape 2: not an array of non-negative integers`},
		{"shape null", file(`{"w":{"dtype":"F32","shape":null,"data_offsets":[0,8]}}`, data8...), `shape null: not an array`},
		{"negative dimension", file(`{"w":{"dtype":"F32","shape":[2,-1],"data_offsets":[0,8]}}`, data8...), `tensor "w": shape [2,-1]: -1 is negative`},
		{"fractional dimension", file(`{"w":{"dtype":"F32","shape":[2.0],"data_offsets":[0,8]}}`, data8...), `shape [2.0]: 2.0 is not a non-negative integer`},
		{"string dimension", file(`{"w":{"dtype":"F32","shape":["2"],"data_offsets":[0,8]}}`, data8...), `"2" is not a non-negative integer`},
		{"dimension past uint64", file(`{"w":{"dtype":"F32","shape":[18446744073709551616],"data_offsets":[0,8]}}`, data8...), `18446744073709551616 exceeds 18446744073709551615`},
		{"dimension past int", file(`{"w":{"dtype":"F32","shape":[18446744073709551615],"data_offsets":[0,8]}}`, data8...), `dimension 18446744073709551615 is too large`},
		{"shape overflows", file(`{"w":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,8]}}`, data8...), `tensor "w": F32 [4294967296 4294967296] overflows`},
		{"bytes overflow", file(`{"w":{"dtype":"F64","shape":[2305843009213693952],"data_offsets":[0,8]}}`, data8...), `F64 [2305843009213693952] overflows`},
		{"offsets not an array", file(`{"w":{"dtype":"F32","shape":[2],"data_offsets":{}}}`, data8...), `tensor "w": data_offsets {}: not an array`},
		{"one offset", file(`{"w":{"dtype":"F32","shape":[2],"data_offsets":[8]}}`, data8...), `data_offsets [8]: want [begin,end], got 1 numbers`},
		{"three offsets", file(`{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8,8]}}`, data8...), `got 3 numbers`},
		{"negative offset", file(`{"w":{"dtype":"F32","shape":[2],"data_offsets":[-8,0]}}`, data8...), `data_offsets [-8,0]: -8 is negative`},
		{"end before begin", file(`{"w":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}}`, data8...), `tensor "w": data_offsets [8,0] end before they begin`},
		{"wrong size", file(`{"s1.b1.f.a.weight":{"dtype":"F32","shape":[2,3,4],"data_offsets":[0,100]}}`, make([]byte, 100)...),
			`safetensors: tensor "s1.b1.f.a.weight": data_offsets [0,100] hold 100 bytes, want 96 for F32 [2 3 4]`},
		{"scalar wrong size", file(`{"n":{"dtype":"I64","shape":[],"data_offsets":[0,4]}}`, 0, 0, 0, 0), `tensor "n": data_offsets [0,4] hold 4 bytes, want 8 for I64 []`},
		{"first not at 0", file(`{"w":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}`, make([]byte, 12)...), `tensor "w": data_offsets [4,12] leave a gap: the first tensor must begin at 0`},
		{"gap", file(`{`+w+`,"v":{"dtype":"U8","shape":[1],"data_offsets":[9,10]}}`, make([]byte, 10)...), `tensor "v": data_offsets [9,10] leave a gap after tensor "w", which ends at 8`},
		{"overlap", file(`{`+w+`,"v":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}`, make([]byte, 12)...), `tensor "v": data_offsets [4,12] overlap tensor "w", which ends at 8`},
		{"same range", file(`{`+w+`,"v":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`, data8...), `data_offsets [0,8] overlap tensor "w", which ends at 8`},
		{"truncated data", file(`{`+w+`}`, 0, 0, 0), "data section is 3 bytes, but the tensors end at 8 (input truncated?)"},
		{"trailing data", file(`{`+w+`}`, make([]byte, 9)...), "data section is 9 bytes, but the tensors end at 8: 1 bytes left over"},
		{"data without tensors", file(`{}`, 1), "data section is 1 bytes, but the tensors end at 0"},
		{"metadata not an object", file(`{"__metadata__":[]}`), `__metadata__: got [], want a JSON object`},
		{"metadata number", file(`{"__metadata__":{"epoch":12}}`), `__metadata__: value of "epoch" is 12, want a string`},
		{"metadata null value", file(`{"__metadata__":{"a":null}}`), `value of "a" is null, want a string`},
		{"metadata nested", file(`{"__metadata__":{"a":{"b":"c"}}}`), `value of "a" is {"b":"c"}, want a string`},
		{"metadata duplicate key", file(`{"__metadata__":{"a":"1","a":"2"}}`), `__metadata__: key "a" appears twice`},
		{"long value cut", file(`{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8,`+strings.Repeat("1,\n", 30)+`1]}}`, data8...),
			"data_offsets [0,8,1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,…: want [begin,end], got 33 numbers"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := Decode(tc.in)
			if err == nil {
				t.Fatalf("Decode succeeded: %+v", f)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "safetensors: ") || strings.Contains(msg, "\n") {
				t.Errorf("error not one line starting with the package name: %q", msg)
			}
			if !strings.Contains(msg, tc.want) {
				t.Errorf("error %q\ndoes not contain %q", msg, tc.want)
			}
		})
	}
}

func TestEncodeErrors(t *testing.T) {
	ok := Float32("w", []int{2}, []float32{1, 2})
	for _, tc := range []struct {
		name string
		ts   []Tensor
		md   map[string]string
		want string
	}{
		{"empty name", []Tensor{Float32("", nil, []float32{1})}, nil, "safetensors: tensor with an empty name (dtype F32, shape [])"},
		{"duplicate name", []Tensor{ok, ok}, nil, `safetensors: tensor "w" appears twice`},
		{"reserved name", []Tensor{Float32("__metadata__", nil, []float32{1})}, nil, `tensor name "__metadata__" is reserved for the metadata`},
		{"name not UTF-8", []Tensor{Float32("w\xff", nil, []float32{1})}, nil, `tensor name "w\xff" is not valid UTF-8`},
		{"metadata not UTF-8", []Tensor{ok}, map[string]string{"k": "\xc3"}, `metadata "k": "\xc3": not valid UTF-8`},
		{"too few values", []Tensor{Float32("w", []int{2, 3}, []float32{1})}, nil, `tensor "w" has 4 data bytes, want 24 for F32 [2 3]`},
		{"too many values", []Tensor{Int64("n", nil, []int64{1, 2})}, nil, `tensor "n" has 16 data bytes, want 8 for I64 []`},
		{"negative dimension", []Tensor{Float32("w", []int{-2}, []float32{1, 2})}, nil, `tensor "w": shape [-2] has a negative dimension`},
		{"negative pair", []Tensor{Float32("w", []int{-1, -2}, []float32{1, 2})}, nil, `negative dimension`},
		{"unknown dtype", []Tensor{{Name: "w", DType: "F128", Data: make([]byte, 16)}}, nil, `tensor "w": unknown dtype "F128"`},
		{"zero dtype", []Tensor{{Name: "w"}}, nil, `tensor "w": unknown dtype ""`},
		{"overflow", []Tensor{{Name: "w", DType: F32, Shape: []int{math.MaxInt / 2, 3}}}, nil, `tensor "w": F32 [4611686018427387903 3] overflows`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := Encode(tc.ts, tc.md)
			if err == nil {
				t.Fatalf("Encode succeeded: %q", b)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q\ndoes not contain %q", err, tc.want)
			}
		})
	}
}

func TestAccessorErrors(t *testing.T) {
	f := Float32("w", []int{2}, []float32{1, 2})
	if _, err := f.Int64s(); err == nil || err.Error() != `safetensors: tensor "w" is F32, not I64` {
		t.Errorf("Int64s of F32: %v", err)
	}
	n := Int64("n", nil, []int64{1})
	if _, err := n.Float32s(); err == nil || err.Error() != `safetensors: tensor "n" is I64, not F32` {
		t.Errorf("Float32s of I64: %v", err)
	}
	f.Shape = []int{3}
	if _, err := f.Float32s(); err == nil || err.Error() != `safetensors: tensor "w" has 8 data bytes, want 12 for F32 [3]` {
		t.Errorf("Float32s with a wrong shape: %v", err)
	}
	n.Shape = []int{-1}
	if _, err := n.Int64s(); err == nil || !strings.Contains(err.Error(), "negative dimension") {
		t.Errorf("Int64s with a negative shape: %v", err)
	}
}

func TestConstructorsCopy(t *testing.T) {
	shape, v := []int{2}, []float32{1, 2}
	x := Float32("w", shape, v)
	shape[0], v[0] = 5, 9
	if got, _ := x.Float32s(); !slices.Equal(x.Shape, []int{2}) || !slices.Equal(got, []float32{1, 2}) {
		t.Errorf("Float32 keeps references to its arguments: shape %v values %v", x.Shape, got)
	}
}

func TestDTypeSize(t *testing.T) {
	for dt, want := range map[DType]int{Bool: 1, U8: 1, I8: 1, F8E4M3: 1, F8E5M2: 1, I16: 2, U16: 2, F16: 2, BF16: 2,
		I32: 4, U32: 4, F32: 4, I64: 8, U64: 8, F64: 8, "": 0, "f32": 0, "F4": 0} {
		if got := dt.Size(); got != want {
			t.Errorf("%q.Size() = %d, want %d", dt, got, want)
		}
	}
}
