package interop

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ddstools/dds/formats"
	"github.com/ddstools/dds/internal/clitest"
	"github.com/ddstools/dds/internal/testenv"
)

// jsFiles are copied from this folder into the directory where npm installs.
var jsFiles = []string{"package.json", "package-lock.json", "read_arrow.mjs", "read_polars.mjs", "edit_space.mjs", "duckdb_csv.mjs"}

// sampleCase is one run of sample whose output the JS reader must agree on.
type sampleCase struct {
	name  string
	args  []string
	rows  int
	check func(t *testing.T, cs []formats.Config) // what the case is meant to exercise
}

var sampleCases = []sampleCase{
	{
		name: "regnetx",
		args: []string{"--space", "regnetx", "-n", "20", "--flops", "360M:400M", "--seed", "7"},
		rows: 20,
		check: func(t *testing.T, cs []formats.Config) {
			for _, c := range cs {
				if c.RegNet == nil {
					t.Fatalf("%s: regnet columns are null; the case must exercise non-null regnet values", c.ID)
				}
			}
		},
	},
	{
		name: "anynetx-e-cifar10",
		args: []string{"--space", "anynetx-e-cifar10", "-n", "10", "--seed", "3"},
		rows: 10,
		check: func(t *testing.T, cs []formats.Config) {
			for _, c := range cs {
				if c.RegNet != nil {
					t.Fatalf("%s: regnet columns are set; the case must exercise null regnet values", c.ID)
				}
			}
		},
	},
	{
		name: "RegNetY-800MF-cifar10",
		args: []string{"--model", "RegNetY-800MF", "--geometry", "cifar10"},
		rows: 1,
		check: func(t *testing.T, cs []formats.Config) {
			if c := cs[0]; c.Net.Block != "y" || c.Net.SERatio == 0 || c.RegNet == nil {
				t.Fatalf("%s: block %q se_ratio %v regnet %v; want a Y block model with RegNet parameters",
					c.ID, c.Net.Block, c.Net.SERatio, c.RegNet)
			}
		},
	},
}

// configColumns are the columns every row printed by read_arrow.mjs must have.
var configColumns = func() []string {
	var names []string
	for _, f := range formats.ConfigFields {
		names = append(names, f.Name)
	}
	return names
}()

// TestJSReadsSampleStreams checks that the apache-arrow JavaScript library reads
// sample's zstd-compressed config streams with the same values as our reader.
func TestJSReadsSampleStreams(t *testing.T) {
	node := needTool(t, "node")
	npm := needTool(t, "npm")
	if out, err := exec.Command(node, "--version").Output(); err == nil {
		t.Logf("node %s", strings.TrimSpace(string(out)))
	}

	tmp := t.TempDir()
	sample := buildSample(t, tmp)
	jsDir := sharedJS(t, npm)
	script := filepath.Join(jsDir, "read_arrow.mjs")

	for _, tc := range sampleCases {
		t.Run(tc.name, func(t *testing.T) {
			file := filepath.Join(tmp, tc.name+".arrow")
			run(t, 30*time.Second, "", nil, sample, append(tc.args, "-o", file)...)

			md, want := readGo(t, file)
			if len(want) != tc.rows {
				t.Fatalf("our reader decoded %d configs, want %d", len(want), tc.rows)
			}
			tc.check(t, want)

			out, stderr := run(t, 60*time.Second, jsDir, nil, node, script, "--stats", file)
			var stats struct{ Streams, Batches, Rows, Zstd_buffers int }
			if err := json.Unmarshal(bytes.TrimSpace(stderr), &stats); err != nil {
				t.Fatalf("read_arrow.mjs --stats: cannot parse its stderr %q: %v", stderr, err)
			}
			t.Logf("read_arrow.mjs: %+v", stats)
			if stats.Zstd_buffers == 0 {
				t.Errorf("no buffer went through the zstd codec: the stream was not compressed, so this test did not check compressed reading")
			}

			jsMD, rows := parseJS(t, out)
			compareMetadata(t, md, jsMD)
			if len(rows) != len(want) {
				t.Fatalf("JS read %d rows, our reader %d", len(rows), len(want))
			}
			errs := 0
			for i, row := range rows {
				for _, e := range compareRow(row, want[i]) {
					if errs++; errs <= 30 {
						t.Errorf("row %d (id %s): %s", i, want[i].ID, e)
					}
				}
			}
			if errs > 30 {
				t.Errorf("... %d mismatches in all", errs)
			}

			if tc.rows == 1 { // the script reads stdin as well as a file
				f, err := os.Open(file)
				if err != nil {
					t.Fatal(err)
				}
				defer f.Close()
				viaStdin, _ := run(t, 60*time.Second, jsDir, f, node, script)
				if !bytes.Equal(viaStdin, out) {
					t.Errorf("read_arrow.mjs prints different output from stdin than from a file:\n%s\nvs\n%s", viaStdin, out)
				}
			}
		})
	}
}

