package cpu

import (
	"fmt"
	"testing"
)

func TestSgemm(t *testing.T) {
	type tc struct {
		ta, tb      bool
		m, n, k     int
		pad         int // extra row stride on every operand
		alpha, beta float32
	}
	var cases []tc
	for _, ta := range []bool{false, true} {
		for _, tb := range []bool{false, true} {
			cases = append(cases,
				tc{ta, tb, 1, 1, 1, 0, 1, 0},
				tc{ta, tb, 7, 5, 3, 0, 1, 0},      // odd m, n not a multiple of 4
				tc{ta, tb, 9, 13, 300, 2, 0.5, 1}, // k beyond one kc block, padded strides
				tc{ta, tb, 40, 70, 33, 1, 1, 0.5}, // gonum's shapes (k >= 32, n >= 64)
				tc{ta, tb, 3, 67, 16, 0, -1, 0},   // few rows: columns split
				tc{ta, tb, 130, 8, 72, 3, 1, 0},   // many rows, narrow output
				tc{ta, tb, 2, 3, 0, 0, 1, 0.25},   // k = 0 scales C only
				tc{ta, tb, 0, 4, 5, 0, 1, 0},      // empty
			)
		}
	}
	for _, c := range cases {
		name := fmt.Sprintf("tA=%v,tB=%v,%dx%dx%d,pad%d,a%g,b%g", c.ta, c.tb, c.m, c.n, c.k, c.pad, c.alpha, c.beta)
		t.Run(name, func(t *testing.T) {
			r := newRand(uint64(c.m*1000 + c.n*10 + c.k))
			ar, ac := c.m, c.k
			if c.ta {
				ar, ac = c.k, c.m
			}
			br, bc := c.k, c.n
			if c.tb {
				br, bc = c.n, c.k
			}
			lda, ldb, ldc := ac+c.pad, bc+c.pad, c.n+c.pad
			a := randSlice(r, ar*lda, 1)
			b := randSlice(r, br*ldb, 1)
			clen := c.m * ldc
			var cm []float32
			if c.beta == 0 {
				cm = guarded(clen) // NaN: must be overwritten, never read
			} else {
				cm = guardedCopy(randSlice(r, clen, 1))
			}
			want := refGemm(c.ta, c.tb, c.m, c.n, c.k, c.alpha, a, lda, b, ldb, c.beta, cm, ldc)
			for _, serial := range []bool{false, true} {
				got := append([]float32(nil), cm...)
				if serial {
					sgemmSerial(c.ta, c.tb, c.m, c.n, c.k, c.alpha, a, lda, b, ldb, c.beta, got, ldc)
				} else {
					Sgemm(c.ta, c.tb, c.m, c.n, c.k, c.alpha, a, lda, b, ldb, c.beta, got, ldc)
				}
				// Padding columns of C are not part of the result and must keep their values.
				for i := 0; i < c.m; i++ {
					for j := c.n; j < ldc; j++ {
						if i*ldc+j < clen && !sameBits(got[i*ldc+j], cm[i*ldc+j]) {
							t.Errorf("serial=%v: padding C[%d,%d] changed", serial, i, j)
						}
					}
				}
				// float32 sums of k products of values in [−1, 1]: error grows with k.
				checkRows(t, fmt.Sprintf("serial=%v", serial), got, want, c.m, c.n, ldc, 1e-6+2e-7*float64(c.k), 1e-5)
				checkGuard(t, "C", got, clen)
			}
		})
	}
}

func sameBits(a, b float32) bool { return a == b || (a != a && b != b) }

// checkRows compares the m×n matrices (row stride ld) inside got and want.
func checkRows(t *testing.T, name string, got []float32, want []float64, m, n, ld int, abs, rel float64) {
	t.Helper()
	g := make([]float32, 0, m*n)
	w := make([]float64, 0, m*n)
	for i := 0; i < m; i++ {
		g = append(g, got[i*ld:i*ld+n]...)
		w = append(w, want[i*ld:i*ld+n]...)
	}
	checkSlice(t, name, g, w, abs, rel)
}

