// Package stats holds the statistics used to compare design spaces, following
// "Designing Network Design Spaces" (Radosavovic et al., CVPR 2020) and
// "On Network Design Spaces for Visual Recognition" (Radosavovic et al.,
// ICCV 2019).
//
// A design space is judged by the distribution of the errors of models sampled
// from it, not by its best model:
//
//   - EDF is the error empirical distribution function
//     F(e) = Σ_{i: e_i < e} w_i / Σ_i w_i (strictly less, as in the paper),
//     unweighted (w_i = 1) or weighted.
//   - NormalizedWeights gives the weights of the normalized EDF, which makes
//     the complexity distribution (flops or params) uniform so that a space
//     with more big models is not favoured for that reason alone.
//   - KS gives the Kolmogorov–Smirnov distance D = sup_x |F_a(x) − F_b(x)|
//     between two EDFs and an asymptotic p-value; DiffAtQuantiles gives the
//     error difference between two spaces at chosen quantiles.
//   - Bootstrap and BootstrapMany run the empirical bootstrap that shows where
//     good models live: the interval of parameter values of the best model of
//     random subsamples.
//
// Functions return an error, never panic, on bad input: empty samples, NaN or
// infinite values, mismatched lengths, negative or all-zero weights, and
// options outside their range. All computation is in float64; all randomness
// comes from an explicit seed and the results do not depend on the number of
// goroutines used.
//
// Used by bootstrap (through bootstrap/design and bootstrap/plot), compare, refine
// (refine/refiner) and report.
package stats
