package cpu

import (
	"fmt"
	"math"
	"sync"
)

// Batch normalisation over NHWC activations seen as x [m][c]: m = N·H·W rows of c
// channels, statistics per channel over the m rows. Per-channel vectors (gamma, beta,
// mean, variance, running statistics, dgamma, dbeta) have c values.
//
// Training step: BatchNormStats, BatchNormUpdateRunning, BatchNormApply (or the three
// at once with BatchNormTrainForward); backward with BatchNormBackward, or with
// BatchNormReLUBackward after a fused BatchNormApply(relu = true).
// Evaluation: BatchNormEvalForward (BatchNormApply with the running statistics).

// bnBlock is how many channels the kernels handle at once with coefficients and sums
// in stack arrays.
const bnBlock = 64

// BatchNormStats computes the batch statistics of x [m][c], m >= 1:
//
//	mean[c]     = 1/m Σ_r x[r,c]
//	variance[c] = 1/m Σ_r (x[r,c] − mean[c])²      (biased, as used for normalising)
//
// Sums run in float64. Rows are split over the workers.
func BatchNormStats(mean, variance, x []float32, m, c int) {
	checkBN("BatchNormStats", m, c, x, m*c, mean, c, variance, c)
	x = x[:m*c]
	sums := reduceRows(m, c, func(lo, hi int, sx, sq []float64) {
		for c0 := 0; c0 < c; c0 += bnBlock {
			nb := min(bnBlock, c-c0)
			var s, q [bnBlock]float64
			sb, qb := s[:nb], q[:nb]
			k0 := 0
			if useSIMD && nb >= 4 {
				k0 = nb &^ 3
				bnStatsRows(&x[lo*c+c0], hi-lo, c, k0, &sb[0], &qb[0])
			}
			for r := lo; r < hi; r++ {
				for k := k0; k < nb; k++ {
					f := float64(x[r*c+c0+k])
					sb[k] += f
					qb[k] += f * f
				}
			}
			copy(sx[c0:], sb)
			copy(sq[c0:], qb)
		}
	})
	sx, sq := (*sums)[:c], (*sums)[c:2*c]
	for k := range sx {
		mu := sx[k] / float64(m)
		mean[k] = float32(mu)
		variance[k] = float32(max(0, sq[k]/float64(m)-mu*mu))
	}
	f64Pool.Put(sums)
}

// f64Pool holds the per-worker float64 partial sums of reduceRows, so that batch
// normalisation allocates nothing once warm.
var f64Pool = sync.Pool{New: func() any { return new([]float64) }}

// reduceRows splits the rows [0, m) over the workers; fn(lo, hi, s, q) writes the
// per-channel sums of two quantities over rows lo..hi−1 into s[:c] and q[:c]. It returns
// the totals as a pooled slice, s in [0, c) and q in [c, 2c), for the caller to Put back
// into f64Pool.
func reduceRows(m, c int, fn func(lo, hi int, s, q []float64)) *[]float64 {
	workers := max(1, min(Workers(), m, m*c/elementGrain))
	buf := f64Pool.Get().(*[]float64)
	if cap(*buf) < 2*c*workers {
		*buf = make([]float64, 2*c*workers)
	}
	parts := (*buf)[:2*c*workers]
	ParallelN(m, workers, func(w, lo, hi int) {
		fn(lo, hi, parts[2*c*w:][:c], parts[2*c*w+c:][:c])
	})
	for w := 1; w < workers; w++ {
		for k, v := range parts[2*c*w:][:2*c] {
			parts[k] += v
		}
	}
	return buf
}

