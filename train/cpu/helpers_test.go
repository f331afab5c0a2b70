package cpu

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/ddstools/dds/internal/approx"
)

// checkSlice fails t if any got[i] is not approx.Close to want[i] (within abs +
// rel·|want[i]|, the one tolerance rule of these tests; each case states its abs
// and rel), reporting the worst value.
func checkSlice(t *testing.T, name string, got []float32, want []float64, abs, rel float64) {
	t.Helper()
	if len(got) < len(want) {
		t.Fatalf("%s: have %d values, want %d", name, len(got), len(want))
	}
	bad, worst, wi := 0, 0.0, -1
	for i, w := range want {
		g := float64(got[i])
		if !approx.Close(g, w, abs, rel) {
			bad++
			if d := math.Abs(g - w); wi < 0 || d > worst || math.IsNaN(d) {
				worst, wi = d, i
			}
		}
	}
	if bad > 0 {
		t.Errorf("%s: %d of %d values off (tolerance %g + %g·|want|); worst [%d] got %g want %g",
			name, bad, len(want), abs, rel, wi, got[wi], want[wi])
	}
}

func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15)) }

// randSlice returns n values uniform in [−scale, scale).
func randSlice(r *rand.Rand, n int, scale float32) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = (2*r.Float32() - 1) * scale
	}
	return s
}

func to64(s []float32) []float64 {
	d := make([]float64, len(s))
	for i, v := range s {
		d[i] = float64(v)
	}
	return d
}

const guardLen = 17

var guardBits = math.Float32bits(-7.0e33)

// guarded returns a slice of n values followed by guardLen sentinels. The n values are
// NaN, so a kernel that should overwrite them and instead reads one poisons its result.
func guarded(n int) []float32 {
	s := make([]float32, n+guardLen)
	nan := float32(math.NaN())
	for i := range s {
		if i < n {
			s[i] = nan
		} else {
			s[i] = math.Float32frombits(guardBits)
		}
	}
	return s
}

// guardedCopy returns v followed by guardLen sentinels.
func guardedCopy(v []float32) []float32 {
	s := guarded(len(v))
	copy(s, v)
	return s
}

// checkGuard fails t if a sentinel after the first n values of s was overwritten.
func checkGuard(t *testing.T, name string, s []float32, n int) {
	t.Helper()
	for i := n; i < len(s); i++ {
		if math.Float32bits(s[i]) != guardBits {
			t.Errorf("%s: guard value %d after the end overwritten with %g", name, i-n, s[i])
			return
		}
	}
}

// dot64 returns Σ a[i]·b[i] in float64.
func dot64(a []float32, b []float32) float64 {
	var s float64
	for i, v := range a {
		s += float64(v) * float64(b[i])
	}
	return s
}

// fdCheck compares analytic[i] with the central difference (f(v+h) − f(v−h))/(2h) of
// the scalar f in every coordinate i of v (v is restored afterwards). The step actually
// taken is measured after rounding v ± h to float32.
func fdCheck(t *testing.T, name string, v []float32, analytic []float32, h float64, f func() float64, abs, rel float64) {
	t.Helper()
	fd := make([]float64, len(v))
	for i := range v {
		x := v[i]
		xp, xm := float32(float64(x)+h), float32(float64(x)-h)
		v[i] = xp
		fp := f()
		v[i] = xm
		fm := f()
		v[i] = x
		fd[i] = (fp - fm) / (float64(xp) - float64(xm))
	}
	checkSlice(t, name, analytic, fd, abs, rel)
}
