package sampler

import (
	"math"
	"math/bits"
	"math/rand/v2"
)

// rng is a PCG stream with the few draws the sampler needs, written out here so the
// sequence depends only on the PCG algorithm, not on library helpers.
type rng struct{ src *rand.PCG }

func newRNG(seed uint64) rng { return rng{rand.NewPCG(seed, 0x9e3779b97f4a7c15)} }

// float returns a uniform value in [0, 1) with 53 random bits.
func (r rng) float() float64 { return float64(r.src.Uint64()>>11) * 0x1p-53 }

// intn returns a uniform integer in [0, n) by Lemire's multiply-and-reject method.
func (r rng) intn(n uint64) uint64 {
	hi, lo := bits.Mul64(r.src.Uint64(), n)
	if lo < n {
		thresh := -n % n
		for lo < thresh {
			hi, lo = bits.Mul64(r.src.Uint64(), n)
		}
	}
	return hi
}

// splitmix64 is the SplitMix64 output function, used to derive per-config seeds.
func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// ConfigSeed returns the seed of the config at position index of a run with seed:
// a non-negative 63-bit value.
func ConfigSeed(seed uint64, index int64) int64 {
	return int64(splitmix64(seed^splitmix64(uint64(index))) & math.MaxInt64)
}
