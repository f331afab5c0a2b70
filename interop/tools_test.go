package interop

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ddstools/dds/formats"
)

// The JavaScript packages are installed once per run of the tests, into jsRoot.
var (
	jsOnce  sync.Once
	jsRoot  string
	jsDir   string
	jsFatal string
)

func TestMain(m *testing.M) {
	code := m.Run()
	if jsRoot != "" {
		os.RemoveAll(jsRoot)
	}
	os.Exit(code)
}

// sharedJS returns the folder where the JavaScript packages and scripts are
// installed, installing them on first use.
func sharedJS(t *testing.T, npm string) string {
	t.Helper()
	jsOnce.Do(func() {
		var err error
		if jsRoot, err = os.MkdirTemp("", "dds-interop-js-"); err != nil {
			jsFatal = err.Error()
			return
		}
		jsDir = installJSOnce(t, npm, filepath.Join(jsRoot, "js"))
	})
	if jsFatal != "" {
		t.Fatal(jsFatal)
	}
	if jsDir == "" {
		t.Fatal("installing the JavaScript packages failed in an earlier test")
	}
	return jsDir
}

// installJSOnce is installJS that leaves jsDir empty (rather than a half-made
// install) when the test that runs it fails.
func installJSOnce(t *testing.T, npm, dir string) string {
	ok := false
	defer func() {
		if !ok {
			jsFatal = "installing the JavaScript packages failed (see the first failing test)"
		}
	}()
	d := installJS(t, npm, dir)
	ok = true
	return d
}

// polarsSummary is what read_polars.mjs prints.
type polarsSummary struct {
	Rows    int
	Columns []string
	Values  []string
}

func readPolars(t *testing.T, node, js, mode, file, column string) polarsSummary {
	t.Helper()
	args := []string{filepath.Join(js, "read_polars.mjs"), mode, file}
	if column != "" {
		args = append(args, column)
	}
	out, _ := run(t, 60*time.Second, js, nil, node, args...)
	var s polarsSummary
	if err := json.Unmarshal(out, &s); err != nil {
		t.Fatalf("read_polars.mjs printed %q: %v", out, err)
	}
	return s
}

// TestMergedShardsReadWhole checks that the file merge-shards.sh makes of 8 shards is
// one stream that nodejs-polars and apache-arrow JS read whole (400 rows), with no
// help from dds: most Arrow readers stop at the first end-of-stream marker, so a
// cat of the shards reads there as the first shard alone.
func TestMergedShardsReadWhole(t *testing.T) {
	node, npm := needTool(t, "node"), needTool(t, "npm")
	bash := needTool(t, "bash")
	tmp := t.TempDir()
	sample := buildProgram(t, tmp, "sample")
	buildProgram(t, tmp, "show")
	js := sharedJS(t, npm)

	var shards []string
	for i := range 8 {
		f := filepath.Join(tmp, fmt.Sprintf("shard-%d.arrows", i))
		run(t, time.Minute, "", nil, sample, "--space", "regnetx-mnist", "-n", "400", "--seed", "5", "--shard", fmt.Sprintf("%d/8", i), "-o", f)
		shards = append(shards, f)
	}
	merged := filepath.Join(tmp, "merged.arrows")
	script, err := filepath.Abs("../pipelines/merge-shards.sh")
	if err != nil {
		t.Fatal(err)
	}
	cmd := append([]string{script, "-n", "400", "-o", merged}, shards...)
	c := exec.Command(bash, cmd...)
	c.Env = append(os.Environ(), "DDS_BIN="+tmp)
	if out, err := c.CombinedOutput(); err != nil {
		t.Fatalf("merge-shards.sh: %v\n%s", err, out)
	}

	got := readPolars(t, node, js, "ipc", merged, "index")
	t.Logf("nodejs-polars readIPCStream(merged.arrows): %d rows, %d columns", got.Rows, len(got.Columns))
	if got.Rows != 400 || len(got.Values) != 400 {
		t.Fatalf("nodejs-polars reads %d rows of the merged 8-shard file, want 400", got.Rows)
	}
	seen := make([]bool, 400)
	for _, v := range got.Values {
		i, err := strconv.Atoi(v)
		if err != nil || i < 0 || i >= 400 || seen[i] {
			t.Fatalf("index %q out of range or repeated", v)
		}
		seen[i] = true
	}
	if !slices.Equal(got.Columns, configColumns) {
		t.Errorf("polars sees columns %v, want %v", got.Columns, configColumns)
	}

	_, stderr := run(t, time.Minute, js, nil, node, filepath.Join(js, "read_arrow.mjs"), "--stats", merged)
	var stats struct{ Streams, Rows int }
	if err := json.Unmarshal(bytes.TrimSpace(stderr), &stats); err != nil {
		t.Fatalf("read_arrow.mjs --stats: %q: %v", stderr, err)
	}
	t.Logf("apache-arrow JS: %+v", stats)
	if stats.Streams != 1 || stats.Rows != 400 {
		t.Errorf("apache-arrow JS reads %d streams and %d rows, want 1 and 400", stats.Streams, stats.Rows)
	}

	// What the merge is for: polars reads a cat of the shards as the first shard.
	var joined []byte
	for _, f := range shards {
		b, _ := os.ReadFile(f)
		joined = append(joined, b...)
	}
	cat := filepath.Join(tmp, "cat.arrows")
	os.WriteFile(cat, joined, 0o644)
	t.Logf("for comparison, nodejs-polars reads %d rows of the cat-joined shards", readPolars(t, node, js, "ipc", cat, "").Rows)
}

