package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/ipc"

	"github.com/ddstools/dds/formats"
	"github.com/ddstools/dds/formats/anynet"
	"github.com/ddstools/dds/internal/clitest"
	"github.com/ddstools/dds/sample/sampler"
	"github.com/ddstools/dds/train/safetensors"
)

// prog runs show in process; prog.Call returns its stdout, stderr and exit status.
var prog = clitest.Program{Name: "show", Run: run}

func zooStream(t *testing.T) []byte {
	m, _ := anynet.LookupModel("RegNetY-200MF")
	c, err := sampler.ModelConfig(m, anynet.MNIST)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := sampler.WriteConfigs(&buf, []formats.Config{c}, formats.Provenance{Producer: "test"}, nil); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestShow(t *testing.T) {
	data := zooStream(t)
	two := append(append([]byte{}, data...), data...)
	out, stderr, code := prog.Call(two, "-c", "space,block,stages")
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if code != 0 || len(lines) != 3 || !strings.HasPrefix(lines[1], "zoo:RegNetY-200MF  y") {
		t.Fatalf("exit %d %s\n%s", code, stderr, out)
	}
	path := filepath.Join(t.TempDir(), "c.arrows")
	os.WriteFile(path, data, 0o644)
	out, _, code = prog.Call(nil, "-f", "jsonl", path)
	var row map[string]any
	if err := json.Unmarshal(out, &row); err != nil || code != 0 || row["block"] != "y" {
		t.Fatalf("jsonl %q: %v", out, err)
	}
}

func TestShowBadInput(t *testing.T) {
	data := zooStream(t)
	cases := []struct {
		stdin []byte
		args  []string
		code  int
		want  string
	}{
		{data[:len(data)-3], nil, 1, "truncated"},
		{[]byte("x"), nil, 1, "stdin"},
		{data, []string{"-f", "xml"}, 2, "want table, jsonl, csv or arrows"},
		{data, []string{"--compression", "gzip", "-f", "arrows"}, 2, "want zstd, lz4 or none"},
		{data, []string{"-o", "x.arrows"}, 2, "-o is for -f arrows"},
		{data, []string{"-c", "nope"}, 1, `no column "nope"`},
		{nil, []string{"/nonexistent.arrows"}, 1, "no such file"},
		{data, []string{"-", "/nonexistent.arrows"}, 1, "/nonexistent.arrows: "},
	}
	for _, c := range cases {
		_, stderr, code := prog.Call(c.stdin, c.args...)
		if code != c.code || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d stderr %q, want %d and %q", c.args, code, stderr, c.code, c.want)
		}
	}
}

// firstStreamRows counts the rows that arrow-go's own IPC reader, which like most
// Arrow readers stops at the first end-of-stream marker, finds in data.
func firstStreamRows(t *testing.T, data []byte) (int64, map[string]string) {
	t.Helper()
	r, err := ipc.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Release()
	var n int64
	for r.Next() {
		n += r.RecordBatch().NumRows()
	}
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	md := map[string]string{}
	for i, k := range r.Schema().Metadata().Keys() {
		md[k] = r.Schema().Metadata().Values()[i]
	}
	return n, md
}

func TestShowMerge(t *testing.T) {
	data := zooStream(t)
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.arrows"), filepath.Join(dir, "b.arrows")
	os.WriteFile(a, append(append([]byte{}, data...), data...), 0o644) // two streams
	os.WriteFile(b, data, 0o644)
	if n, _ := firstStreamRows(t, []byte(mustRead(t, a))); n != 1 {
		t.Fatalf("the first stream of a holds %d rows, want 1", n)
	}
	sizes := map[string]int{}
	for _, codec := range []string{"zstd", "lz4", "none"} {
		merged := filepath.Join(dir, "m."+codec+".arrows")
		_, stderr, code := prog.Call(data, "-f", "arrows", a, "-", b, "-o", merged, "--compression", codec)
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", codec, code, stderr)
		}
		got := mustRead(t, merged)
		n, md := firstStreamRows(t, []byte(got))
		if n != 4 || md[formats.KeyKind] != formats.KindConfig {
			t.Errorf("%s: one stream of %d rows, kind %q; want 4 rows of configs", codec, n, md[formats.KeyKind])
		}
		sizes[codec] = len(got)
	}
	if sizes["none"] == sizes["zstd"] || sizes["none"] == sizes["lz4"] {
		t.Errorf("sizes %v: --compression made no difference", sizes)
	}
	out, _, code := prog.Call(nil, "-f", "arrows", "-c", "id,flops", "--limit", "3", a, b)
	if n, _ := firstStreamRows(t, out); code != 0 || n != 3 {
		t.Errorf("-c id,flops --limit 3: exit %d, %d rows", code, n)
	}
}

