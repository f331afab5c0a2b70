package trainer

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/ddstools/dds/formats"
	"github.com/ddstools/dds/formats/anynet"
	"github.com/ddstools/dds/sample/sampler"
	"github.com/ddstools/dds/train/cpu"
	"github.com/ddstools/dds/train/engine"
)

// tinyConfigs returns a config stream of five small networks.
func tinyConfigs(t *testing.T) []byte {
	var cs []formats.Config
	for i, w := range []int{8, 16, 8, 16, 24} {
		n := tinyArch
		n.Stages = []anynet.Stage{{D: 1, W: w, S: 1, B: 1, G: 8}, {D: 1, W: 16, S: 2, B: 1, G: 8}}
		cs = append(cs, formats.Config{ID: formats.ConfigID(n), Index: int64(i), Seed: int64(i), Net: n, Complexity: n.Complexity()})
	}
	var in bytes.Buffer
	if err := sampler.WriteConfigs(&in, cs, formats.Provenance{Producer: "test"}, nil); err != nil {
		t.Fatal(err)
	}
	return in.Bytes()
}

// runColumns trains the configs in with opt (one epoch of tinyRecipe; the CPU
// engine when opt has none) and returns the named columns of the records, each
// value as its ValueStr.
func runColumns(t *testing.T, in []byte, opt Options, names ...string) [][]string {
	t.Helper()
	rd, err := formats.NewReader(bytes.NewReader(in), "in", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Release()
	opt.Defaults = tinyRecipe()
	opt.Defaults.Epochs = 1
	opt.Device = "cpu"
	if opt.NewEngine == nil {
		opt.NewEngine = func(engine.Precision) (engine.Engine, error) { return cpu.NewEngine(), nil }
	}
	var out bytes.Buffer
	if err := Run(rd, &out, opt); err != nil {
		t.Fatal(err)
	}
	ord, err := formats.NewReader(&out, "out", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ord.Release()
	cols := make([][]string, len(names))
	for ord.Next() {
		rec := ord.Record()
		for k, name := range names {
			col := rec.Column(rec.Schema().FieldIndices(name)[0])
			for i := 0; i < col.Len(); i++ {
				cols[k] = append(cols[k], col.ValueStr(i))
			}
		}
	}
	if err := ord.Err(); err != nil {
		t.Fatal(err)
	}
	return cols
}

// runStream is runColumns of the index, status and train_loss columns.
func runStream(t *testing.T, in []byte, opt Options) (idx, status, losses []string) {
	t.Helper()
	c := runColumns(t, in, opt, "index", "status", "train_loss")
	return c[0], c[1], c[2]
}

// TestRunJobsKeepOrder trains several models at once and checks that records come
// out in input order with the same results as one at a time.
func TestRunJobsKeepOrder(t *testing.T) {
	in := tinyConfigs(t)
	idx1, _, loss1 := runStream(t, in, Options{Jobs: 1})
	idx3, _, loss3 := runStream(t, in, Options{Jobs: 3})
	if strings.Join(idx3, ",") != "0,1,2,3,4" || strings.Join(loss1, ",") != strings.Join(loss3, ",") {
		t.Errorf("jobs=3 gave indices %v losses %v; jobs=1 gave %v %v", idx3, loss3, idx1, loss1)
	}
}

// crowded is a CPU engine whose memory "runs out" when it allocates while another
// crowded engine is open, as a GPU's does when too many models share it.
type crowded struct {
	*cpu.Engine
	live *atomic.Int32
	oom  bool
}

func (c *crowded) Alloc(n int) engine.Buf {
	if c.live.Load() > 1 {
		c.oom = true
	}
	return c.Engine.Alloc(n)
}

func (c *crowded) Err() error {
	if c.oom {
		return fmt.Errorf("crowded: %w", engine.ErrOutOfMemory)
	}
	return nil
}

func (c *crowded) Close() { c.live.Add(-1) }

// TestRunRetriesOutOfMemory checks that models that run out of memory beside others
// are trained again alone: the first two engines are opened together (so both run
// out), every record ends ok, with the results of training one model at a time.
func TestRunRetriesOutOfMemory(t *testing.T) {
	in := tinyConfigs(t)
	var live atomic.Int32
	var opened atomic.Int32
	var together sync.WaitGroup
	together.Add(2)
	var log bytes.Buffer
	var mu sync.Mutex
	opt := Options{Jobs: 3, Log: &syncWriter{w: &log, mu: &mu}, NewEngine: func(engine.Precision) (engine.Engine, error) {
		live.Add(1)
		if opened.Add(1) <= 2 {
			together.Done()
			together.Wait()
		}
		return &crowded{Engine: cpu.NewEngine(), live: &live}, nil
	}}
	idx, status, losses := runStream(t, in, opt)
	_, _, want := runStream(t, in, Options{Jobs: 1})
	if strings.Join(idx, ",") != "0,1,2,3,4" || strings.Join(status, ",") != "ok,ok,ok,ok,ok" || strings.Join(losses, ",") != strings.Join(want, ",") {
		t.Errorf("indices %v, status %v, losses %v (want %v)\n%s", idx, status, losses, want, log.String())
	}
	if n := strings.Count(log.String(), "ran out of device memory beside other models; training it alone"); n < 2 {
		t.Errorf("%d retries logged, want at least 2:\n%s", n, log.String())
	}
}

// syncWriter serialises writes from the training goroutines.
type syncWriter struct {
	w  *bytes.Buffer
	mu *sync.Mutex
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

func TestProgressLine(t *testing.T) {
	var b bytes.Buffer
	p := &progress{w: &b, n: 4, done: 1, width: func() int { return 200 }}
	s := p.start("abc")
	s.update(Progress{Epoch: 1, Epochs: 2, Step: 4, Steps: 10, Loss: 0.5, Images: 640, Elapsed: 2})
	p.draw()
	line := b.String()
	for _, want := range []string{"train: 1/4 done", "abc ep 2/2 step 5/10 loss 0.500", "320 img/s", "ETA"} {
		if !strings.Contains(line, want) {
			t.Errorf("progress line %q lacks %q", line, want)
		}
	}
}

// TestProgressFitsAndOrders checks that the line fits an 80-column terminal (so it
// never wraps), that the running models keep their start order, and that the done
// count moves when a model finishes.
func TestProgressFitsAndOrders(t *testing.T) {
	var b bytes.Buffer
	p := &progress{w: &b, n: 12, width: func() int { return 80 }}
	ids := []string{"12a603929017c81e", "609ce772f05929b2", "ddd9e0bfe0c443b3"}
	var slots []*slot
	for _, id := range ids {
		s := p.start(id)
		s.update(Progress{Epoch: 0, Epochs: 10, Step: 3, Steps: 40, Loss: 2.3, Images: 256, Elapsed: 1})
		slots = append(slots, s)
	}
	for range 20 {
		b.Reset()
		p.draw()
		line := strings.TrimPrefix(b.String(), "\r\x1b[K")
		if n := utf8.RuneCountInString(line); n > 79 {
			t.Fatalf("line of %d characters on an 80-column terminal: %q", n, line)
		}
		if full := p.line(1); strings.Index(full, ids[0]) > strings.Index(full, ids[1]) || strings.Index(full, ids[1]) > strings.Index(full, ids[2]) {
			t.Fatalf("models out of start order: %q", full)
		}
	}
	p.end(slots[1], true)
	if full := p.line(1); !strings.HasPrefix(full, "train: 1/12 done") || strings.Contains(full, ids[1]) {
		t.Errorf("after one model finished: %q", full)
	}
}

// TestProgressResumeETA checks the estimate when part of the work was done by an
// earlier run: 2 of 4 models finished in the checkpoint, one resumed at epoch 8 of
// 10 and trained one more epoch in 2 s. Work here: 0.1 model in 2 s; left: 1.1
// models, so 22 s (counting the checkpoint's work as this run's would say under 1 s).
func TestProgressResumeETA(t *testing.T) {
	p := &progress{n: 4, width: func() int { return 200 }}
	p.finished()
	p.finished()
	s := p.start("abc")
	s.update(Progress{Epoch: 8, Epochs: 10, Step: 0, Steps: 10, Images: 64, Elapsed: 0.2})
	s.update(Progress{Epoch: 8, Epochs: 10, Step: 9, Steps: 10, Images: 640, Elapsed: 2})
	if line := p.line(2); !strings.Contains(line, "ETA 22s") {
		t.Errorf("resumed: %q, want ETA 22s", line)
	}
}

// TestRunWaitsOnWriteError: when writing a record fails, Run returns the error only
// once every model it started has stopped: no engine is left open, and after Run
// returns no engine is opened or stepped and nothing is logged or drawn. Once the
// write has failed every step takes 20 ms, so that a model still training then
// would outlive a Run that did not wait for it by far.
func TestRunWaitsOnWriteError(t *testing.T) {
	in := tinyConfigs(t)
	var failed, returned atomic.Bool
	var live, late atomic.Int32
	after := func() {
		if returned.Load() {
			late.Add(1)
		}
	}
	rd, err := formats.NewReader(bytes.NewReader(in), "in", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Release()
	opt := Options{Jobs: 2, Device: "cpu", Defaults: tinyRecipe(), Log: watched(after), Progress: watched(after),
		NewEngine: func(engine.Precision) (engine.Engine, error) {
			after()
			live.Add(1)
			return &slowAfterFailure{Engine: cpu.NewEngine(), failed: &failed, live: &live, after: after}, nil
		}}
	err = Run(rd, failingWriter{&failed}, opt)
	returned.Store(true)
	if err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("Run: %v, want the write error", err)
	}
	if n := live.Load(); n != 0 {
		t.Errorf("%d engines still open when Run returned", n)
	}
	time.Sleep(100 * time.Millisecond)
	if n := late.Load(); n != 0 {
		t.Errorf("%d engine calls, log or progress writes after Run returned", n)
	}
}

// failingWriter fails every write, noting that it did.
type failingWriter struct{ failed *atomic.Bool }

func (f failingWriter) Write([]byte) (int, error) {
	f.failed.Store(true)
	return 0, errors.New("disk full")
}

// watched is a writer that calls f on every write.
type watched func()

func (f watched) Write(p []byte) (int, error) {
	f()
	return len(p), nil
}

// slowAfterFailure is a CPU engine that counts itself open, calls after on every
// step, and sleeps 20 ms in each step once failed is set.
type slowAfterFailure struct {
	*cpu.Engine
	failed *atomic.Bool
	live   *atomic.Int32
	after  func()
}

func (s *slowAfterFailure) Count(counter engine.Ints) {
	s.after()
	if s.failed.Load() {
		time.Sleep(20 * time.Millisecond)
	}
	s.Engine.Count(counter)
}

func (s *slowAfterFailure) Close() {
	s.live.Add(-1)
	s.Engine.Close()
}
