package plot

import (
	"bytes"
	"image/png"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	gplot "gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"

	"github.com/ddstools/dds/bootstrap/stats"
)

// spaces returns the errors of two generated design spaces of n models: a
// skewed, normal-ish distribution around 8% and the same shifted down by 1.5.
func spaces(n int) (a, b []float64) {
	r := rand.New(rand.NewPCG(1, 2))
	for range n {
		a = append(a, 8+1.2*r.NormFloat64()+0.8*r.ExpFloat64())
		b = append(b, 6.5+1.2*r.NormFloat64()+0.8*r.ExpFloat64())
	}
	return a, b
}

// depthData returns a parameter (a depth in 4..24) and errors that are lowest
// around depth 14.
func depthData(n int) (values, errs []float64) {
	r := rand.New(rand.NewPCG(3, 4))
	for range n {
		d := float64(4 + r.IntN(21))
		values = append(values, d)
		errs = append(errs, 6+0.02*(d-14)*(d-14)+0.8*r.ExpFloat64()+0.3*r.NormFloat64())
	}
	return values, errs
}

func edfFigure(t *testing.T) *gplot.Plot {
	t.Helper()
	a, b := spaces(500)
	w := make([]float64, len(b))
	for i := range w {
		w[i] = 1 + float64(i%3)
	}
	p, err := EDFPlot([]Series{
		{Label: "AnyNetX_A", Errs: a},
		{Label: "AnyNetX_E", Errs: b, Weights: w},
	}, EDFOptions{Title: "error EDFs"})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func scatterFigure(t *testing.T) (*gplot.Plot, stats.Interval) {
	t.Helper()
	v, e := depthData(500)
	iv, err := stats.Bootstrap(v, e, stats.BootstrapOptions{B: 2000, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	p, err := Scatter(v, e, &iv, ScatterOptions{Title: "AnyNetX_E", XLabel: "depth d"})
	if err != nil {
		t.Fatal(err)
	}
	return p, iv
}

func checkPNG(t *testing.T, path string, w, h vg.Length) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	wantW := int(float64(w/vg.Inch)*PNGDPI + 0.5)
	wantH := int(float64(h/vg.Inch)*PNGDPI + 0.5)
	if got := img.Bounds().Size(); got.X != wantW || got.Y != wantH {
		t.Errorf("%s is %v pixels, want %dx%d", path, got, wantW, wantH)
	}
}

func checkSVG(t *testing.T, path string, want ...string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := strings.TrimSpace(string(b))
	if !strings.HasPrefix(s, "<?xml") && !strings.HasPrefix(s, "<svg") {
		t.Errorf("%s does not start as an SVG file: %.40q", path, s)
	}
	for _, w := range want {
		if !strings.Contains(s, w) {
			t.Errorf("%s does not contain %q", path, w)
		}
	}
}

func TestEDFPlotFiles(t *testing.T) {
	dir := t.TempDir()
	p := edfFigure(t)
	png := filepath.Join(dir, "edf.png")
	if err := Save(p, png, 0, 0); err != nil {
		t.Fatal(err)
	}
	checkPNG(t, png, DefaultWidth, DefaultHeight)
	svg := filepath.Join(dir, "edf.svg")
	if err := Save(p, svg, 0, 0); err != nil {
		t.Fatal(err)
	}
	checkSVG(t, svg, "AnyNetX_A (n=500, min ", "AnyNetX_E (n=500, min ", "cumulative prob.", "error (%)")
	// A different size.
	if err := Save(p, png, 4*vg.Inch, 3*vg.Inch); err != nil {
		t.Fatal(err)
	}
	checkPNG(t, png, 4*vg.Inch, 3*vg.Inch)
	if left, _ := filepath.Glob(filepath.Join(dir, ".*tmp*")); len(left) != 0 {
		t.Errorf("temporary files left behind: %v", left)
	}
}

func TestEDFLegendStats(t *testing.T) {
	p, err := EDFPlot([]Series{{Label: "s", Errs: []float64{3, 1, 2}}}, EDFOptions{Normalized: true})
	if err != nil {
		t.Fatal(err)
	}
	svg := filepath.Join(t.TempDir(), "s.svg")
	if err := Save(p, svg, 0, 0); err != nil {
		t.Fatal(err)
	}
	checkSVG(t, svg, "s (n=3, min 1, normalized mean 2)", "cumulative prob. (normalized)")
	p, err = EDFPlot([]Series{{Label: "s", Errs: []float64{3, 1, 2}}}, EDFOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := Save(p, svg, 0, 0); err != nil {
		t.Fatal(err)
	}
	checkSVG(t, svg, "s (n=3, min 1, mean 2)")
}

// TestJitter checks that jittered values stay within ±frac/2 of the smallest gap
// of their value (a ratio on a log axis), spread apart, and do not vary by run.
func TestJitter(t *testing.T) {
	values := []float64{1, 1, 1, 2, 2, 4, 4, 4}
	for _, logX := range []bool{false, true} {
		got := jitter(values, 0.6, logX)
		gap := 1.0 // 2 − 1
		if logX {
			gap = math.Log(2)
		}
		for i, v := range got {
			d := math.Abs(v - values[i])
			if logX {
				d = math.Abs(math.Log(v / values[i]))
			}
			if d > 0.3*gap+1e-12 {
				t.Errorf("log %v: %v moved to %v, more than 0.3 of the gap", logX, values[i], v)
			}
		}
		if got[0] == got[1] || got[1] == got[2] {
			t.Errorf("log %v: equal values not spread: %v", logX, got[:3])
		}
		if again := jitter(values, 0.6, logX); !slices.Equal(again, got) {
			t.Errorf("jitter differs between calls")
		}
	}
	if got := jitter(values, 0, false); !slices.Equal(got, values) {
		t.Errorf("zero jitter moved values: %v", got)
	}
}

func TestEDFAxes(t *testing.T) {
	a, b := spaces(200)
	p, err := EDFPlot([]Series{{Label: "a", Errs: a}, {Label: "b", Errs: b}}, EDFOptions{})
	if err != nil {
		t.Fatal(err)
	}
	lo := math.Min(minOf(a), minOf(b))
	hi := math.Max(maxOf(a), maxOf(b))
	if p.Y.Min != 0 || p.Y.Max != 1 {
		t.Errorf("y axis [%v, %v], want [0, 1]", p.Y.Min, p.Y.Max)
	}
	if !(p.X.Min < lo && p.X.Max > hi) {
		t.Errorf("x axis [%v, %v] does not contain the errors [%v, %v] with padding", p.X.Min, p.X.Max, lo, hi)
	}
	p, err = EDFPlot([]Series{{Label: "a", Errs: a}}, EDFOptions{XMin: 5, XMax: 12})
	if err != nil {
		t.Fatal(err)
	}
	if p.X.Min != 5 || p.X.Max != 12 {
		t.Errorf("x axis [%v, %v], want the fixed [5, 12]", p.X.Min, p.X.Max)
	}
}

func TestScatterFiles(t *testing.T) {
	dir := t.TempDir()
	p, iv := scatterFigure(t)
	if !(iv.Lo > 4 && iv.Hi < 24) {
		t.Fatalf("unexpected interval %+v", iv)
	}
	png := filepath.Join(dir, "scatter.png")
	if err := Save(p, png, 0, 0); err != nil {
		t.Fatal(err)
	}
	checkPNG(t, png, DefaultWidth, DefaultHeight)
	svg := filepath.Join(dir, "scatter.svg")
	if err := Save(p, svg, 0, 0); err != nil {
		t.Fatal(err)
	}
	checkSVG(t, svg, "95% CI [", "(B=2000, n=500)", "depth d", "error (%)")

	// Without an interval, and on a logarithmic axis.
	v, e := depthData(100)
	p, err := Scatter(v, e, nil, ScatterOptions{XLabel: "depth", LogX: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := Save(p, png, 0, 0); err != nil {
		t.Fatal(err)
	}
	checkPNG(t, png, DefaultWidth, DefaultHeight)
}

func TestSVGDeterministic(t *testing.T) {
	dir := t.TempDir()
	var got [2][]byte
	for i := range got {
		path := filepath.Join(dir, "f.svg")
		if err := Save(edfFigure(t), path, 0, 0); err != nil {
			t.Fatal(err)
		}
		p, _ := scatterFigure(t)
		path2 := filepath.Join(dir, "g.svg")
		if err := Save(p, path2, 0, 0); err != nil {
			t.Fatal(err)
		}
		a, _ := os.ReadFile(path)
		b, _ := os.ReadFile(path2)
		got[i] = append(a, b...)
	}
	if !bytes.Equal(got[0], got[1]) {
		t.Error("the same figures gave different SVG files")
	}
}

func TestEDFPlotErrors(t *testing.T) {
	nan := math.NaN()
	for _, c := range []struct {
		name   string
		series []Series
		opt    EDFOptions
		want   string
	}{
		{"no series", nil, EDFOptions{}, "at least one series"},
		{"empty series", []Series{{Label: "a", Errs: []float64{1}}, {Label: "b"}}, EDFOptions{}, `series 1 ("b") has no errors`},
		{"NaN error", []Series{{Label: "a", Errs: []float64{1, nan}}}, EDFOptions{}, "errors[1] is NaN"},
		{"infinite error", []Series{{Label: "a", Errs: []float64{math.Inf(1)}}}, EDFOptions{}, "errors[0] is +Inf"},
		{"weights length", []Series{{Label: "a", Errs: []float64{1, 2}, Weights: []float64{1}}}, EDFOptions{}, "1 weights for 2 errors"},
		{"NaN weight", []Series{{Label: "a", Errs: []float64{1, 2}, Weights: []float64{1, nan}}}, EDFOptions{}, "weights[1] is NaN"},
		{"negative weight", []Series{{Label: "a", Errs: []float64{1, 2}, Weights: []float64{1, -1}}}, EDFOptions{}, "negative"},
		{"zero weights", []Series{{Label: "a", Errs: []float64{1, 2}, Weights: []float64{0, 0}}}, EDFOptions{}, "sum to zero"},
		{"empty range", []Series{{Label: "a", Errs: []float64{1, 2}}}, EDFOptions{XMin: 3, XMax: 2}, "range [3, 2] is empty"},
		{"NaN limit", []Series{{Label: "a", Errs: []float64{1, 2}}}, EDFOptions{XMax: nan}, "not a finite number"},
		{"bad size", []Series{{Label: "a", Errs: []float64{1, 2}}}, EDFOptions{Width: -1}, "size"},
	} {
		_, err := EDFPlot(c.series, c.opt)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got error %v, want one containing %q", c.name, err, c.want)
		}
	}
}

func TestScatterErrors(t *testing.T) {
	nan := math.NaN()
	one := []float64{1}
	for _, c := range []struct {
		name         string
		values, errs []float64
		iv           *stats.Interval
		opt          ScatterOptions
		want         string
	}{
		{"empty", nil, nil, nil, ScatterOptions{}, "at least one model"},
		{"lengths", []float64{1, 2}, one, nil, ScatterOptions{}, "2 values for 1 errors"},
		{"NaN value", []float64{nan}, one, nil, ScatterOptions{}, "values[0] is NaN"},
		{"NaN error", one, []float64{nan}, nil, ScatterOptions{}, "errs[0] is NaN"},
		{"NaN interval", one, one, &stats.Interval{Lo: nan}, ScatterOptions{}, "interval[0] is NaN"},
		{"unordered interval", one, one, &stats.Interval{Lo: 2, Median: 1, Hi: 3}, ScatterOptions{}, "not ordered"},
		{"log of zero", []float64{0, 1}, []float64{1, 1}, nil, ScatterOptions{LogX: true}, "positive"},
		{"log interval", one, one, &stats.Interval{Lo: -1, Median: 1, Hi: 1}, ScatterOptions{LogX: true}, "positive"},
		{"alpha", one, one, nil, ScatterOptions{Alpha: 2}, "alpha"},
	} {
		_, err := Scatter(c.values, c.errs, c.iv, c.opt)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got error %v, want one containing %q", c.name, err, c.want)
		}
	}
}

func TestSaveErrors(t *testing.T) {
	p := edfFigure(t)
	dir := t.TempDir()
	if err := Save(p, filepath.Join(dir, "f.pdf"), 0, 0); err == nil || !strings.Contains(err.Error(), "unknown figure format") {
		t.Errorf("saving as .pdf: got %v, want an unknown format error", err)
	}
	if err := Save(p, filepath.Join(dir, "missing", "f.png"), 0, 0); err == nil {
		t.Error("saving into a missing directory succeeded")
	}
	if err := Save(nil, filepath.Join(dir, "f.png"), 0, 0); err == nil {
		t.Error("saving a nil plot succeeded")
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Errorf("failed saves left files: %v", left)
	}
}

// TestExamples renders the example figures to the directory named by
// $PLOTCHECK_DIR, for looking at them; it is skipped when that is unset.
func TestExamples(t *testing.T) {
	dir := os.Getenv("PLOTCHECK_DIR")
	if dir == "" {
		t.Skip("set PLOTCHECK_DIR to render the example figures")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := Save(edfFigure(t), filepath.Join(dir, "edf.png"), 0, 0); err != nil {
		t.Fatal(err)
	}
	p, _ := scatterFigure(t)
	if err := Save(p, filepath.Join(dir, "scatter.png"), 0, 0); err != nil {
		t.Fatal(err)
	}
	v, e := depthData(300)
	for i := range v {
		v[i] = 8 * math.Pow(2, v[i]/4)
	}
	iv, err := stats.Bootstrap(v, e, stats.BootstrapOptions{B: 1000, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	p, err = Scatter(v, e, &iv, ScatterOptions{XLabel: "width w", LogX: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := Save(p, filepath.Join(dir, "scatter_log.png"), 0, 0); err != nil {
		t.Fatal(err)
	}

	// Many overlapping series, more than the palette has colours.
	r := rand.New(rand.NewPCG(5, 6))
	var many []Series
	for k := range 10 {
		var e []float64
		for range 300 {
			e = append(e, 7+0.3*float64(k%5)+r.NormFloat64()+0.5*r.ExpFloat64())
		}
		many = append(many, Series{Label: "space " + string(rune('A'+k)), Errs: e})
	}
	p, err = EDFPlot(many, EDFOptions{Title: "ten spaces", Normalized: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := Save(p, filepath.Join(dir, "edf_many.png"), 0, 0); err != nil {
		t.Fatal(err)
	}
}

func minOf(x []float64) float64 {
	m := x[0]
	for _, v := range x {
		m = math.Min(m, v)
	}
	return m
}

func maxOf(x []float64) float64 {
	m := x[0]
	for _, v := range x {
		m = math.Max(m, v)
	}
	return m
}

func TestTicks(t *testing.T) {
	labelled := func(ts []gplot.Tick) (n int) {
		for _, t := range ts {
			if t.Label != "" {
				n++
			}
		}
		return n
	}
	for _, r := range [][2]float64{{0, 1}, {3.1, 15.2}, {-2.5, 0.5}, {1e-4, 3e-4}, {3.6e8, 4e8}, {4, 24}} {
		ts := niceTicks{}.Ticks(r[0], r[1])
		if n := labelled(ts); n < 3 || n > 11 {
			t.Errorf("linear ticks on %v: %d labelled marks %v", r, n, ts)
		}
		for _, tk := range ts {
			if eps := 1e-9 * (r[1] - r[0]); tk.Value < r[0]-eps || tk.Value > r[1]+eps || tk.Label == "-0" {
				t.Errorf("linear ticks on %v: bad mark %+v", r, tk)
			}
		}
	}
	for _, r := range [][2]float64{{8, 1024}, {1.5, 3}, {1, 32}, {3.6e8, 4e8}, {1e-3, 1e3}} {
		ts := logTicks{}.Ticks(r[0], r[1])
		if n := labelled(ts); n < 2 || n > 12 {
			t.Errorf("log ticks on %v: %d labelled marks %v", r, n, ts)
		}
	}
}