// needTool returns the path of a program the test needs. Without it the test is
// skipped, or fails under CI (testenv.Require).
func needTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	testenv.Require(t, name+" for the JavaScript interop test (apt-get install -y nodejs npm)", err)
	return p
}

// run runs a command and returns its stdout and stderr, failing the test on error.
func run(t *testing.T, timeout time.Duration, dir string, stdin *os.File, name string, args ...string) (stdout, stderr []byte) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	if stdin != nil {
		cmd.Stdin = stdin
	}
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	start := time.Now()
	err := cmd.Run()
	if err != nil {
		t.Fatalf("%s %s: %v (after %v)\nstderr:\n%s", filepath.Base(name), strings.Join(args, " "), err, time.Since(start).Round(time.Millisecond), e.Bytes())
	}
	return o.Bytes(), e.Bytes()
}

// buildSample builds the sample program into dir.
func buildSample(t *testing.T, dir string) string { return buildProgram(t, dir, "sample") }

// buildProgram builds the dds program name (sample, show, ...) into dir.
func buildProgram(t *testing.T, dir, name string) string {
	t.Helper()
	exe := filepath.Join(dir, name)
	if runtime.GOOS == "windows" {
		exe += ".exe"
	}
	pkg := "github.com/ddstools/dds/" + name
	run(t, 5*time.Minute, "", nil, "go", "build", "-o", exe, pkg)
	trackSources(t, pkg)
	return exe
}

