package main

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ddstools/dds/bootstrap/design/designtest"
	"github.com/ddstools/dds/formats"
	"github.com/ddstools/dds/internal/clitest"
	"github.com/ddstools/dds/sample/sampler"
)

// prog runs refine in process; prog.Call returns its stdout, stderr and exit status.
var prog = clitest.Program{Name: "refine", Run: run}

func TestAutoPicksPlantedHelp(t *testing.T) {
	in := designtest.Stream(t, designtest.PlantedSpace(), 600, 1, designtest.PlantedError)
	out, stderr, code := prog.Call(in, "--auto", "--normalize", "none")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	t.Logf("evidence:\n%s", stderr)
	lines := map[string]string{}
	for _, l := range strings.Split(stderr, "\n") {
		if f := strings.Fields(l); len(f) > 0 {
			lines[f[0]] = l
		}
	}
	if !strings.Contains(lines["shared_g"], "better") || !strings.Contains(lines["shared_g"], "<- chosen") {
		t.Errorf("shared_g not chosen as better:\n%s", stderr)
	}
	if !strings.Contains(lines["nondecreasing_w"], "worse") {
		t.Errorf("nondecreasing_w not rejected as worse:\n%s", stderr)
	}
	if !strings.Contains(lines["quantized_linear"], "needs b,g") {
		t.Errorf("quantized_linear offered before shared b and g:\n%s", stderr)
	}
	ns := clitest.Spaces(t, out)[0]
	if !ns.Has(formats.SharedG) || ns.Var("g") == nil || ns.Var("g1") != nil || ns.Parent != "planted" || ns.Name != "planted+shared_g" {
		t.Fatalf("next space: %+v", ns)
	}
	err := sampler.Run(ns, sampler.Options{N: 30, Seed: 4}, func(c formats.Config) error {
		for _, st := range c.Net.Stages {
			if st.G != c.Net.Stages[0].G {
				t.Errorf("sampled config does not share g: %+v", c.Net.Stages)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestStepToRegNet refines AnyNetX_E models whose error grows with their RegNet fit
// error to quantized-linear widths: the next space is a RegNet space that samples.
func TestStepToRegNet(t *testing.T) {
	es, _ := formats.LookupSpace("anynetx-e-mnist")
	in := designtest.Stream(t, es, 200, 1, func(c formats.Config) float64 {
		f, err := c.Net.FitRegNet()
		if err != nil {
			t.Fatal(err)
		}
		r := rand.New(rand.NewPCG(uint64(c.Seed), 3))
		return 10 + 20*f.EFit + 0.5*r.NormFloat64()
	})
	out, stderr, code := prog.Call(in, "--step", "quantized_linear", "--max-efit", "0.15", "--min-models", "5")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	ns := clitest.Spaces(t, out)[0]
	if ns.Family != formats.FamilyRegNet || !ns.Has(formats.QuantizedLinear) || ns.Var("w0") == nil || ns.Parent != "anynetx-e-mnist" {
		t.Fatalf("next space: %+v", ns)
	}
	n := 0
	err := sampler.Run(ns, sampler.Options{N: 10, Seed: 5}, func(c formats.Config) error {
		n++
		if c.RegNet == nil {
			t.Errorf("config from the RegNet space has no RegNet parameters")
		}
		return nil
	})
	if err != nil || n != 10 {
		t.Fatalf("sampling the RegNet space: %v", err)
	}
}

func TestBadInput(t *testing.T) {
	in := designtest.Stream(t, designtest.PlantedSpace(), 30, 1, designtest.PlantedError)
	prog.CheckFailures(t, []clitest.Failure{
		{"no step", in, nil, 2, "give --step CONSTRAINT or --auto"},
		{"both", in, []string{"--auto", "--step", "shared_b"}, 2, "give --step CONSTRAINT or --auto"},
		{"unknown step", in, []string{"--step", "shared_x"}, 2, `--step "shared_x"`},
		{"few", designtest.Stream(t, designtest.PlantedSpace(), 6, 1, designtest.PlantedError), []string{"--auto"}, 1, "at least 10 evaluated models"},
		{"not ready", in, []string{"--step", "quantized_linear"}, 1, "add shared_b and shared_g first"},
	})
}

// TestRegNetSpaceGuarantees runs --auto on a RegNet sweep. Every RegNet has
// non-decreasing widths and one g (capped at the bottleneck width of narrow stages
// by the compatibility adjustment), so nondecreasing_w and shared_g are "in space",
// every model counts as satisfying both, and neither is chosen.
func TestRegNetSpaceGuarantees(t *testing.T) {
	rs, _ := formats.LookupSpace("regnetx-mnist")
	in := designtest.Stream(t, rs, 60, 1, func(c formats.Config) float64 {
		return 10 + 0.5*rand.New(rand.NewPCG(uint64(c.Seed), 3)).NormFloat64()
	})
	_, stderr, _ := prog.Call(in, "--auto", "--normalize", "none", "--min-models", "5")
	t.Logf("evidence:\n%s", stderr)
	capped := 0
	for _, c := range clitest.Configs(t, in) {
		for _, s := range c.Net.Stages {
			if s.G != c.Net.Stages[len(c.Net.Stages)-1].G {
				capped++
				break
			}
		}
	}
	if capped == 0 {
		t.Fatalf("no model has a group width capped at a narrow stage; the case must exercise one")
	}
	for _, l := range strings.Split(stderr, "\n") {
		f := strings.Fields(l)
		if len(f) < 2 || (f[0] != "shared_g" && f[0] != "nondecreasing_w") {
			continue
		}
		if f[1] != "60/60" || !strings.Contains(l, "in space") || strings.Contains(l, "chosen") {
			t.Errorf("%s: %q, want 60/60 in space, not chosen", f[0], l)
		}
	}
}

// TestStepPlotNoneSatisfy draws the figure of a --step that no model satisfies
// (none of these AnyNetX_A models shares b): the step's own curve is left out.
func TestStepPlotNoneSatisfy(t *testing.T) {
	as, _ := formats.LookupSpace("anynetx-a-mnist")
	in := designtest.Stream(t, as, 4, 1, func(c formats.Config) float64 { return 10 + float64(c.Index) })
	for _, c := range clitest.Configs(t, in) {
		shared := true
		for _, s := range c.Net.Stages {
			shared = shared && s.B == c.Net.Stages[0].B
		}
		if shared {
			t.Fatalf("model %s shares b; the case needs none", c.ID)
		}
	}
	plot := filepath.Join(t.TempDir(), "refine.png")
	_, stderr, code := prog.Call(in, "--step", "shared_b", "--min-models", "2", "--plot", plot)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if _, err := os.Stat(plot); err != nil {
		t.Fatal(err)
	}
}

// TestAutoNoStep checks that --auto with no candidate to add (here: every candidate is
// in the RegNet space or has fewer satisfying models than --min-models) writes nothing
// and exits with ExitNoStep, which scripts tell apart from a failure (1).
func TestAutoNoStep(t *testing.T) {
	rs, _ := formats.LookupSpace("regnetx-mnist")
	in := designtest.Stream(t, rs, 30, 1, func(c formats.Config) float64 {
		return 10 + 0.5*rand.New(rand.NewPCG(uint64(c.Seed), 3)).NormFloat64()
	})
	out, stderr, code := prog.Call(in, "--auto", "--normalize", "none", "--min-models", "30")
	if code != ExitNoStep || len(out) != 0 {
		t.Fatalf("exit %d with %d bytes written, want exit %d and nothing; stderr:\n%s", code, len(out), ExitNoStep, stderr)
	}
	if !strings.Contains(stderr, "refine: no candidate constraint to add") {
		t.Fatalf("stderr does not say why:\n%s", stderr)
	}
}
