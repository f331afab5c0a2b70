package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/ddstools/dds/formats"
	"github.com/ddstools/dds/formats/anynet"
	"github.com/ddstools/dds/internal/clitest"
	"github.com/ddstools/dds/sample/sampler"
)

// prog runs train in process; prog.Call returns its stdout, stderr and exit status.
var prog = clitest.Program{Name: "train", Run: run}

// configs encodes small X networks for 8x8x3 images as a config stream.
func configs(t *testing.T, nets ...anynet.Net) []byte {
	t.Helper()
	var cs []formats.Config
	for i, n := range nets {
		cs = append(cs, formats.Config{ID: formats.ConfigID(n), Space: "test", Index: int64(i), Seed: int64(100 + i), Net: n, Complexity: n.Complexity()})
	}
	var b bytes.Buffer
	if err := sampler.WriteConfigs(&b, cs, formats.Provenance{Producer: "test"}, nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func tiny(w1, w2, g int) anynet.Net {
	return anynet.Net{Res: 8, Channels: 3, Classes: 4, StemW: 8, StemS: 1, Block: anynet.BlockX, Stages: []anynet.Stage{
		{D: 1, W: w1, S: 1, B: 1, G: g}, {D: 2, W: w2, S: 2, B: 1, G: g}}}
}

const synth = "synthetic:8x8x3:4:512:64"

// column returns the string values of a column over all records.
func column(t *testing.T, recs []arrow.RecordBatch, name string) []string {
	t.Helper()
	var out []string
	for _, r := range recs {
		idx := r.Schema().FieldIndices(name)
		if len(idx) == 0 {
			t.Fatalf("no column %q", name)
		}
		a := r.Column(idx[0])
		for i := 0; i < a.Len(); i++ {
			out = append(out, a.ValueStr(i))
		}
	}
	return out
}

// sameRecords reports whether two trained outputs hold equal records, every column
// compared except the timing ones.
func sameRecords(t *testing.T, a, b []byte) {
	t.Helper()
	ra, rb := clitest.Records(t, a), clitest.Records(t, b)
	if len(ra) != len(rb) {
		t.Fatalf("%d records vs %d", len(ra), len(rb))
	}
	for i := range ra {
		if !ra[i].Schema().Equal(rb[i].Schema()) {
			t.Fatalf("record %d: schemas differ", i)
		}
		for c, f := range ra[i].Schema().Fields() {
			if f.Name == "wall_s" || f.Name == "img_per_s" {
				continue
			}
			if !array.Equal(ra[i].Column(c), rb[i].Column(c)) {
				t.Errorf("record %d: column %s differs", i, f.Name)
			}
		}
	}
}

func TestTrainStream(t *testing.T) {
	in := configs(t, tiny(8, 16, 4), tiny(16, 16, 8), tiny(12, 16, 8))
	out, stderr, code := prog.Call(in, "--data", synth, "--epochs", "2", "--batch", "32")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	recs := clitest.Records(t, out)
	if got := column(t, recs, "status"); strings.Join(got, ",") != "ok,ok,failed" {
		t.Errorf("statuses %v, want ok,ok,failed", got)
	}
	errs := column(t, recs, "error")
	if !strings.Contains(errs[2], "group width 8 does not divide bottleneck width 12") {
		t.Errorf("error of the unbuildable config: %q", errs[2])
	}
	if got := column(t, recs, "index"); strings.Join(got, ",") != "0,1,2" {
		t.Errorf("input columns not passed through in order: index %v", got)
	}
	if !strings.Contains(stderr, "3 models") || !strings.Contains(stderr, "2 ok, 0 diverged, 1 failed") {
		t.Errorf("summary: %q", stderr)
	}
	again, _, _ := prog.Call(in, "--data", synth, "--epochs", "2", "--batch", "32")
	sameRecords(t, out, again)
}

func TestBadInput(t *testing.T) {
	space, _, _ := func() ([]byte, string, int) {
		var b bytes.Buffer
		s, _ := formats.LookupSpace("regnetx-mnist")
		if err := formats.WriteSpaces(&b, []*formats.Space{s}, formats.Provenance{Producer: "test"}, nil); err != nil {
			t.Fatal(err)
		}
		return b.Bytes(), "", 0
	}()
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "data_batch_1.bin"), []byte("short"), 0o644)
	prog.CheckOneLineFailures(t, []clitest.Failure{
		{"space stream", space, nil, 1, "input is not a config stream"},
		{"not arrow", []byte("hello"), nil, 1, "stdin"},
		{"empty", nil, nil, 1, "empty input"},
		{"bad data spec", configs(t, tiny(8, 16, 4)), []string{"--data", "imagenet"}, 1, "imagenet"},
		{"corrupt cifar", configs(t, tiny(8, 16, 4)), []string{"--data", "cifar10:" + dir}, 1, "data_batch_1.bin"},
		{"bad flag", nil, []string{"--epochs", "0"}, 2, "-epochs: 0 is outside [1, 10000]"},
		{"cuda", nil, []string{"--device", "cuda"}, 1, "cuda: CUDA library not found"},
		{"bad device", nil, []string{"--device", "gpu"}, 2, `--device "gpu": want cpu, cuda, cuda:N or auto`},
	})
	// Labels beyond the network's outputs: a failed record, not a crash.
	few := tiny(8, 16, 4)
	few.Classes = 2
	out, stderr, code := prog.Call(configs(t, few, tiny(8, 16, 4)), "--data", synth, "--epochs", "1", "--batch", "64")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	recs := clitest.Records(t, out)
	if st := column(t, recs, "status"); st[0] != "failed" || st[1] != "ok" {
		t.Errorf("statuses %v", st)
	}
	if e := column(t, recs, "error")[0]; !strings.Contains(e, "4 classes, the network only 2 outputs") {
		t.Errorf("error %q", e)
	}
}

