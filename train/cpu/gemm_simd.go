package cpu

import "sync"

// The SIMD GEMM path: register-tiled micro-kernels in assembly (gen_kernels.go writes
// them) driven from Go. A kernel computes one MR×NR tile of C over a chunk of k; it
// reads A in place, row-major or transposed, and B in place as a k×n row-major matrix
// (op(B) = Bᵀ is first transposed into a pooled buffer), so nothing is packed when
// neither operand is transposed — which is how the convolutions call it. The tiles of a
// chunk of k sweep the columns of C, one NR-wide panel of B at a time (it stays in L1),
// over blocks of gemmMC rows of A (they stay in L2). Tiles that overhang m or n run the
// same kernel on zero-padded copies.

// useSIMD reports whether Sgemm and the convolutions use the SIMD kernels; it is a
// variable so that the tests can check the pure-Go path on the same machine.
var useSIMD = hasFMA

// useAVX512 reports whether the SIMD path may use the 16-lane AVX-512 kernels (a
// variable for the tests, like useSIMD).
var useAVX512 = hasAVX512

// The kernels (callKernel runs kernel number id) compute C[i][j] = alpha·Σ_{l<k}
// A(i,l)·b[l·ldb+j] (+ C[i][j] when acc) for i < MR, j < NR, with A(i,l) =
// a[i·lda+l] for the row kernels and a[l·lda+i] for the column kernels.

// kernelFamily is a set of kernels of one height MR and one form of A, widest first.
// tail, if not nil, is a family of lower kernels with the same widths for the rows
// left over below a multiple of MR.
type kernelFamily struct {
	mr   int
	col  bool // A(i,l) = a[l·lda+i]
	nr   []int
	kern []int // kernel numbers
	tail *kernelFamily
}

var (
	famR4  = kernelFamily{4, false, []int{16, 8}, []int{idkernr4x16, idkernr4x8}, nil}
	famC4  = kernelFamily{4, true, []int{16, 8}, []int{idkernc4x16, idkernc4x8}, nil}
	famR6  = kernelFamily{6, false, []int{16, 8}, []int{idkernr6x16, idkernr6x8}, &famR4}
	famC6  = kernelFamily{6, true, []int{16, 8}, []int{idkernc6x16, idkernc6x8}, &famC4}
	famC4n = kernelFamily{4, true, []int{8}, []int{idkernc4x8}, nil}
	famC8  = kernelFamily{8, true, []int{8}, []int{idkernc8x8}, &famC4n}
	famR4z = kernelFamily{4, false, []int{32, 16, 8}, []int{idkernr4x32z, idkernr4x16z, idkernr4x8}, nil}
	famC4z = kernelFamily{4, true, []int{32, 16, 8}, []int{idkernc4x32z, idkernc4x16z, idkernc4x8}, nil}
	famR8z = kernelFamily{8, false, []int{32, 16, 8}, []int{idkernr8x32z, idkernr8x16z, idkernr8x8}, &famR4z}
	famC8z = kernelFamily{8, true, []int{32, 16, 8}, []int{idkernc8x32z, idkernc8x16z, idkernc8x8}, &famC4z}
	famR12 = kernelFamily{12, false, []int{32, 16, 8}, []int{idkernr12x32z, idkernr12x16z, idkernr12x8}, &famR8z}
	famC12 = kernelFamily{12, true, []int{32, 16, 8}, []int{idkernc12x32z, idkernc12x16z, idkernc12x8}, &famC8z}
	famR4n = kernelFamily{4, false, []int{8}, []int{idkernr4x8}, nil}
	famR8n = kernelFamily{8, false, []int{8}, []int{idkernr8x8}, &famR4n}
	famRn  = kernelFamily{12, false, []int{8}, []int{idkernr12x8}, &famR8n}
)

// pickFamily chooses the kernels for an m×n tile of C: 16-lane AVX-512 kernels where
// C is wide enough to fill them, the 8-row kernels for a C of 8·j rows (a grouped
// convolution's weight gradient with 8 output channels per group), which 6-row tiles
// would leave a 2-row edge tile, 12 rows of AVX2 for a C of 8 columns, 6 rows otherwise.
func pickFamily(colA bool, m, n int) *kernelFamily {
	switch {
	case useAVX512 && n >= 32 && m >= 12:
		if colA {
			return &famC12
		}
		return &famR12
	case useAVX512 && colA && m%8 == 0 && m%6 != 0 && n >= 16:
		return &famC8z
	case colA && m%8 == 0 && m%6 != 0:
		return &famC8
	case !colA && n <= 8 && m >= 12:
		// 8 columns (a grouped convolution with 8 output channels per group): 12
		// accumulators of 8 lanes keep both FMA units busy where 6 wait on latency.
		return &famRn
	case colA:
		return &famC6
	}
	return &famR6
}

const (
	gemmKC = 256 // k chunk: a B panel of gemmKC×32 floats stays in L1
	gemmMC = 96  // rows per block: an A block of gemmMC×gemmKC floats stays in L2
	gemmNC = 512 // columns per transposed B chunk
)

// btPool holds the buffers that op(B) = Bᵀ is transposed into, chunk by chunk (at
// most gemmKC×gemmNC values).
var btPool = sync.Pool{New: func() any { return new([]float32) }}

