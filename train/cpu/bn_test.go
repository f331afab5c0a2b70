package cpu

import (
	"fmt"
	"math"
	"testing"
)

const bnEps = 1e-5

var bnShapes = []struct{ m, c int }{{1, 1}, {35, 3}, {70, 16}, {300, 70}, {9, 130}, {2001, 40}} // the last is split over workers

func TestBatchNormForward(t *testing.T) { gemmModes(t, testBatchNormForward) }

func testBatchNormForward(t *testing.T) {
	for i, sh := range bnShapes {
		m, c := sh.m, sh.c
		for _, mode := range []struct{ res, relu bool }{{false, false}, {false, true}, {true, false}, {true, true}} {
			t.Run(fmt.Sprintf("m=%d,c=%d,res=%v,relu=%v", m, c, mode.res, mode.relu), func(t *testing.T) {
				r := newRand(uint64(100 + i))
				x := randSlice(r, m*c, 2)
				for k := range x {
					x[k] += 3 // a non-zero mean
				}
				gamma := randSlice(r, c, 1)
				beta := randSlice(r, c, 1)
				var res []float32
				if mode.res {
					res = randSlice(r, m*c, 1)
				}
				want, wmean, wvar := refBatchNorm(x, res, gamma, beta, m, c, bnEps, mode.relu)
				mean, variance, y := guarded(c), guarded(c), guarded(m*c)
				BatchNormStats(mean, variance, x, m, c)
				BatchNormApply(y, x, res, gamma, beta, mean, variance, m, c, bnEps, mode.relu)
				// Statistics are summed in float64 and rounded once; the output is float32
				// arithmetic on values of size ~ |x|·gamma/std.
				checkSlice(t, "mean", mean, wmean, 1e-6, 1e-6)
				checkSlice(t, "variance", variance, wvar, 1e-6, 1e-5)
				checkSlice(t, "y", y, want, 2e-5, 1e-5)
				checkGuard(t, "mean", mean, c)
				checkGuard(t, "variance", variance, c)
				checkGuard(t, "y", y, m*c)
			})
		}
	}
}

// TestBatchNormRunning checks the running statistics against values worked out by hand.
func TestBatchNormRunning(t *testing.T) {
	// Two channels over m = 4 rows: channel 0 is 1, 2, 3, 6; channel 1 is 5, 5, 5, 5.
	x := []float32{1, 5, 2, 5, 3, 5, 6, 5}
	gamma := []float32{1, 1}
	beta := []float32{0, 0}
	runMean := guardedCopy([]float32{0, 1})
	runVar := guardedCopy([]float32{1, 2})
	mean, variance, y := guarded(2), guarded(2), guarded(8)
	BatchNormTrainForward(y, x, gamma, beta, mean, variance, runMean, runVar, 4, 2, 0.1, bnEps)
	// Channel 0: mean 3, biased variance (4+1+0+9)/4 = 3.5, unbiased 14/3.
	// runMean = 0.9·0 + 0.1·3 = 0.3; runVar = 0.9·1 + 0.1·14/3 = 1.3666667.
	// Channel 1: mean 5, variance 0; runMean = 0.9·1 + 0.1·5 = 1.4; runVar = 0.9·2 = 1.8.
	checkSlice(t, "mean", mean, []float64{3, 5}, 0, 1e-7)
	checkSlice(t, "variance", variance, []float64{3.5, 0}, 0, 1e-7)
	checkSlice(t, "runMean", runMean, []float64{0.3, 1.4}, 0, 1e-7)
	checkSlice(t, "runVar", runVar, []float64{0.9 + 0.1*14.0/3, 1.8}, 0, 1e-7)
	// y for channel 0 is (x − 3)/sqrt(3.5 + 1e-5); channel 1 is all 0.
	s := math.Sqrt(3.5 + bnEps)
	checkSlice(t, "y", y, []float64{-2 / s, 0, -1 / s, 0, 0, 0, 3 / s, 0}, 0, 1e-6)
	for _, g := range []struct {
		name string
		s    []float32
		n    int
	}{{"runMean", runMean, 2}, {"runVar", runVar, 2}, {"mean", mean, 2}, {"variance", variance, 2}, {"y", y, 8}} {
		checkGuard(t, g.name, g.s, g.n)
	}

	// Evaluation uses the running statistics: (x − 0.3)/sqrt(1.3666667 + eps) for channel 0.
	BatchNormEvalForward(y, x, gamma, beta, runMean, runVar, 4, 2, bnEps)
	v0, v1 := math.Sqrt(0.9+0.1*14.0/3+bnEps), math.Sqrt(1.8+bnEps)
	checkSlice(t, "eval y", y, []float64{0.7 / v0, 3.6 / v1, 1.7 / v0, 3.6 / v1, 2.7 / v0, 3.6 / v1, 5.7 / v0, 3.6 / v1}, 0, 1e-6)
	checkGuard(t, "eval y", y, 8)
}

func TestBatchNormBackward(t *testing.T) { gemmModes(t, testBatchNormBackward) }

