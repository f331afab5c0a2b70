package evaluator

import (
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/ddstools/dds/internal/term"
)

// progress keeps one status line on a terminal while models are evaluated: models
// done, the model being measured and for how long, and the mean time per model. The
// input is a stream, so the total is not known ahead. A nil writer makes every
// method a no-op.
type progress struct {
	w       io.Writer
	mu      sync.Mutex
	done    int
	ok      int
	busy    float64 // seconds spent on the models done
	current string
	since   time.Time
	loop    *term.Loop
	width   func() int
}

func newProgress(w io.Writer) *progress {
	p := &progress{w: w, width: func() int { return term.Width(w) }}
	if w == nil {
		return p
	}
	p.loop = term.NewLoop(500*time.Millisecond, func() {
		p.mu.Lock()
		p.draw(time.Now())
		p.mu.Unlock()
	})
	return p
}

// start notes that the model id is being measured.
func (p *progress) start(id string) {
	if p.w == nil {
		return
	}
	p.mu.Lock()
	p.current, p.since = id, time.Now()
	p.mu.Unlock()
}

// finished counts a model done, ok or not.
func (p *progress) finished(ok bool) {
	if p.w == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done++
	if ok {
		p.ok++
	}
	if p.current != "" {
		p.busy += time.Since(p.since).Seconds()
	}
	p.current = ""
}

// line is the status line at time now, before fitting.
func (p *progress) line(now time.Time) string {
	line := fmt.Sprintf("evaluate: %d done (%d ok)", p.done, p.ok)
	if p.done > 0 && p.busy > 0 {
		line += fmt.Sprintf(" | %.1f s/model", p.busy/float64(p.done))
	}
	if p.current != "" {
		line += fmt.Sprintf(" | %s for %s", p.current, now.Sub(p.since).Round(time.Second))
	}
	return line
}

func (p *progress) draw(now time.Time) {
	fmt.Fprintf(p.w, "%s%s", term.ClearLine, term.Fit(p.line(now), p.width()))
}

// stop ends the display and clears the line.
func (p *progress) stop() {
	p.loop.StopAndClear(p.w, &p.mu)
}
