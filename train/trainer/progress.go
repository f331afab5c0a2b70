package trainer

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
)

// progress keeps one status line on a terminal up to date while models train:
// models done of all, the running models' epoch, step and loss, throughput and an
// estimate of the time left. A nil writer makes every method a no-op.
type progress struct {
	w       io.Writer
	n       int
	mu      sync.Mutex
	done    int
	running map[*slot]bool
	t0      time.Time
	tick    *time.Ticker
	quit    chan struct{}
	once    sync.Once
}

// slot is the progress of one running model.
type slot struct {
	p    *progress
	id   string
	last Progress
}

func newProgress(w io.Writer, n int) *progress {
	p := &progress{w: w, n: n, running: map[*slot]bool{}, t0: time.Now(), quit: make(chan struct{})}
	if w == nil {
		return p
	}
	p.tick = time.NewTicker(500 * time.Millisecond)
	go func() {
		for {
			select {
			case <-p.tick.C:
				p.draw()
			case <-p.quit:
				return
			}
		}
	}()
	return p
}

func (p *progress) start(id string) *slot {
	s := &slot{p: p, id: id}
	p.mu.Lock()
	p.running[s] = true
	p.mu.Unlock()
	return s
}

func (p *progress) end(s *slot) {
	p.mu.Lock()
	delete(p.running, s)
	p.mu.Unlock()
}

func (p *progress) finished() {
	p.mu.Lock()
	p.done++
	p.mu.Unlock()
}

func (s *slot) update(pr Progress) {
	s.p.mu.Lock()
	s.last = pr
	s.p.mu.Unlock()
}

// draw rewrites the status line. The estimate assumes the models left take as long
// as the work done so far per model (running models counted by their fraction done).
func (p *progress) draw() {
	p.mu.Lock()
	defer p.mu.Unlock()
	frac := float64(p.done)
	var parts []string
	var rate float64
	for s := range p.running {
		l := s.last
		if l.Steps == 0 {
			continue
		}
		frac += (float64(l.Epoch*l.Steps+l.Step) + 1) / float64(l.Epochs*l.Steps)
		parts = append(parts, fmt.Sprintf("%s epoch %d/%d step %d/%d loss %.3f", s.id, l.Epoch+1, l.Epochs, l.Step+1, l.Steps, l.Loss))
		if l.Elapsed > 0 {
			rate += float64(l.Images) / l.Elapsed
		}
	}
	line := fmt.Sprintf("train: %d/%d done", p.done, p.n)
	if len(parts) > 0 {
		line += " | " + strings.Join(parts, " | ")
	}
	if rate > 0 {
		line += fmt.Sprintf(" | %.0f img/s", rate)
	}
	if el := time.Since(p.t0).Seconds(); frac > 0 {
		line += " | ETA " + time.Duration(el*(float64(p.n)/frac-1)*float64(time.Second)).Round(time.Second).String()
	}
	fmt.Fprintf(p.w, "\r\x1b[K%s", line)
}

// stop ends the display and clears the line.
func (p *progress) stop() {
	if p.w == nil {
		return
	}
	p.once.Do(func() {
		p.tick.Stop()
		close(p.quit)
		p.mu.Lock()
		fmt.Fprint(p.w, "\r\x1b[K")
		p.mu.Unlock()
	})
}
