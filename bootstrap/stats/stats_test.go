package stats

import (
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"gonum.org/v1/gonum/stat"

	"github.com/ddstools/dds/internal/approx"
)

// checkNear is the one tolerance helper of this package's tests: it fails the
// test unless |got − want| ≤ tol·max(1, |want|) (absolute near zero, relative
// for large values) or both are NaN. Each case states its tol: 1e-12 for
// closed-form results that differ from the hand value only by float64
// rounding, looser where a value is only known to a few digits.
func checkNear(t *testing.T, what string, got, want, tol float64) {
	t.Helper()
	if math.IsNaN(got) && math.IsNaN(want) {
		return
	}
	if !approx.Close(got, want, tol*math.Max(1, math.Abs(want)), 0) {
		t.Errorf("%s = %.15g, want %.15g (tol %g)", what, got, want, tol)
	}
}

func mustEDF(t *testing.T, errs, w []float64) *EDF {
	t.Helper()
	f, err := NewEDF(errs, w)
	if err != nil {
		t.Fatalf("NewEDF(%v, %v): %v", errs, w, err)
	}
	return f
}

const exact = 1e-12

func TestEDFAt(t *testing.T) {
	nan := math.NaN()
	// Unweighted {1, 2, 2, 3}: F(e) counts the errors strictly below e, so on a
	// jump point the jump is not included yet: F(2) = 1/4, F(2+) = 3/4.
	unweighted := mustEDF(t, []float64{2, 1, 3, 2}, nil)
	// Weighted {1, 2, 3} with weights {1, 1, 2}, total 4: F(2) = 1/4,
	// F(2.5) = 2/4, F(3) = 2/4, F(3+) = 4/4.
	weighted := mustEDF(t, []float64{3, 1, 2}, []float64{2, 1, 1})
	// A zero weight removes the value from F: {1, 2, 3} with {0, 1, 1}.
	zero := mustEDF(t, []float64{1, 2, 3}, []float64{0, 1, 1})
	for _, c := range []struct {
		name string
		f    *EDF
		e    float64
		want float64
	}{
		{"unweighted", unweighted, math.Inf(-1), 0},
		{"unweighted", unweighted, 0, 0},
		{"unweighted", unweighted, 1, 0},
		{"unweighted", unweighted, 1.5, 0.25},
		{"unweighted", unweighted, 2, 0.25},
		{"unweighted", unweighted, math.Nextafter(2, 3), 0.75},
		{"unweighted", unweighted, 3, 0.75},
		{"unweighted", unweighted, 3.5, 1},
		{"unweighted", unweighted, math.Inf(1), 1},
		{"unweighted", unweighted, nan, nan},
		{"weighted", weighted, 1, 0},
		{"weighted", weighted, 2, 0.25},
		{"weighted", weighted, 2.5, 0.5},
		{"weighted", weighted, 3, 0.5},
		{"weighted", weighted, 4, 1},
		{"zero weight", zero, 2, 0},
		{"zero weight", zero, 2.5, 0.5},
		{"zero weight", zero, 3.5, 1},
	} {
		checkNear(t, c.name+".At("+ftoa(c.e)+")", c.f.At(c.e), c.want, exact)
	}
}

