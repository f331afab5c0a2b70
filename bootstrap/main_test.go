package main

import (
	"bytes"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/ddstools/dds/bootstrap/design/designtest"
	"github.com/ddstools/dds/formats"
	"github.com/ddstools/dds/internal/clitest"
	"github.com/ddstools/dds/sample/sampler"
)

// prog runs bootstrap in process; prog.Call returns its stdout, stderr and exit status.
var prog = clitest.Program{Name: "bootstrap", Run: run}

// depthError plants a best total depth of 8 blocks: error = 5 + |depth − 8| + noise.
func depthError(c formats.Config) float64 {
	r := rand.New(rand.NewPCG(uint64(c.Seed), 1))
	return 5 + math.Abs(float64(c.Net.Depth())-8) + 0.3*r.NormFloat64()
}

// TestRoundTrip narrows a space around a planted best depth and samples from the
// narrowed space: the interval holds the truth and every sampled config respects
// the narrowed ranges.
func TestRoundTrip(t *testing.T) {
	space, _ := formats.LookupSpace("anynetx-e-mnist")
	in := designtest.Stream(t, space, 300, 1, depthError)
	out, stderr, code := prog.Call(in, "-B", "2000")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	ns := clitest.Spaces(t, out)[0]
	if ns.Parent != "anynetx-e-mnist" || ns.Name != "anynetx-e-mnist+boot" || !strings.Contains(ns.NarrowedBy, "300 models") {
		t.Errorf("provenance: name %q parent %q narrowed by %q", ns.Name, ns.Parent, ns.NarrowedBy)
	}
	depth := ns.Var("depth")
	if depth == nil || depth.Lo > 8 || depth.Hi < 8 || depth.Median == nil || depth.N != 300 {
		t.Fatalf("depth after bootstrap: %+v (want a range holding 8 with median and n=300)", depth)
	}
	t.Logf("planted best depth 8; narrowed depth [%g, %g], median %g, n=%d", depth.Lo, depth.Hi, *depth.Median, depth.N)
	if depth.Hi-depth.Lo >= 16-4 {
		t.Errorf("depth range [%g, %g] was not narrowed", depth.Lo, depth.Hi)
	}
	if !strings.Contains(stderr, "depth") || !strings.Contains(stderr, "(not a parameter of the space)") {
		t.Errorf("table on stderr:\n%s", stderr)
	}
	n := 0
	err := sampler.Run(ns, sampler.Options{N: 50, Seed: 3}, func(c formats.Config) error {
		n++
		if d := float64(c.Net.Depth()); d < depth.Lo || d > depth.Hi {
			t.Errorf("sampled depth %g outside [%g, %g]", d, depth.Lo, depth.Hi)
		}
		for i, st := range c.Net.Stages {
			for name, v := range map[string]float64{"d": float64(st.D), "w": float64(st.W)} {
				p := ns.Var(name + string(rune('1'+i)))
				if !p.Contains(v) {
					t.Errorf("sampled %s%d = %g outside [%g, %g]", name, i+1, v, p.Lo, p.Hi)
				}
			}
			if i > 0 && (st.W < c.Net.Stages[i-1].W || st.D < c.Net.Stages[i-1].D) {
				t.Errorf("sampled config breaks the space's constraints: %+v", c.Net.Stages)
			}
		}
		if !ns.Flops.Contains(c.Complexity.Flops) {
			t.Errorf("flops %d outside %s", c.Complexity.Flops, ns.Flops)
		}
		return nil
	})
	if err != nil || n != 50 {
		t.Fatalf("sampling the narrowed space: %v (%d configs)", err, n)
	}
}

// TestNarrowsWithN checks that the depth interval shrinks as the models grow in number.
func TestNarrowsWithN(t *testing.T) {
	space, _ := formats.LookupSpace("anynetx-e-mnist")
	width := func(n int) float64 {
		out, stderr, code := prog.Call(designtest.Stream(t, space, n, 2, depthError), "-B", "2000", "--params", "depth")
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		d := clitest.Spaces(t, out)[0].Var("depth")
		return d.Hi - d.Lo
	}
	small, large := width(40), width(600)
	t.Logf("depth interval width: %g with 40 models, %g with 600", small, large)
	if !(large < small) {
		t.Errorf("depth interval width %g with 600 models, %g with 40: want narrower", large, small)
	}
}

func TestBadInput(t *testing.T) {
	space, _ := formats.LookupSpace("anynetx-e-mnist")
	other, _ := formats.LookupSpace("anynetx-d-mnist")
	good := designtest.Stream(t, space, 40, 1, depthError)
	nan := designtest.Stream(t, space, 40, 1, func(c formats.Config) float64 {
		if c.Index == 7 {
			return math.NaN()
		}
		return 5
	})
	var cfgs bytes.Buffer
	sampler.WriteStream(&cfgs, space, sampler.Options{N: 20, Seed: 1}, formats.Provenance{Producer: "test"}, nil)
	mixed := append(append([]byte{}, good...), designtest.Stream(t, other, 20, 1, depthError)...)
	prog.CheckFailures(t, []clitest.Failure{
		{"no error column", cfgs.Bytes(), nil, 1, `no column "test_error"`},
		{"other column", good, []string{"--error", "top9"}, 1, `no column "top9"`},
		{"few models", designtest.Stream(t, space, 5, 1, depthError), nil, 1, "at least 10 evaluated models, the input has 5"},
		{"nan", nan, nil, 1, "test_error is NaN"},
		{"mixed spaces", mixed, nil, 1, "the records come from 2 spaces"},
		{"bad params", good, []string{"--params", "depth,zz"}, 2, `"zz" is not a parameter`},
	})
}
