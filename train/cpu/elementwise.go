package cpu

import (
	"fmt"
	"math"
)

// elementGrain is the least number of elements worth a goroutine in the elementwise
// kernels; below it they run on the calling goroutine.
const elementGrain = 1 << 15

// parallelElements runs fn over [0, n) in chunks of at least elementGrain elements.
func parallelElements(n int, fn func(lo, hi int)) {
	ParallelN(n, min(Workers(), n/elementGrain), func(_, lo, hi int) { fn(lo, hi) })
}

// checkLen panics unless every slice has at least n values.
func checkLen(op string, n int, s ...[]float32) {
	if n < 0 {
		panic(fmt.Sprintf("cpu: %s: negative length %d", op, n))
	}
	for i, v := range s {
		if len(v) < n {
			panic(fmt.Sprintf("cpu: %s: argument %d has length %d, want %d", op, i+1, len(v), n))
		}
	}
}

// maskPositive returns g if y > 0 and 0 otherwise (for y not NaN). It works on the
// bits, without a branch: the sign of a ReLU output is as good as random, and a
// mispredicted branch per element measured slower than this whole function.
func maskPositive(g, y float32) float32 {
	b := math.Float32bits(y)
	pos := ((b | -b) & ^b) >> 31 // 1 if b != 0 and the sign bit is clear
	return math.Float32frombits(math.Float32bits(g) & -pos)
}

// ReLUForward sets y[i] = max(0, x[i]) for i < n. y may be x.
func ReLUForward(y, x []float32, n int) {
	checkLen("ReLUForward", n, y, x)
	parallelElements(n, func(lo, hi int) {
		yr := y[lo:hi]
		for i, v := range x[lo:hi] {
			yr[i] = max(0, v)
		}
	})
}

// ReLUBackward sets dx[i] = dy[i] where y[i] > 0 and 0 elsewhere, for i < n, with y the
// forward output (y > 0 exactly where x > 0). dx may be dy.
func ReLUBackward(dx, dy, y []float32, n int) {
	checkLen("ReLUBackward", n, dx, dy, y)
	parallelElements(n, func(lo, hi int) {
		dr, yr := dx[lo:hi], y[lo:hi]
		for i, g := range dy[lo:hi] {
			dr[i] = maskPositive(g, yr[i])
		}
	})
}

// Add sets y[i] = a[i] + b[i] for i < n. y may be a or b. (Its backward pass hands the
// same gradient to both inputs.)
func Add(y, a, b []float32, n int) {
	checkLen("Add", n, y, a, b)
	parallelElements(n, func(lo, hi int) {
		yr, br := y[lo:hi], b[lo:hi]
		for i, v := range a[lo:hi] {
			yr[i] = v + br[i]
		}
	})
}

// SigmoidForward sets y[i] = 1/(1 + exp(−x[i])) for i < n. y may be x.
func SigmoidForward(y, x []float32, n int) {
	checkLen("SigmoidForward", n, y, x)
	parallelElements(n, func(lo, hi int) {
		yr := y[lo:hi]
		for i, v := range x[lo:hi] {
			yr[i] = float32(1 / (1 + math.Exp(-float64(v))))
		}
	})
}

// SigmoidBackward sets dx[i] = dy[i]·y[i]·(1 − y[i]) for i < n, with y the forward
// output. dx may be dy.
func SigmoidBackward(dx, dy, y []float32, n int) {
	checkLen("SigmoidBackward", n, dx, dy, y)
	parallelElements(n, func(lo, hi int) {
		dr, yr := dx[lo:hi], y[lo:hi]
		for i, g := range dy[lo:hi] {
			s := yr[i]
			dr[i] = g * s * (1 - s)
		}
	})
}
