package cpu

import (
	"fmt"
	"math"
	"testing"
)

// Sizes below and above elementGrain, so both the inline and the parallel split run.
var elementSizes = []int{1, 7, 3*elementGrain + 5}

func TestReLU(t *testing.T) {
	for _, n := range elementSizes {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			r := newRand(uint64(n))
			x, dy := randSlice(r, n, 1), randSlice(r, n, 1)
			y := guarded(n)
			ReLUForward(y, x, n)
			want := make([]float64, n)
			wantd := make([]float64, n)
			for i, v := range x {
				if v > 0 {
					want[i], wantd[i] = float64(v), float64(dy[i])
				}
			}
			checkSlice(t, "y", y, want, 0, 0)
			checkGuard(t, "y", y, n)
			dx := guarded(n)
			ReLUBackward(dx, dy, y, n)
			checkSlice(t, "dx", dx, wantd, 0, 0)
			checkGuard(t, "dx", dx, n)
			if n > 100 {
				return
			}
			// Keep x at least 0.1 from the kink so that x ± h stays on one side.
			for i, v := range x {
				if v > -0.1 && v < 0.1 {
					x[i] = 0.1 + v
				}
			}
			ReLUForward(y, x, n)
			ReLUBackward(dx, dy, y, n)
			yy := make([]float32, n)
			loss := func() float64 {
				ReLUForward(yy, x, n)
				return dot64(dy, yy)
			}
			fdCheck(t, "fd dx", x, dx, 1e-2, loss, 1e-4, 1e-3)
		})
	}
}

func TestAdd(t *testing.T) {
	for _, n := range elementSizes {
		r := newRand(uint64(n))
		a, b := randSlice(r, n, 1), randSlice(r, n, 1)
		y := guarded(n)
		Add(y, a, b, n)
		want := make([]float64, n)
		for i := range want {
			want[i] = float64(a[i] + b[i])
		}
		checkSlice(t, fmt.Sprint("y", n), y, want, 0, 0)
		checkGuard(t, "y", y, n)
		if n > 100 {
			continue
		}
		// The gradient of Σ dy·(a + b) is dy for both inputs.
		dy := randSlice(r, n, 1)
		loss := func() float64 {
			Add(y, a, b, n)
			return dot64(dy, y[:n])
		}
		fdCheck(t, "fd da", a, dy, 1e-2, loss, 1e-4, 1e-3)
		fdCheck(t, "fd db", b, dy, 1e-2, loss, 1e-4, 1e-3)
	}
}

func TestSigmoid(t *testing.T) {
	for _, n := range elementSizes {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			r := newRand(uint64(n))
			x, dy := randSlice(r, n, 8), randSlice(r, n, 1)
			y := guarded(n)
			SigmoidForward(y, x, n)
			want := make([]float64, n)
			for i, v := range x {
				want[i] = 1 / (1 + math.Exp(-float64(v)))
			}
			checkSlice(t, "y", y, want, 1e-7, 1e-6)
			checkGuard(t, "y", y, n)
			dx := guarded(n)
			SigmoidBackward(dx, dy, y, n)
			checkGuard(t, "dx", dx, n)
			if n > 100 {
				return
			}
			yy := make([]float32, n)
			loss := func() float64 {
				SigmoidForward(yy, x, n)
				return dot64(dy, yy)
			}
			// Sigmoid outputs ~0.5 rounded to 6e-8, over a step of 2e-3.
			fdCheck(t, "fd dx", x, dx, 1e-3, loss, 1e-4, 1e-3)
		})
	}
	// Saturation gives 0 and 1, not NaN.
	y := make([]float32, 2)
	SigmoidForward(y, []float32{-1000, 1000}, 2)
	if y[0] != 0 || y[1] != 1 {
		t.Errorf("sigmoid(∓1000) = %v, want [0 1]", y)
	}
}

func TestScale(t *testing.T) {
	for _, sh := range []struct{ n, hw, c int }{{1, 1, 1}, {3, 35, 5}, {4, 49, 24}, {2, 2 * elementGrain / 16, 17}} {
		n, hw, c := sh.n, sh.hw, sh.c
		t.Run(fmt.Sprint(sh), func(t *testing.T) {
			r := newRand(uint64(n * hw * c))
			x, s, dy := randSlice(r, n*hw*c, 1), randSlice(r, n*c, 1), randSlice(r, n*hw*c, 1)
			y := guarded(n * hw * c)
			ScaleForward(y, x, s, n, hw, c)
			want := make([]float64, n*hw*c)
			wantdx := make([]float64, n*hw*c)
			wantds := make([]float64, n*c)
			for b := 0; b < n; b++ {
				for p := 0; p < hw; p++ {
					for ch := 0; ch < c; ch++ {
						i := (b*hw+p)*c + ch
						want[i] = float64(x[i]) * float64(s[b*c+ch])
						wantdx[i] = float64(dy[i]) * float64(s[b*c+ch])
						wantds[b*c+ch] += float64(dy[i]) * float64(x[i])
					}
				}
			}
			checkSlice(t, "y", y, want, 1e-7, 1e-6)
			checkGuard(t, "y", y, n*hw*c)
			dx, ds := guarded(n*hw*c), guarded(n*c)
			ScaleBackward(dx, ds, dy, x, s, n, hw, c)
			checkSlice(t, "dx", dx, wantdx, 1e-7, 1e-6)
			checkSlice(t, "ds", ds, wantds, 1e-6*float64(hw), 1e-5)
			checkGuard(t, "dx", dx, n*hw*c)
			checkGuard(t, "ds", ds, n*c)
			if n*hw*c > 200 {
				return
			}
			loss := func() float64 {
				ScaleForward(y, x, s, n, hw, c)
				return dot64(dy, y[:n*hw*c])
			}
			fdCheck(t, "fd dx", x, dx, 1e-2, loss, 1e-3, 1e-3)
			fdCheck(t, "fd ds", s, ds, 1e-2, loss, 1e-3, 1e-3)
		})
	}
}

