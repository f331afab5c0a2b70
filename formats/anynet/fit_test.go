package anynet

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/ddstools/dds/internal/approx"
)

// near reports whether a and b agree to within 1e-12, absolutely or relatively.
func near(a, b float64) bool {
	m := math.Max(math.Abs(a), math.Abs(b))
	return approx.Close(a, b, 1e-12*math.Max(1, m), 0)
}

// eFit computes e_fit = mean_j |log(w_j^pred / w_j)| of parameters p for widths ws
// from the definition.
func eFit(t *testing.T, p RegNet, ws []int) float64 {
	t.Helper()
	if err := p.Validate(); err != nil {
		t.Fatalf("parameters %+v for %v: %v", p, ws, err)
	}
	pred := p.BlockWidths()
	if len(pred) != len(ws) {
		t.Fatalf("parameters %+v for %v: %d predicted widths", p, ws, len(pred))
	}
	sum := 0.0
	for j := range ws {
		sum += math.Abs(math.Log(float64(pred[j]) / float64(ws[j])))
	}
	return sum / float64(len(ws))
}

// checkFit fits ws and checks the fit: D = len(ws), valid parameters with w_m in
// the searched range, EFit equal to e_fit recomputed from the parameters, and the
// same result on a second call.
func checkFit(t *testing.T, ws []int) Fit {
	t.Helper()
	f, err := FitRegNet(ws)
	if err != nil {
		t.Fatalf("FitRegNet(%v): %v", ws, err)
	}
	if f.D != len(ws) {
		t.Errorf("FitRegNet(%v): D = %d", ws, f.D)
	}
	if f.WM < FitWMMin || f.WM > FitWMMax {
		t.Errorf("FitRegNet(%v): w_m %g outside [%g, %g]", ws, f.WM, FitWMMin, FitWMMax)
	}
	if e := eFit(t, f.RegNet(), ws); !near(f.EFit, e) {
		t.Errorf("FitRegNet(%v) = %+v: EFit %g, recomputed %g", ws, f, f.EFit, e)
	}
	if g, _ := FitRegNet(ws); g != f {
		t.Errorf("FitRegNet(%v) = %+v, then %+v", ws, f, g)
	}
	return f
}

// checkExact checks that the fit of a RegNet's widths reproduces them.
func checkExact(t *testing.T, name string, ws []int) {
	t.Helper()
	f := checkFit(t, ws)
	if got := f.RegNet().BlockWidths(); f.EFit != 0 || !slices.Equal(got, ws) {
		t.Errorf("%s: fit %+v gives widths %v, want %v", name, f, got, ws)
	}
}

func TestFitRegNetZoo(t *testing.T) {
	for _, m := range Zoo {
		checkExact(t, m.Name, m.RegNet.BlockWidths())
	}
}

// TestFitRegNetRandom draws RegNets from the ranges of the regnetx space (w_0 a
// multiple of 8 in 8..248, w_a in 8..256, w_m in 1.5..3, d in 1..30) and checks
// that the fit reproduces their widths.
func TestFitRegNetRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(20, 26))
	for range 200 {
		p := RegNet{
			D:  1 + r.IntN(30),
			W0: float64(8 * (1 + r.IntN(31))),
			WA: 8 + 248*r.Float64(),
			WM: 1.5 + 1.5*r.Float64(),
		}
		checkExact(t, fmt.Sprintf("%+v", p), p.BlockWidths())
	}
}

// gridEFit returns the smallest e_fit over a plain grid: w_0 the multiples of 8
// within a factor 1.25 of ws[0] and the two enclosing it, w_m from 1.05 to 4 in
// steps of 0.02, w_a from 0 to 256 in steps of 0.5.
func gridEFit(t *testing.T, ws []int) float64 {
	best := math.Inf(1)
	for w0 := 8; w0 < ws[0]*5/4+8; w0 += 8 {
		if w0*5 < ws[0]*4 && w0+8 <= ws[0] || w0*4 > ws[0]*5 && w0-8 >= ws[0] {
			continue
		}
		for wm := 105; wm <= 400; wm += 2 {
			for wa := 0; wa <= 512; wa++ {
				p := RegNet{D: len(ws), W0: float64(w0), WA: float64(wa) / 2, WM: float64(wm) / 100}
				best = min(best, eFit(t, p, ws))
			}
		}
	}
	return best
}

