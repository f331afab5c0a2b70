// Package approx holds the tree's rules for numbers that agree up to rounding:
// Close for one value (an absolute plus a relative tolerance) and RelErr for a
// whole tensor (a norm-wise relative error). Each test states its tolerance and
// why; these say how it is applied. Users: the engine suite (enginetest) and
// every test that compares numbers up to a tolerance.
package approx

import "math"

// Close reports whether got is within abs + rel·|want| of want; false when either
// is NaN.
func Close(got, want, abs, rel float64) bool {
	return math.Abs(got-want) <= abs+rel*math.Abs(want)
}

// RelErr is the norm-wise relative error ‖got − want‖₂ / max(‖want‖₂, floor); the
// absolute error ‖got − want‖₂ when that denominator is 0; NaN when the lengths
// differ, +Inf when a value of got is not finite.
func RelErr(got, want []float32, floor float64) float64 {
	if len(got) != len(want) {
		return math.NaN()
	}
	var d float64
	for i := range got {
		if math.IsNaN(float64(got[i])) || math.IsInf(float64(got[i]), 0) {
			return math.Inf(1)
		}
		e := float64(got[i]) - float64(want[i])
		d += e * e
	}
	den := max(Norm(want), floor)
	if den == 0 {
		return math.Sqrt(d)
	}
	return math.Sqrt(d) / den
}

// Norm is the Euclidean norm of v, in float64.
func Norm(v []float32) float64 {
	var s float64
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	return math.Sqrt(s)
}
