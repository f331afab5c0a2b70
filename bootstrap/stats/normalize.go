package stats

import (
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/floats"
)

// NormalizedWeights returns the weights of the normalized EDF of Radosavovic
// et al., "On Network Design Spaces for Visual Recognition" (ICCV 2019), which
// make the distribution of complexity (flops or params) uniform so that the
// errors of two spaces can be compared without the confound of one space
// having more big models.
//
// The range [min, max] of the complexity values is split into k bins of equal
// width; value c falls in bin j = floor(k·(c − min)/(max − min)), so every bin
// includes its lower edge and the maximum falls in the last bin. The paper
// gives a model in bin j, which has n_j members, the weight 1/(k·n_j). When
// some bins are empty those weights would sum to less than 1; this function
// drops the empty bins and gives the weight 1/(k'·n_j), where k' is the number
// of non-empty bins, so that the weights sum to 1 and every non-empty bin
// carries the same total weight 1/k'. empty returns k − k'. If all complexity
// values are equal there is a single bin: every weight is 1/n and empty is 0.
//
// It returns an error if complexity is empty, if a value is NaN or infinite,
// or if k < 1.
func NormalizedWeights(complexity []float64, k int) (weights []float64, empty int, err error) {
	if len(complexity) == 0 {
		return nil, 0, errors.New("stats: normalizing needs at least one complexity value, got none")
	}
	if err := checkFinite("complexity", complexity); err != nil {
		return nil, 0, err
	}
	if k < 1 {
		return nil, 0, fmt.Errorf("stats: the number of complexity bins is %d; it must be at least 1", k)
	}
	lo, hi := floats.Min(complexity), floats.Max(complexity)
	if lo == hi {
		k = 1
	}
	bin := make([]int, len(complexity))
	count := make([]int, k)
	for i, c := range complexity {
		j := 0
		if k > 1 {
			// Halving keeps hi − lo finite for values near ±MaxFloat64.
			t := (0.5*c - 0.5*lo) / (0.5*hi - 0.5*lo)
			j = min(int(math.Floor(float64(k)*t)), k-1)
		}
		bin[i] = j
		count[j]++
	}
	nonEmpty := 0
	for _, n := range count {
		if n > 0 {
			nonEmpty++
		}
	}
	weights = make([]float64, len(complexity))
	for i, j := range bin {
		weights[i] = 1 / float64(nonEmpty*count[j])
	}
	return weights, k - nonEmpty, nil
}
