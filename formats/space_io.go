package formats

import (
	"bytes"
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
	return readSpaces(rd, io.Discard)
}

// readSpaces is ReadSpaces that also takes a stream without dds metadata, as tools
// that rewrite a table (polars, pandas) leave it, when it has a space stream's
// columns: it is read as a space stream of this schema version, absent nullable
// columns are null, and what was assumed is written to warn as one line.
func readSpaces(rd *Reader, warn io.Writer) ([]*Space, error) {
	if _, ok := rd.Schema().Metadata().GetValue(KeySchemaVersion); ok {
		if err := CheckKind(rd.Schema(), KindSpace); err != nil {
			return nil, err
		}
	} else {
		var missing, absent []string
		for _, f := range SpaceFields {
			if len(rd.Schema().FieldIndices(f.Name)) > 0 {
				continue
			}
			if f.Nullable {
				absent = append(absent, f.Name)
			} else {
				missing = append(missing, f.Name)
			}
		}
		if len(missing) > 0 {
			return nil, fmt.Errorf("input is an Arrow stream but not a dds space stream (no %s in its schema metadata, and no column %s)",
				KeySchemaVersion, strings.Join(missing, ", "))
		}
		note := fmt.Sprintf("%s: no dds metadata (written by another tool?): read as a space stream of schema version %s by its columns", rd.name, SchemaVersion)
		if len(absent) > 0 {
			note += "; absent columns taken as null: " + strings.Join(absent, ", ")
		}
		fmt.Fprintln(warn, note)
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

// maxSpaceFile bounds the size of a space file or of a space on stdin.
const maxSpaceFile = 64 << 20

// LoadSpace resolves a space argument: "-" reads a space from stdin, an existing path
// reads that file, anything else names a built-in space. A file (or stdin) holds a
// space stream, or one space as a JSON object with Space's JSON fields (the form a
// person writes by hand; the README has an example), told apart by its first byte. Notes on what
// was assumed for a space stream without dds metadata go to warn.
func LoadSpace(arg string, stdin io.Reader, warn io.Writer) (*Space, error) {
	if arg != "-" {
		if _, err := os.Stat(arg); err != nil {
			if strings.ContainsAny(arg, "/.") {
				return nil, fmt.Errorf("space file: %v", err)
			}
			return LookupSpace(arg)
		}
	}
	in, name, closeIn, err := OpenInput(arg, stdin)
	if err != nil {
		return nil, err
	}
	defer closeIn()
	data, err := io.ReadAll(io.LimitReader(in, maxSpaceFile+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %v", name, err)
	}
	if len(data) > maxSpaceFile {
		return nil, fmt.Errorf("%s: more than %d MiB; not a space", name, maxSpaceFile>>20)
	}
	if t := bytes.TrimLeft(data, " \t\r\n"); len(t) > 0 && t[0] == '{' {
		s, err := SpaceFromJSON(string(t))
		if err != nil {
			return nil, fmt.Errorf("%s: %v", name, err)
		}
		return s, nil
	}
	rd, err := NewReader(bytes.NewReader(data), name, nil)
	if err != nil {
		return nil, err
	}
	defer rd.Release()
	spaces, err := readSpaces(rd, warn)
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