func TestAvgPool(t *testing.T) {
	for _, sh := range []struct{ n, hw, c int }{{1, 1, 1}, {3, 35, 5}, {4, 49, 24}, {2, 2 * elementGrain / 16, 17}} {
		n, hw, c := sh.n, sh.hw, sh.c
		t.Run(fmt.Sprint(sh), func(t *testing.T) {
			r := newRand(uint64(n*hw*c + 1))
			x, dy := randSlice(r, n*hw*c, 1), randSlice(r, n*c, 1)
			y := guarded(n * c)
			AvgPoolForward(y, x, n, hw, c)
			want := make([]float64, n*c)
			wantdx := make([]float64, n*hw*c)
			for b := 0; b < n; b++ {
				for p := 0; p < hw; p++ {
					for ch := 0; ch < c; ch++ {
						want[b*c+ch] += float64(x[(b*hw+p)*c+ch]) / float64(hw)
						wantdx[(b*hw+p)*c+ch] = float64(dy[b*c+ch]) / float64(hw)
					}
				}
			}
			checkSlice(t, "y", y, want, 1e-6, 1e-5)
			checkGuard(t, "y", y, n*c)
			dx := guarded(n * hw * c)
			AvgPoolBackward(dx, dy, n, hw, c)
			checkSlice(t, "dx", dx, wantdx, 1e-7, 1e-6)
			checkGuard(t, "dx", dx, n*hw*c)
			if n*hw*c > 200 {
				return
			}
			loss := func() float64 {
				AvgPoolForward(y, x, n, hw, c)
				return dot64(dy, y[:n*c])
			}
			fdCheck(t, "fd dx", x, dx, 1e-2, loss, 1e-4, 1e-3)
		})
	}
}

func TestLinear(t *testing.T) {
	for _, sh := range []struct {
		n, in, out int
		bias       bool
	}{{1, 1, 1, true}, {5, 7, 3, true}, {4, 6, 10, false}, {128, 368, 10, true}, {130, 96, 24, true}} {
		n, in, out := sh.n, sh.in, sh.out
		t.Run(fmt.Sprint(sh), func(t *testing.T) {
			r := newRand(uint64(n*in + out))
			x, w, dy := randSlice(r, n*in, 1), randSlice(r, out*in, 1), randSlice(r, n*out, 1)
			var b, db []float32
			if sh.bias {
				b, db = randSlice(r, out, 1), guarded(out)
			}
			y := guarded(n * out)
			LinearForward(y, x, w, b, n, in, out)
			want := make([]float64, n*out)
			wantdx := make([]float64, n*in)
			wantdw := make([]float64, out*in)
			wantdb := make([]float64, out)
			for i := 0; i < n; i++ {
				for o := 0; o < out; o++ {
					if b != nil {
						want[i*out+o] = float64(b[o])
					}
					g := float64(dy[i*out+o])
					wantdb[o] += g
					for k := 0; k < in; k++ {
						want[i*out+o] += float64(x[i*in+k]) * float64(w[o*in+k])
						wantdx[i*in+k] += g * float64(w[o*in+k])
						wantdw[o*in+k] += g * float64(x[i*in+k])
					}
				}
			}
			checkSlice(t, "y", y, want, 1e-6*float64(in), 1e-5)
			checkGuard(t, "y", y, n*out)
			dx, dw := guarded(n*in), guarded(out*in)
			LinearBackward(dx, dw, db, dy, x, w, n, in, out)
			checkSlice(t, "dx", dx, wantdx, 1e-6*float64(out), 1e-5)
			checkSlice(t, "dw", dw, wantdw, 1e-6*float64(n), 1e-5)
			checkGuard(t, "dx", dx, n*in)
			checkGuard(t, "dw", dw, out*in)
			if b != nil {
				checkSlice(t, "db", db, wantdb, 1e-6*float64(n), 1e-5)
				checkGuard(t, "db", db, out)
			}
			// The first layer passes dx = nil.
			dw2 := guarded(out * in)
			LinearBackward(nil, dw2, nil, dy, x, w, n, in, out)
			checkSlice(t, "dw without dx", dw2, wantdw, 1e-6*float64(n), 1e-5)
			if n*in > 100 {
				return
			}
			loss := func() float64 {
				LinearForward(y, x, w, b, n, in, out)
				return dot64(dy, y[:n*out])
			}
			fdCheck(t, "fd dx", x, dx, 1e-2, loss, 1e-3, 1e-3)
			fdCheck(t, "fd dw", w, dw, 1e-2, loss, 1e-3, 1e-3)
			if b != nil {
				fdCheck(t, "fd db", b, db, 1e-2, loss, 1e-3, 1e-3)
			}
		})
	}
}

func TestMaskPositive(t *testing.T) {
	negZero := float32(math.Copysign(0, -1))
	for _, c := range []struct{ y, want float32 }{
		{1, 3}, {1e-45, 3}, {float32(math.Inf(1)), 3}, // positive, the smallest denormal, +Inf
		{0, 0}, {negZero, 0}, {-1e-45, 0}, {-2, 0}, {float32(math.Inf(-1)), 0},
	} {
		if got := maskPositive(3, c.y); got != c.want {
			t.Errorf("maskPositive(3, %g) = %g, want %g", c.y, got, c.want)
		}
	}
}
