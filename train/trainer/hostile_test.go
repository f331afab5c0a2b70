package trainer

import (
	"bytes"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/ddstools/dds/formats"
	"github.com/ddstools/dds/formats/anynet"
	"github.com/ddstools/dds/internal/cli"
	"github.com/ddstools/dds/train/cpu"
)

// hostileConfigs writes nets as a config stream without validating them, as a
// crafted or corrupted producer would.
func hostileConfigs(t *testing.T, nets ...anynet.Net) []byte {
	t.Helper()
	var cs []formats.Config
	for i, n := range nets {
		cs = append(cs, formats.Config{ID: formats.ConfigID(n), Space: "crafted", Index: int64(i), Seed: int64(i + 1), Net: n,
			Complexity: anynet.Complexity{Flops: 1000, Params: 100, Acts: 10}})
	}
	schema, err := formats.ConfigSchema(formats.Provenance{Producer: "test"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	w := formats.NewWriter(&b, schema, nil)
	rec := formats.ConfigRecord(memory.DefaultAllocator, schema, cs)
	defer rec.Release()
	if err := w.Write(rec); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// runErrors trains in with opt and returns each record's status and error.
func runErrors(t *testing.T, in []byte, opt Options) (status, errs []string) {
	t.Helper()
	c := runColumns(t, in, opt, "status", "error")
	return c[0], c[1]
}

// TestHostileStream: a stream of a normal config, one with 10^9 classes and one with
// a stage of 10^9 blocks trains to three records, the normal one ok and the others
// failed naming the range, without allocating for them (which killed the process
// with the runtime's fatal out-of-memory).
func TestHostileStream(t *testing.T) {
	classes, deep := tinyArch, tinyArch
	classes.Classes = 1_000_000_000
	deep.Stages = append([]anynet.Stage(nil), tinyArch.Stages...)
	deep.Stages[0].D = 1_000_000_000
	status, errs := runErrors(t, hostileConfigs(t, tinyArch, classes, deep), Options{Jobs: 1})
	want := []struct{ status, err string }{
		{formats.StatusOK, ""},
		{formats.StatusFailed, "config: classes 1000000000 is outside [2, 1048576]"},
		{formats.StatusFailed, "config: stage 1: depth 1000000000 is outside [1, 1024]"},
	}
	if len(status) != len(want) {
		t.Fatalf("%d records, want %d", len(status), len(want))
	}
	for i, w := range want {
		if status[i] != w.status || !strings.Contains(errs[i], w.err) {
			t.Errorf("record %d: %s %q, want %s %q", i, status[i], errs[i], w.status, w.err)
		}
	}
}

// TestMemoryBudget: a valid model whose footprint is over opt.MaxMemory is written as
// failed naming both sizes, without being trained, while the models within the budget
// train; with no budget the same model trains.
func TestMemoryBudget(t *testing.T) {
	wide := tinyArch
	wide.StemW = 512
	wide.Stages = []anynet.Stage{{D: 1, W: 512, S: 1, B: 1, G: 8}}
	in := hostileConfigs(t, tinyArch, wide)
	e := cpu.NewEngine()
	defer e.Close()
	d := tinyData(t)
	r := ResolveAugment(tinyRecipe())
	size := func(n anynet.Net) int64 {
		fp, err := footprint(&item{job: Job{Arch: n, Recipe: r}, data: d}, e.MemUsed(), e)
		if err != nil {
			t.Fatal(err)
		}
		return fp
	}
	small, big := size(tinyArch), size(wide)
	if big < 4*small {
		t.Fatalf("footprints %d and %d: the wide model is not much larger", small, big)
	}
	budget := (small + big) / 2
	status, errs := runErrors(t, in, Options{Jobs: 1, MaxMemory: budget})
	if status[0] != formats.StatusOK || status[1] != formats.StatusFailed {
		t.Fatalf("statuses %v (errors %q)", status, errs)
	}
	for _, s := range []string{"budget", cli.FormatBytes(big), cli.FormatBytes(budget), "--max-memory"} {
		if !strings.Contains(errs[1], s) {
			t.Errorf("error %q does not name %q", errs[1], s)
		}
	}
	if status, errs := runErrors(t, in, Options{Jobs: 1}); status[1] != formats.StatusOK {
		t.Errorf("no budget: %s %q", status[1], errs[1])
	}
}

// TestDefaultMaxMemory: the default budget is a share of the GPU's free memory when
// there is one, else of the machine's memory, else none.
func TestDefaultMaxMemory(t *testing.T) {
	gpu := func() (int64, bool, error) { return 10 << 30, true, nil }
	cpuOnly := func() (int64, bool, error) { return 0, false, nil }
	host := func() (int64, error) { return 16 << 30, nil }
	unknown := func() (int64, error) { return 0, errUnknownTest }
	if got, _ := DefaultMaxMemory(gpu, host); got != int64(GPUMemoryShare*float64(10<<30)) {
		t.Errorf("gpu: %d", got)
	}
	if got, _ := DefaultMaxMemory(cpuOnly, host); got != int64(HostMemoryShare*float64(16<<30)) {
		t.Errorf("cpu: %d", got)
	}
	if got, _ := DefaultMaxMemory(nil, host); got != int64(HostMemoryShare*float64(16<<30)) {
		t.Errorf("nil free: %d", got)
	}
	if got, why := DefaultMaxMemory(nil, unknown); got != 0 || !strings.Contains(why, "unknown") {
		t.Errorf("unknown: %d %q", got, why)
	}
}

var errUnknownTest = errorString("unknown")

type errorString string

func (e errorString) Error() string { return string(e) }