// TestSecondTools checks an uncompressed stream in apache-arrow JS with no codec
// registered, and show -f csv in DuckDB's CSV reader and in polars' readCSV, against
// the values our reader decodes; 64-bit seeds must come through exact.
func TestSecondTools(t *testing.T) {
	node, npm := needTool(t, "node"), needTool(t, "npm")
	tmp := t.TempDir()
	sample := buildProgram(t, tmp, "sample")
	show := buildProgram(t, tmp, "show")
	js := sharedJS(t, npm)

	plain := filepath.Join(tmp, "plain.arrows")
	run(t, time.Minute, "", nil, sample, "--space", "regnetx-mnist", "-n", "30", "--seed", "9", "--compression", "none", "-o", plain)
	_, want := readGo(t, plain)

	out, stderr := run(t, time.Minute, js, nil, node, filepath.Join(js, "read_arrow.mjs"), "--stats", "--no-codec", plain)
	t.Logf("apache-arrow JS without codecs: %s", bytes.TrimSpace(stderr))
	_, rows := parseJS(t, out)
	if len(rows) != len(want) {
		t.Fatalf("apache-arrow JS reads %d rows of the uncompressed stream, want %d", len(rows), len(want))
	}
	for i, row := range rows {
		for _, e := range compareRow(row, want[i]) {
			t.Errorf("uncompressed row %d: %s", i, e)
		}
	}

	csvOut, _ := run(t, time.Minute, "", nil, show, "-f", "csv", plain)
	csvFile := filepath.Join(tmp, "configs.csv")
	os.WriteFile(csvFile, csvOut, 0o644)

	duck, _ := run(t, time.Minute, js, nil, node, filepath.Join(js, "duckdb_csv.mjs"), csvFile)
	lines := strings.Split(strings.TrimSpace(string(duck)), "\n")
	if len(lines) != len(want) {
		t.Fatalf("DuckDB reads %d rows of the CSV, want %d", len(lines), len(want))
	}
	for i, line := range lines {
		var r struct{ Seed_type, Seed, Id, Flops string }
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("duckdb_csv.mjs line %q: %v", line, err)
		}
		c := want[i]
		if r.Seed != strconv.FormatInt(c.Seed, 10) || r.Id != c.ID || r.Flops != strconv.FormatInt(c.Complexity.Flops, 10) || r.Seed_type != "BIGINT" {
			t.Errorf("DuckDB row %d: %+v; Go seed %d id %s flops %d", i, r, c.Seed, c.ID, c.Complexity.Flops)
		}
	}
	t.Logf("DuckDB read_csv: %d rows; first %s", len(lines), lines[0])

	pc := readPolars(t, node, js, "csv", csvFile, "seed")
	if pc.Rows != len(want) || !slices.Equal(pc.Columns, configColumns) {
		t.Fatalf("polars readCSV: %d rows, columns %v", pc.Rows, pc.Columns)
	}
	for i, v := range pc.Values {
		if v != strconv.FormatInt(want[i].Seed, 10) {
			t.Errorf("polars readCSV row %d: seed %s, Go %d", i, v, want[i].Seed)
		}
	}
}