// buildTools compiles the named commands of this module into a temporary folder.
func buildTools(t *testing.T, cmds ...string) string {
	t.Helper()
	dir := t.TempDir()
	args := []string{"build", "-o", dir + "/"}
	for _, c := range cmds {
		args = append(args, "github.com/ddstools/dds/"+c)
	}
	if out, err := exec.Command("go", args...).CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return dir
}

// TestKillAndResume kills train with SIGKILL once the first model is finished and
// the second has saved an epoch, starts it again on the same input and checkpoint
// directory, and checks that the output equals an uninterrupted run's and that the
// rerun neither retrained the first model nor restarted the second.
func TestKillAndResume(t *testing.T) {
	bin := filepath.Join(buildTools(t, "train"), "train")
	dir := t.TempDir()
	in := filepath.Join(dir, "in.arrows")
	os.WriteFile(in, configs(t, tiny(8, 16, 4), tiny(16, 32, 8), tiny(8, 24, 8)), 0o644)
	args := []string{"--data", "synthetic:8x8x3:4:2048:64", "--epochs", "4", "--batch", "32", "--jobs", "1"}

	whole := exec.Command(bin, append(args, "-o", filepath.Join(dir, "whole.arrows"), in)...)
	if out, err := whole.CombinedOutput(); err != nil {
		t.Fatalf("uninterrupted run: %v\n%s", err, out)
	}

	ckpt := filepath.Join(dir, "ckpt")
	resumed := filepath.Join(dir, "resumed.arrows")
	cmd := exec.Command(bin, append(args, "--checkpoint", ckpt, "-o", resumed, in)...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(2 * time.Minute)
	for {
		done, _ := filepath.Glob(filepath.Join(ckpt, "*.done"))
		state, _ := filepath.Glob(filepath.Join(ckpt, "*.state"))
		if len(done) == 1 && len(state) == 1 {
			break
		}
		if time.Now().After(deadline) || len(done) > 1 {
			cmd.Process.Kill()
			t.Fatalf("no point to interrupt at: %d done, %d state files", len(done), len(state))
		}
		time.Sleep(5 * time.Millisecond)
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	if _, err := os.Stat(resumed); err == nil {
		t.Fatal("a killed run left an output file")
	}

	rerun := exec.Command(bin, append(args, "--checkpoint", ckpt, "-o", resumed, in)...)
	var stderr bytes.Buffer
	rerun.Stderr = &stderr
	if err := rerun.Run(); err != nil {
		t.Fatalf("rerun: %v\n%s", err, stderr.String())
	}
	log := stderr.String()
	if !strings.Contains(log, "(input row 0) is already trained") || !strings.Contains(log, "(input row 1) resumed from its checkpoint after epoch") {
		t.Errorf("rerun did not pick up the checkpoints:\n%s", log)
	}
	a, _ := os.ReadFile(filepath.Join(dir, "whole.arrows"))
	b, _ := os.ReadFile(resumed)
	sameRecords(t, a, b)
}

// TestRecipeOverrides gives two of three configs their own epochs and learning rate
// through a partial "recipe" column; the third (a null) uses the flags.
func TestRecipeOverrides(t *testing.T) {
	in := configs(t, tiny(8, 16, 4), tiny(8, 16, 4), tiny(8, 16, 4))
	rd, err := formats.NewReader(bytes.NewReader(in), "in", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Release()
	rd.Next()
	rec := rd.Record()
	typ := arrow.StructOf(arrow.Field{Name: "epochs", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		arrow.Field{Name: "lr", Type: arrow.PrimitiveTypes.Float64, Nullable: true})
	b := array.NewStructBuilder(memory.DefaultAllocator, typ)
	ep, lr := b.FieldBuilder(0).(*array.Int64Builder), b.FieldBuilder(1).(*array.Float64Builder)
	b.Append(true)
	ep.Append(2)
	lr.Append(0.05)
	b.Append(true)
	ep.AppendNull()
	lr.Append(0.2)
	b.AppendNull()
	col := b.NewArray()
	withRecipe := formats.WithColumns(rec, []arrow.Field{{Name: "recipe", Type: typ, Nullable: true}}, []arrow.Array{col}, nil)
	var buf bytes.Buffer
	w := formats.NewWriter(&buf, withRecipe.Schema(), nil)
	if err := w.Write(withRecipe); err != nil {
		t.Fatal(err)
	}
	w.Close()

	out, stderr, code := prog.Call(buf.Bytes(), "--data", synth, "--epochs", "1", "--batch", "64", "--lr", "0.1")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	recs := clitest.Records(t, out)
	got := column(t, recs, "recipe")
	for i, want := range []string{`"epochs":2`, `"epochs":1`, `"epochs":1`} {
		if !strings.Contains(got[i], want) {
			t.Errorf("row %d recipe %s, want %s", i, got[i], want)
		}
	}
	for i, want := range []string{`"lr":0.05`, `"lr":0.2`, `"lr":0.1`} {
		if !strings.Contains(got[i], want) {
			t.Errorf("row %d recipe %s, want %s", i, got[i], want)
		}
	}
	if steps := column(t, recs, "steps"); strings.Join(steps, ",") != "16,8,8" {
		t.Errorf("steps %v, want 16,8,8 (512 images, batch 64)", steps)
	}
}
