package cpu_test

import (
	"testing"

	"github.com/ddstools/dds/train/cpu"
	"github.com/ddstools/dds/train/engine"
	"github.com/ddstools/dds/train/engine/enginetest"
)

// subject is the CPU engine as the conformance suite sees it, in both precisions.
var subject = enginetest.Subject{Name: "cpu", Precisions: []engine.Precision{engine.FP32, engine.BF16},
	New: func(p engine.Precision) (engine.Engine, error) { return cpu.NewEngineWith(p), nil }}

// TestConformance runs the engine conformance suite on the CPU engine against the
// float64 reference engine (enginetest.Naive), in FP32 and in its BF16 emulation.
// Under the race detector it does not run: there the float64 reference takes
// minutes, and the kernels' concurrency is what the package's own tests check.
func TestConformance(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector makes the float64 reference minutes long")
	}
	enginetest.Run(t, subject, enginetest.Naive())
}

// TestNetworkMargin checks that the suite's network cases are far from what rounding
// does to them on the CPU engine (enginetest.NetworkMargin).
func TestNetworkMargin(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("trains each network 4 times for 10 steps")
	}
	enginetest.NetworkMargin(t, subject)
}
