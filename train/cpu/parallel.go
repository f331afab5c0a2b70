package cpu

import (
	"runtime"
	"sync"
)

// Workers returns the number of goroutines the kernels split their work over:
// runtime.GOMAXPROCS(0), read on every call.
func Workers() int { return runtime.GOMAXPROCS(0) }

// Parallel splits the index range [0, n) into at most Workers() contiguous chunks
// of near-equal size and calls fn(w, lo, hi) once per chunk, where w in [0, chunks)
// numbers the chunk (callers use it to pick per-worker scratch). The last chunk runs
// on the calling goroutine, the others on new goroutines; Parallel returns when all
// calls have returned. It does nothing when n <= 0.
func Parallel(n int, fn func(w, lo, hi int)) { ParallelN(n, Workers(), fn) }

// ParallelN is Parallel with at most workers chunks (workers < 1 counts as 1).
func ParallelN(n, workers int, fn func(w, lo, hi int)) {
	if n <= 0 {
		return
	}
	workers = max(1, min(workers, n))
	if workers == 1 {
		fn(0, 0, n)
		return
	}
	var wg sync.WaitGroup
	wg.Add(workers - 1)
	for w := 0; w < workers-1; w++ {
		go func(w int) {
			defer wg.Done()
			fn(w, n*w/workers, n*(w+1)/workers)
		}(w)
	}
	fn(workers-1, n*(workers-1)/workers, n)
	wg.Wait()
}
