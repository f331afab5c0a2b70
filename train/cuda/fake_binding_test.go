//go:build cgo

package cuda

import (
	"errors"
	"fmt"
	"testing"

	"github.com/ddstools/dds/train/cpu"
	"github.com/ddstools/dds/train/engine"
)

// TestFakeRecord checks Record where the library cannot capture: the error is
// returned and is the engine's, f's operations do not run, an engine that has failed
// records nothing without calling f, and a panic in f goes on.
func TestFakeRecord(t *testing.T) {
	e := fakeEngine(t)
	counter := e.AllocInts(1)
	rep, err := e.Record(func() { e.Count(counter) })
	wantErr(t, err, "CUDA: dds_capture_begin: not in the fake library")
	if rep != nil || e.Err() != err {
		t.Errorf("Record: replay %v, Err() = %v, want nil and the returned error", rep, e.Err())
	}
	if c := e.download(t, counter); c != 0 {
		t.Errorf("counter %d after a failed recording, want 0", c)
	}
	called := false
	if _, err2 := e.Record(func() { called = true }); err2 != err || called {
		t.Errorf("Record on a failed engine: %v, f called %v; want the first error, f not called", err2, called)
	}

	e = fakeEngine(t)
	func() {
		defer func() {
			if r := recover(); r != "boom" {
				t.Errorf("panic in f: recovered %v, want boom", r)
			}
		}()
		e.Record(func() { panic("boom") })
		t.Error("Record returned after f panicked")
	}()
}

func TestFakeBuffers(t *testing.T) {
	e := fakeEngine(t)
	if e.Name() != "cuda" || e.Device() != 0 {
		t.Errorf("Name() = %q, Device() = %d", e.Name(), e.Device())
	}
	empty := e.Alloc(0)
	if empty.Len() != 0 || e.MemUsed() != 0 {
		t.Errorf("Alloc(0): Len() = %d, MemUsed() = %d", empty.Len(), e.MemUsed())
	}
	e.Upload(empty, nil)
	e.Download(nil, empty)
	e.Upload(e.Slice(empty, 0, 0), []float32{})
	if l := e.AllocInts(0); l.Len() != 0 {
		t.Errorf("AllocInts(0).Len() = %d", l.Len())
	}
	b := e.Alloc(10)
	if e.MemUsed() != 40 {
		t.Errorf("MemUsed() = %d after Alloc(10), want 40", e.MemUsed())
	}
	checkSlices(t, e, b)
	if e.Slice(b, 10, 0).Len() != 0 {
		t.Error("empty slice at the end")
	}
	if err := e.Sync(); err != nil {
		t.Fatal(err)
	}
}

// checkSlices uploads into the slices [3:7] and [9:10] of b, a buffer of 10 zeros,
// checks what b then holds and what the slice [2:8][2:5] of it downloads, and
// returns that slice.
func checkSlices(t *testing.T, e *Engine, b engine.Buf) engine.Buf {
	t.Helper()
	e.Upload(e.Slice(b, 3, 4), []float32{1, 2, 3, 4})
	e.Upload(e.Slice(b, 9, 1), []float32{9})
	got := make([]float32, 10)
	e.Download(got, b)
	if want := []float32{0, 0, 0, 1, 2, 3, 4, 0, 0, 9}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("after uploads into slices: %v, want %v", got, want)
	}
	s := e.Slice(e.Slice(b, 2, 6), 2, 3)
	part := make([]float32, 2)
	e.Download(part, s)
	if part[0] != 2 || part[1] != 3 {
		t.Errorf("slice of a slice: %v, want [2 3]", part)
	}
	return s
}

func TestFakeErrors(t *testing.T) {
	e := fakeEngine(t)
	b := e.Alloc(4)
	e.ConvForward(b, b, b, engine.Conv{N: 1, H: 1, W: 1, Cin: 1, Cout: 1, K: 1, Stride: 1, Groups: 1}, e.Alloc(7))
	err := e.Err()
	wantErr(t, err, "CUDA: dds_conv_forward: not in the fake library")
	var ce *Error
	if !errors.As(err, &ce) || ce.Code != StatusArg || errors.Is(err, ErrOutOfMemory) {
		t.Errorf("error %#v: want an *Error with code %d, not ErrOutOfMemory", err, StatusArg)
	}
	e.ReLUForward(b, b, 4) // a no-op after the failure
	e.Close()
	e.Close()
	if e.Err() != err || e.MemUsed() != 0 {
		t.Errorf("after Close: Err() = %v, MemUsed() = %d", e.Err(), e.MemUsed())
	}
}

