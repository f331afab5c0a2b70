package formats

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/ddstools/dds/formats/anynet"
	"github.com/ddstools/dds/internal/version"
	"golang.org/x/sys/unix"
)

func zooConfigs(t testing.TB) []Config {
	var cs []Config
	for i, m := range anynet.Zoo {
		n, err := m.Net(anynet.CIFAR10)
		if err != nil {
			t.Fatal(err)
		}
		c := Config{ID: ConfigID(n), Space: "zoo", Index: int64(i), Seed: int64(1000 + i), Net: n, Complexity: n.Complexity()}
		if i%2 == 0 {
			p := m.RegNet
			c.RegNet = &p
		}
		cs = append(cs, c)
	}
	return cs
}

// writeConfigs encodes cs as one stream split into batches of the given size;
// with end false the end-of-stream marker is left out.
func writeConfigs(t testing.TB, mem memory.Allocator, cs []Config, batch int, end bool) []byte {
	schema, err := ConfigSchema(Provenance{Producer: "test", Args: []string{"-x"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	w := NewWriter(&buf, schema, mem)
	for i := 0; i < len(cs); i += batch {
		rec := ConfigRecord(mem, schema, cs[i:min(i+batch, len(cs))])
		if err := w.Write(rec); err != nil {
			t.Fatal(err)
		}
		rec.Release()
	}
	if end {
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return buf.Bytes()
}

// readConfigs reads a whole config stream.
func readConfigs(mem memory.Allocator, data []byte) ([]Config, error) {
	rd, err := NewReader(bytes.NewReader(data), "test", mem)
	if err != nil {
		return nil, err
	}
	defer rd.Release()
	if err := CheckKind(rd.Schema(), KindConfig); err != nil {
		return nil, err
	}
	var out []Config
	for rd.Next() {
		cs, err := DecodeConfigs(rd.Record())
		if err != nil {
			return nil, err
		}
		out = append(out, cs...)
	}
	return out, rd.Err()
}

func TestConfigRoundTrip(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	cs := zooConfigs(t)
	got, err := readConfigs(mem, writeConfigs(t, mem, cs, 5, true))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, cs) {
		t.Fatalf("round trip changed configs:\n got %+v\nwant %+v", got[0], cs[0])
	}
}

func TestConcatenatedStreams(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	cs := zooConfigs(t)
	a := writeConfigs(t, mem, cs[:7], 3, true)
	b := writeConfigs(t, mem, cs[7:], 4, true)
	got, err := readConfigs(mem, append(append([]byte{}, a...), b...))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, cs) {
		t.Fatalf("concatenation read %d configs, want %d equal ones", len(got), len(cs))
	}
	// A stream with other columns cannot follow.
	var sp bytes.Buffer
	if err := WriteSpaces(&sp, []*Space{mustSpace(t, "regnetx")}, Provenance{Producer: "test"}, mem); err != nil {
		t.Fatal(err)
	}
	_, err = readConfigs(mem, append(append([]byte{}, a...), sp.Bytes()...))
	if err == nil || !strings.Contains(err.Error(), "different columns") {
		t.Fatalf("mixed streams: err = %v", err)
	}
}

// TestTruncated cuts a stream at every byte: each cut must fail, never read a
// shorter stream as complete, and never panic.
func TestTruncated(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	cs := zooConfigs(t)
	full := writeConfigs(t, mem, cs[:6], 2, true)
	for cut := 0; cut < len(full); cut++ {
		if _, err := readConfigs(mem, full[:cut]); err == nil {
			t.Fatalf("stream cut at byte %d of %d read without error", cut, len(full))
		}
	}
	// A writer that fails part-way never writes the end marker: the reader says so.
	partial := writeConfigs(t, mem, cs[:6], 2, false)
	_, err := readConfigs(mem, partial)
	if err == nil || !strings.Contains(err.Error(), "truncated") {
		t.Fatalf("unfinished stream: err = %v", err)
	}
}

func TestBadInput(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	cases := map[string][]byte{
		"empty":   nil,
		"garbage": []byte("id,flops\n1,2\n"),
		"zeros":   make([]byte, 64),
	}
	for name, data := range cases {
		if _, err := readConfigs(mem, data); err == nil {
			t.Errorf("%s: read without error", name)
		}
	}
	// A valid Arrow stream without dds metadata, and one with other columns.
	schema := arrow.NewSchema([]arrow.Field{{Name: "x", Type: arrow.PrimitiveTypes.Int64}}, nil)
	var buf bytes.Buffer
	w := NewWriter(&buf, schema, mem)
	b := array.NewInt64Builder(mem)
	b.Append(1)
	col := b.NewArray()
	rec := array.NewRecordBatch(schema, []arrow.Array{col}, 1)
	if err := w.Write(rec); err != nil {
		t.Fatal(err)
	}
	rec.Release()
	col.Release()
	b.Release()
	w.Close()
	if _, err := readConfigs(mem, buf.Bytes()); err == nil || !strings.Contains(err.Error(), "not a dds config stream") {
		t.Errorf("foreign stream: err = %v", err)
	}
	rd, err := NewReader(bytes.NewReader(buf.Bytes()), "x", mem)
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Release()
	rd.Next()
	if _, err := DecodeConfigs(rd.Record()); err == nil || !strings.Contains(err.Error(), `no column "id"`) {
		t.Errorf("wrong schema: err = %v", err)
	}
}

func mustSpace(t testing.TB, name string) *Space {
	s, err := LookupSpace(name)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSpaceRoundTrip(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	var spaces []*Space
	for _, s := range BuiltinSpaces() {
		s := s
		spaces = append(spaces, &s)
	}
	m := 3.5
	spaces[0].Vars[0].Median, spaces[0].Vars[0].N = &m, 100
	spaces[0].Parent, spaces[0].NarrowedBy = "anynetx-a", "bootstrap"
	spaces[0].Params = Bounds{Hi: 5e6}
	var buf bytes.Buffer
	if err := WriteSpaces(&buf, spaces, Provenance{Producer: "test"}, mem); err != nil {
		t.Fatal(err)
	}
	rd, err := NewReader(&buf, "test", mem)
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Release()
	got, err := ReadSpaces(rd)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, spaces) {
		t.Fatalf("round trip changed spaces: got %d, first %+v", len(got), got[0])
	}
	js, err := got[5].JSON()
	if err != nil {
		t.Fatal(err)
	}
	back, err := SpaceFromJSON(js)
	if err != nil || !reflect.DeepEqual(back, got[5]) {
		t.Fatalf("JSON round trip: %v", err)
	}
}

func TestSpaceValidate(t *testing.T) {
	cases := map[string]func(s *Space){
		"family":         func(s *Space) { s.Family = "resnet" },
		"constraint":     func(s *Space) { s.Constraints = append(s.Constraints, "sorted") },
		"regnet without": func(s *Space) { s.Family = FamilyRegNet },
		"missing param":  func(s *Space) { s.Vars = s.Vars[1:] },
		"unknown param":  func(s *Space) { s.Vars = append(s.Vars, Param{Name: "w9", Dist: DistUniform, Lo: 1, Hi: 2}) },
		"empty range":    func(s *Space) { s.Vars[0].Lo, s.Vars[0].Hi = 5, 4 },
		"no grid point":  func(s *Space) { s.Vars[4].Lo, s.Vars[4].Hi = 9, 15 },
		"no choice":      func(s *Space) { s.Vars[8].Lo, s.Vars[8].Hi = 5, 6 },
		"log of zero":    func(s *Space) { s.Vars[4].Lo = 0 },
		"bad dist":       func(s *Space) { s.Vars[0].Dist = "normal" },
		"bad bounds":     func(s *Space) { s.Flops = Bounds{Lo: 5, Hi: 4} },
		"stride":         func(s *Space) { s.Strides[1] = 3 },
		"shared b":       func(s *Space) { s.Constraints = append(s.Constraints, SharedB) },
	}
	for name, mut := range cases {
		s := mustSpace(t, "anynetx-a")
		if err := s.Validate(); err != nil {
			t.Fatalf("built-in space invalid: %v", err)
		}
		mut(s)
		if err := s.Validate(); err == nil {
			t.Errorf("%s: invalid space accepted", name)
		}
	}
}

func TestParseBounds(t *testing.T) {
	cases := []struct {
		in   string
		want Bounds
		bad  bool
	}{
		{"360M:400M", Bounds{360e6, 400e6}, false},
		{":2M", Bounds{0, 2e6}, false},
		{"100k:", Bounds{1e5, 0}, false},
		{"1.5G", Bounds{1.5e9, 1.5e9}, false},
		{"400M:360M", Bounds{}, true},
		{"x:1", Bounds{}, true},
		{"-1:", Bounds{}, true},
		{":0", Bounds{}, true},
	}
	for _, c := range cases {
		got, err := ParseBounds(c.in)
		if (err != nil) != c.bad || (!c.bad && got != c.want) {
			t.Errorf("ParseBounds(%q) = %+v, %v", c.in, got, err)
		}
	}
	if s := (Bounds{360e6, 400e6}).String(); s != "360M:400M" {
		t.Errorf("String = %q", s)
	}
}

func TestWithColumns(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	cs := zooConfigs(t)[:3]
	schema, _ := ConfigSchema(Provenance{Producer: "test"}, nil)
	rec := ConfigRecord(mem, schema, cs)
	defer rec.Release()
	b := array.NewFloat64Builder(mem)
	defer b.Release()
	b.AppendValues([]float64{0.1, 0.2, 0.3}, nil)
	errCol := b.NewArray()
	defer errCol.Release()
	b.AppendValues([]float64{1, 2, 3}, nil)
	flops := b.NewArray()
	defer flops.Release()
	out := WithColumns(rec, []arrow.Field{{Name: "error", Type: arrow.PrimitiveTypes.Float64}, {Name: "flops", Type: arrow.PrimitiveTypes.Float64}},
		[]arrow.Array{errCol, flops}, nil)
	defer out.Release()
	if out.NumCols() != rec.NumCols()+1 || out.Schema().Field(int(out.NumCols()-1)).Name != "error" {
		t.Fatalf("columns: %s", fieldList(out.Schema()))
	}
	if idx := out.Schema().FieldIndices("flops"); len(idx) != 1 || idx[0] != 16 || out.Column(16) != flops {
		t.Errorf("flops not replaced in place")
	}
	for _, name := range []string{"id", "stages", "regnet_wm"} {
		i := rec.Schema().FieldIndices(name)[0]
		if !array.Equal(rec.Column(i), out.Column(i)) {
			t.Errorf("column %s changed", name)
		}
	}
	if v, _ := out.Schema().Metadata().GetValue(KeyProducer); v != "test dds "+version.String() {
		t.Errorf("metadata lost: producer %q", v)
	}
}

func TestTextViews(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	data := writeConfigs(t, mem, zooConfigs(t)[:2], 1, true)
	open := func() *Reader {
		rd, err := NewReader(bytes.NewReader(data), "test", mem)
		if err != nil {
			t.Fatal(err)
		}
		return rd
	}
	var tab bytes.Buffer
	rd := open()
	if err := WriteTable(&tab, rd, TextOptions{Columns: []string{"space", "stages", "flops"}}); err != nil {
		t.Fatal(err)
	}
	rd.Release()
	lines := strings.Split(strings.TrimSpace(tab.String()), "\n")
	want0 := "space  stages                                                        flops"
	want1 := "zoo    d=1,1,4,7 w=24,56,152,368 s=1,2,2,2 b=1,1,1,1 g=8,8,8,8       59862634"
	if len(lines) != 3 || lines[0] != want0 || lines[1] != want1 {
		t.Errorf("table:\n%s\nwant first lines:\n%s\n%s", tab.String(), want0, want1)
	}
	var js bytes.Buffer
	rd = open()
	if err := WriteJSONL(&js, rd, TextOptions{Limit: 1}); err != nil {
		t.Fatal(err)
	}
	rd.Release()
	var row map[string]any
	if err := json.Unmarshal(js.Bytes(), &row); err != nil {
		t.Fatalf("jsonl %q: %v", js.String(), err)
	}
	st := row["stages"].([]any)
	if len(st) != 4 || st[3].(map[string]any)["w"].(float64) != 368 || row["regnet_wm"].(float64) != 2.49 {
		t.Errorf("jsonl row: %v", row)
	}
	rd = open()
	defer rd.Release()
	if err := WriteTable(&tab, rd, TextOptions{Columns: []string{"nope"}}); err == nil {
		t.Error("unknown column accepted")
	}
}

// TestOutputCompression checks the codec each record batch of an Output's stream
// declares (the BodyCompression table of its metadata: absent, LZ4_FRAME=0, ZSTD=1),
// and that the stream reads back.
func TestOutputCompression(t *testing.T) {
	cs := zooConfigs(t)
	for _, c := range []struct {
		codec Compression
		want  int // -1: uncompressed
	}{{"", 1}, {Zstd, 1}, {LZ4, 0}, {Uncompressed, -1}} {
		path := filepath.Join(t.TempDir(), "c.arrows")
		o, err := CreateOutput(path, nil)
		if err != nil {
			t.Fatal(err)
		}
		o.Compression = c.codec
		schema, err := ConfigSchema(Provenance{Producer: "test"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		rec := ConfigRecord(nil, schema, cs)
		w := NewWriter(o, schema, nil)
		if err := w.Write(rec); err != nil {
			t.Fatal(err)
		}
		rec.Release()
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if err := o.Commit(); err != nil {
			t.Fatal(err)
		}
		data, _ := os.ReadFile(path)
		fr := &framer{r: bufio.NewReader(bytes.NewReader(data))} // no schema checks
		batches := 0
		for {
			if err := fr.next(); err != nil {
				t.Fatalf("%q: %v", c.codec, err)
			}
			if fr.eos {
				break
			}
			meta := fr.pending[8:]
			f := &fb{b: meta[:binary.LittleEndian.Uint32(fr.pending[4:])]}
			root := f.u32(0)
			if p := f.field(root, 1); meta[p] != 3 {
				continue // the schema
			}
			batches++
			got := -1
			if bc := f.ref(f.ref(root, 2), 3); bc >= 0 {
				got = 0
				if p := f.field(bc, 0); p >= 0 {
					got = int(meta[p])
				}
			}
			if got != c.want {
				t.Errorf("%q: batch declares codec %d, want %d", c.codec, got, c.want)
			}
		}
		rd, closeRd, err := OpenReader(path, nil)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for rd.Next() {
			n += int(rd.Record().NumRows())
		}
		closeRd()
		if batches == 0 || n != len(cs) || rd.Err() != nil {
			t.Errorf("%q: %d batches, read back %d of %d rows: %v", c.codec, batches, n, len(cs), rd.Err())
		}
	}
}

// TestOutputMode checks that an output file gets the mode a shell's > gives: 0666
// less the umask when new, the replaced file's mode otherwise.
func TestOutputMode(t *testing.T) {
	dir := t.TempDir()
	write := func(path string) {
		o, err := CreateOutput(path, nil)
		if err != nil {
			t.Fatal(err)
		}
		o.WriteString("x")
		if err := o.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	mode := func(path string) os.FileMode {
		st, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		return st.Mode().Perm()
	}
	old := unix.Umask(0o022)
	defer unix.Umask(old)
	write(filepath.Join(dir, "a"))
	unix.Umask(0o077)
	write(filepath.Join(dir, "b"))
	os.WriteFile(filepath.Join(dir, "c"), nil, 0o640)
	os.Chmod(filepath.Join(dir, "c"), 0o640)
	write(filepath.Join(dir, "c"))
	for name, want := range map[string]os.FileMode{"a": 0o644, "b": 0o600, "c": 0o640} {
		if got := mode(filepath.Join(dir, name)); got != want {
			t.Errorf("%s: mode %o, want %o", name, got, want)
		}
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".*")); len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
}

// TestForeignSpaceStream reads a space as another tool writes it back: no dds
// metadata, strings dictionary-encoded (apache-arrow JS) or large (polars), lists
// large, nullable columns left out.
func TestForeignSpaceStream(t *testing.T) {
	want, err := LookupSpace("regnetx-mnist")
	if err != nil {
		t.Fatal(err)
	}
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	rec, err := SpaceRecord(mem, SpaceSchema(Provenance{Producer: "test"}), []*Space{want})
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Release()
	dir := t.TempDir()
	for _, strType := range []arrow.DataType{
		&arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String},
		arrow.BinaryTypes.LargeString,
	} {
		var fields []arrow.Field
		var cols []arrow.Array
		for i, f := range rec.Schema().Fields() {
			if f.Name == "median" || f.Name == "n" || f.Name == "parent" {
				continue
			}
			switch dt := f.Type.(type) {
			case *arrow.StringType:
				f.Type = strType
			case *arrow.ListType:
				elem := dt.Elem()
				if elem.ID() == arrow.STRING {
					elem = strType
				}
				f.Type = arrow.LargeListOf(elem)
			}
			js, err := rec.Column(i).MarshalJSON()
			if err != nil {
				t.Fatal(err)
			}
			col, _, err := array.FromJSON(mem, f.Type, bytes.NewReader(js))
			if err != nil {
				t.Fatalf("%s as %s: %v", f.Name, f.Type, err)
			}
			defer col.Release()
			fields = append(fields, f)
			cols = append(cols, col)
		}
		foreign := array.NewRecordBatch(arrow.NewSchema(fields, nil), cols, rec.NumRows())
		path := filepath.Join(dir, "space.arrows")
		var buf bytes.Buffer
		w := ipc.NewWriter(&buf, ipc.WithSchema(foreign.Schema()), ipc.WithAllocator(mem))
		if err := w.Write(foreign); err != nil {
			t.Fatal(err)
		}
		w.Close()
		foreign.Release()
		os.WriteFile(path, buf.Bytes(), 0o644)

		var warn bytes.Buffer
		got, err := LoadSpace(path, nil, &warn)
		if err != nil {
			t.Fatalf("%s: %v", strType, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: read %+v, want %+v", strType, got, want)
		}
		if note := warn.String(); !strings.Contains(note, "no dds metadata") || !strings.HasSuffix(note, "taken as null: median, n, parent\n") {
			t.Errorf("%s: note %q", strType, note)
		}
	}

	js, _ := want.JSON()
	path := filepath.Join(dir, "space.json")
	os.WriteFile(path, []byte("\n  "+js), 0o644)
	if got, err := LoadSpace(path, nil, io.Discard); err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("JSON space: %v", err)
	}
	os.WriteFile(path, []byte(`{"name": "x", "vars": []}`), 0o644)
	if _, err := LoadSpace(path, nil, io.Discard); err == nil || !strings.Contains(err.Error(), "space.json") {
		t.Errorf("bad JSON space: %v", err)
	}
}

// TestOutputToPipe checks that an output naming a FIFO (as /dev/null names a device)
// is written into it, not replaced by a renamed file.
func TestOutputToPipe(t *testing.T) {
	path := filepath.Join(t.TempDir(), "fifo")
	if err := unix.Mkfifo(path, 0o600); err != nil {
		t.Skip("no FIFOs here:", err)
	}
	got := make(chan []byte)
	go func() {
		b, _ := os.ReadFile(path)
		got <- b
	}()
	o, err := CreateOutput(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	o.WriteString("through the pipe")
	if err := o.Commit(); err != nil {
		t.Fatal(err)
	}
	if b := <-got; string(b) != "through the pipe" {
		t.Errorf("read %q from the FIFO", b)
	}
	if st, err := os.Lstat(path); err != nil || st.Mode()&os.ModeNamedPipe == 0 {
		t.Errorf("the FIFO was replaced: %v %v", st.Mode(), err)
	}
	if _, err := CreateOutput(t.TempDir(), nil); err == nil || !strings.Contains(err.Error(), "is a folder") {
		t.Errorf("a folder as output: %v", err)
	}
}