func TestEDFSummaries(t *testing.T) {
	unweighted := mustEDF(t, []float64{2, 1, 3, 2}, nil)
	weighted := mustEDF(t, []float64{3, 1, 2}, []float64{2, 1, 1})
	zero := mustEDF(t, []float64{1, 2, 3}, []float64{0, 1, 1})
	for _, c := range []struct {
		what      string
		got, want float64
	}{
		{"unweighted N", float64(unweighted.N()), 4},
		{"unweighted NEff", unweighted.NEff(), 4},
		{"unweighted Min", unweighted.Min(), 1},
		{"unweighted Mean", unweighted.Mean(), 2},
		{"unweighted Quantile(0)", unweighted.Quantile(0), 1},
		{"unweighted Quantile(0.25)", unweighted.Quantile(0.25), 1},
		{"unweighted Quantile(0.5)", unweighted.Quantile(0.5), 2},
		{"unweighted Quantile(0.75)", unweighted.Quantile(0.75), 2},
		{"unweighted Quantile(0.76)", unweighted.Quantile(0.76), 3},
		{"unweighted Quantile(1)", unweighted.Quantile(1), 3},
		{"unweighted Quantile(1.1)", unweighted.Quantile(1.1), math.NaN()},
		{"unweighted Quantile(-0.1)", unweighted.Quantile(-0.1), math.NaN()},
		{"unweighted Quantile(NaN)", unweighted.Quantile(math.NaN()), math.NaN()},
		// Weights {1, 1, 2} on {1, 2, 3}: mean (1 + 2 + 6)/4, NEff 4²/(1+1+4).
		{"weighted N", float64(weighted.N()), 3},
		{"weighted NEff", weighted.NEff(), 16.0 / 6},
		{"weighted Min", weighted.Min(), 1},
		{"weighted Mean", weighted.Mean(), 2.25},
		{"weighted Quantile(0.25)", weighted.Quantile(0.25), 1},
		{"weighted Quantile(0.26)", weighted.Quantile(0.26), 2},
		{"weighted Quantile(0.5)", weighted.Quantile(0.5), 2},
		{"weighted Quantile(0.51)", weighted.Quantile(0.51), 3},
		{"zero weight N", float64(zero.N()), 3},
		{"zero weight Min", zero.Min(), 2},
		{"zero weight Mean", zero.Mean(), 2.5},
		{"zero weight NEff", zero.NEff(), 2},
	} {
		checkNear(t, c.what, c.got, c.want, exact)
	}

	x, y := unweighted.Points()
	wantX, wantY := []float64{1, 2, 3}, []float64{0.25, 0.75, 1}
	if len(x) != len(wantX) || len(y) != len(wantY) {
		t.Fatalf("Points() = %v, %v, want %v, %v", x, y, wantX, wantY)
	}
	for i := range x {
		checkNear(t, "Points x", x[i], wantX[i], exact)
		checkNear(t, "Points y", y[i], wantY[i], exact)
	}
}

func TestKSHand(t *testing.T) {
	for _, c := range []struct {
		name string
		a, b []float64
		// D by hand from the right limits F(u+) = #{e ≤ u}/n at the union of the
		// jump points u (the value at u itself is the previous right limit).
		d float64
	}{
		// u:     1    1.5  2    2.5  3    3.5
		// F_a+:  1/3  1/3  2/3  2/3  1    1
		// F_b+:  0    1/3  1/3  2/3  2/3  1
		// |diff| 1/3  0    1/3  0    1/3  0    → D = 1/3
		{"interleaved", []float64{1, 2, 3}, []float64{1.5, 2.5, 3.5}, 1.0 / 3},
		{"identical", []float64{1, 2, 2, 3}, []float64{3, 2, 1, 2}, 0},
		// u: 1, 2, 3, 4; F_a+: 1/3, 2/3, 1, 1; F_b+: 1/4, 2/4, 3/4, 1;
		// |diff|: 1/12, 1/6, 1/4, 0 → D = 1/4.
		{"one more", []float64{1, 2, 3}, []float64{1, 2, 3, 4}, 0.25},
		{"disjoint", []float64{1, 2}, []float64{3, 4}, 1},
		// A shared jump point: at u = 2, F_a(2) = 1/3, F_b(2) = 0 (strict <),
		// F_a(2+) = 1, F_b(2+) = 1/2, so the right side gives D = 1/2.
		{"shared jump", []float64{1, 2, 2}, []float64{2, 3}, 0.5},
	} {
		a, b := mustEDF(t, c.a, nil), mustEDF(t, c.b, nil)
		d, p := KS(a, b)
		checkNear(t, c.name+" D", d, c.d, exact)
		d2, p2 := KS(b, a)
		checkNear(t, c.name+" D swapped", d2, d, exact)
		checkNear(t, c.name+" p swapped", p2, p, exact)
		// Cross-check against gonum's independent implementation.
		sa, sb := sorted(c.a), sorted(c.b)
		checkNear(t, c.name+" D vs gonum", d, stat.KolmogorovSmirnov(sa, nil, sb, nil), exact)
		// The p-value formula with n_eff = n.
		na, nb := float64(len(c.a)), float64(len(c.b))
		m := math.Sqrt(na * nb / (na + nb))
		checkNear(t, c.name+" p", p, KolmogorovQ((m+0.12+0.11/m)*c.d), exact)
	}

	// Weighted: a = {1, 2, 3} with {1, 1, 2} (F+: 1/4, 1/2, 1) against
	// b = {1, 2, 3} unweighted (F+: 1/3, 2/3, 1): D = 2/3 − 1/2 = 1/6.
	a := mustEDF(t, []float64{1, 2, 3}, []float64{1, 1, 2})
	b := mustEDF(t, []float64{1, 2, 3}, nil)
	d, _ := KS(a, b)
	checkNear(t, "weighted D", d, 1.0/6, exact)
	checkNear(t, "weighted D vs gonum", d, stat.KolmogorovSmirnov([]float64{1, 2, 3}, []float64{1, 1, 2}, []float64{1, 2, 3}, nil), exact)

	d, p := KS(nil, b)
	checkNear(t, "nil D", d, math.NaN(), exact)
	checkNear(t, "nil p", p, math.NaN(), exact)
}

