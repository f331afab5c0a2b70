package rng

import (
	"math/rand/v2"
	"testing"
)

// TestSplitMix64 checks the first outputs for seed 0 against the published reference
// sequence of SplitMix64.
func TestSplitMix64(t *testing.T) {
	want := []uint64{0xe220a8397b1dcdaf, 0x6e789e6aa1b965f4, 0x06c45d188009454f}
	for k, w := range want {
		if got := SplitMix64(0, uint64(k+1)); got != w {
			t.Errorf("output %d = %#x, want %#x", k+1, got, w)
		}
	}
}

func TestIntnUniform(t *testing.T) {
	src := rand.NewPCG(1, 2)
	var counts [3]int
	for range 30000 {
		counts[Intn(src, 3)]++
	}
	for v, c := range counts {
		if c < 9700 || c > 10300 {
			t.Errorf("value %d drawn %d times of 30000", v, c)
		}
	}
	for range 1000 {
		if f := Float64(src); f < 0 || f >= 1 {
			t.Fatalf("Float64 = %v", f)
		}
	}
}
