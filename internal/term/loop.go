package term

import (
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
	once sync.Once
}

// NewLoop starts calling draw every period.
func NewLoop(period time.Duration, draw func()) *Loop {
	l := &Loop{tick: time.NewTicker(period), quit: make(chan struct{})}
	go func() {
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

// Stop ends the redrawing and then calls final, on the first call only; later calls
// do nothing.
func (l *Loop) Stop(final func()) {
	l.once.Do(func() {
		l.tick.Stop()
		close(l.quit)
		final()
	})
}