func TestKolmogorovQ(t *testing.T) {
	for _, c := range []struct {
		lambda, want, tol float64
	}{
		{-1, 1, exact},
		{0, 1, exact},
		{0.05, 1, exact},
		// 1 − K(0.5), K(0.5) = 0.0360547563 (tables of the Kolmogorov CDF).
		{0.5, 1 - 0.0360547563, 1e-9},
		// 2(e^−2 − e^−8 + e^−18 − …).
		{1.0, 0.2699996716773, 1e-12},
		// Critical values of the Kolmogorov distribution at 10%, 5%, 1%
		// (scipy.stats.kstwobign.isf), and the often quoted Q(1.36) ≈ 0.0495.
		{1.2238478702, 0.10, 1e-9},
		{1.3580986393, 0.05, 1e-9},
		{1.36, 0.0494858768, 1e-9},
		{1.6276236115, 0.01, 1e-9},
		// 2(e^−8 − e^−32).
		{2.0, 2 * (math.Exp(-8) - math.Exp(-32)), exact},
		{math.NaN(), math.NaN(), exact},
	} {
		checkNear(t, "KolmogorovQ("+ftoa(c.lambda)+")", KolmogorovQ(c.lambda), c.want, c.tol)
	}
	// The alternating series summed with many terms, as a reference for both
	// branches (it converges for every λ > 0, slowly for small λ).
	for lambda := 0.3; lambda < 3; lambda += 0.01 {
		var s float64
		for j := 1000; j >= 1; j-- {
			s += math.Pow(-1, float64(j-1)) * math.Exp(-2*float64(j*j)*lambda*lambda)
		}
		checkNear(t, "KolmogorovQ("+ftoa(lambda)+") vs series", KolmogorovQ(lambda), 2*s, 1e-12)
	}
}

func TestKSGenerated(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	normal := func(n int, shift float64) *EDF {
		x := make([]float64, n)
		for i := range x {
			x[i] = rng.NormFloat64() + shift
		}
		return mustEDF(t, x, nil)
	}
	same1, same2 := normal(500, 0), normal(500, 0)
	d, p := KS(same1, same2)
	t.Logf("same distribution: D = %.4f, p = %.4f", d, p)
	if d > 0.1 || p < 0.05 {
		t.Errorf("same distribution: D = %g, p = %g; want D ≤ 0.1 and p ≥ 0.05", d, p)
	}
	shifted := normal(500, 0.5)
	d, p = KS(same1, shifted)
	t.Logf("shifted by 0.5σ: D = %.4f, p = %.3g", d, p)
	if d < 0.15 || p > 0.001 {
		t.Errorf("shifted: D = %g, p = %g; want D ≥ 0.15 and p < 0.001", d, p)
	}
}

// TestNormalizedRemovesConfound plants the confound the normalized EDF is for:
// spaces A and B share error(flops) = 0.6 − 0.3·flops + noise, but A's flops
// are skewed towards the top of the range (density 2x on [0, 1]) while B's are
// uniform. A looks better on the raw EDF only because it has more big models.
func TestNormalizedRemovesConfound(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	space := func(n int, skewed bool) (flops, errs []float64) {
		flops, errs = make([]float64, n), make([]float64, n)
		for i := range flops {
			u := rng.Float64()
			if skewed {
				u = math.Sqrt(u)
			}
			flops[i] = 100e6 + 300e6*u
			errs[i] = 0.6 - 0.3*u + 0.02*rng.NormFloat64()
		}
		return flops, errs
	}
	fa, ea := space(1000, true)
	fb, eb := space(1000, false)

	dRaw, pRaw := KS(mustEDF(t, ea, nil), mustEDF(t, eb, nil))
	wa, emptyA, err := NormalizedWeights(fa, 10)
	if err != nil {
		t.Fatal(err)
	}
	wb, emptyB, err := NormalizedWeights(fb, 10)
	if err != nil {
		t.Fatal(err)
	}
	if emptyA != 0 || emptyB != 0 {
		t.Errorf("empty bins: A %d, B %d, want none", emptyA, emptyB)
	}
	dNorm, pNorm := KS(mustEDF(t, ea, wa), mustEDF(t, eb, wb))
	t.Logf("raw: D = %.4f p = %.3g; normalized: D = %.4f p = %.3g", dRaw, pRaw, dNorm, pNorm)
	if dRaw < 0.2 || pRaw > 0.001 {
		t.Errorf("raw EDFs: D = %g, p = %g; want D ≥ 0.2 and p < 0.001", dRaw, pRaw)
	}
	if dNorm > 0.08 || pNorm < 0.05 {
		t.Errorf("normalized EDFs: D = %g, p = %g; want D ≤ 0.08 and p ≥ 0.05", dNorm, pNorm)
	}
}

