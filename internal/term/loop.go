package term

import (
	"io"
	"sync"
	"time"
)

// ClearLine returns the cursor to the start of the line and erases it.
const ClearLine = "\r\x1b[K"

// Loop redraws a status line: it calls draw every period on a goroutine of its own
// until Stop.
type Loop struct {
	tick *time.Ticker
	quit chan struct{}
	done chan struct{} // closed when the goroutine has returned
	once sync.Once
}

// NewLoop starts calling draw every period.
func NewLoop(period time.Duration, draw func()) *Loop {
	l := &Loop{tick: time.NewTicker(period), quit: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(l.done)
		for {
			select {
			case <-l.tick.C:
				draw()
			case <-l.quit:
				return
			}
		}
	}()
	return l
}

// Stop ends the redrawing, waits for a draw in progress to return, and then calls
// final, on the first call only; later calls do nothing. No draw starts after Stop
// returns, so final's output is the last.
func (l *Loop) Stop(final func()) {
	l.once.Do(func() {
		l.tick.Stop()
		close(l.quit)
		<-l.done
		final()
	})
}

// StopAndClear is Stop with the final step of a one-line display: erase the status
// line on w while holding mu, the lock that guards what the draws write to w. A nil
// Loop (a display that was never started) does nothing.
func (l *Loop) StopAndClear(w io.Writer, mu sync.Locker) {
	if l == nil {
		return
	}
	l.Stop(func() {
		mu.Lock()
		io.WriteString(w, ClearLine)
		mu.Unlock()
	})
}