// BatchNormUpdateRunning folds the batch statistics of m rows (c channels) into the running ones as
// PyTorch does, with the unbiased variance (the biased one when m = 1):
//
//	runMean[c] = (1 − momentum)·runMean[c] + momentum·mean[c]
//	runVar[c]  = (1 − momentum)·runVar[c]  + momentum·variance[c]·m/(m − 1)
func BatchNormUpdateRunning(runMean, runVar, mean, variance []float32, m, c int, momentum float32) {
	checkBN("BatchNormUpdateRunning", m, c, runMean, c, runVar, c, mean, c, variance, c)
	unbias := 1.0
	if m > 1 {
		unbias = float64(m) / float64(m-1)
	}
	mo := float64(momentum)
	for k := 0; k < c; k++ {
		runMean[k] = float32((1-mo)*float64(runMean[k]) + mo*float64(mean[k]))
		runVar[k] = float32((1-mo)*float64(runVar[k]) + mo*float64(variance[k])*unbias)
	}
}

// BatchNormApply normalises x [m][c] with the given statistics, optionally adding a
// residual res [m][c] (nil for none) and applying ReLU:
//
//	y[r,c] = gamma[c]·(x[r,c] − mean[c])/sqrt(variance[c] + eps) + beta[c]  (+ res[r,c])   (then max(0, ·) if relu)
//
// computed as (x − mean)·scale + beta with scale = gamma/sqrt(variance + eps) per
// channel (subtracting the mean first keeps a constant channel exactly at beta).
// y may be x or res.
// Rows are split over the workers.
func BatchNormApply(y, x, res, gamma, beta, mean, variance []float32, m, c int, eps float32, relu bool) {
	checkBN("BatchNormApply", m, c, y, m*c, x, m*c, gamma, c, beta, c, mean, c, variance, c)
	if res != nil {
		checkBN("BatchNormApply", m, c, res, m*c)
	}
	parallelRows(m, c, func(lo, hi int) {
		for c0 := 0; c0 < c; c0 += bnBlock {
			nb := min(bnBlock, c-c0)
			var scale, shift, centre [bnBlock]float32
			sc, sh, mu := scale[:nb], shift[:nb], centre[:nb]
			for k := range sc {
				inv := 1 / math.Sqrt(float64(variance[c0+k])+float64(eps))
				sc[k] = float32(float64(gamma[c0+k]) * inv)
				sh[k] = beta[c0+k]
				mu[k] = mean[c0+k]
			}
			k0 := 0
			if useSIMD && nb >= 8 {
				k0 = nb &^ 7
				var rp *float32
				if res != nil {
					rp = &res[lo*c+c0]
				}
				bnApplyRows(&y[lo*c+c0], &x[lo*c+c0], rp, &sc[0], &sh[0], &mu[0], hi-lo, c, k0, relu)
				if k0 == nb {
					continue
				}
			}
			sc, sh, mu = sc[k0:], sh[k0:], mu[k0:]
			for r := lo; r < hi; r++ {
				xr := x[r*c+c0+k0:][:nb-k0]
				yr := y[r*c+c0+k0:][:nb-k0]
				switch {
				case res == nil && !relu:
					for k, v := range xr {
						yr[k] = (v-mu[k])*sc[k] + sh[k]
					}
				case res == nil:
					for k, v := range xr {
						yr[k] = max(0, (v-mu[k])*sc[k]+sh[k])
					}
				case !relu:
					rr := res[r*c+c0+k0:][:nb-k0]
					for k, v := range xr {
						yr[k] = (v-mu[k])*sc[k] + sh[k] + rr[k]
					}
				default:
					rr := res[r*c+c0+k0:][:nb-k0]
					for k, v := range xr {
						yr[k] = max(0, (v-mu[k])*sc[k]+sh[k]+rr[k])
					}
				}
			}
		}
	})
}

// BatchNormTrainForward is the unfused training forward pass: BatchNormStats into mean
// and variance (saved for the backward pass), BatchNormUpdateRunning with momentum, and
// BatchNormApply without residual or ReLU.
func BatchNormTrainForward(y, x, gamma, beta, mean, variance, runMean, runVar []float32, m, c int, momentum, eps float32) {
	BatchNormStats(mean, variance, x, m, c)
	BatchNormUpdateRunning(runMean, runVar, mean, variance, m, c, momentum)
	BatchNormApply(y, x, nil, gamma, beta, mean, variance, m, c, eps, false)
}

// BatchNormEvalForward normalises with the running statistics:
// y[r,c] = gamma[c]·(x[r,c] − runMean[c])/sqrt(runVar[c] + eps) + beta[c].
func BatchNormEvalForward(y, x, gamma, beta, runMean, runVar []float32, m, c int, eps float32) {
	BatchNormApply(y, x, nil, gamma, beta, runMean, runVar, m, c, eps, false)
}

// BatchNormBackward is the training-mode backward pass of y = BatchNormApply(x) with
// batch statistics (mean, variance from BatchNormStats of x). With
// istd = 1/sqrt(variance + eps) and xhat = (x − mean)·istd:
//
//	dbeta[c]  = Σ_r dy[r,c]
//	dgamma[c] = Σ_r dy[r,c]·xhat[r,c]
//	dx[r,c]   = gamma[c]·istd[c]/m · (m·dy[r,c] − dbeta[c] − xhat[r,c]·dgamma[c])
//
// dx, dgamma and dbeta are overwritten; dx may be dy.
func BatchNormBackward(dx, dgamma, dbeta, dy, x, gamma, mean, variance []float32, m, c int, eps float32) {
	bnBackward(dx, nil, dgamma, dbeta, dy, nil, x, gamma, mean, variance, m, c, eps)
}

// BatchNormReLUBackward is the backward pass of the fused y = max(0, BN(x) + res) of
// BatchNormApply(relu = true), res optional. The gradient reaching the sum is
// dz = dy where y > 0 and 0 elsewhere; dres (nil when there was no residual) receives
// dz, and dx, dgamma, dbeta are BatchNormBackward with dz. dx may be dy; dres may be dy
// only if dx is not.
func BatchNormReLUBackward(dx, dres, dgamma, dbeta, dy, y, x, gamma, mean, variance []float32, m, c int, eps float32) {
	checkBN("BatchNormReLUBackward", m, c, y, m*c)
	if dres != nil {
		checkBN("BatchNormReLUBackward", m, c, dres, m*c)
	}
	bnBackward(dx, dres, dgamma, dbeta, dy, y, x, gamma, mean, variance, m, c, eps)
}

// bnBackward implements both backward passes; y == nil means no ReLU mask.
func bnBackward(dx, dres, dgamma, dbeta, dy, y, x, gamma, mean, variance []float32, m, c int, eps float32) {
	checkBN("BatchNormBackward", m, c, dx, m*c, dy, m*c, x, m*c, dgamma, c, dbeta, c, gamma, c, mean, c, variance, c)
	// Pass 1, rows split: dbeta = Σ dz, dgamma = istd·Σ dz·(x − mean).
	sums := reduceRows(m, c, func(lo, hi int, sd, sdx []float64) {
		for c0 := 0; c0 < c; c0 += bnBlock {
			nb := min(bnBlock, c-c0)
			var s, q [bnBlock]float64
			var mu [bnBlock]float32
			sb, qb, mb := s[:nb], q[:nb], mu[:nb]
			copy(mb, mean[c0:c0+nb])
			k0 := 0
			if useSIMD && nb >= 4 {
				k0 = nb &^ 3
				var yp *float32
				if y != nil {
					yp = &y[lo*c+c0]
				}
				bnGradSumRows(&dy[lo*c+c0], yp, &x[lo*c+c0], &mb[0], hi-lo, c, k0, &sb[0], &qb[0])
			}
			sb, qb, mb = sb[k0:], qb[k0:], mb[k0:]
			for r := lo; r < hi && k0 < nb; r++ {
				xr := x[r*c+c0+k0:][:nb-k0]
				dr := dy[r*c+c0+k0:][:nb-k0]
				if y == nil {
					for k, d := range dr {
						sb[k] += float64(d)
						qb[k] += float64(d) * float64(xr[k]-mb[k])
					}
					continue
				}
				yr := y[r*c+c0+k0:][:nb-k0]
				for k, d := range dr {
					d = maskPositive(d, yr[k])
					sb[k] += float64(d)
					qb[k] += float64(d) * float64(xr[k]-mb[k])
				}
			}
			copy(sd[c0:], s[:nb])
			copy(sdx[c0:], q[:nb])
		}
	})
	for k, v := range (*sums)[:c] {
		istd := 1 / math.Sqrt(float64(variance[k])+float64(eps))
		dbeta[k] = float32(v)
		dgamma[k] = float32((*sums)[c+k] * istd)
	}
	f64Pool.Put(sums)
	// Pass 2, rows split: dx = a·dz + b·(x − mean) + d with per-channel a, b, d.
	parallelRows(m, c, func(lo, hi int) {
		for c0 := 0; c0 < c; c0 += bnBlock {
			nb := min(bnBlock, c-c0)
			var ca, cb, cd, cm [bnBlock]float32
			a, b, d, mu := ca[:nb], cb[:nb], cd[:nb], cm[:nb]
			for k := range a {
				istd := 1 / math.Sqrt(float64(variance[c0+k])+float64(eps))
				ak := float64(gamma[c0+k]) * istd
				a[k] = float32(ak)
				b[k] = float32(-ak * istd * float64(dgamma[c0+k]) / float64(m))
				d[k] = float32(-ak * float64(dbeta[c0+k]) / float64(m))
				mu[k] = mean[c0+k]
			}
			k0 := 0
			if useSIMD && nb >= 8 {
				k0 = nb &^ 7
				var yp, rp *float32
				if y != nil {
					yp = &y[lo*c+c0]
					if dres != nil {
						rp = &dres[lo*c+c0]
					}
				}
				bnGradRows(&dx[lo*c+c0], rp, &dy[lo*c+c0], yp, &x[lo*c+c0], &a[0], &b[0], &d[0], &mu[0], hi-lo, c, k0)
				if k0 == nb {
					continue
				}
			}
			a, b, d, mu = a[k0:], b[k0:], d[k0:], mu[k0:]
			for r := lo; r < hi; r++ {
				xr := x[r*c+c0+k0:][:nb-k0]
				dr := dy[r*c+c0+k0:][:nb-k0]
				or := dx[r*c+c0+k0:][:nb-k0]
				if y == nil {
					for k, g := range dr {
						or[k] = a[k]*g + b[k]*(xr[k]-mu[k]) + d[k]
					}
					continue
				}
				yr := y[r*c+c0+k0:][:nb-k0]
				var rr []float32
				if dres != nil {
					rr = dres[r*c+c0+k0:][:nb-k0]
				}
				for k, g := range dr {
					g = maskPositive(g, yr[k])
					if rr != nil {
						rr[k] = g
					}
					or[k] = a[k]*g + b[k]*(xr[k]-mu[k]) + d[k]
				}
			}
		}
	})
}

// parallelRows splits the rows [0, m) of an m×c array over the workers, keeping at
// least elementGrain values per goroutine.
func parallelRows(m, c int, fn func(lo, hi int)) {
	ParallelN(m, min(Workers(), m*c/elementGrain), func(_, lo, hi int) { fn(lo, hi) })
}

// checkBN panics unless m >= 1, c >= 1 and each (slice, length) pair has at least that length.
func checkBN(op string, m, c int, pairs ...any) {
	if m < 1 || c < 1 {
		panic(fmt.Sprintf("cpu: %s: m=%d c=%d, want both >= 1", op, m, c))
	}
	for i := 0; i < len(pairs); i += 2 {
		s, n := pairs[i].([]float32), pairs[i+1].(int)
		if len(s) < n {
			panic(fmt.Sprintf("cpu: %s: argument %d has length %d, want %d", op, i/2+1, len(s), n))
		}
	}
}
