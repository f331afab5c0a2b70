package evaluator

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestProgressLine(t *testing.T) {
	var b bytes.Buffer
	p := &progress{w: &b, width: func() int { return 40 }}
	t0 := time.Now()
	p.start("12a603929017c81e")
	p.since = t0.Add(-3 * time.Second)
	p.finished(true)
	p.start("609ce772f05929b2")
	p.since = t0.Add(-2 * time.Second)
	if got, want := p.line(t0), "evaluate: 1 done (1 ok) | 3.0 s/model | 609ce772f05929b2 for 2s"; got != want {
		t.Errorf("line %q, want %q", got, want)
	}
	p.draw(t0)
	if line := strings.TrimPrefix(b.String(), "\r\x1b[K"); len([]rune(line)) > 39 || !strings.HasSuffix(line, "…") {
		t.Errorf("drawn on 40 columns: %q", line)
	}
}
