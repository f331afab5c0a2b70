package formats

import (
	"bytes"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestOpenInput checks that "-" and "" read the stdin the caller passes, and that a
// missing file is an error naming it.
func TestOpenInput(t *testing.T) {
	for _, path := range []string{"-", ""} {
		in, name, closeIn, err := OpenInput(path, strings.NewReader("given"))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(in)
		if string(b) != "given" || name != "stdin" || closeIn() != nil {
			t.Errorf("OpenInput(%q) read %q as %q", path, b, name)
		}
	}
	missing := filepath.Join(t.TempDir(), "missing.arrows")
	if _, _, _, err := OpenInput(missing, nil); err == nil || !strings.Contains(err.Error(), "cannot open input") {
		t.Errorf("OpenInput of a missing file = %v", err)
	}
}

// TestWriteFile checks that a write replaces the file whole, and that a failed one
// leaves the old file and no temporary file.
func TestWriteFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "f.done")
	write := func(s string, fail error) func(io.Writer) error {
		return func(w io.Writer) error {
			io.WriteString(w, s)
			return fail
		}
	}
	if err := WriteFile(path, write("old", nil)); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	if err := WriteFile(path, write("new", boom)); !errors.Is(err, boom) {
		t.Errorf("failed write = %v, want its error", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "old" {
		t.Errorf("after a failed write the file holds %q, want the old %q", b, "old")
	}
	if err := WriteFile(path, write("new", nil)); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); string(b) != "new" {
		t.Errorf("the file holds %q, want %q", b, "new")
	}
	if es, _ := os.ReadDir(dir); len(es) != 1 {
		t.Errorf("the folder holds %d files, want 1 (no temporary file left)", len(es))
	}
}

// TestDestinationFilter checks that the flags set the destination, and that Filter
// reads the input, writes the output with the codec and commits it only when the
// stage succeeds.
func TestDestinationFilter(t *testing.T) {
	fs := flag.NewFlagSet("p", flag.ContinueOnError)
	d := DestinationFlags(fs)
	if d.Path != "-" || d.Codec != Zstd {
		t.Errorf("defaults: %+v", d)
	}
	out := filepath.Join(t.TempDir(), "out")
	if err := fs.Parse([]string{"-o", out, "--compression", "lz4"}); err != nil || d.Path != out || d.Codec != LZ4 {
		t.Fatalf("parse: %v %+v", err, d)
	}
	boom := errors.New("boom")
	err := d.Filter("-", strings.NewReader("not a stream"), nil, func(*Reader, io.Writer) error { return nil })
	if err == nil {
		t.Error("Filter of an input that is not a stream succeeded")
	}
	err = d.Filter("-", bytes.NewReader(sampleStream(t)), nil, func(rd *Reader, w io.Writer) error {
		if o, ok := w.(*Output); !ok || o.Compression != LZ4 {
			t.Errorf("the stage writes to %T, want an *Output with lz4", w)
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Errorf("Filter = %v, want the stage's error", err)
	}
	if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a failed stage left an output: %v", err)
	}
	err = d.Filter("-", bytes.NewReader(sampleStream(t)), nil, func(rd *Reader, w io.Writer) error {
		_, err := io.WriteString(w, "done")
		return err
	})
	if b, _ := os.ReadFile(out); err != nil || string(b) != "done" {
		t.Errorf("Filter = %v, output %q", err, b)
	}
}

// sampleStream is a small dds stream: one built-in space.
func sampleStream(t *testing.T) []byte {
	var b bytes.Buffer
	s := BuiltinSpaces()[0]
	if err := WriteSpaces(&b, []*Space{&s}, Provenance{Producer: "test"}, nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}
