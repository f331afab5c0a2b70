// Package design turns evaluated records into the objects of the paper's analysis:
// the errors of a space's models and their (normalized) weights, the value of every
// design parameter of each model, the comparison of spaces by their error EDFs, and
// the bootstrap intervals of those parameters as a narrowed space.
//
// Used by bootstrap, compare, refine (refine/refiner judges the candidate
// refinements on its Models) and report.
package design
