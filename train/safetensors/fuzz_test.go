package safetensors

import (
	"bytes"
	"testing"
)

// FuzzDecode checks that Decode never panics, and that whatever it accepts encodes to a
// file that decodes to the same tensors and metadata and encodes to the same bytes.
func FuzzDecode(f *testing.F) {
	ts, md := sample()
	for _, seed := range [][]Tensor{nil, ts, ts[:1], ts[2:3], ts[4:6]} {
		b, err := Encode(seed, md)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
		b, _ = Encode(seed, nil)
		f.Add(b)
	}
	f.Add(file(`{"a":{"dtype":"U8","shape":[],"data_offsets":[0,1]},"__metadata__":null,"e":{"dtype":"F16","shape":[0,3],"data_offsets":[1,1],"x":{}}}`, 7))
	f.Add(file(`{"w":{"dtype":"F32","shape":[2,-1],"data_offsets":[0,8]}}`, make([]byte, 8)...))

	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := Decode(b)
		if err != nil {
			return
		}
		e, err := Encode(d.Tensors, d.Metadata)
		if err != nil {
			t.Fatalf("Encode of a decoded file: %v", err)
		}
		d2, err := Decode(e)
		if err != nil {
			t.Fatalf("Decode of a re-encoded file: %v", err)
		}
		if diff := sameTensors(d.Tensors, d2.Tensors); diff != "" {
			t.Fatalf("re-encoding changed %s", diff)
		}
		if !sameMetadata(d.Metadata, d2.Metadata) {
			t.Fatalf("re-encoding changed metadata %v to %v", d.Metadata, d2.Metadata)
		}
		e2, err := Encode(d2.Tensors, d2.Metadata)
		if err != nil || !bytes.Equal(e, e2) {
			t.Fatalf("encoding is not canonical (err %v)", err)
		}
	})
}