func testBatchNormBackward(t *testing.T) {
	for i, sh := range bnShapes[1:] {
		m, c := sh.m, sh.c
		t.Run(fmt.Sprintf("m=%d,c=%d", m, c), func(t *testing.T) {
			r := newRand(uint64(200 + i))
			x := randSlice(r, m*c, 2)
			gamma := randSlice(r, c, 1)
			dy := randSlice(r, m*c, 1)
			mean, variance := make([]float32, c), make([]float32, c)
			BatchNormStats(mean, variance, x, m, c)
			dx, dgamma, dbeta := guarded(m*c), guarded(c), guarded(c)
			BatchNormBackward(dx, dgamma, dbeta, dy, x, gamma, mean, variance, m, c, bnEps)
			wdx, wdg, wdb := refBatchNormBackward(dy, x, gamma, m, c, bnEps)
			// dx is a difference of terms of size |dy|; sums over m rows for dgamma, dbeta.
			checkSlice(t, "dx", dx, wdx, 1e-5, 1e-4)
			checkSlice(t, "dgamma", dgamma, wdg, 1e-5, 1e-5)
			checkSlice(t, "dbeta", dbeta, wdb, 1e-5, 1e-5)
			checkGuard(t, "dx", dx, m*c)
			checkGuard(t, "dgamma", dgamma, c)
			checkGuard(t, "dbeta", dbeta, c)
		})
	}
}

// TestBatchNormGradients checks the unfused and the fused backward passes against
// finite differences of L = Σ r·y through the whole training forward pass (batch
// statistics included).
func TestBatchNormGradients(t *testing.T) { gemmModes(t, testBatchNormGradients) }

func testBatchNormGradients(t *testing.T) {
	const m, c = 12, 3
	for _, mode := range []struct{ res, relu bool }{{false, false}, {false, true}, {true, true}} {
		t.Run(fmt.Sprintf("res=%v,relu=%v", mode.res, mode.relu), func(t *testing.T) {
			r := newRand(300)
			x := randSlice(r, m*c, 2)
			gamma := randSlice(r, c, 1)
			beta := randSlice(r, c, 1)
			var res, dres []float32
			if mode.res {
				res = randSlice(r, m*c, 1)
				dres = guarded(m * c)
			}
			rw := randSlice(r, m*c, 1)
			mean, variance, y := make([]float32, c), make([]float32, c), make([]float32, m*c)
			loss := func() float64 {
				BatchNormStats(mean, variance, x, m, c)
				BatchNormApply(y, x, res, gamma, beta, mean, variance, m, c, bnEps, mode.relu)
				return dot64(rw, y)
			}
			loss()
			dx, dgamma, dbeta := guarded(m*c), guarded(c), guarded(c)
			if mode.relu {
				BatchNormReLUBackward(dx, dres, dgamma, dbeta, rw, y, x, gamma, mean, variance, m, c, bnEps)
			} else {
				BatchNormBackward(dx, dgamma, dbeta, rw, x, gamma, mean, variance, m, c, bnEps)
			}
			checkGuard(t, "dx", dx, m*c)
			// Float32 rounding of y (~1e-7 of a sum of 36 terms) over a step of 2h = 6e-3,
			// plus the O(h²) curvature of the normalisation.
			fdCheck(t, "fd dx", x, dx, 3e-3, loss, 2e-3, 1e-2)
			fdCheck(t, "fd dgamma", gamma, dgamma, 3e-3, loss, 2e-3, 1e-2)
			fdCheck(t, "fd dbeta", beta, dbeta, 3e-3, loss, 2e-3, 1e-2)
			if mode.res {
				fdCheck(t, "fd dres", res, dres, 3e-3, loss, 2e-3, 1e-2)
				checkGuard(t, "dres", dres, m*c)
			}
		})
	}
}

// TestBatchNormReLUBackwardSIMD checks the fused ReLU backward pass of the SIMD row
// kernels against the pure-Go loops, with and without a residual, on shapes with
// channel counts that leave tails for the scalar code.
func TestBatchNormReLUBackwardSIMD(t *testing.T) {
	if !hasFMA {
		t.Skip("no SIMD kernels on this machine")
	}
	defer func(v bool) { useSIMD = v }(useSIMD)
	for _, sh := range bnShapes {
		m, c := sh.m, sh.c
		for _, withRes := range []bool{false, true} {
			t.Run(fmt.Sprintf("m=%d,c=%d,res=%v", m, c, withRes), func(t *testing.T) {
				r := newRand(uint64(m*c) + 5)
				x, dy := randSlice(r, m*c, 2), randSlice(r, m*c, 1)
				gamma, beta := randSlice(r, c, 1), randSlice(r, c, 1)
				mean, variance := make([]float32, c), make([]float32, c)
				BatchNormStats(mean, variance, x, m, c)
				y := make([]float32, m*c)
				BatchNormApply(y, x, nil, gamma, beta, mean, variance, m, c, bnEps, true)
				run := func(simd bool) (dx, dres, dg, db []float32) {
					useSIMD = simd
					dx, dg, db = guarded(m*c), guarded(c), guarded(c)
					if withRes {
						dres = guarded(m * c)
					}
					BatchNormReLUBackward(dx, dres, dg, db, dy, y, x, gamma, mean, variance, m, c, bnEps)
					return dx, dres, dg, db
				}
				gdx, gres, gdg, gdb := run(false)
				sdx, sres, sdg, sdb := run(true)
				checkSlice(t, "dx", sdx, to64(gdx[:m*c]), 1e-6, 1e-6)
				checkSlice(t, "dgamma", sdg, to64(gdg[:c]), 1e-6, 1e-6)
				checkSlice(t, "dbeta", sdb, to64(gdb[:c]), 1e-6, 1e-6)
				checkGuard(t, "dx", sdx, m*c)
				if withRes {
					checkSlice(t, "dres", sres, to64(gres[:m*c]), 0, 0)
					checkGuard(t, "dres", sres, m*c)
				}
			})
		}
	}
}

