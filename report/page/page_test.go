package page

import (
	"bytes"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ddstools/dds/bootstrap/design"
	"github.com/ddstools/dds/bootstrap/design/designtest"
	"github.com/ddstools/dds/bootstrap/stats"
	"github.com/ddstools/dds/formats"
	"github.com/ddstools/dds/internal/approx"
	"github.com/ddstools/dds/refine/refiner"
)

func TestUnits(t *testing.T) {
	for _, c := range []struct{ got, want string }{
		{si(12300), "12.3k"}, {si(4.56e9), "4.56G"}, {si(999), "999"}, {si(999.9), "1k"}, {si(5.6e6), "5.6M"}, {si(math.NaN()), "–"},
		{sig(0.000123456, 3), "0.000123"}, {sig(2.5, 3), "2.5"}, {sig(1234.6, 3), "1235"}, {sig(0, 3), "0"},
		{pct(5.126), "5.13"}, {seconds(8.21), "8.21 s"}, {seconds(185), "3 min 05 s"}, {seconds(7440), "2 h 04 min"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}

func TestTicks(t *testing.T) {
	for _, c := range []struct {
		name string
		s    scale
		want []float64
	}{
		{"linear 1-2-5", scale{lo: 0, hi: 1}, []float64{0, 0.2, 0.4, 0.6, 0.8, 1}},
		{"linear offset", scale{lo: 13, hi: 47}, []float64{20, 30, 40}},
		{"log decades", scale{lo: 1e5, hi: 2e9, log: true}, []float64{1e5, 1e6, 1e7, 1e8, 1e9}},
		{"log 1-2-5", scale{lo: 3e6, hi: 9e6, log: true}, []float64{3e6, 4e6, 5e6, 6e6, 7e6, 8e6, 9e6}},
		{"log a decade", scale{lo: 15, hi: 300, log: true}, []float64{20, 50, 100, 200}},
		{"powers of two", scale{lo: 7, hi: 300, log: true, pow2: true}, []float64{8, 16, 32, 64, 128, 256}},
		{"every other power of two", scale{lo: 7, hi: 2100, log: true, pow2: true}, []float64{8, 32, 128, 512, 2048}},
	} {
		got := c.s.ticks(5)
		if len(got) != len(c.want) {
			t.Errorf("%s: ticks %v, want %v", c.name, got, c.want)
			continue
		}
		for i := range got {
			if !approx.Close(got[i], c.want[i], 1e-12, 1e-9) {
				t.Errorf("%s: ticks %v, want %v", c.name, got, c.want)
				break
			}
		}
	}
}

func TestResolveChainOrder(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"regnet", "b", "a", "extra", "e"} {
		os.WriteFile(filepath.Join(dir, f+".eval.arrows"), nil, 0o644)
	}
	os.WriteFile(filepath.Join(dir, "a.space.arrows"), nil, 0o644)
	in, err := Resolve([]string{dir, "x.arrows"})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, i := range in {
		got = append(got, i.Label+"="+filepath.Base(i.Path))
	}
	want := "a=a.eval.arrows b=b.eval.arrows e=e.eval.arrows regnet=regnet.eval.arrows extra=extra.eval.arrows =x.arrows"
	if strings.Join(got, " ") != want {
		t.Errorf("got %s\nwant %s", strings.Join(got, " "), want)
	}
	if _, err := Resolve([]string{t.TempDir()}); err == nil {
		t.Errorf("an empty folder was accepted")
	}
}

// depthError plants the best total depth at 24 blocks; every 7th model failed
// training (no test error).
func depthError(c formats.Config) float64 {
	if c.Index%7 == 3 {
		return -1
	}
	r := rand.New(rand.NewPCG(uint64(c.Seed), 3))
	return 5 + math.Abs(float64(c.Net.Depth())-24) + 0.3*r.NormFloat64()
}

// TestAnalyse loads a planted stream with failed records and checks that the
// runs stay aligned with the models, the depth interval holds the planted best
// depth and matches bootstrap's computation, and the page shows it.
func TestAnalyse(t *testing.T) {
	space, _ := formats.LookupSpace("anynetx-a-mnist")
	const n = 200
	data := designtest.Evaluated(t, space, n, 1, 4, depthError)
	l, err := Load(Input{Path: "e.arrows"}, bytes.NewReader(data), design.DefaultError)
	if err != nil {
		t.Fatal(err)
	}
	s := l.Models.Sample
	if s.Skipped == 0 || len(s.Errs)+s.Skipped != n || len(l.Runs) != len(s.Errs) {
		t.Fatalf("%d models, %d skipped, %d runs", len(s.Errs), s.Skipped, len(l.Runs))
	}
	for i, r := range l.Runs {
		if !approx.Close(r.Top5, s.Errs[i]/3, 1e-9, 0) || len(r.EpochLoss) != 4 || r.Recipe == nil || r.Recipe.Epochs != 4 {
			t.Fatalf("run %d (%s) not aligned with its model: top-5 %g for error %g, %d epochs", i, s.Configs[i].ID, r.Top5, s.Errs[i], len(r.EpochLoss))
		}
	}
	opt := Options{Refine: refiner.Options{Normalization: design.Normalization{Normalize: "flops", Bins: 10}, Alpha: 0.05, MinModels: 10, MaxEFit: 0.1, Quantiles: []float64{0.5}},
		Boot: stats.BootstrapOptions{B: 2000, Fraction: 0.25, Alpha: 0.05, Seed: 1}}
	r, err := Analyse([]*Loaded{l}, opt)
	if err != nil {
		t.Fatal(err)
	}
	sp := r.Spaces[0]
	var depth *Param
	for i := range sp.Params {
		if sp.Params[i].Name == "depth" {
			depth = &sp.Params[i]
		}
	}
	if depth == nil {
		t.Fatalf("no depth among %d parameters", len(sp.Params))
	}
	iv := depth.Interval
	if iv.Lo > 24 || iv.Hi < 24 || iv.N != len(s.Errs) {
		t.Errorf("depth interval [%g, %g] (n=%d) misses the planted 24", iv.Lo, iv.Hi, iv.N)
	}
	want, _ := stats.Bootstrap(depth.Values, s.Errs, opt.Boot)
	if want.Lo != iv.Lo || want.Median != iv.Median || want.Hi != iv.Hi {
		t.Errorf("depth interval %+v, bootstrap's %+v", iv, want)
	}
	t.Logf("planted best depth 24: interval [%g, %g], median %g", iv.Lo, iv.Hi, iv.Median)
	if sp.ChosenBy != "auto" || sp.Chosen != refiner.Choose(sp.Ev) {
		t.Errorf("chosen %q by %q", sp.Chosen, sp.ChosenBy)
	}
	var page bytes.Buffer
	if err := Write(&page, r); err != nil {
		t.Fatal(err)
	}
	row := "<tr><td class=\"l\">depth</td><td>" + sig(iv.Lo, 3) + "</td><td>" + sig(iv.Median, 3) + "</td><td>" + sig(iv.Hi, 3) + "</td>"
	if !strings.Contains(page.String(), row) {
		t.Errorf("the intervals table lacks %q", row)
	}
	if got := strings.Count(page.String(), "<tr data-space=\"space-1\" data-id="); got != len(s.Errs) {
		t.Errorf("model table has %d rows for %d models", got, len(s.Errs))
	}
}

// TestMinimalStream reports on a stream with nothing but configs and errors: no
// training columns, so no curves and no recipe, but every other part.
func TestMinimalStream(t *testing.T) {
	space, _ := formats.LookupSpace("anynetx-a-mnist")
	data := designtest.Stream(t, space, 40, 2, func(c formats.Config) float64 { return float64(c.Net.Depth()) })
	l, err := Load(Input{Label: "only errors", Path: "x"}, bytes.NewReader(data), design.DefaultError)
	if err != nil {
		t.Fatal(err)
	}
	if r := l.Runs[0]; !math.IsNaN(r.Wall) || r.EpochLoss != nil || r.Recipe != nil {
		t.Errorf("run of a stream without training columns: %+v", r)
	}
	r, err := Analyse([]*Loaded{l}, Options{Refine: refiner.Options{Normalization: design.Normalization{Normalize: "none", Bins: 10}, Alpha: 0.05, MinModels: 10, MaxEFit: 0.1},
		Boot: stats.BootstrapOptions{B: 200}})
	if err != nil {
		t.Fatal(err)
	}
	var page bytes.Buffer
	if err := Write(&page, r); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"records no per-epoch", "only errors", "Refinement evidence", "RegNet fit of the best models"} {
		if !strings.Contains(page.String(), want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if strings.Contains(page.String(), "normalized over") {
		t.Errorf("--normalize none still shows normalized EDFs")
	}
}
