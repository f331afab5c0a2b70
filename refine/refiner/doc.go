// Package refiner tests the paper's candidate refinements of a design space on the
// evaluated models of that space, and builds the refined space.
//
// The candidates (Candidates, in the order the paper applies them) are constraints
// of formats: shared_b, shared_g, nondecreasing_w, nondecreasing_d and
// quantized_linear. For each, Judge compares the error EDF of the models that
// satisfy it with the EDF of all models, both weighted by the same
// design.Normalization, and records the Evidence: the KS distance and p-value, the
// two one-sided distances, the error differences at quantiles and a verdict. A
// candidate the space already imposes or implies, quantized_linear before shared_b
// and shared_g, and one with fewer than Options.MinModels satisfying models get
// their verdict without a test; the others are worse when the subset's EDF falls
// below the whole's by more than the threshold (from Options.Alpha, or
// Options.Threshold), better when it rises above by more, and no worse otherwise.
// Choose picks the most restrictive candidate that is not worse, and Apply returns
// the space with a constraint added and its parameters adjusted. Nothing is random:
// the same models and options give the same evidence and the same space.
//
// Used by refine, and by report, which shows the same evidence for every space of a
// sweep.
package refiner