func TestNormalizedWeights(t *testing.T) {
	for _, c := range []struct {
		name       string
		complexity []float64
		k          int
		want       []float64
		empty      int
	}{
		// Range [0, 1] in 4 bins [0, .25) [.25, .5) [.5, .75) [.75, 1]:
		// bin 0 holds {0, 0.1}, bins 1 and 2 are empty, bin 3 holds
		// {0.9, 1, 1}. Two non-empty bins: weights 1/(2·2) and 1/(2·3).
		{"empty bins", []float64{0, 0.9, 0.1, 1, 1}, 4, []float64{0.25, 1.0 / 6, 0.25, 1.0 / 6, 1.0 / 6}, 2},
		// An interior edge belongs to the upper bin: [0, 0.5) and [0.5, 1].
		{"edge", []float64{0, 0.5, 1}, 2, []float64{0.5, 0.25, 0.25}, 0},
		{"one bin", []float64{5, 1, 3}, 1, []float64{1.0 / 3, 1.0 / 3, 1.0 / 3}, 0},
		{"all equal", []float64{3, 3, 3}, 5, []float64{1.0 / 3, 1.0 / 3, 1.0 / 3}, 0},
		{"single model", []float64{7}, 10, []float64{1}, 0},
		// Bins of width 1 over [0, 3]: counts 1, 2, 1 → 1/(3·1), 1/(3·2).
		{"uniform-ish", []float64{0, 1, 1.5, 3}, 3, []float64{1.0 / 3, 1.0 / 6, 1.0 / 6, 1.0 / 3}, 0},
		{"huge range", []float64{-math.MaxFloat64, math.MaxFloat64}, 2, []float64{0.5, 0.5}, 0},
	} {
		w, empty, err := NormalizedWeights(c.complexity, c.k)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if empty != c.empty || len(w) != len(c.want) {
			t.Errorf("%s: got %v with %d empty bins, want %v with %d", c.name, w, empty, c.want, c.empty)
			continue
		}
		var sum float64
		for i := range w {
			checkNear(t, c.name+" weight", w[i], c.want[i], exact)
			sum += w[i]
		}
		checkNear(t, c.name+" sum of weights", sum, 1, exact)
	}
}

func TestDiffAtQuantiles(t *testing.T) {
	a := mustEDF(t, []float64{1, 2, 3, 4}, nil)
	b := mustEDF(t, []float64{2, 3, 4, 6}, nil)
	// Q_a(0.25, 0.5, 1) = 1, 2, 4; Q_b = 2, 3, 6.
	got := DiffAtQuantiles(a, b, []float64{0.25, 0.5, 1, 1.5})
	want := []float64{1, 1, 2, math.NaN()}
	for i := range want {
		checkNear(t, "DiffAtQuantiles", got[i], want[i], exact)
	}
	for _, v := range DiffAtQuantiles(nil, b, []float64{0.5}) {
		checkNear(t, "DiffAtQuantiles(nil)", v, math.NaN(), exact)
	}
}

func TestPercentile(t *testing.T) {
	// Values from numpy.percentile(x, 100·p) with the default method.
	x := []float64{1, 2, 3, 4}
	for _, c := range []struct{ p, want float64 }{
		{0, 1}, {0.025, 1.075}, {0.25, 1.75}, {0.5, 2.5}, {0.975, 3.925}, {1, 4},
	} {
		checkNear(t, "percentile("+ftoa(c.p)+")", percentile(x, c.p), c.want, exact)
	}
	checkNear(t, "percentile of one value", percentile([]float64{5}, 0.3), 5, exact)
}

