package formats

import (
	"bytes"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"
)

// FuzzReader feeds arbitrary bytes to the stream reader and the config decoder: they
// must return an error or records and never crash. Memory must all be released when
// the input read cleanly (arrow-go may drop a buffer to the garbage collector on some
// corrupt-input error paths, which the checked allocator would count).
func FuzzReader(f *testing.F) {
	cs := zooConfigs(f)
	full := writeConfigs(f, memory.DefaultAllocator, cs[:4], 2, true)
	f.Add(full)
	f.Add(full[:len(full)/2])
	f.Add(append(append([]byte{}, full...), full...))
	var sp bytes.Buffer
	WriteSpaces(&sp, []*Space{mustSpace(f, "regnety-mnist")}, Provenance{Producer: "fuzz"}, nil)
	f.Add(sp.Bytes())
	f.Fuzz(func(t *testing.T, data []byte) {
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		rd, err := NewReader(bytes.NewReader(data), "fuzz", mem)
		if err != nil {
			return
		}
		var d SpaceDecoder
		for rd.Next() {
			DecodeConfigs(rd.Record())
			d.Add(rd.Record())
		}
		rd.Release()
		if rd.Err() == nil {
			mem.AssertSize(t, 0)
		}
	})
}
