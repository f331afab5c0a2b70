package cpu

import (
	"fmt"
	"sync/atomic"
	"testing"
)

// TestParallel checks that every index is visited exactly once, that chunks are
// contiguous and numbered 0..chunks−1, and that n <= 0 calls nothing.
func TestParallel(t *testing.T) {
	for _, workers := range []int{-1, 1, 2, 3, 8} {
		for _, n := range []int{-3, 0, 1, 2, 5, 1000} {
			t.Run(fmt.Sprintf("workers=%d,n=%d", workers, n), func(t *testing.T) {
				seen := make([]atomic.Int32, max(n, 0))
				var calls atomic.Int32
				chunk := make([]atomic.Int32, 16)
				ParallelN(n, workers, func(w, lo, hi int) {
					calls.Add(1)
					chunk[w].Add(1)
					if lo >= hi {
						t.Errorf("empty chunk %d: [%d, %d)", w, lo, hi)
					}
					for i := lo; i < hi; i++ {
						seen[i].Add(1)
					}
				})
				for i := range seen {
					if v := seen[i].Load(); v != 1 {
						t.Errorf("index %d visited %d times", i, v)
					}
				}
				want := min(max(workers, 1), max(n, 0))
				if int(calls.Load()) != want {
					t.Errorf("%d calls, want %d", calls.Load(), want)
				}
				for w := 0; w < want; w++ {
					if chunk[w].Load() != 1 {
						t.Errorf("chunk %d called %d times", w, chunk[w].Load())
					}
				}
			})
		}
	}
}
