package data

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// indexedSet returns n examples of shape 1x1x2 whose pixels spell their index
// (low byte, high byte), with label index % 7.
func indexedSet(n int) *Set {
	s := &Set{Name: "idx", H: 1, W: 1, C: 2, Classes: 7, Images: make([]uint8, 2*n), Labels: make([]int32, n)}
	for i := range n {
		s.Images[2*i], s.Images[2*i+1] = byte(i), byte(i>>8)
		s.Labels[i] = int32(i % 7)
	}
	return s
}

func TestSubset(t *testing.T) {
	s := indexedSet(1000)
	for _, n := range []int{0, -1, 1000, 5000} {
		if got := s.Subset(n, 1); got != s {
			t.Errorf("Subset(%d) is not the whole set", n)
		}
	}
	for _, c := range []struct {
		n    int
		seed uint64
	}{{1, 1}, {10, 1}, {10, 2}, {999, 3}} {
		a, b := s.Subset(c.n, c.seed), s.Subset(c.n, c.seed)
		if a.Len() != c.n || !slices.Equal(a.Images, b.Images) || !slices.Equal(a.Labels, b.Labels) {
			t.Fatalf("Subset(%d, %d): length %d or not deterministic", c.n, c.seed, a.Len())
		}
		if a.Name != s.Name || a.H != 1 || a.W != 1 || a.C != 2 || a.Classes != 7 {
			t.Errorf("Subset(%d, %d) changed the set's name or shape: %+v", c.n, c.seed, *a)
		}
		prev := -1
		for i := range a.Len() {
			j := int(a.Images[2*i]) | int(a.Images[2*i+1])<<8
			if j <= prev || a.Labels[i] != int32(j%7) {
				t.Fatalf("Subset(%d, %d): example %d is original %d (label %d) after %d", c.n, c.seed, i, j, a.Labels[i], prev)
			}
			prev = j
		}
	}
	if slices.Equal(s.Subset(10, 1).Images, s.Subset(10, 2).Images) {
		t.Error("seeds 1 and 2 give the same subset")
	}
	// Every example is about equally likely: 3 of 10 over 3000 seeds is 900 each.
	small := indexedSet(10)
	var counts [10]int
	for seed := range uint64(3000) {
		sub := small.Subset(3, seed)
		for i := range sub.Len() {
			counts[sub.Images[2*i]]++
		}
	}
	for i, k := range counts {
		if k < 800 || k > 1000 {
			t.Errorf("example %d chosen %d times of 3000, want about 900", i, k)
		}
	}
}

func TestPermutation(t *testing.T) {
	for _, n := range []int{0, 1, 2, 17, 1000} {
		p := Permutation(n, 7, 3)
		if !slices.Equal(p, Permutation(n, 7, 3)) {
			t.Errorf("Permutation(%d, 7, 3) not deterministic", n)
		}
		seen := make([]bool, n)
		for _, v := range p {
			if v < 0 || v >= n || seen[v] {
				t.Fatalf("Permutation(%d) = %v is not a permutation", n, p)
			}
			seen[v] = true
		}
	}
	base := Permutation(1000, 7, 3)
	for _, other := range [][]int{Permutation(1000, 7, 4), Permutation(1000, 8, 3), Permutation(1000, 7, 0)} {
		if slices.Equal(base, other) {
			t.Error("different (seed, epoch) give the same order")
		}
	}
	// The first place is uniform: 4000 draws over 4 values.
	var counts [4]int
	for epoch := range 4000 {
		counts[Permutation(4, 1, epoch)[0]]++
	}
	for v, k := range counts {
		if k < 900 || k > 1100 {
			t.Errorf("value %d first in %d of 4000 epochs, want about 1000", v, k)
		}
	}
}

func TestMeanStd(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	s := &Set{H: 7, W: 5, C: 3, Classes: 2, Images: make([]uint8, 9*7*5*3), Labels: make([]int32, 9)}
	for i := range s.Images {
		s.Images[i] = uint8(r.IntN(256))
		if i%3 == 2 {
			s.Images[i] = 77 // a constant channel
		}
	}
	// Direct two-pass computation over the pixels.
	var want [2][3]float64
	n := float64(len(s.Images) / 3)
	for c := range 3 {
		var sum float64
		for p := c; p < len(s.Images); p += 3 {
			sum += float64(s.Images[p]) / 255
		}
		m := sum / n
		var ss float64
		for p := c; p < len(s.Images); p += 3 {
			d := float64(s.Images[p])/255 - m
			ss += d * d
		}
		want[0][c], want[1][c] = m, math.Sqrt(ss/n)
	}
	want[1][2] = 1 // zero variance gives std 1
	mean, std := s.MeanStd()
	checkClose(t, "mean", mean, []float32{float32(want[0][0]), float32(want[0][1]), float32(want[0][2])}, 1e-7)
	checkClose(t, "std", std, []float32{float32(want[1][0]), float32(want[1][1]), float32(want[1][2])}, 1e-7)

	one := &Set{H: 2, W: 1, C: 1, Images: []uint8{0, 255}, Labels: []int32{0}}
	mean, std = one.MeanStd()
	checkClose(t, "mean 1ch", mean, []float32{0.5}, 1e-7)
	checkClose(t, "std 1ch", std, []float32{0.5}, 1e-7)
}