func TestFakeOutOfMemory(t *testing.T) {
	e := fakeEngine(t)
	b := e.Alloc(1 << 20)
	if err := e.Err(); err != nil {
		t.Fatal(err)
	}
	e.Alloc(16 << 20) // 64 MiB more than FAKE_MEM allows
	err := e.Err()
	wantErr(t, err, "CUDA: out of memory allocating 67108864 bytes")
	if !errors.Is(err, ErrOutOfMemory) {
		t.Errorf("errors.Is(%v, ErrOutOfMemory) = false", err)
	}
	// Later operations are no-ops and Download leaves its destination alone.
	e.Upload(b, []float32{1})
	v := []float32{5}
	e.Download(v, b)
	if v[0] != 5 || e.Err() != err {
		t.Errorf("after the failure: Download gave %v, Err() = %v", v, e.Err())
	}
}

// TestFakePanics checks the arguments the binding rejects before calling the library.
func TestFakePanics(t *testing.T) {
	e := fakeEngine(t)
	b, short := e.Alloc(8), e.Alloc(3)
	conv := engine.Conv{N: 1, H: 2, W: 2, Cin: 2, Cout: 2, K: 1, Stride: 1, Groups: 1}
	set := e.UploadImages(make([]uint8, 2*4), []int32{0, 1}, 2, 2, 1)
	one := []float32{1}
	idxs, counter, y1 := e.AllocInts(6), e.AllocInts(1), e.AllocInts(1)
	wantPanics(t, e, []panicCase{
		{"short", func() { e.ReLUForward(b, short, 4) }, "cuda: ReLUForward: len(x) = 3, want at least 4"},
		{"nil", func() { e.Add(b, nil, b, 4) }, "cuda: Add: a is nil"},
		{"cpu buffer", func() { e.ReLUForward(cpu.Floats(make([]float32, 8)), b, 4) }, "cuda: ReLUForward: y is cpu.Floats, not a CUDA engine buffer"},
		{"upload", func() { e.Upload(short, make([]float32, 4)) }, "cuda: Upload: len(dst) = 3, want at least 4"},
		{"slice", func() { e.Slice(b, 6, 3) }, "cuda: Slice [6:9] of a buffer of 8 values"},
		{"scratch", func() { e.ConvForward(b, b, b, conv, short) }, "cuda: ConvForward: len(scratch) = 3, want at least 7 (ConvScratch)"},
		{"groups", func() {
			e.ConvForward(b, b, b, engine.Conv{N: 1, H: 1, W: 1, Cin: 3, Cout: 2, K: 1, Stride: 1, Groups: 2}, b)
		}, "want K, Stride, Groups >= 1 dividing Cin and Cout"},
		{"batch index", func() { e.Batch(b, e.AllocInts(2), set, []int32{1, 2}, nil, 0, one, one) }, "cuda: Batch: idx[1] = 2, want [0, 2)"},
		{"batch crop", func() { e.Batch(b, e.AllocInts(1), set, []int32{1}, []int8{0, 3, 0}, 1, one, one) }, "cuda: Batch: crops[0] = {DY:0 DX:3}, want DY, DX in [0, 2]"},
		{"batch mean", func() { e.Batch(b, e.AllocInts(1), set, []int32{1}, nil, 0, nil, one) }, "len(mean) = 0, len(std) = 1, want at least C = 1"},
		{"images", func() { e.UploadImages(make([]uint8, 7), []int32{0, 1}, 2, 2, 1) }, "cuda: UploadImages: 7 bytes for 2 images of 2x2x1"},
		{"batchAt idxs", func() { e.BatchAt(b, e.AllocInts(2), set, idxs, nil, counter, 7, 0, one, one) }, "cuda: BatchAt: len(idxs) = 6, want at least 7"},
		{"batchAt crops", func() { e.BatchAt(b, e.AllocInts(2), set, idxs, e.AllocInts(17), counter, 2, 1, one, one) }, "cuda: BatchAt: len(crops) = 17, want at least 18"},
		{"batchAt counter", func() { e.BatchAt(b, y1, set, idxs, nil, nil, 1, 0, one, one) }, "cuda: BatchAt: counter is nil"},
		{"batchAt x", func() { e.BatchAt(short, y1, set, idxs, nil, counter, 1, 0, one, one) }, "cuda: BatchAt: len(x) = 3, want at least 4"},
		{"batchAt set", func() { e.BatchAt(b, y1, nil, idxs, nil, counter, 1, 0, one, one) }, "cuda: BatchAt: set is <nil>, not a CUDA engine image set"},
		{"batchAt pad", func() { e.BatchAt(b, y1, set, idxs, e.AllocInts(18), counter, 1, 64, one, one) }, "cuda: BatchAt: pad = 64, want [0, 63]"},
		{"sgdAt lrs", func() { e.SGDStepAt(b, b, b, 8, nil, counter, 0.9, 0, false) }, "cuda: SGDStepAt: lrs is nil"},
		{"sgdAt v", func() { e.SGDStepAt(b, b, short, 8, b, counter, 0.9, 0, false) }, "cuda: SGDStepAt: len(v) = 3, want at least 8"},
		{"sgdAt counter", func() { e.SGDStepAt(b, b, b, 8, b, e.AllocInts(0), 0.9, 0, false) }, "cuda: SGDStepAt: len(counter) = 0, want at least 1"},
		{"copyAt src", func() { e.CopyAt(b, short, counter, 4) }, "cuda: CopyAt: len(src) = 3, want at least 4"},
		{"copyAt dst", func() { e.CopyAt(short, b, counter, 4) }, "cuda: CopyAt: len(dst) = 3, want at least 4"},
		{"count", func() { e.Count(cpu.Int32s{0}) }, "cuda: Count: counter is cpu.Int32s, not a CUDA engine buffer"},
	})
	e.Close()
	defer func() {
		if r := recover(); r != "cuda: engine used after Close" {
			t.Errorf("use after Close: panic %v", r)
		}
	}()
	e.ReLUForward(b, b, 1)
}

