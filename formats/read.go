package formats

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/apache/arrow-go/v18/arrow/memory"
)

// WriteSpaces writes spaces as one complete space stream.
func WriteSpaces(w io.Writer, spaces []*Space, p Provenance, mem memory.Allocator) error {
	schema := SpaceSchema(p)
	rec, err := SpaceRecord(mem, schema, spaces)
	if err != nil {
		return err
	}
	defer rec.Release()
	sw := NewWriter(w, schema, mem)
	if err := sw.Write(rec); err != nil {
		return err
	}
	return sw.Close()
}

// ReadSpaces reads a whole space stream and returns its spaces, validated.
func ReadSpaces(rd *Reader) ([]*Space, error) {
	if err := CheckKind(rd.Schema(), KindSpace); err != nil {
		return nil, err
	}
	var d SpaceDecoder
	for rd.Next() {
		if err := d.Add(rd.Record()); err != nil {
			return nil, err
		}
	}
	if err := rd.Err(); err != nil {
		return nil, err
	}
	return d.Spaces()
}

// SourceSpace returns the space a config stream's schema says its configs were drawn
// from, or nil when it carries none.
func SourceSpace(rd *Reader) (*Space, error) {
	js, ok := rd.Schema().Metadata().GetValue(KeySpace)
	if !ok {
		return nil, nil
	}
	return SpaceFromJSON(js)
}

// LoadSpace resolves a space argument: "-" reads a space stream from stdin, an existing path
// reads that file, anything else names a built-in space.
func LoadSpace(arg string, stdin io.Reader) (*Space, error) {
	if arg != "-" {
		if _, err := os.Stat(arg); err != nil {
			if strings.ContainsAny(arg, "/.") {
				return nil, fmt.Errorf("space file: %v", err)
			}
			return LookupSpace(arg)
		}
	}
	in, name, closeIn, err := OpenInput(arg)
	if err != nil {
		return nil, err
	}
	defer closeIn()
	if arg == "-" {
		in = stdin
	}
	rd, err := NewReader(in, name, nil)
	if err != nil {
		return nil, err
	}
	defer rd.Release()
	spaces, err := ReadSpaces(rd)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", name, err)
	}
	if len(spaces) != 1 {
		names := make([]string, len(spaces))
		for i, s := range spaces {
			names[i] = s.Name
		}
		return nil, fmt.Errorf("%s holds %d spaces (%s); give one", name, len(spaces), strings.Join(names, ", "))
	}
	return spaces[0], nil
}
