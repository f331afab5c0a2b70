package trainer

import (
	"runtime"
	"strings"
	"testing"

	"github.com/ddstools/dds/train/cpu"
	"github.com/ddstools/dds/train/engine"
)

// TestAutoConcurrency checks the automatic choice: as many models as fit in 90% of
// the free memory by the largest footprint, at least 1, at most the number of models
// and maxGPUConcurrency; one per 4 cores when the device has no memory to report.
func TestAutoConcurrency(t *testing.T) {
	d := tinyData(t)
	r := tinyRecipe()
	small := &item{job: Job{Arch: tinyArch, Recipe: r}, data: d}
	bigArch := tinyArch
	bigArch.StemW = 32
	big := &item{job: Job{Arch: bigArch, Recipe: r}, data: d}
	newEngine := func(engine.Precision) (engine.Engine, error) { return cpu.NewEngine(), nil }
	largest, err := footprint(big, 0, cpu.NewEngine())
	if err != nil {
		t.Fatal(err)
	}
	if s, _ := footprint(small, 0, cpu.NewEngine()); s >= largest {
		t.Fatalf("footprints: small %d, big %d", s, largest)
	}
	many := make([]*item, 40)
	for i := range many {
		many[i] = small
	}
	many[7] = big
	for _, c := range []struct {
		items []*item
		free  float64 // in units of the largest footprint
		want  int
	}{
		{many, 3.5, 3},   // 0.9·3.5 = 3.15
		{many, 10, 9},    // 9.0
		{many, 0.5, 1},   // at least one
		{many, 1000, 16}, // at most maxGPUConcurrency
		{many[:5], 1000, 5},
	} {
		opt := Options{NewEngine: newEngine, FreeMemory: func() (int64, bool, error) {
			return int64(c.free * float64(largest)), true, nil
		}}
		got, why, err := AutoConcurrency(c.items, opt)
		if err != nil || got != c.want {
			t.Errorf("%d models, free %g footprints: %d (%s, %v), want %d", len(c.items), c.free, got, why, err, c.want)
		}
	}
	opt := Options{NewEngine: newEngine, FreeMemory: func() (int64, bool, error) { return 0, false, nil }}
	got, why, _ := AutoConcurrency(many, opt)
	if want := max(1, runtime.GOMAXPROCS(0)/4); got != want || !strings.Contains(why, "cores") {
		t.Errorf("CPU: %d (%s), want %d", got, why, want)
	}
}