func mustRead(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestShowCSVAndInt64(t *testing.T) {
	data := zooStream(t)
	out, stderr, code := prog.Call(data, "-f", "csv", "-c", "id,seed,stages,regnet_w0")
	recs, err := csv.NewReader(bytes.NewReader(out)).ReadAll()
	if code != 0 || err != nil || len(recs) != 2 {
		t.Fatalf("exit %d %s, %v:\n%s", code, stderr, err, out)
	}
	if want := []string{"id", "seed", "stages", "regnet_w0"}; !slices.Equal(recs[0], want) {
		t.Errorf("header %q, want %q", recs[0], want)
	}
	var stages []map[string]float64
	if err := json.Unmarshal([]byte(recs[1][2]), &stages); err != nil || len(stages) != 4 || stages[0]["w"] == 0 {
		t.Errorf("stages cell %q is not the JSON list of 4 stages: %v", recs[1][2], err)
	}
	if _, err := strconv.ParseFloat(recs[1][3], 64); err != nil {
		t.Errorf("regnet_w0 %q", recs[1][3])
	}
	for _, mode := range []string{"number", "string"} {
		out, _, _ := prog.Call(data, "-f", "jsonl", "--int64", mode, "-c", "seed,flops")
		var row map[string]json.RawMessage
		if err := json.Unmarshal(out, &row); err != nil {
			t.Fatal(err)
		}
		quoted := row["seed"][0] == '"'
		if quoted != (mode == "string") || strings.Trim(string(row["seed"]), `"`) != recs[1][1] {
			t.Errorf("--int64 %s: seed %s (CSV %s)", mode, row["seed"], recs[1][1])
		}
		if !strings.HasPrefix(string(out), `{"seed":`) {
			t.Errorf("keys not in the order asked: %s", out)
		}
	}
}

func TestShowFlagsAfterFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.arrows")
	os.WriteFile(path, zooStream(t), 0o644)
	out, stderr, code := prog.Call(nil, path, "-f", "jsonl", "-c", "id")
	if code != 0 || !strings.HasPrefix(string(out), `{"id":"`) {
		t.Errorf("show FILE -f jsonl -c id: exit %d %s %q", code, stderr, out)
	}
}

// trainedStream returns a trained stream with one row of the zoo model per result.
func trainedStream(t *testing.T, trs ...formats.Trained) []byte {
	t.Helper()
	rd, err := formats.NewReader(bytes.NewReader(zooStream(t)), "zoo", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Release()
	md := formats.Derive(rd.Schema().Metadata(), formats.KindTrained, formats.Provenance{Producer: "test"})
	schema := formats.WithFields(rd.Schema(), formats.TrainedFields, &md)
	var out bytes.Buffer
	sw := formats.NewWriter(&out, schema, nil)
	rd.Next()
	for _, tr := range trs {
		cols := formats.TrainedColumns(nil, []formats.Trained{tr})
		rec := formats.WithColumns(rd.Record(), formats.TrainedFields, cols, &md)
		if err := sw.Write(rec); err != nil {
			t.Fatal(err)
		}
		rec.Release()
		for _, c := range cols {
			c.Release()
		}
	}
	sw.Close()
	return out.Bytes()
}

func TestShowWeights(t *testing.T) {
	w, err := safetensors.Encode([]safetensors.Tensor{safetensors.Float32("head.fc.bias", []int{3}, []float32{1, 2, 3})}, nil)
	if err != nil {
		t.Fatal(err)
	}
	data := trainedStream(t, formats.Trained{Status: "ok", Weights: w})
	id := zooID(t)
	path := filepath.Join(t.TempDir(), "model.safetensors")
	_, stderr, code := prog.Call(data, "--weights", id[:6], "-o", path)
	got, _ := os.ReadFile(path)
	if code != 0 || !bytes.Equal(got, w) || !strings.Contains(stderr, "1 tensors") {
		t.Fatalf("exit %d %q: wrote %d bytes, want the %d of the weights", code, stderr, len(got), len(w))
	}
	// Two rows with the id are ambiguous; a model without weights and an unknown
	// id are refused too.
	both := append(append([]byte{}, data...), data...)
	for _, c := range []struct {
		stdin []byte
		id    string
		want  string
	}{
		{both, id, "2 models have an id"},
		{trainedStream(t, formats.Trained{Status: "diverged"}), id, `has no weights (status "diverged")`},
		{data, "zz", `no model with id "zz"`},
	} {
		_, stderr, code := prog.Call(c.stdin, "--weights", c.id, "-o", path)
		if code != 1 || !strings.Contains(stderr, c.want) {
			t.Errorf("--weights %s: exit %d %q, want %q", c.id, code, stderr, c.want)
		}
	}
	_, stderr, code = prog.Call(zooStream(t), "--weights", id, "-o", path)
	if code != 1 || !strings.Contains(stderr, "no weights column") {
		t.Errorf("config stream: exit %d %q", code, stderr)
	}
}

func zooID(t *testing.T) string {
	out, _, _ := prog.Call(zooStream(t), "-f", "csv", "-c", "id")
	return strings.Split(string(out), "\n")[1]
}
