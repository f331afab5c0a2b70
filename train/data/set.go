package data

import (
	"math"
	"math/rand/v2"
	"slices"

	"github.com/ddstools/dds/internal/rng"
)

// Set is a labelled image set held in memory as uint8 NHWC, channels fastest: the
// value of channel c at row y, column x of example i is
// Images[((i·H + y)·W + x)·C + c].
type Set struct {
	Name    string  // e.g. "mnist/train", "cifar10/test"
	H, W, C int     // image height, width and channels
	Classes int     // labels lie in [0, Classes)
	Images  []uint8 // Len()·H·W·C values
	Labels  []int32 // Len() values, each in [0, Classes)
}

// Len returns the number of examples, len(s.Labels).
func (s *Set) Len() int { return len(s.Labels) }

// Stream tags that keep the random streams of Permutation and Subset apart.
const (
	permutationStream = 1
	subsetStream      = 2
)

// stream returns the PCG generator of stream tag for (seed, k): its state is
// (a, SplitMix64(a, k+1)) with a = SplitMix64(seed, tag).
func stream(seed, tag, k uint64) *rand.PCG {
	a := rng.SplitMix64(seed, tag)
	return rand.NewPCG(a, rng.SplitMix64(a, k+1))
}

// Subset returns n examples of s chosen by seed: the examples whose indices land in
// the first n places of a partial Fisher–Yates shuffle of 0..Len()-1 (for i = 0..n-1,
// swap place i with place i + Intn(Len()-i), drawn from a PCG with state
// (a, SplitMix64(a, 1)), a = SplitMix64(seed, 2)), kept in their original order. The same (s, n, seed) always gives the same
// subset, and every n-subset is equally likely. When n <= 0 or n >= Len() it returns
// s itself; otherwise a new Set with copied images, the same Name, shape and Classes.
func (s *Set) Subset(n int, seed uint64) *Set {
	total := s.Len()
	if n <= 0 || n >= total {
		return s
	}
	src := stream(seed, subsetStream, 0)
	perm := make([]int, total)
	for i := range perm {
		perm[i] = i
	}
	for i := range n {
		j := i + int(rng.Intn(src, uint64(total-i)))
		perm[i], perm[j] = perm[j], perm[i]
	}
	keep := perm[:n]
	slices.Sort(keep)
	size := s.H * s.W * s.C
	out := &Set{Name: s.Name, H: s.H, W: s.W, C: s.C, Classes: s.Classes,
		Images: make([]uint8, n*size), Labels: make([]int32, n)}
	for i, j := range keep {
		copy(out.Images[i*size:(i+1)*size], s.Images[j*size:(j+1)*size])
		out.Labels[i] = s.Labels[j]
	}
	return out
}

// Permutation returns a permutation of 0..n-1 for one epoch: Fisher–Yates from the
// identity (for i = n-1 down to 1, swap places i and Intn(i+1)), with draws from the
// PCG stream of (seed, epoch), whose state is (a, SplitMix64(a, epoch+1)) with
// a = SplitMix64(seed, 1); Intn is Lemire's method from internal/rng. The same
// (n, seed, epoch) always gives the same order, on every platform and Go release.
func Permutation(n int, seed uint64, epoch int) []int {
	p := make([]int, n)
	for i := range p {
		p[i] = i
	}
	src := stream(seed, permutationStream, uint64(epoch))
	for i := n - 1; i > 0; i-- {
		j := int(rng.Intn(src, uint64(i+1)))
		p[i], p[j] = p[j], p[i]
	}
	return p
}

// MeanStd returns the per-channel mean and population standard deviation of the
// pixel values of s scaled to [0, 1] (value/255), over every pixel of every example:
// mean_c = Σ v/255 / N and std_c = sqrt(Σ (v/255 − mean_c)² / N), N = Len()·H·W. The
// sums run in float64 over per-channel histograms of the 256 byte values, so the
// result does not depend on the order of the examples. A channel with zero variance
// (or an empty set) gets std 1, so that normalising by it stays finite.
func (s *Set) MeanStd() (mean, std []float32) {
	c := s.C
	hist := make([]int64, c*256)
	if c == 1 {
		h := hist[:256]
		for _, v := range s.Images {
			h[v]++
		}
	} else {
		for p := 0; p+c <= len(s.Images); p += c {
			px := s.Images[p : p+c]
			for ch, v := range px {
				hist[ch*256+int(v)]++
			}
		}
	}
	mean, std = make([]float32, c), make([]float32, c)
	for ch := range c {
		h := hist[ch*256 : (ch+1)*256]
		var n, sum float64
		values := 0 // distinct byte values present
		for v, k := range h {
			n += float64(k)
			sum += float64(k) * float64(v) / 255
			if k > 0 {
				values++
			}
		}
		if n == 0 {
			std[ch] = 1
			continue
		}
		m := sum / n
		var ss float64
		for v, k := range h {
			d := float64(v)/255 - m
			ss += float64(k) * d * d
		}
		sd := math.Sqrt(ss / n)
		if values == 1 {
			sd = 1
		}
		mean[ch], std[ch] = float32(m), float32(sd)
	}
	return mean, std
}
