package cpu

import (
	"fmt"
	"testing"
)

func TestSGDStep(t *testing.T) {
	for _, n := range []int{1, 9, 3*elementGrain + 1} {
		for _, nesterov := range []bool{false, true} {
			t.Run(fmt.Sprintf("n=%d,nesterov=%v", n, nesterov), func(t *testing.T) {
				const lr, mu, wd = 0.1, 0.9, 5e-4
				r := newRand(uint64(n))
				p := guardedCopy(randSlice(r, n, 1))
				v := guardedCopy(make([]float32, n))
				wp, wv := to64(p[:n]), make([]float64, n)
				for step := 0; step < 3; step++ {
					g := randSlice(r, n, 1)
					SGDStep(p, g, v, n, lr, mu, wd, nesterov)
					// PyTorch's SGD, written out.
					for i := range wp {
						d := float64(g[i]) + wd*wp[i]
						wv[i] = mu*wv[i] + d
						if nesterov {
							d += mu * wv[i]
						} else {
							d = wv[i]
						}
						wp[i] -= lr * d
					}
				}
				checkSlice(t, "p", p, wp, 1e-6, 1e-6)
				checkSlice(t, "v", v, wv, 1e-6, 1e-6)
				checkGuard(t, "p", p, n)
				checkGuard(t, "v", v, n)
			})
		}
	}
	// One step by hand: p = 1, g = 0.5, v = 0, lr 0.1, μ 0.9, λ 0.01:
	// d = 0.51, v = 0.51; Nesterov step = 0.51 + 0.9·0.51 = 0.969, p = 1 − 0.0969 = 0.9031.
	p, v := []float32{1}, []float32{0}
	SGDStep(p, []float32{0.5}, v, 1, 0.1, 0.9, 0.01, true)
	checkSlice(t, "p by hand", p, []float64{0.9031}, 0, 1e-6)
	checkSlice(t, "v by hand", v, []float64{0.51}, 0, 1e-6)
}
