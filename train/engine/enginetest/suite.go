// Package enginetest is the conformance suite of engine.Engine: every operation
// forward and backward on random arguments of odd shapes, the step-indexed
// operations, random-resized crops (for engines that are engine.ResizedCropper),
// Record and Replay, and whole X and Y networks trained for one and ten
// steps, each compared with a reference engine. An engine's tests are one call of
// Run: the CUDA engine's with the CPU engine as the reference, the CPU engine's with
// Naive, this package's float64 engine written straight from the formulas of package
// cpu's doc comments.
//
// Failures name the case family (the operation), the case (shape, group width,
// stride, precision), the argument and the error against its tolerance. Run ends by
// logging a summary: every case family with the number of cases run and the largest
// relative error seen, per precision.
package enginetest

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/ddstools/dds/train/engine"
)

// Subject is an engine under test, or a reference.
type Subject struct {
	// Name names the engine in messages ("cuda", "cpu", "naive").
	Name string
	// New returns a new engine in precision p; the suite closes it.
	New func(p engine.Precision) (engine.Engine, error)
	// Precisions are the precisions the engine runs in.
	Precisions []engine.Precision
}

// Families of cases, in the order the summary lists them. Run's families argument
// selects among them.
var Families = []string{
	"conv_forward", "conv_backward_data", "conv_backward_weight",
	"bn_stats", "bn_running", "bn_apply", "bn_backward",
	"relu_forward", "relu_backward", "add", "sigmoid_forward", "sigmoid_backward",
	"scale_forward", "scale_backward", "avgpool_forward", "avgpool_backward",
	"linear_forward", "linear_backward", "softmax_cross_entropy", "sgd",
	"batch", "step_ops", "resized_batch", "record_replay", "network_1step", "network_10steps",
}

// Short reports whether the suite runs its small variant, which trains only the first
// two of Nets. It is on under go test -short or with DDS_CONFORMANCE=short; CI runs
// the full suite.
func Short() bool { return testing.Short() || os.Getenv("DDS_CONFORMANCE") == "short" }

// Summary counts the cases run and the largest relative error seen, per family and
// precision.
type Summary struct {
	mu    sync.Mutex
	cases map[key]int
	worst map[key]float64
}

type key struct {
	family string
	p      engine.Precision
}

func newSummary() *Summary {
	return &Summary{cases: map[key]int{}, worst: map[key]float64{}}
}

// add records one case of family in precision p with relative error err.
func (s *Summary) add(family string, p engine.Precision, err float64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := key{family, p}
	s.cases[k]++
	if !(err <= s.worst[k]) {
		s.worst[k] = err
	}
}

// Cases returns how many cases of family ran in precision p.
func (s *Summary) Cases(family string, p engine.Precision) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cases[key{family, p}]
}

// Total returns how many cases ran in all.
func (s *Summary) Total() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, c := range s.cases {
		n += c
	}
	return n
}

// String lists every family that ran, one line per precision:
// "conv_forward fp32: 40 cases, max rel err 3.1e-07", and a total.
func (s *Summary) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var b strings.Builder
	total := 0
	for _, f := range Families {
		for _, p := range []engine.Precision{engine.FP32, engine.BF16} {
			k := key{f, p}
			if n, ok := s.cases[k]; ok {
				fmt.Fprintf(&b, "%-22s %s: %4d cases, max rel err %.1e\n", f, p, n, s.worst[k])
				total += n
			}
		}
	}
	fmt.Fprintf(&b, "total: %d cases", total)
	return b.String()
}

// Run runs the suite on s against ref in every precision of s (each must be one of
// ref's), as subtests named by precision and part (ops, batch, step_ops, record,
// networks), and logs the summary; with families given, only those case families
// run (an engine that implements only some operations). It returns the summary.
func Run(t *testing.T, s, ref Subject, families ...string) *Summary {
	t.Helper()
	for _, f := range families {
		if !slices.Contains(Families, f) {
			t.Fatalf("enginetest: no case family %q (have %s)", f, strings.Join(Families, ", "))
		}
	}
	want := func(f string) bool { return len(families) == 0 || slices.Contains(families, f) }
	sum := newSummary()
	for _, p := range s.Precisions {
		if !slices.Contains(ref.Precisions, p) {
			t.Fatalf("enginetest: reference %s has no %s", ref.Name, p)
		}
		t.Run(p.String(), func(t *testing.T) {
			c := &suite{s: s, ref: ref, p: p, sum: sum}
			t.Run("ops", func(t *testing.T) { c.ops(t, want) })
			if want("batch") {
				t.Run("batch", c.batch)
			}
			if want("step_ops") {
				t.Run("step_ops", c.stepOps)
			}
			if want("resized_batch") {
				t.Run("resized_batch", c.resized)
			}
			if want("record_replay") {
				t.Run("record", c.record)
			}
			if want("network_1step") || want("network_10steps") {
				t.Run("networks", c.networks)
			}
		})
	}
	t.Logf("conformance of %s against %s:\n%s", s.Name, ref.Name, sum)
	return sum
}

// suite is one precision's run.
type suite struct {
	s, ref Subject
	p      engine.Precision
	sum    *Summary
}

// newEngine returns a new engine of sub in the suite's precision, closed when t ends.
func (c *suite) newEngine(t testing.TB, sub Subject) engine.Engine {
	t.Helper()
	e, err := sub.New(c.p)
	if err != nil {
		t.Fatalf("%s %s: %v", sub.Name, c.p, err)
	}
	if e.Precision() != c.p {
		t.Fatalf("%s: Precision() = %v, want %v", sub.Name, e.Precision(), c.p)
	}
	t.Cleanup(e.Close)
	return e
}

// checkErr fails t with e's error, if any.
func checkErr(t testing.TB, e engine.Engine, what string) {
	t.Helper()
	if err := e.Err(); err != nil {
		t.Fatalf("%s: %s: %v", what, e.Name(), err)
	}
}
