package trainer

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/ddstools/dds/internal/term"
)

// progress keeps one status line on a terminal up to date while models train:
// models done of all, throughput, an estimate of the time left, and the running
// models (in the order they started) with their epoch, step and loss. The line is cut
// to the terminal's width. A nil writer makes every method a no-op.
//
// The estimate counts only work done by this process: a model finished in a
// checkpoint counts as done but took no time, and a model resumed from epoch k of E
// has only its remaining (E-k)/E of the work ahead and behind it here. With W the
// model-equivalents trained so far in this run, R those still to train and elapsed
// the time since the run's first training step (loading data and checkpoints is not
// training), ETA = R·elapsed/W.
type progress struct {
	w       io.Writer
	n       int
	mu      sync.Mutex
	done    int
	work    float64   // model-equivalents trained in this run by models that ended
	running []*slot   // in start order
	t0      time.Time // the first step of this run; zero until then
	loop    *term.Loop
	width   func() int
}

// slot is the progress of one running model.
type slot struct {
	p     *progress
	id    string
	last  Progress
	first float64 // fraction of the model done before its first step in this run; -1 until then
}

func newProgress(w io.Writer, n int) *progress {
	p := &progress{w: w, n: n, width: func() int { return term.Width(w) }}
	if w == nil {
		return p
	}
	p.loop = term.NewLoop(500*time.Millisecond, p.draw)
	return p
}

func (p *progress) start(id string) *slot {
	s := &slot{p: p, id: id, first: -1}
	p.mu.Lock()
	p.running = append(p.running, s)
	p.mu.Unlock()
	return s
}

// end removes a model from the running ones, crediting the work it did, and counts
// it done when done is set, in the same step, so that no line shows it neither
// running nor done.
func (p *progress) end(s *slot, done bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if done {
		p.done++
	}
	if s.first >= 0 {
		p.work += s.fraction() - s.first
	}
	for i, r := range p.running {
		if r == s {
			p.running = append(p.running[:i], p.running[i+1:]...)
			break
		}
	}
}

// finished counts one model done that did not train here (taken from the
// checkpoint, or failed before training), as soon as it is: not when it is written
// out in input order, which can wait on a slower model before it.
func (p *progress) finished() {
	p.mu.Lock()
	p.done++
	p.mu.Unlock()
}

func (s *slot) update(pr Progress) {
	s.p.mu.Lock()
	s.last = pr
	if s.first < 0 && pr.Steps > 0 {
		s.first = s.fraction() - 1/float64(pr.Epochs*pr.Steps)
	}
	if s.p.t0.IsZero() {
		s.p.t0 = time.Now()
	}
	s.p.mu.Unlock()
}

// fraction is how much of the model's training is done after its last step.
func (s *slot) fraction() float64 {
	l := s.last
	if l.Steps == 0 || l.Epochs == 0 {
		return 0
	}
	return float64(l.Epoch*l.Steps+l.Step+1) / float64(l.Epochs*l.Steps)
}

// line is the status line at elapsed seconds since the start, before fitting.
func (p *progress) line(elapsed float64) string {
	work := p.work
	left := float64(p.n - p.done)
	var rate float64
	var parts []string
	for _, s := range p.running {
		l := s.last
		if l.Steps == 0 {
			continue
		}
		f := s.fraction()
		left -= f
		if s.first >= 0 {
			work += f - s.first
		}
		if l.Elapsed > 0 {
			rate += float64(l.Images) / l.Elapsed
		}
		parts = append(parts, fmt.Sprintf("%s ep %d/%d step %d/%d loss %.3f", s.id, l.Epoch+1, l.Epochs, l.Step+1, l.Steps, l.Loss))
	}
	line := fmt.Sprintf("train: %d/%d done", p.done, p.n)
	if rate > 0 {
		line += fmt.Sprintf(" | %.0f img/s", rate)
	}
	if work > 0 && elapsed > 0 {
		line += " | ETA " + time.Duration(max(left, 0)*elapsed/work*float64(time.Second)).Round(time.Second).String()
	}
	if len(parts) > 0 {
		line += " | " + strings.Join(parts, " | ")
	}
	return line
}

// draw rewrites the status line.
func (p *progress) draw() {
	p.mu.Lock()
	defer p.mu.Unlock()
	var elapsed float64
	if !p.t0.IsZero() {
		elapsed = time.Since(p.t0).Seconds()
	}
	fmt.Fprintf(p.w, "%s%s", term.ClearLine, term.Fit(p.line(elapsed), p.width()))
}

// logTo returns a writer for log lines that share the terminal with the status
// line: each write first clears the line (the next tick draws it again), so that a
// log line never starts in the middle of it. With no display it returns log.
func (p *progress) logTo(log io.Writer) io.Writer {
	if p.w == nil || log == nil {
		return log
	}
	return logWriter{p, log}
}

type logWriter struct {
	p   *progress
	log io.Writer
}

func (l logWriter) Write(b []byte) (int, error) {
	l.p.mu.Lock()
	defer l.p.mu.Unlock()
	io.WriteString(l.p.w, term.ClearLine)
	return l.log.Write(b)
}

// stop ends the display and clears the line.
func (p *progress) stop() {
	p.loop.StopAndClear(p.w, &p.mu)
}
