// Package sampler draws network configs from a design space.
//
// Drawing is rejection sampling from one seeded random stream: each draw takes every
// generative parameter of the space from its distribution in a fixed order, builds
// the network (RegNet widths by the quantized linear rule, then the pycls
// compatibility adjustment), and keeps it only when it satisfies the space's
// constraints, the ranges of its restricted quantities and the complexity bounds, and
// is not a duplicate of a config already kept. The kept configs form one sequence per
// seed, so the first k configs of a run for n ≥ k are the run for k, and shard i of n
// holds the configs whose position in that sequence is i modulo n.
package sampler