// TestEditedSpacesSample checks that sample takes a space edited and written by
// polars (which drops dds's metadata and writes large_string and large_list columns)
// and a space written by hand as JSON, and draws from the edited bounds.
func TestEditedSpacesSample(t *testing.T) {
	node, npm := needTool(t, "node"), needTool(t, "npm")
	tmp := t.TempDir()
	sample := buildProgram(t, tmp, "sample")
	js := sharedJS(t, npm)

	space := filepath.Join(tmp, "space.arrows")
	run(t, time.Minute, "", nil, sample, "--space", "regnetx-mnist", "--print-space", "-o", space)
	edited := filepath.Join(tmp, "edited.arrows")
	run(t, time.Minute, js, nil, node, filepath.Join(js, "edit_space.mjs"), space, edited, "depth", "12")
	f, err := os.Open(edited)
	if err != nil {
		t.Fatal(err)
	}
	rd, err := formats.NewReader(f, edited, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := rd.Schema().Metadata().GetValue(formats.KeySchemaVersion); ok {
		t.Fatalf("polars kept the dds metadata; the test must exercise a stream without it")
	}
	rd.Release()
	f.Close()

	configs := filepath.Join(tmp, "edited.configs.arrows")
	_, stderr := run(t, time.Minute, "", nil, sample, "--space", edited, "-n", "40", "--seed", "2", "-o", configs)
	t.Logf("sample --space edited.arrows: %s", bytes.TrimSpace(stderr))
	if !strings.Contains(string(stderr), "no dds metadata") {
		t.Errorf("sample did not say what it assumed: %q", stderr)
	}
	_, cs := readGo(t, configs)
	if len(cs) != 40 {
		t.Fatalf("%d configs, want 40", len(cs))
	}
	deepest := 0
	for _, c := range cs {
		deepest = max(deepest, c.RegNet.D)
	}
	if deepest > 12 {
		t.Errorf("a config of depth %d from a space edited to depth <= 12", deepest)
	}

	hand := filepath.Join(tmp, "hand.json")
	os.WriteFile(hand, []byte(handSpace), 0o644)
	configs = filepath.Join(tmp, "hand.configs.arrows")
	run(t, time.Minute, "", nil, sample, "--space", hand, "-n", "10", "--seed", "3", "-o", configs)
	_, cs = readGo(t, configs)
	if len(cs) != 10 {
		t.Fatalf("%d configs from the JSON space, want 10", len(cs))
	}
	for _, c := range cs {
		if c.Space != "my-regnet" || c.RegNet == nil || c.RegNet.D < 6 || c.RegNet.D > 10 || c.Net.Res != 28 {
			t.Errorf("config %s of space %q, regnet %+v, res %d: not drawn from the JSON space", c.ID, c.Space, c.RegNet, c.Net.Res)
		}
	}
}

// handSpace is a space as a person writes it: the README's example.
const handSpace = `{
  "name": "my-regnet", "family": "regnet",
  "res": 28, "channels": 1, "classes": 10, "stem_w": 16, "stem_s": 1,
  "block": "x", "se_ratio": 0, "strides": [1, 2, 2, 2],
  "constraints": ["shared_b", "shared_g", "quantized_linear"],
  "flops": {"lo": 2000000, "hi": 20000000},
  "vars": [
    {"name": "depth", "dist": "uniform", "lo": 6, "hi": 10, "quantum": 1},
    {"name": "w0", "dist": "log-uniform", "lo": 8, "hi": 64, "quantum": 8},
    {"name": "wa", "dist": "log-uniform", "lo": 8, "hi": 64},
    {"name": "wm", "dist": "log-uniform", "lo": 1.5, "hi": 3},
    {"name": "b", "dist": "choice", "lo": 1, "hi": 1, "choices": [1]},
    {"name": "g", "dist": "choice", "lo": 1, "hi": 8, "choices": [1, 2, 4, 8]}
  ]
}`