// bnSIMDShapes add to bnShapes the shapes where the SIMD row kernels take several
// chunks of rows (bnChunkRows) per worker, wide channel counts, and tails of 1..7
// channels after the 8-channel blocks.
var bnSIMDShapes = []struct{ m, c int }{{1000, 368}, {3001, 29}, {77, 8}, {513, 152}, {4, 1001}}

// TestBatchNormSIMD checks BatchNormStats, BatchNormApply (all four modes) and both
// backward passes of the SIMD row kernels against the pure-Go loops.
func TestBatchNormSIMD(t *testing.T) {
	if !hasFMA {
		t.Skip("no SIMD kernels on this machine")
	}
	defer func(v bool) { useSIMD = v }(useSIMD)
	for _, sh := range append(bnSIMDShapes, bnShapes...) {
		m, c := sh.m, sh.c
		t.Run(fmt.Sprintf("m=%d,c=%d", m, c), func(t *testing.T) {
			r := newRand(uint64(m*c) + 11)
			x, dy, res := randSlice(r, m*c, 2), randSlice(r, m*c, 1), randSlice(r, m*c, 1)
			for k := range x {
				x[k] += 1.5
			}
			gamma, beta := randSlice(r, c, 1), randSlice(r, c, 1)
			type out struct{ mean, variance, y [4][]float32 }
			run := func(simd bool) (o out) {
				useSIMD = simd
				for i, mode := range []struct{ res, relu bool }{{false, false}, {false, true}, {true, false}, {true, true}} {
					o.mean[i], o.variance[i], o.y[i] = guarded(c), guarded(c), guarded(m*c)
					BatchNormStats(o.mean[i], o.variance[i], x, m, c)
					var rs []float32
					if mode.res {
						rs = res
					}
					BatchNormApply(o.y[i], x, rs, gamma, beta, o.mean[i], o.variance[i], m, c, bnEps, mode.relu)
				}
				return o
			}
			g, s := run(false), run(true)
			for i := range 4 {
				checkSlice(t, "mean", s.mean[i], to64(g.mean[i][:c]), 1e-6, 1e-6)
				checkSlice(t, "variance", s.variance[i], to64(g.variance[i][:c]), 1e-6, 1e-6)
				checkSlice(t, "y", s.y[i], to64(g.y[i][:m*c]), 1e-5, 1e-5)
				checkGuard(t, "mean", s.mean[i], c)
				checkGuard(t, "variance", s.variance[i], c)
				checkGuard(t, "y", s.y[i], m*c)
			}
			mean, variance, y := g.mean[3], g.variance[3], g.y[3]
			back := func(simd, relu bool) (dx, dres, dg, db []float32) {
				useSIMD = simd
				dx, dg, db = guarded(m*c), guarded(c), guarded(c)
				if !relu {
					BatchNormBackward(dx, dg, db, dy, x, gamma, mean, variance, m, c, bnEps)
					return dx, nil, dg, db
				}
				dres = guarded(m * c)
				BatchNormReLUBackward(dx, dres, dg, db, dy, y, x, gamma, mean, variance, m, c, bnEps)
				return dx, dres, dg, db
			}
			for _, relu := range []bool{false, true} {
				gdx, gres, gdg, gdb := back(false, relu)
				sdx, sres, sdg, sdb := back(true, relu)
				checkSlice(t, "dx", sdx, to64(gdx[:m*c]), 1e-5, 1e-5)
				checkSlice(t, "dgamma", sdg, to64(gdg[:c]), 1e-5, 1e-5)
				checkSlice(t, "dbeta", sdb, to64(gdb[:c]), 1e-5, 1e-5)
				checkGuard(t, "dx", sdx, m*c)
				checkGuard(t, "dgamma", sdg, c)
				checkGuard(t, "dbeta", sdb, c)
				if relu {
					checkSlice(t, "dres", sres, to64(gres[:m*c]), 0, 0)
					checkGuard(t, "dres", sres, m*c)
				}
			}
		})
	}
}
