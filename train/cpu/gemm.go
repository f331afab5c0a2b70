package cpu

import (
	"fmt"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// Sgemm computes C = alpha·op(A)·op(B) + beta·C on row-major matrices, where op(X) is
// X, or Xᵀ when the matching trans flag is set. op(A) is m×k, op(B) is k×n, C is m×n.
//
//	a: m×k with row stride lda >= k, or k×m with lda >= m when transA
//	b: k×n with row stride ldb >= n, or n×k with ldb >= k when transB
//	c: m×n with row stride ldc >= n
//
// With beta == 0, C is overwritten without being read (NaNs in it do not propagate).
// Sgemm splits C over Workers() goroutines. It panics if a dimension is negative,
// a stride too small or a slice too short.
//
// On amd64 with AVX2 and FMA, Sgemm runs the SIMD micro-kernels of gemm_simd.go
// (AVX-512 ones for C at least 32 columns wide where the CPU has AVX-512F): 190–250
// GFLOP/s on BenchmarkSgemm's shapes on 2 cores of the development machine against
// 16–32 for the code below. Elsewhere, which code runs was chosen by measurement on the 2-core development machine (Xeon,
// 2.6 GHz), timing both on the same shapes, interleaved (GFLOP/s; "v3" is gemmGo built
// with GOAMD64=v3, where Go fuses x*y + z into FMA instructions):
//
//	shape (m×n×k)              gemmGo   gemmGo v3   gonum
//	A·Bᵀ 100352×16×16, 2 cores    8.3                5.2
//	A·Bᵀ 6272×64×32, 2 cores      8.6               13.2
//	A·Bᵀ 56×8×72, 1 core          6.8      10.9     16.3
//	A·B  100352×16×16, 2 cores    8.6                4.4
//	A·B  6272×64×32, 2 cores      7.9               11.5
//	A·B  56×72×8, 1 core          5.6      11.0      7.6
//	A·B  128×368×10, 1 core       5.6      10.6      7.4
//	Aᵀ·B 10×368×128, 1 core       6.2      10.2      8.0
//
// gonum's inner loops are SSE assembly dot products (A·Bᵀ) and axpys (the other forms),
// which win once those vectors are long; gemmGo, a scalar 2×4 register tile, wins on
// short ones, and with fused multiply-adds against every axpy. So gonum runs A·Bᵀ with
// k >= 32 and, without FMA, A·B with n >= 64 or n, k >= 32 and Aᵀ·B with n >= 64;
// gemmGo runs the rest. (See also ConvBackwardWeight, which avoids Aᵀ·B with long k
// altogether.)
func Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	checkGemm(transA, transB, m, n, k, a, lda, b, ldb, c, ldc)
	if m == 0 || n == 0 {
		return
	}
	if alpha == 0 || k == 0 {
		scaleC(m, n, beta, c, ldc)
		return
	}
	// Split C over the workers, at least gemmGrain multiply-adds each; each part runs
	// sgemmSerial. (Calling gonum's own parallel Sgemm instead, which starts a goroutine
	// per 64×64 block of C, measured 5–30% slower and allocated per block.)
	workers := min(Workers(), m*n*k/gemmGrain)
	// Units of rows and columns that the register tiles divide: 2×4 for gemmGo, 24
	// rows (6, 8 and 12 divide it) and 32 columns for the SIMD kernels.
	ru, cu := 2, 4
	if useSIMD {
		ru, cu = 24, 32
	}
	if m >= n || m >= 4*ru*Workers() {
		ParallelN((m+ru-1)/ru, workers, func(_, lo, hi int) {
			i0, i1 := ru*lo, min(ru*hi, m)
			sgemmSerial(transA, transB, i1-i0, n, k, alpha, rowsOf(transA, a, lda, i0), lda, b, ldb, beta, c[i0*ldc:], ldc)
		})
		return
	}
	// Few rows, many columns: split the columns of C.
	ParallelN((n+cu-1)/cu, workers, func(_, lo, hi int) {
		j0, j1 := cu*lo, min(cu*hi, n)
		sgemmSerial(transA, transB, m, j1-j0, k, alpha, a, lda, colsOf(transB, b, ldb, j0), ldb, beta, c[j0:], ldc)
	})
}