// TestBootstrapRules checks the draw rules on cases whose outcome follows
// from probabilities far from the percentile cut-offs.
func TestBootstrapRules(t *testing.T) {
	for _, c := range []struct {
		name           string
		values, errs   []float64
		fraction       float64
		lo, median, hi float64
	}{
		// One pair: every repetition keeps it.
		{"single pair", []float64{7}, []float64{0.3}, 0.25, 7, 7, 7},
		// Equal errors, two draws from two pairs: the lowest index wins, and
		// index 0 is drawn in 3/4 of the repetitions.
		{"ties to lowest index", []float64{0, 1}, []float64{0.5, 0.5}, 1, 0, 0, 1},
		// Index 1 has the lower error and is drawn in 3/4 of the repetitions.
		{"lowest error", []float64{0, 1}, []float64{0.5, 0.4}, 1, 0, 1, 1},
		// round(0.1·3) = 0 draws becomes 1: the kept value is uniform over
		// {0, 1, 2}. With 2 or more draws the median would be 0.
		{"at least one draw", []float64{0, 1, 2}, []float64{0, 1, 2}, 0.1, 0, 1, 2},
	} {
		iv, err := Bootstrap(c.values, c.errs, BootstrapOptions{B: 4000, Fraction: c.fraction, Seed: 1})
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		checkNear(t, c.name+" Lo", iv.Lo, c.lo, exact)
		checkNear(t, c.name+" Median", iv.Median, c.median, exact)
		checkNear(t, c.name+" Hi", iv.Hi, c.hi, exact)
		if iv.N != len(c.values) || iv.B != 4000 {
			t.Errorf("%s: N = %d, B = %d, want %d, 4000", c.name, iv.N, iv.B, len(c.values))
		}
	}
}

// bowl returns n models with a parameter p uniform on [0, 1] and error
// (p − best)² plus a little noise.
func bowl(rng *rand.Rand, n int, best float64) (p, errs []float64) {
	p, errs = make([]float64, n), make([]float64, n)
	for i := range p {
		p[i] = rng.Float64()
		errs[i] = (p[i]-best)*(p[i]-best) + 1e-4*rng.NormFloat64()
	}
	return p, errs
}

func TestBootstrapFindsBest(t *testing.T) {
	const best = 0.3
	rng := rand.New(rand.NewPCG(5, 6))
	var width []float64
	for _, n := range []int{100, 1000} {
		p, errs := bowl(rng, n, best)
		iv, err := Bootstrap(p, errs, BootstrapOptions{Seed: 7})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("n = %d: [%.4f, %.4f, %.4f]", n, iv.Lo, iv.Median, iv.Hi)
		if !(iv.Lo <= best && best <= iv.Hi) || !(iv.Lo <= iv.Median && iv.Median <= iv.Hi) {
			t.Errorf("n = %d: interval [%g, %g, %g] does not hold p* = %g in order", n, iv.Lo, iv.Median, iv.Hi, best)
		}
		width = append(width, iv.Hi-iv.Lo)
	}
	if !(width[1] < width[0]/2) {
		t.Errorf("interval width %g at n = 1000 is not under half the width %g at n = 100", width[1], width[0])
	}
}

func TestBootstrapDeterminism(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 9))
	p, errs := bowl(rng, 300, 0.6)
	q, _ := bowl(rng, 300, 0.6)
	run := func(seed uint64, workers int) []Interval {
		t.Helper()
		iv, err := BootstrapMany([][]float64{p, q}, errs, BootstrapOptions{B: 2000, Seed: seed, Workers: workers})
		if err != nil {
			t.Fatal(err)
		}
		return iv
	}
	one, eight := run(11, 1), run(11, 8)
	for k := range one {
		if one[k] != eight[k] {
			t.Errorf("parameter %d: Workers=1 gives %+v, Workers=8 gives %+v", k, one[k], eight[k])
		}
		single, err := Bootstrap([][]float64{p, q}[k], errs, BootstrapOptions{B: 2000, Seed: 11, Workers: 3})
		if err != nil {
			t.Fatal(err)
		}
		if single != one[k] {
			t.Errorf("parameter %d: Bootstrap gives %+v, BootstrapMany gives %+v", k, single, one[k])
		}
	}
	other := run(12, 2)
	if other[0] == one[0] {
		t.Errorf("seeds 11 and 12 give the same interval %+v", one[0])
	}
}