// sgemmSIMD is sgemmSerial on the SIMD kernels (same arguments, trusted).
func sgemmSIMD(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if beta != 0 && beta != 1 {
		scaleC(m, n, beta, c, ldc)
	}
	acc := beta != 0
	if !transB {
		gemmSIMD(transA, m, n, k, alpha, a, lda, b, ldb, acc, c, ldc)
		return
	}
	buf := btPool.Get().(*[]float32)
	if need := min(k, gemmKC) * min(n, gemmNC); cap(*buf) < need {
		*buf = make([]float32, need)
	}
	bt := (*buf)[:cap(*buf)]
	for l0 := 0; l0 < k; l0 += gemmKC {
		kb := min(gemmKC, k-l0)
		ao := l0
		if transA {
			ao = l0 * lda
		}
		for j0 := 0; j0 < n; j0 += gemmNC {
			nb := min(gemmNC, n-j0)
			// op(B) rows l0.. and columns j0..: b[j][l] → bt[l−l0][j−j0].
			transposeBlock(bt, nb, b[j0*ldb+l0:], ldb, nb, kb)
			gemmSIMD(transA, m, nb, kb, alpha, a[ao:], lda, bt, nb, acc || l0 > 0, c[j0:], ldc)
		}
	}
	btPool.Put(buf)
}

// gemmSIMD computes C = alpha·op(A)·B (+ C when acc) for m×n C, k >= 1, op(A) = A
// (a is m×k) or Aᵀ (transA: a is k×m), B k×n row-major; strides in elements.
func gemmSIMD(transA bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, acc bool, c []float32, ldc int) {
	fam := pickFamily(transA, m, n)
	for l0 := 0; l0 < k; l0 += gemmKC {
		kb := min(gemmKC, k-l0)
		accK := acc || l0 > 0
		for i0 := 0; i0 < m; i0 += gemmMC {
			ib := min(gemmMC, m-i0)
			for j0 := 0; j0 < n; {
				f := 0
				for f < len(fam.nr)-1 && fam.nr[f] > n-j0 {
					f++
				}
				nr := fam.nr[f]
				nb := min(nr, n-j0)
				bp := b[l0*ldb+j0:]
				for i, mb := i0, 0; i < i0+ib; i += mb {
					rf := fam
					for rf.tail != nil && i0+ib-i < rf.mr {
						rf = rf.tail
					}
					mr, kern := rf.mr, rf.kern[f]
					mb = min(mr, i0+ib-i)
					var ap []float32
					if transA {
						ap = a[l0*lda+i:]
					} else {
						ap = a[i*lda+l0:]
					}
					cp := c[i*ldc+j0:]
					if mb == mr && nb == nr {
						// Bounds of the kernel's reads and writes, checked here once.
						if transA {
							_ = ap[(kb-1)*lda+mr-1]
						} else {
							_ = ap[(mr-1)*lda+kb-1]
						}
						_ = bp[(kb-1)*ldb+nr-1]
						_ = cp[(mr-1)*ldc+nr-1]
						callKernel(kern, kb, &ap[0], lda, &bp[0], ldb, &cp[0], ldc, alpha, accK)
						continue
					}
					edgeTile(kern, mr, nr, mb, nb, kb, transA, alpha, ap, lda, bp, ldb, accK, cp, ldc)
				}
				j0 += nb
			}
		}
	}
}

// edgeTile runs kern on zero-padded copies for an mb×nb tile, mb <= mr <= 12,
// nb <= nr, where nr = 8 whenever nb < nr (the narrowest kernel takes the last
// columns), and kb <= gemmKC. The copies live on the stack (22 KiB).
func edgeTile(kern int, mr, nr, mb, nb, kb int, transA bool, alpha float32, a []float32, lda int, b []float32, ldb int, acc bool, c []float32, ldc int) {
	var bufA [12 * gemmKC]float32
	var bufB [gemmKC * 8]float32
	var bufC [12 * 32]float32
	ap, ald := a, lda
	if mb < mr {
		ta := bufA[:mr*kb]
		if transA {
			for l := 0; l < kb; l++ {
				row := ta[l*mr:][:mr]
				copy(row, a[l*lda:][:mb])
				clear(row[mb:])
			}
			ald = mr
		} else {
			for i := 0; i < mb; i++ {
				copy(ta[i*kb:][:kb], a[i*lda:][:kb])
			}
			clear(ta[mb*kb:])
			ald = kb
		}
		ap = ta
	}
	bp, bld := b, ldb
	if nb < nr {
		tb := bufB[:kb*nr]
		for l := 0; l < kb; l++ {
			row := tb[l*nr:][:nr]
			copy(row, b[l*ldb:][:nb])
			clear(row[nb:])
		}
		bp, bld = tb, nr
	} else {
		_ = bp[(kb-1)*ldb+nr-1]
	}
	if transA {
		_ = ap[(kb-1)*ald+mr-1]
	} else {
		_ = ap[(mr-1)*ald+kb-1]
	}
	tc := bufC[:mr*nr]
	callKernel(kern, kb, &ap[0], ald, &bp[0], bld, &tc[0], nr, alpha, false)
	for i := 0; i < mb; i++ {
		row, t := c[i*ldc:][:nb], tc[i*nr:][:nb]
		if acc {
			for j, v := range t {
				row[j] += v
			}
		} else {
			copy(row, t)
		}
	}
}
