// Package rng holds the small random-number helpers dds writes out itself, so that
// every seeded result depends only on the PCG and SplitMix64 algorithms, not on
// library helpers that may change between Go releases.
//
// Used by sample (sample/sampler), bootstrap (bootstrap/stats) and train
// (train/data's augmentation and subsets).
package rng

import (
	"math/bits"
	"math/rand/v2"
)

const golden = 0x9e3779b97f4a7c15

// SplitMix64 returns output k (counting from 1) of the SplitMix64 generator started
// at state seed: the SplitMix64 mixing function applied to seed + k·0x9e3779b97f4a7c15.
func SplitMix64(seed, k uint64) uint64 {
	z := seed + k*golden
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// Intn returns a uniform integer in [0, n), n > 0, from src by Lemire's
// multiply-and-reject method.
func Intn(src *rand.PCG, n uint64) uint64 {
	hi, lo := bits.Mul64(src.Uint64(), n)
	if lo < n {
		thresh := -n % n
		for lo < thresh {
			hi, lo = bits.Mul64(src.Uint64(), n)
		}
	}
	return hi
}

// Float64 returns a uniform value in [0, 1) with 53 random bits from src.
func Float64(src *rand.PCG) float64 { return float64(src.Uint64()>>11) * 0x1p-53 }