// BenchmarkFakeCall measures what one engine operation costs on the host: the
// argument checks, the cgo call and the trampoline, around a one-value Add in the
// fake library.
func BenchmarkFakeCall(b *testing.B) {
	lib, err := Open(fakeLibrary(b))
	if err != nil {
		b.Fatal(err)
	}
	e, err := lib.NewEngine(0)
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close()
	x := e.Alloc(1)
	b.ReportAllocs()
	for b.Loop() {
		e.Add(x, x, x, 1)
	}
}

// TestFakeNoAllocs checks that operations allocate no Go memory (one cgo call each,
// arguments by value).
func TestFakeNoAllocs(t *testing.T) {
	e := fakeEngine(t)
	b, s := e.Alloc(64), e.Alloc(7)
	conv := engine.Conv{N: 1, H: 2, W: 2, Cin: 2, Cout: 2, K: 3, Stride: 1, Groups: 1}
	set := e.UploadImages(make([]uint8, 4*2*2*3), []int32{0, 1, 2, 3}, 2, 2, 3)
	y := e.AllocInts(4)
	idx, crops, ms := []int32{3, 1, 0, 2}, []int8{0, 1, 1, 2, 2, 0, 1, 1, 0, 0, 0, 1}, []float32{0.5, 0.5, 0.5}
	idxs, crops32, counter := e.AllocInts(8), e.AllocInts(24), e.AllocInts(1)
	for name, f := range map[string]func(){
		"BatchAt":        func() { e.BatchAt(b, y, set, idxs, crops32, counter, 4, 1, ms, ms) },
		"SGDStepAt":      func() { e.SGDStepAt(b, b, b, 64, s, counter, 0.9, 5e-4, true) },
		"CopyAt":         func() { e.CopyAt(b, s, counter, 3) },
		"Count":          func() { e.Count(counter) },
		"Batch":          func() { e.Batch(b, y, set, idx, crops, 1, ms, ms) },
		"SGDStep":        func() { e.SGDStep(b, b, b, 64, 0.1, 0.9, 5e-4, true) },
		"ConvForward":    func() { e.ConvForward(b, b, b, conv, s) },
		"BatchNormApply": func() { e.BatchNormApply(b, b, nil, b, b, b, b, 8, 8, 1e-5, true) },
		"Download":       func() { e.Download(ms, b) },
	} {
		if n := testing.AllocsPerRun(10, f); n != 0 {
			t.Errorf("%s: %v allocations", name, n)
		}
	}
	// In BF16, the transfers of activations convert through the engine's staging
	// slice, allocated once (AllocsPerRun's warm-up run) and reused; the operations
	// allocate nothing either.
	h := fakeEngineWith(t, engine.BF16)
	a, hs, hw := h.AllocAct(64), h.Alloc(9), h.Alloc(36)
	v := make([]float32, 64)
	for name, f := range map[string]func(){
		"Upload":      func() { h.Upload(a, v) },
		"Download":    func() { h.Download(v, a) },
		"ReLUForward": func() { h.ReLUForward(a, a, 64) },
		"ConvForward": func() { h.ConvForward(a, a, hw, conv, hs) },
	} {
		if n := testing.AllocsPerRun(10, f); n != 0 {
			t.Errorf("BF16 %s: %v allocations", name, n)
		}
	}
}