func TestSgemmPanics(t *testing.T) {
	a := make([]float32, 6)
	for _, c := range []struct {
		name string
		fn   func()
	}{
		{"negative", func() { Sgemm(false, false, -1, 2, 3, 1, a, 3, a, 2, 0, a, 2) }},
		{"short a", func() { Sgemm(false, false, 3, 2, 3, 1, a, 3, a, 2, 0, a, 2) }},
		{"small ldb", func() { Sgemm(false, true, 2, 2, 3, 1, a, 3, a, 2, 0, a, 2) }},
		{"short c", func() { Sgemm(false, false, 2, 4, 1, 1, a, 1, a, 4, 0, a, 4) }},
	} {
		t.Run(c.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("no panic")
				}
			}()
			c.fn()
		})
	}
}

// gemmModes runs fn once per GEMM code path this machine has: the pure-Go kernels, the
// AVX2 kernels, and the AVX2 + AVX-512 kernels.
func gemmModes(t *testing.T, fn func(t *testing.T)) {
	simd, wide := useSIMD, useAVX512
	defer func() { useSIMD, useAVX512 = simd, wide }()
	modes := []struct {
		name       string
		simd, wide bool
	}{{"go", false, false}}
	if hasFMA {
		modes = append(modes, struct {
			name       string
			simd, wide bool
		}{"avx2", true, false})
	}
	if hasAVX512 {
		modes = append(modes, struct {
			name       string
			simd, wide bool
		}{"avx512", true, true})
	}
	for _, md := range modes {
		useSIMD, useAVX512 = md.simd, md.wide
		t.Run(md.name, fn)
	}
}

// TestSgemmShapes compares Sgemm with the float64 reference on many odd shapes, on
// every code path: edge tiles in both directions, k across chunk boundaries, all
// four transpose forms, strides wider than the matrices, alpha and beta.
func TestSgemmShapes(t *testing.T) {
	ms := []int{1, 5, 6, 7, 8, 12, 13, 16, 23, 24, 37, 97, 130}
	ns := []int{1, 3, 8, 9, 15, 16, 17, 24, 31, 32, 33, 47, 72, 100}
	ks := []int{1, 2, 7, 8, 72, 255, 256, 257, 600}
	gemmModes(t, func(t *testing.T) {
		r := newRand(77)
		for it := 0; it < 400; it++ {
			m, n, k := ms[it%len(ms)], ns[(it/3)%len(ns)], ks[(it/7)%len(ks)]
			ta, tb := it%2 == 1, (it/2)%2 == 1
			pad := it % 3
			alpha := []float32{1, -0.5, 2}[it%3]
			beta := []float32{0, 1, 0.5}[(it/5)%3]
			ar, ac := m, k
			if ta {
				ar, ac = k, m
			}
			br, bc := k, n
			if tb {
				br, bc = n, k
			}
			lda, ldb, ldc := ac+pad, bc+2*pad, n+pad
			a := guardedCopy(randSlice(r, (ar-1)*lda+ac, 1))
			b := guardedCopy(randSlice(r, (br-1)*ldb+bc, 1))
			clen := (m-1)*ldc + n
			var cm []float32
			if beta == 0 {
				cm = guarded(clen)
			} else {
				cm = guardedCopy(randSlice(r, clen, 1))
			}
			want := refGemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, cm, ldc)
			got := append([]float32(nil), cm...)
			Sgemm(ta, tb, m, n, k, alpha, a[:(ar-1)*lda+ac], lda, b[:(br-1)*ldb+bc], ldb, beta, got[:clen], ldc)
			name := fmt.Sprintf("tA=%v,tB=%v,%dx%dx%d,pad%d,a%g,b%g", ta, tb, m, n, k, pad, alpha, beta)
			for i := 0; i < m; i++ {
				for j := n; j < ldc && i*ldc+j < clen; j++ {
					if !sameBits(got[i*ldc+j], cm[i*ldc+j]) {
						t.Fatalf("%s: padding C[%d,%d] changed", name, i, j)
					}
				}
			}
			checkRows(t, name, got, want, m, n, ldc, 1e-6+2e-7*float64(k), 1e-5)
			checkGuard(t, name, got, clen)
		}
	})
}