// TestFitRegNetAnyNet fits widths of networks that are not all RegNets.
func TestFitRegNetAnyNet(t *testing.T) {
	cases := []struct {
		name  string
		ws    []int
		exact bool // a RegNet reproduces ws
		grid  bool // compare with gridEFit
	}{
		// w_0 = 16, w_m = 2, 0.776 < w_a/w_0 < 0.914 give these widths.
		{"doubling", []int{16, 32, 32, 64, 64, 64, 128}, true, false},
		{"uneven", []int{16, 24, 24, 64, 64, 72, 200}, false, true},
		{"not multiples of 8", []int{12, 20, 30}, false, true},
		{"decreasing", []int{64, 32, 128, 96}, false, true},
		{"anynet 4 stages", []int{48, 48, 96, 96, 96, 96, 96, 240, 240, 240, 240, 240, 240, 240, 240, 720, 720}, false, false},
		{"close widths", []int{968, 968, 968, 968, 1008, 1008}, false, false},
		{"wide range", []int{8, 8, 8, 8, 1024, 1024, 1024, 1024, 8, 8, 1024}, false, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := checkFit(t, c.ws)
			if c.exact {
				checkExact(t, c.name, c.ws)
			} else if f.EFit == 0 {
				t.Errorf("fit %+v reproduces %v, which no RegNet in range gives", f, c.ws)
			}
			if c.grid {
				if g := gridEFit(t, c.ws); math.IsInf(g, 0) || f.EFit > g+1e-12 {
					t.Errorf("fit %+v: e_fit %g above the grid's %g", f, f.EFit, g)
				}
			}
		})
	}
}

// TestFitRegNetConstant checks one block and equal widths: w_a = 0, w_0 the
// multiple of 8 nearest in log ratio.
func TestFitRegNetConstant(t *testing.T) {
	cases := []struct {
		ws []int
		w0 float64
	}{
		{[]int{24}, 24},
		{[]int{4}, 8},
		{[]int{12}, 16},   // log(16/12) < log(12/8)
		{[]int{100}, 104}, // log(104/100) < log(100/96)
		{[]int{64, 64, 64, 64}, 64},
		{[]int{20, 20}, 24},
	}
	for _, c := range cases {
		f := checkFit(t, c.ws)
		want := math.Abs(math.Log(c.w0 / float64(c.ws[0])))
		if f.W0 != c.w0 || f.WA != 0 || !near(f.EFit, want) {
			t.Errorf("FitRegNet(%v) = %+v, want w_0 %g, w_a 0, e_fit %g", c.ws, f, c.w0, want)
		}
	}
}

func TestFitRegNetNet(t *testing.T) {
	m, err := LookupModel("RegNetY-800MF")
	if err != nil {
		t.Fatal(err)
	}
	n, err := m.Net(CIFAR10)
	if err != nil {
		t.Fatal(err)
	}
	f, err := n.FitRegNet()
	if err != nil {
		t.Fatal(err)
	}
	if g := checkFit(t, n.BlockWidths()); f != g {
		t.Errorf("Net.FitRegNet = %+v, FitRegNet(BlockWidths) = %+v", f, g)
	}
	if _, err := (Net{}).FitRegNet(); err == nil {
		t.Error("fit of a network without stages succeeded")
	}
}

func TestFitRegNetErrors(t *testing.T) {
	for _, ws := range [][]int{nil, {}, {16, 0}, {-8}, {16, 32, -1}} {
		if f, err := FitRegNet(ws); err == nil {
			t.Errorf("FitRegNet(%v) = %+v, want an error", ws, f)
		}
	}
}

// fitBenchCases returns widths to fit: the zoo RegNets (fitted exactly) and zoo
// networks after the compatibility adjustment (fitted by the search).
func fitBenchCases(b *testing.B) (exact, search [][]int) {
	for _, m := range Zoo {
		n, err := m.Net(ImageNet)
		if err != nil {
			b.Fatal(err)
		}
		exact = append(exact, m.RegNet.BlockWidths())
		if ws := n.BlockWidths(); !slices.Equal(ws, m.RegNet.BlockWidths()) {
			search = append(search, ws)
		}
	}
	return exact, search
}

func BenchmarkFitRegNet(b *testing.B) {
	exact, search := fitBenchCases(b)
	for name, cases := range map[string][][]int{"exact": exact, "search": search} {
		b.Run(name, func(b *testing.B) {
			i := 0
			for b.Loop() {
				if _, err := FitRegNet(cases[i%len(cases)]); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}