func TestBadInput(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	ok := []float64{1, 2, 3}
	for _, c := range []struct {
		name string
		run  func() error
	}{
		{"EDF empty", func() error { _, err := NewEDF(nil, nil); return err }},
		{"EDF NaN error", func() error { _, err := NewEDF([]float64{1, nan}, nil); return err }},
		{"EDF Inf error", func() error { _, err := NewEDF([]float64{inf}, nil); return err }},
		{"EDF weight count", func() error { _, err := NewEDF(ok, []float64{1, 1}); return err }},
		{"EDF negative weight", func() error { _, err := NewEDF(ok, []float64{1, -1, 1}); return err }},
		{"EDF NaN weight", func() error { _, err := NewEDF(ok, []float64{1, nan, 1}); return err }},
		{"EDF zero weights", func() error { _, err := NewEDF(ok, []float64{0, 0, 0}); return err }},
		{"EDF empty weights", func() error { _, err := NewEDF(ok, []float64{}); return err }},
		{"EDF overflowing weights", func() error {
			_, err := NewEDF([]float64{1, 2}, []float64{math.MaxFloat64, math.MaxFloat64})
			return err
		}},
		{"normalize empty", func() error { _, _, err := NormalizedWeights(nil, 10); return err }},
		{"normalize NaN", func() error { _, _, err := NormalizedWeights([]float64{1, nan}, 10); return err }},
		{"normalize k = 0", func() error { _, _, err := NormalizedWeights(ok, 0); return err }},
		{"bootstrap empty", func() error { _, err := Bootstrap(nil, nil, BootstrapOptions{}); return err }},
		{"bootstrap lengths", func() error { _, err := Bootstrap(ok, []float64{1, 2}, BootstrapOptions{}); return err }},
		{"bootstrap NaN error", func() error { _, err := Bootstrap(ok, []float64{1, nan, 3}, BootstrapOptions{}); return err }},
		{"bootstrap Inf value", func() error { _, err := Bootstrap([]float64{1, -inf, 3}, ok, BootstrapOptions{}); return err }},
		{"bootstrap B < 0", func() error { _, err := Bootstrap(ok, ok, BootstrapOptions{B: -1}); return err }},
		{"bootstrap fraction > 1", func() error { _, err := Bootstrap(ok, ok, BootstrapOptions{Fraction: 1.5}); return err }},
		{"bootstrap fraction < 0", func() error { _, err := Bootstrap(ok, ok, BootstrapOptions{Fraction: -0.1}); return err }},
		{"bootstrap fraction NaN", func() error { _, err := Bootstrap(ok, ok, BootstrapOptions{Fraction: nan}); return err }},
		{"bootstrap alpha 1", func() error { _, err := Bootstrap(ok, ok, BootstrapOptions{Alpha: 1}); return err }},
		{"bootstrap alpha < 0", func() error { _, err := Bootstrap(ok, ok, BootstrapOptions{Alpha: -0.05}); return err }},
		{"bootstrap workers < 0", func() error { _, err := Bootstrap(ok, ok, BootstrapOptions{Workers: -1}); return err }},
		{"bootstrap no parameters", func() error { _, err := BootstrapMany(nil, ok, BootstrapOptions{}); return err }},
		{"bootstrap parameter length", func() error {
			_, err := BootstrapMany([][]float64{ok, {1}}, ok, BootstrapOptions{})
			return err
		}},
	} {
		err := c.run()
		if err == nil {
			t.Errorf("%s: no error", c.name)
			continue
		}
		if msg := err.Error(); !strings.HasPrefix(msg, "stats: ") || strings.Contains(msg, "\n") {
			t.Errorf("%s: error %q is not one line starting with \"stats: \"", c.name, msg)
		}
	}
}

func BenchmarkBootstrapMany(b *testing.B) {
	const n, nParams = 500, 20
	rng := rand.New(rand.NewPCG(1, 1))
	errs := make([]float64, n)
	for i := range errs {
		errs[i] = rng.Float64()
	}
	params := make([][]float64, nParams)
	for k := range params {
		params[k] = make([]float64, n)
		for i := range params[k] {
			params[k][i] = rng.Float64()
		}
	}
	opt := BootstrapOptions{B: 10000, Seed: 1}
	for b.Loop() {
		if _, err := BootstrapMany(params, errs, opt); err != nil {
			b.Fatal(err)
		}
	}
}

func sorted(x []float64) []float64 {
	s := append([]float64(nil), x...)
	stat.SortWeighted(s, nil)
	return s
}

func ftoa(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }
