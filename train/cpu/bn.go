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

// The SIMD row kernels take the channels in blocks of 8 (a tail of c mod 8 channels
// runs in Go). The reductions walk each block down a chunk of rows with the sums in
// registers; bnChunkRows sizes the chunks so that a chunk of each array read stays in
// L2 while the blocks go over it.
func bnChunkRows(c int) int { return max(8, 16384/c) }

// simdChannels returns how many leading channels of c the SIMD row kernels handle.
func simdChannels(c int) int {
	if !useSIMD {
		return 0
	}
	return c &^ 7
}

// coefPool holds the per-channel coefficient arrays of BatchNormApply and the backward
// pass.
var coefPool = sync.Pool{New: func() any { return new([]float32) }}

func getCoefs(n int) *[]float32 {
	buf := coefPool.Get().(*[]float32)
	if cap(*buf) < n {
		*buf = make([]float32, n)
	}
	*buf = (*buf)[:n]
	return buf
}

// BatchNormStats computes the batch statistics of x [m][c], m >= 1:
//
//	mean[c]     = 1/m Σ_r x[r,c]
//	variance[c] = 1/m Σ_r (x[r,c] − mean[c])²      (biased, as used for normalising)
//
// Sums run in float64. Rows are split over the workers.
func BatchNormStats(mean, variance, x []float32, m, c int) {
	checkBN("BatchNormStats", m, c, x, m*c, mean, c, variance, c)
	x = x[:m*c]
	k0, chunk := simdChannels(c), bnChunkRows(c)
	sums := reduceRows(m, c, func(lo, hi int, sx, sq []float64) {
		clear(sx)
		clear(sq)
		for r0 := lo; r0 < hi && k0 > 0; r0 += chunk {
			rows := min(chunk, hi-r0)
			_ = x[(r0+rows-1)*c+k0-1]
			bnStatsRows(&x[r0*c], rows, c, k0, &sx[0], &sq[0])
		}
		if k0 == c {
			return
		}
		sx, sq = sx[k0:c], sq[k0:c]
		for r := lo; r < hi; r++ {
			for k, v := range x[r*c+k0 : (r+1)*c] {
				f := float64(v)
				sx[k] += f
				sq[k] += f * f
			}
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
	buf := getCoefs(c)
	sc := *buf
	for k := range sc {
		inv := 1 / math.Sqrt(float64(variance[k])+float64(eps))
		sc[k] = float32(float64(gamma[k]) * inv)
	}
	sh, mu := beta[:c], mean[:c]
	k0 := simdChannels(c)
	parallelRows(m, c, func(lo, hi int) {
		if k0 > 0 {
			var rp *float32
			if res != nil {
				rp = &res[lo*c]
				_ = res[(hi-1)*c+k0-1]
			}
			_, _ = x[(hi-1)*c+k0-1], y[(hi-1)*c+k0-1]
			bnApplyRows(&y[lo*c], &x[lo*c], rp, &sc[0], &sh[0], &mu[0], hi-lo, c, k0, relu)
			if k0 == c {
				return
			}
		}
		sc, sh, mu := sc[k0:], sh[k0:], mu[k0:]
		for r := lo; r < hi; r++ {
			xr := x[r*c+k0 : (r+1)*c]
			yr := y[r*c+k0 : (r+1)*c]
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
				rr := res[r*c+k0 : (r+1)*c]
				for k, v := range xr {
					yr[k] = (v-mu[k])*sc[k] + sh[k] + rr[k]
				}
			default:
				rr := res[r*c+k0 : (r+1)*c]
				for k, v := range xr {
					yr[k] = max(0, (v-mu[k])*sc[k]+sh[k]+rr[k])
				}
			}
		}
	})
	coefPool.Put(buf)
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
	k0, chunk := simdChannels(c), bnChunkRows(c)
	sums := reduceRows(m, c, func(lo, hi int, sd, sdx []float64) {
		clear(sd)
		clear(sdx)
		for r0 := lo; r0 < hi && k0 > 0; r0 += chunk {
			rows := min(chunk, hi-r0)
			last := (r0+rows-1)*c + k0 - 1
			_, _ = dy[last], x[last]
			var yp *float32
			if y != nil {
				yp = &y[r0*c]
				_ = y[last]
			}
			bnGradSumRows(&dy[r0*c], yp, &x[r0*c], &mean[0], rows, c, k0, &sd[0], &sdx[0])
		}
		if k0 == c {
			return
		}
		sd, sdx, mu := sd[k0:c], sdx[k0:c], mean[k0:c]
		for r := lo; r < hi; r++ {
			xr := x[r*c+k0 : (r+1)*c]
			dr := dy[r*c+k0 : (r+1)*c]
			if y == nil {
				for k, d := range dr {
					sd[k] += float64(d)
					sdx[k] += float64(d) * float64(xr[k]-mu[k])
				}
				continue
			}
			yr := y[r*c+k0 : (r+1)*c]
			for k, d := range dr {
				d = maskPositive(d, yr[k])
				sd[k] += float64(d)
				sdx[k] += float64(d) * float64(xr[k]-mu[k])
			}
		}
	})
	for k, v := range (*sums)[:c] {
		istd := 1 / math.Sqrt(float64(variance[k])+float64(eps))
		dbeta[k] = float32(v)
		dgamma[k] = float32((*sums)[c+k] * istd)
	}
	f64Pool.Put(sums)
	// Pass 2, rows split: dx = a·dz + b·(x − mean) + d with per-channel a, b, d.
	buf := getCoefs(3 * c)
	a, b, d := (*buf)[:c], (*buf)[c:2*c], (*buf)[2*c:3*c]
	for k := range a {
		istd := 1 / math.Sqrt(float64(variance[k])+float64(eps))
		ak := float64(gamma[k]) * istd
		a[k] = float32(ak)
		b[k] = float32(-ak * istd * float64(dgamma[k]) / float64(m))
		d[k] = float32(-ak * float64(dbeta[k]) / float64(m))
	}
	parallelRows(m, c, func(lo, hi int) {
		if k0 > 0 {
			last := (hi-1)*c + k0 - 1
			_, _, _ = dx[last], dy[last], x[last]
			var yp, rp *float32
			if y != nil {
				yp = &y[lo*c]
				_ = y[last]
				if dres != nil {
					rp = &dres[lo*c]
					_ = dres[last]
				}
			}
			bnGradRows(&dx[lo*c], rp, &dy[lo*c], yp, &x[lo*c], &a[0], &b[0], &d[0], &mean[0], hi-lo, c, k0)
			if k0 == c {
				return
			}
		}
		a, b, d, mu := a[k0:], b[k0:], d[k0:], mean[k0:c]
		for r := lo; r < hi; r++ {
			xr := x[r*c+k0 : (r+1)*c]
			dr := dy[r*c+k0 : (r+1)*c]
			or := dx[r*c+k0 : (r+1)*c]
			if y == nil {
				for k, g := range dr {
					or[k] = a[k]*g + b[k]*(xr[k]-mu[k]) + d[k]
				}
				continue
			}
			yr := y[r*c+k0 : (r+1)*c]
			var rr []float32
			if dres != nil {
				rr = dres[r*c+k0 : (r+1)*c]
			}
			for k, g := range dr {
				g = maskPositive(g, yr[k])
				if rr != nil {
					rr[k] = g
				}
				or[k] = a[k]*g + b[k]*(xr[k]-mu[k]) + d[k]
			}
		}
	})
	coefPool.Put(buf)
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
