package cpu

import (
	"math"

	"github.com/ddstools/dds/train/engine"
	"github.com/ddstools/dds/train/engine/enginetest"
)

// Naive float64 references, straight from the definitions, that the kernels are tested against.

// refGemm returns alpha·op(A)·op(B) + beta·C as an m×n matrix with row stride ldc
// (values between the rows copied from c).
func refGemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) []float64 {
	out := to64(c)
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s float64
			for l := 0; l < k; l++ {
				ai, bi := i*lda+l, l*ldb+j
				if transA {
					ai = l*lda + i
				}
				if transB {
					bi = j*ldb + l
				}
				av, bv := a[ai], b[bi]
				s += float64(av) * float64(bv)
			}
			old := 0.0
			if beta != 0 {
				old = float64(beta) * float64(c[i*ldc+j])
			}
			out[i*ldc+j] = float64(alpha)*s + old
		}
	}
	return out
}

func refConvForward(x, w []float32, s ConvShape) []float64 {
	y := make([]float64, s.OutLen())
	enginetest.ConvTaps(engine.Conv(s), func(xi, yi, wi int) { y[yi] += float64(w[wi]) * float64(x[xi]) })
	return y
}

func refConvBackwardData(dy, w []float32, s ConvShape) []float64 {
	dx := make([]float64, s.InLen())
	enginetest.ConvTaps(engine.Conv(s), func(xi, yi, wi int) { dx[xi] += float64(w[wi]) * float64(dy[yi]) })
	return dx
}

func refConvBackwardWeight(dy, x []float32, s ConvShape) []float64 {
	dw := make([]float64, s.WeightLen())
	enginetest.ConvTaps(engine.Conv(s), func(xi, yi, wi int) { dw[wi] += float64(dy[yi]) * float64(x[xi]) })
	return dw
}

// refBatchNorm returns the training-mode output of batch norm (plus residual and ReLU
// when asked) with the batch mean and biased variance.
func refBatchNorm(x, res, gamma, beta []float32, m, c int, eps float64, relu bool) (y, mean, variance []float64) {
	y = make([]float64, m*c)
	mean = make([]float64, c)
	variance = make([]float64, c)
	for ch := 0; ch < c; ch++ {
		for r := 0; r < m; r++ {
			mean[ch] += float64(x[r*c+ch])
		}
		mean[ch] /= float64(m)
		for r := 0; r < m; r++ {
			d := float64(x[r*c+ch]) - mean[ch]
			variance[ch] += d * d
		}
		variance[ch] /= float64(m)
		for r := 0; r < m; r++ {
			v := float64(gamma[ch])*(float64(x[r*c+ch])-mean[ch])/math.Sqrt(variance[ch]+eps) + float64(beta[ch])
			if res != nil {
				v += float64(res[r*c+ch])
			}
			if relu {
				v = math.Max(0, v)
			}
			y[r*c+ch] = v
		}
	}
	return y, mean, variance
}

// refBatchNormBackward returns dx, dgamma, dbeta of plain (unfused) training batch norm
// by the textbook formula.
func refBatchNormBackward(dy, x, gamma []float32, m, c int, eps float64) (dx, dgamma, dbeta []float64) {
	dx = make([]float64, m*c)
	dgamma = make([]float64, c)
	dbeta = make([]float64, c)
	_, mean, variance := refBatchNorm(x, nil, gamma, gamma, m, c, eps, false)
	for ch := 0; ch < c; ch++ {
		istd := 1 / math.Sqrt(variance[ch]+eps)
		for r := 0; r < m; r++ {
			xh := (float64(x[r*c+ch]) - mean[ch]) * istd
			dbeta[ch] += float64(dy[r*c+ch])
			dgamma[ch] += float64(dy[r*c+ch]) * xh
		}
		for r := 0; r < m; r++ {
			xh := (float64(x[r*c+ch]) - mean[ch]) * istd
			dx[r*c+ch] = float64(gamma[ch]) * istd / float64(m) *
				(float64(m)*float64(dy[r*c+ch]) - dbeta[ch] - xh*dgamma[ch])
		}
	}
	return dx, dgamma, dbeta
}
