package sampler

import (
	"math"
	"math/rand/v2"

	"github.com/ddstools/dds/internal/rng"
)

// source is the sampler's PCG stream with the draws it needs.
type source struct{ pcg *rand.PCG }

func newSource(seed uint64) source { return source{rand.NewPCG(seed, 0x9e3779b97f4a7c15)} }

func (s source) float() float64       { return rng.Float64(s.pcg) }
func (s source) intn(n uint64) uint64 { return rng.Intn(s.pcg, n) }

// ConfigSeed returns the seed of the config at position index of a run with seed:
// a non-negative 63-bit value, SplitMix64 of the seed mixed with SplitMix64 of the index.
func ConfigSeed(seed uint64, index int64) int64 {
	return int64(rng.SplitMix64(seed^rng.SplitMix64(uint64(index), 1), 1) & math.MaxInt64)
}