// trackSources reads the directories and stats the Go files of pkg and of the
// packages of this module it imports. go test caches a passing result until the
// files the test consulted change; sample is built by a subprocess, so without this
// a change to sample would not rerun the test.
func trackSources(t *testing.T, pkg string) {
	t.Helper()
	out, _ := run(t, time.Minute, "", nil, "go", "list", "-deps", "-f", "{{if and .Module .Module.Main}}{{.Dir}}{{end}}", pkg)
	for dir := range strings.FieldsSeq(string(out)) {
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			if strings.HasSuffix(e.Name(), ".go") {
				if _, err := os.Stat(filepath.Join(dir, e.Name())); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
}

// installJS copies the JS files into dir and installs the pinned packages there with
// npm install, which takes the versions of package-lock.json. (npm ci refuses this
// lock: nodejs-polars lists native packages for platforms that the registry does not
// serve at its version, so they cannot be in the lock.)
func installJS(t *testing.T, npm, dir string) string {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range jsFiles {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	verb := "install"
	start := time.Now()
	run(t, 5*time.Minute, dir, nil, npm, verb, "--no-audit", "--no-fund", "--prefer-offline", "--loglevel=error")
	t.Logf("npm %s: %v", verb, time.Since(start).Round(time.Millisecond))
	return dir
}

// readGo decodes a config stream with our own reader: its metadata and configs.
func readGo(t *testing.T, file string) (map[string]string, []formats.Config) {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	rd, err := formats.NewReader(bytes.NewReader(b), file, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Release()
	if err := formats.CheckKind(rd.Schema(), formats.KindConfig); err != nil {
		t.Fatal(err)
	}
	md := map[string]string{}
	m := rd.Schema().Metadata()
	for i, k := range m.Keys() {
		md[k] = m.Values()[i]
	}
	return md, clitest.Configs(t, b)
}

// parseJS splits read_arrow.mjs output into the metadata line and the rows.
func parseJS(t *testing.T, out []byte) (map[string]string, []map[string]json.RawMessage) {
	t.Helper()
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<24)
	var md map[string]string
	var rows []map[string]json.RawMessage
	for line := 1; sc.Scan(); line++ {
		if line == 1 {
			if err := json.Unmarshal(sc.Bytes(), &md); err != nil {
				t.Fatalf("JS output line 1 is not a metadata object: %v\n%s", err, sc.Bytes())
			}
			continue
		}
		var row map[string]json.RawMessage
		if err := json.Unmarshal(sc.Bytes(), &row); err != nil {
			t.Fatalf("JS output line %d is not a JSON object: %v\n%s", line, err, sc.Bytes())
		}
		rows = append(rows, row)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if md == nil {
		t.Fatalf("JS printed no metadata line")
	}
	return md, rows
}

func compareMetadata(t *testing.T, goMD, jsMD map[string]string) {
	t.Helper()
	for _, k := range []string{formats.KeyKind, formats.KeyProducer} {
		if _, ok := jsMD[k]; !ok {
			t.Errorf("JS sees no metadata key %s", k)
		}
	}
	if jsMD[formats.KeyKind] != formats.KindConfig {
		t.Errorf("JS sees %s=%q, want %q", formats.KeyKind, jsMD[formats.KeyKind], formats.KindConfig)
	}
	if formats.ProducerName(jsMD[formats.KeyProducer]) != "sample" {
		t.Errorf("JS sees %s=%q, want sample and its version", formats.KeyProducer, jsMD[formats.KeyProducer])
	}
	for k, v := range goMD {
		if w, ok := jsMD[k]; !ok {
			t.Errorf("metadata %s: JS does not see it (Go: %q)", k, v)
		} else if w != v {
			t.Errorf("metadata %s: JS %q, Go %q", k, w, v)
		}
	}
	for k, v := range jsMD {
		if _, ok := goMD[k]; !ok {
			t.Errorf("metadata %s: JS sees %q, Go does not", k, v)
		}
	}
}

// compareRow returns the differences between one row printed by read_arrow.mjs and
// the config our reader decoded from it.
func compareRow(row map[string]json.RawMessage, c formats.Config) []string {
	var errs []string
	bad := func(format string, args ...any) { errs = append(errs, fmt.Sprintf(format, args...)) }

	keys := make([]string, 0, len(row))
	for k := range row {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	want := slices.Sorted(slices.Values(configColumns))
	if !slices.Equal(keys, want) {
		bad("JS row has columns %v, want %v", keys, want)
	}

	str := func(col, want string) {
		var got string
		if err := strictString(row[col], &got); err != nil {
			bad("%s: %v", col, err)
		} else if got != want {
			bad("%s: JS %q, Go %q", col, got, want)
		}
	}
	i64 := func(col string, want int64) { // int64 are decimal strings
		var got string
		if err := strictString(row[col], &got); err != nil {
			bad("%s (int64, printed as a decimal string): %v", col, err)
		} else if got != strconv.FormatInt(want, 10) {
			bad("%s: JS %s, Go %d", col, got, want)
		}
	}
	i32 := func(col string, raw json.RawMessage, want int) {
		got, err := strconv.ParseInt(string(raw), 10, 32)
		if err != nil {
			bad("%s: JS %s is not an int32 number", col, raw)
		} else if got != int64(want) {
			bad("%s: JS %d, Go %d", col, got, want)
		}
	}
	f64 := func(col string, raw json.RawMessage, want float64) {
		if math.IsNaN(want) || math.IsInf(want, 0) {
			var got string
			if err := strictString(raw, &got); err != nil || got != strconv.FormatFloat(want, 'g', -1, 64) {
				bad("%s: JS %s, Go %v", col, raw, want)
			}
			return
		}
		got, err := strconv.ParseFloat(string(raw), 64)
		if err != nil {
			bad("%s: JS %s is not a number", col, raw)
		} else if got != want {
			bad("%s: JS %v, Go %v", col, got, want)
		}
	}
	null := func(col string) {
		if string(row[col]) != "null" {
			bad("%s: JS %s, want null", col, row[col])
		}
	}

	n := c.Net
	str("id", c.ID)
	str("space", c.Space)
	i64("index", c.Index)
	i64("seed", c.Seed)
	i32("res", row["res"], n.Res)
	i32("channels", row["channels"], n.Channels)
	i32("classes", row["classes"], n.Classes)
	i32("stem_w", row["stem_w"], n.StemW)
	i32("stem_s", row["stem_s"], n.StemS)
	str("block", n.Block)
	f64("se_ratio", row["se_ratio"], n.SERatio)

	var stages []map[string]json.RawMessage
	if err := json.Unmarshal(row["stages"], &stages); err != nil || stages == nil {
		bad("stages: JS %s is not a list of objects", row["stages"])
	} else if len(stages) != len(n.Stages) {
		bad("stages: JS has %d, Go %d", len(stages), len(n.Stages))
	} else {
		for j, s := range stages {
			ws := n.Stages[j]
			p := fmt.Sprintf("stages[%d].", j)
			if len(s) != 5 {
				bad("%sJS stage has fields %s, want d, w, s, b, g", p, row["stages"])
			}
			i32(p+"d", s["d"], ws.D)
			i32(p+"w", s["w"], ws.W)
			i32(p+"s", s["s"], ws.S)
			f64(p+"b", s["b"], ws.B)
			i32(p+"g", s["g"], ws.G)
		}
	}

	if r := c.RegNet; r != nil {
		i32("regnet_d", row["regnet_d"], r.D)
		f64("regnet_w0", row["regnet_w0"], r.W0)
		f64("regnet_wa", row["regnet_wa"], r.WA)
		f64("regnet_wm", row["regnet_wm"], r.WM)
	} else {
		for _, col := range []string{"regnet_d", "regnet_w0", "regnet_wa", "regnet_wm"} {
			null(col)
		}
	}

	i64("flops", c.Complexity.Flops)
	i64("params", c.Complexity.Params)
	i64("acts", c.Complexity.Acts)
	return errs
}

// strictString decodes a JSON string, rejecting null and other JSON types.
func strictString(raw json.RawMessage, s *string) error {
	if len(raw) == 0 || raw[0] != '"' {
		return fmt.Errorf("JS %s is not a string", raw)
	}
	return json.Unmarshal(raw, s)
}