// gemmGrain is the least number of multiply-adds worth a goroutine in Sgemm.
const gemmGrain = 1 << 16

// simdMin is the least number of multiply-adds for which sgemmSerial uses the SIMD
// kernels; smaller products run gemmGo, which has no tile set-up.
const simdMin = 512

// sgemmSerial is Sgemm on the calling goroutine, for kernels that already run inside
// Parallel. Arguments are trusted (the caller derived them from checked shapes).
func sgemmSerial(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if m == 0 || n == 0 {
		return
	}
	if useSIMD && k > 0 && m*n*k >= simdMin {
		sgemmSIMD(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	if !gonumFaster(transA, transB, n, k) {
		scaleC(m, n, beta, c, ldc)
		gemmGo(transA, transB, m, n, k, alpha, a, lda, b, ldb, c, ldc)
		return
	}
	// gonum goes parallel from 4 blocks of 64×64 on; blocks of at most 64 rows and
	// 192 columns keep it on this goroutine.
	impl := gonum.Implementation{}
	for i0 := 0; i0 < m; i0 += 64 {
		mb := min(64, m-i0)
		for j0 := 0; j0 < n; j0 += 192 {
			nb := min(192, n-j0)
			impl.Sgemm(blasTrans(transA), blasTrans(transB), mb, nb, k, alpha,
				rowsOf(transA, a, lda, i0), lda, colsOf(transB, b, ldb, j0), ldb, beta, c[i0*ldc+j0:], ldc)
		}
	}
}

// gonumFaster reports whether gonum's Sgemm beats gemmGo for this form and shape.
func gonumFaster(transA, transB bool, n, k int) bool {
	switch {
	case !transA && transB:
		return k >= 32
	case !transA && !transB:
		return !fusedMultiplyAdd && (n >= 64 || (n >= 32 && k >= 32))
	case transA && !transB:
		return !fusedMultiplyAdd && n >= 64
	}
	return false
}

func blasTrans(t bool) blas.Transpose {
	if t {
		return blas.Trans
	}
	return blas.NoTrans
}

// rowsOf returns a starting at row i0 of op(A).
func rowsOf(trans bool, a []float32, lda, i0 int) []float32 {
	if trans {
		return a[i0:]
	}
	return a[i0*lda:]
}

// colsOf returns b starting at column j0 of op(B).
func colsOf(trans bool, b []float32, ldb, j0 int) []float32 {
	if trans {
		return b[j0*ldb:]
	}
	return b[j0:]
}

// scaleC sets the m×n matrix c to beta·c (to zero, without reading it, when beta == 0).
func scaleC(m, n int, beta float32, c []float32, ldc int) {
	if beta == 1 {
		return
	}
	for i := 0; i < m; i++ {
		row := c[i*ldc:][:n]
		if beta == 0 {
			clear(row)
			continue
		}
		for j := range row {
			row[j] *= beta
		}
	}
}

func checkGemm(transA, transB bool, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	if m < 0 || n < 0 || k < 0 {
		panic(fmt.Sprintf("cpu: Sgemm: negative dimension m=%d n=%d k=%d", m, n, k))
	}
	ar, ac := m, k // rows and columns of A as stored
	if transA {
		ar, ac = k, m
	}
	br, bc := k, n
	if transB {
		br, bc = n, k
	}
	need := func(name string, rows, cols, ld, have int) {
		if ld < max(1, cols) {
			panic(fmt.Sprintf("cpu: Sgemm: ld%s=%d < %d columns", name, ld, cols))
		}
		if rows > 0 && cols > 0 && have < (rows-1)*ld+cols {
			panic(fmt.Sprintf("cpu: Sgemm: len(%s)=%d < %d for %d×%d with stride %d", name, have, (rows-1)*ld+cols, rows, cols, ld))
		}
	}
	if m > 0 && n > 0 && k > 0 {
		need("a", ar, ac, lda, len(a))
		need("b", br, bc, ldb, len(b))
	}
	need("c", m, n, ldc, len(c))
}

// gemmGo computes C += alpha·op(A)·op(B) on the calling goroutine with a 2×4 register
// tile: each step of the k loop loads two values of op(A) and four of op(B) and does
// eight multiply-adds, which keeps scalar Go close to the two floating-point operations
// per cycle the hardware allows without SIMD. The k loop is cut into chunks of kc so
// the panels being reused stay in the L1/L2 caches. The A·Bᵀ and A·B forms, the ones
// the convolutions use, sweep a whole pair of rows per call (pairNT, pairNN) to keep
// the per-tile overhead low at small k.
func gemmGo(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	const kc = 256
	for l0 := 0; l0 < k; l0 += kc {
		kb := min(kc, k-l0)
		i := 0
		for ; i+2 <= m; i += 2 {
			c0, c1 := c[i*ldc:][:n], c[(i+1)*ldc:][:n]
			switch {
			case !transA && transB:
				pairNT(a[i*lda+l0:][:kb], a[(i+1)*lda+l0:][:kb], b[l0:], ldb, c0, c1, alpha)
				continue
			case !transA && !transB:
				pairNN(a[i*lda+l0:][:kb], a[(i+1)*lda+l0:][:kb], b[l0*ldb:], ldb, c0, c1, alpha)
				continue
			}
			j := 0
			for ; j+4 <= n; j += 4 {
				var s [8]float32
				if !transB {
					s = tileTN(a[l0*lda+i:], lda, b[l0*ldb+j:], ldb, kb)
				} else {
					s = tileTT(a[l0*lda+i:], lda,
						b[j*ldb+l0:][:kb], b[(j+1)*ldb+l0:][:kb], b[(j+2)*ldb+l0:][:kb], b[(j+3)*ldb+l0:][:kb])
				}
				q0, q1 := c0[j:j+4:j+4], c1[j:j+4:j+4]
				q0[0] += alpha * s[0]
				q0[1] += alpha * s[1]
				q0[2] += alpha * s[2]
				q0[3] += alpha * s[3]
				q1[0] += alpha * s[4]
				q1[1] += alpha * s[5]
				q1[2] += alpha * s[6]
				q1[3] += alpha * s[7]
			}
			for ; j < n; j++ {
				c0[j] += alpha * dotOp(transA, transB, i, j, l0, kb, a, lda, b, ldb)
				c1[j] += alpha * dotOp(transA, transB, i+1, j, l0, kb, a, lda, b, ldb)
			}
		}
		for ; i < m; i++ {
			for j := 0; j < n; j++ {
				c[i*ldc+j] += alpha * dotOp(transA, transB, i, j, l0, kb, a, lda, b, ldb)
			}
		}
	}
}

// pairNT adds alpha·Σ_l a_r[l]·b[j·ldb + l] to c_r[j] for the two rows r = 0, 1 and
// every column j < len(c0); a0 and a1 have the same length.
func pairNT(a0, a1, b []float32, ldb int, c0, c1 []float32, alpha float32) {
	kb := len(a0)
	a1 = a1[:kb]
	c1 = c1[:len(c0)]
	j := 0
	for ; j+4 <= len(c0); j += 4 {
		b0 := b[j*ldb:][:kb]
		b1 := b[(j+1)*ldb:][:kb]
		b2 := b[(j+2)*ldb:][:kb]
		b3 := b[(j+3)*ldb:][:kb]
		var s00, s01, s02, s03, s10, s11, s12, s13 float32
		for l, x0 := range a0 {
			x1 := a1[l]
			y0, y1, y2, y3 := b0[l], b1[l], b2[l], b3[l]
			s00 += x0 * y0
			s01 += x0 * y1
			s02 += x0 * y2
			s03 += x0 * y3
			s10 += x1 * y0
			s11 += x1 * y1
			s12 += x1 * y2
			s13 += x1 * y3
		}
		q0, q1 := c0[j:j+4:j+4], c1[j:j+4:j+4]
		q0[0] += alpha * s00
		q0[1] += alpha * s01
		q0[2] += alpha * s02
		q0[3] += alpha * s03
		q1[0] += alpha * s10
		q1[1] += alpha * s11
		q1[2] += alpha * s12
		q1[3] += alpha * s13
	}
	for ; j < len(c0); j++ {
		bj := b[j*ldb:][:kb]
		var s0, s1 float32
		for l, y := range bj {
			s0 += a0[l] * y
			s1 += a1[l] * y
		}
		c0[j] += alpha * s0
		c1[j] += alpha * s1
	}
}

// pairNN adds alpha·Σ_l a_r[l]·b[l·ldb + j] to c_r[j] for the two rows r = 0, 1 and
// every column j < len(c0); a0 and a1 have the same length.
func pairNN(a0, a1, b []float32, ldb int, c0, c1 []float32, alpha float32) {
	kb := len(a0)
	a1 = a1[:kb]
	c1 = c1[:len(c0)]
	n := len(c0)
	j := 0
	for ; j+4 <= n; j += 4 {
		var s00, s01, s02, s03, s10, s11, s12, s13 float32
		off := j
		for l, x0 := range a0 {
			x1 := a1[l]
			q := b[off : off+4 : off+4]
			off += ldb
			y0, y1, y2, y3 := q[0], q[1], q[2], q[3]
			s00 += x0 * y0
			s01 += x0 * y1
			s02 += x0 * y2
			s03 += x0 * y3
			s10 += x1 * y0
			s11 += x1 * y1
			s12 += x1 * y2
			s13 += x1 * y3
		}
		q0, q1 := c0[j:j+4:j+4], c1[j:j+4:j+4]
		q0[0] += alpha * s00
		q0[1] += alpha * s01
		q0[2] += alpha * s02
		q0[3] += alpha * s03
		q1[0] += alpha * s10
		q1[1] += alpha * s11
		q1[2] += alpha * s12
		q1[3] += alpha * s13
	}
	for ; j < n; j++ {
		var s0, s1 float32
		for l, x0 := range a0 {
			y := b[l*ldb+j]
			s0 += x0 * y
			s1 += a1[l] * y
		}
		c0[j] += alpha * s0
		c1[j] += alpha * s1
	}
}

// dotOp returns Σ_{l0<=l<l0+kb} op(A)[i,l]·op(B)[l,j], for the edges of gemmGo.
func dotOp(transA, transB bool, i, j, l0, kb int, a []float32, lda int, b []float32, ldb int) float32 {
	ai, as := i*lda+l0, 1
	if transA {
		ai, as = l0*lda+i, lda
	}
	bi, bs := l0*ldb+j, ldb
	if transB {
		bi, bs = j*ldb+l0, 1
	}
	var s float32
	for l := 0; l < kb; l++ {
		s += a[ai+l*as] * b[bi+l*bs]
	}
	return s
}

// tileTN returns the 2×4 tile Σ_{l<kb} a[l·lda+r]·b[l·ldb+c].
func tileTN(a []float32, lda int, b []float32, ldb, kb int) (s [8]float32) {
	var s00, s01, s02, s03, s10, s11, s12, s13 float32
	ao, bo := 0, 0
	for l := 0; l < kb; l++ {
		p := a[ao : ao+2 : ao+2]
		q := b[bo : bo+4 : bo+4]
		ao += lda
		bo += ldb
		x0, x1 := p[0], p[1]
		y0, y1, y2, y3 := q[0], q[1], q[2], q[3]
		s00 += x0 * y0
		s01 += x0 * y1
		s02 += x0 * y2
		s03 += x0 * y3
		s10 += x1 * y0
		s11 += x1 * y1
		s12 += x1 * y2
		s13 += x1 * y3
	}
	return [8]float32{s00, s01, s02, s03, s10, s11, s12, s13}
}

// tileTT returns the 2×4 tile Σ_l a[l·lda+r]·b_c[l]; b0..b3 have the same length.
func tileTT(a []float32, lda int, b0, b1, b2, b3 []float32) (s [8]float32) {
	b1 = b1[:len(b0)]
	b2 = b2[:len(b0)]
	b3 = b3[:len(b0)]
	var s00, s01, s02, s03, s10, s11, s12, s13 float32
	ao := 0
	for l, y0 := range b0 {
		p := a[ao : ao+2 : ao+2]
		ao += lda
		x0, x1 := p[0], p[1]
		y1, y2, y3 := b1[l], b2[l], b3[l]
		s00 += x0 * y0
		s01 += x0 * y1
		s02 += x0 * y2
		s03 += x0 * y3
		s10 += x1 * y0
		s11 += x1 * y1
		s12 += x1 * y2
		s13 += x1 * y3
	}
	return [8]float32{s00, s01, s02, s03, s10, s11, s12, s13}
}
