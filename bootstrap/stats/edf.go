package stats

import (
	"errors"
	"fmt"
	"math"
	"sort"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/stat"
)

// EDF is an error empirical distribution function
//
//	F(e) = Σ_{i: e_i < e} w_i / Σ_i w_i,
//
// with w_i = 1 for an unweighted EDF. The inequality is strict, as in the
// paper: F(e) is the fraction of models whose error is below e, so F is
// left-continuous and at a jump point x, F(x) does not yet include the models
// with error exactly x. Create one with NewEDF; an EDF is immutable and safe
// for concurrent use.
type EDF struct {
	x    []float64 // distinct values with positive weight, ascending
	cdf  []float64 // cdf[i] = Σ_{e_j ≤ x[i]} w_j / Σ w, cdf[len-1] == 1
	n    int       // number of values given, zero-weight ones included
	mean float64   // weighted mean
	neff float64   // (Σw)² / Σw²
}

// NewEDF returns the EDF of the errors errs with the given weights. weights may be
// nil for an unweighted EDF (every w_i = 1); otherwise it must have the same
// length as errs. It returns an error if errs is empty, if an error or a
// weight is NaN or infinite, if a weight is negative, or if the weights sum to
// zero. Values with zero weight do not change F, Mean or Quantile and are not
// step points, but N counts them. The slices are not modified.
func NewEDF(errs, weights []float64) (*EDF, error) {
	if len(errs) == 0 {
		return nil, errors.New("stats: the EDF needs at least one error value, got none")
	}
	if err := checkFinite("errors", errs); err != nil {
		return nil, err
	}
	x := append([]float64(nil), errs...)
	var w []float64
	if weights == nil {
		w = make([]float64, len(x))
		for i := range w {
			w[i] = 1
		}
	} else {
		if len(weights) != len(errs) {
			return nil, fmt.Errorf("stats: got %d weights for %d error values; give one weight per value", len(weights), len(errs))
		}
		if err := checkWeights(weights); err != nil {
			return nil, err
		}
		w = append([]float64(nil), weights...)
	}
	stat.SortWeighted(x, w)

	floats.Scale(1/floats.Sum(w), w) // now Σw = 1, so NEff = 1/Σw²

	e := &EDF{n: len(x), mean: stat.Mean(x, w), neff: 1 / floats.Dot(w, w)}
	var cum float64
	for i, v := range x {
		cum += w[i]
		if w[i] == 0 {
			continue
		}
		if k := len(e.x); k > 0 && e.x[k-1] == v {
			e.cdf[k-1] = cum
			continue
		}
		e.x = append(e.x, v)
		e.cdf = append(e.cdf, cum)
	}
	e.cdf[len(e.cdf)-1] = 1
	return e, nil
}

// At returns F(e) = Σ_{i: e_i < e} w_i / Σ w_i, the weighted fraction of
// models with error strictly below e. At(NaN) is NaN.
func (f *EDF) At(e float64) float64 {
	if math.IsNaN(e) {
		return math.NaN()
	}
	i := sort.SearchFloat64s(f.x, e) // first i with x[i] >= e
	if i == 0 {
		return 0
	}
	return f.cdf[i-1]
}

// Points returns the step points of F for plotting: x holds the distinct
// error values with positive weight in ascending order and y[i] is the value
// of F on (x[i], x[i+1]] (on (x[i], ∞) for the last point), that is the
// weighted fraction of models with error ≤ x[i]. F is 0 up to and including
// x[0]; y ends with 1. Draw it as a step plot that steps up at each x[i]. The
// slices are copies.
func (f *EDF) Points() (x, y []float64) {
	return append([]float64(nil), f.x...), append([]float64(nil), f.cdf...)
}

// N returns the number of error values the EDF was built from, including any
// with zero weight.
func (f *EDF) N() int { return f.n }

// NEff returns the effective sample size (Σ w_i)² / Σ w_i², which is N for
// an unweighted EDF. KS uses it for the p-value.
func (f *EDF) NEff() float64 { return f.neff }

// Min returns the smallest error with positive weight.
func (f *EDF) Min() float64 { return f.x[0] }

// Mean returns the weighted mean error Σ w_i e_i / Σ w_i.
func (f *EDF) Mean() float64 { return f.mean }

// Quantile returns the generalized inverse of the EDF: the smallest error
// value x with Σ_{e_i ≤ x} w_i / Σ w_i ≥ p. Quantile(0) is Min and
// Quantile(1) is the largest error with positive weight. It returns NaN if p
// is NaN or outside [0, 1].
func (f *EDF) Quantile(p float64) float64 {
	if !(p >= 0 && p <= 1) {
		return math.NaN()
	}
	i := sort.SearchFloat64s(f.cdf, p) // first i with cdf[i] >= p
	if i == len(f.cdf) {
		i-- // only reachable through rounding of cdf; cdf ends with 1
	}
	return f.x[i]
}

// checkFinite returns an error naming the first NaN or infinite entry of x.
func checkFinite(name string, x []float64) error {
	for i, v := range x {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("stats: %s[%d] is %v; every value must be a finite number", name, i, v)
		}
	}
	return nil
}

// checkWeights returns an error unless every weight is finite and
// non-negative and the weights have a positive sum.
func checkWeights(w []float64) error {
	if err := checkFinite("weights", w); err != nil {
		return err
	}
	var sum float64
	for i, v := range w {
		if v < 0 {
			return fmt.Errorf("stats: weights[%d] is %v; weights must not be negative", i, v)
		}
		sum += v
	}
	if sum <= 0 {
		return errors.New("stats: the weights sum to zero; at least one weight must be positive")
	}
	if math.IsInf(sum, 0) {
		return errors.New("stats: the weights sum to infinity; scale them down")
	}
	return nil
}
