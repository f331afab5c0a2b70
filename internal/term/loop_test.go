package term

import (
	"sync/atomic"
	"testing"
	"time"
)

// TestLoop checks that a Loop draws until Stop, draws no more after it, and calls
// final on the first Stop only.
func TestLoop(t *testing.T) {
	var draws, finals atomic.Int32
	l := NewLoop(time.Millisecond, func() { draws.Add(1) })
	for draws.Load() < 3 {
		time.Sleep(time.Millisecond)
	}
	l.Stop(func() { finals.Add(1) })
	l.Stop(func() { finals.Add(1) })
	n := draws.Load()
	time.Sleep(20 * time.Millisecond)
	if got := draws.Load(); got > n+1 {
		t.Errorf("%d draws after Stop", got-n)
	}
	if finals.Load() != 1 {
		t.Errorf("final called %d times, want 1", finals.Load())
	}
}
