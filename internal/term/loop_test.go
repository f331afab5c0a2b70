package term

import (
	"bytes"
	"sync"
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
	if got := draws.Load(); got != n {
		t.Errorf("%d draws after Stop", got-n)
	}
	if finals.Load() != 1 {
		t.Errorf("final called %d times, want 1", finals.Load())
	}
}

// TestLoopStopWaitsForDraw: Stop returns only after a draw in progress has returned,
// and final runs after it, so nothing is drawn over the final output.
func TestLoopStopWaitsForDraw(t *testing.T) {
	var drawing, started atomic.Bool
	l := NewLoop(time.Millisecond, func() {
		drawing.Store(true)
		started.Store(true)
		time.Sleep(20 * time.Millisecond)
		drawing.Store(false)
	})
	for !started.Load() {
		time.Sleep(time.Millisecond)
	}
	var inFinal bool
	l.Stop(func() { inFinal = drawing.Load() })
	if inFinal || drawing.Load() {
		t.Errorf("a draw ran during final (%v) or after Stop (%v)", inFinal, drawing.Load())
	}
}

// TestStopAndClear erases the line once, under the lock, and does nothing on a nil
// Loop.
func TestStopAndClear(t *testing.T) {
	var b bytes.Buffer
	var mu sync.Mutex
	var none *Loop
	none.StopAndClear(&b, &mu)
	l := NewLoop(time.Hour, func() {})
	l.StopAndClear(&b, &mu)
	l.StopAndClear(&b, &mu)
	if b.String() != ClearLine {
		t.Errorf("wrote %q, want one ClearLine", b.String())
	}
}
