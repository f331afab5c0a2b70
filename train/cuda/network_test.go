//go:build cgo

package cuda

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/ddstools/dds/train/engine/enginetest"
)

// TestMemoryReleased builds, trains one step and closes 16 networks in a row and
// checks that the device memory is all free again, as Library.MemInfo reports it
// (dds_mem_info, within 256 MiB) and as freeChunks measures it: how many 256 MiB
// allocations one context gets before dds_alloc reports DDS_ERR_OOM (which also checks
// that Err then wraps ErrOutOfMemory). It also checks that every network's engine reports the same
// dds_mem_used (the accounting does not drift) and 0 after Close.
func TestMemoryReleased(t *testing.T) {
	lib := gpuLibrary(t)
	arch := x200mf
	train := func() int64 {
		e, err := lib.NewEngine(0)
		if err != nil {
			t.Fatal(err)
		}
		d := enginetest.NewData(arch, 64, 1, 1)
		r := enginetest.NewNetRun(t, e, arch, 64, d)
		r.Step(t, 0)
		used := e.MemUsed()
		e.Close()
		if e.MemUsed() != 0 || e.Err() != nil {
			t.Fatalf("after Close: MemUsed() = %d, Err() = %v", e.MemUsed(), e.Err())
		}
		return used
	}
	first := train() // the first engine also makes the CUDA context and loads cuBLAS
	freeBefore, total, err := lib.MemInfo(0)
	if err != nil || freeBefore <= 0 || freeBefore > total {
		t.Fatalf("MemInfo(0) = %d, %d, %v", freeBefore, total, err)
	}
	before := freeChunks(t, lib)
	for i := range 16 {
		if used := train(); used != first {
			t.Errorf("network %d: %d bytes in use, the first had %d", i+1, used, first)
		}
	}
	freeAfter, _, err := lib.MemInfo(0)
	if err != nil {
		t.Fatal(err)
	}
	after := freeChunks(t, lib)
	t.Logf("each network: %.1f MiB; free before: %d, after: %d chunks of 256 MiB; MemInfo: %.1f MiB free before, %.1f MiB after, of %.1f MiB",
		float64(first)/(1<<20), before, after, float64(freeBefore)/(1<<20), float64(freeAfter)/(1<<20), float64(total)/(1<<20))
	if freeAfter < freeBefore-256<<20 {
		t.Errorf("MemInfo: %.1f MiB free after 16 networks, %.1f MiB before", float64(freeAfter)/(1<<20), float64(freeBefore)/(1<<20))
	}
	if after < before-1 {
		t.Errorf("16 networks left %d of %d free 256 MiB chunks (%.1f MiB each used)", after, before, float64(first)/(1<<20))
	}
}

// freeChunks returns how many 256 MiB buffers one new engine can allocate.
func freeChunks(t *testing.T, lib *Library) int {
	t.Helper()
	e, err := lib.NewEngine(0)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	const chunk = 64 << 20 // float32 values: 256 MiB
	for n := 0; n < 4096; n++ {
		e.Alloc(chunk)
		if err := e.Err(); err != nil {
			if !errors.Is(err, ErrOutOfMemory) || !strings.HasPrefix(err.Error(), "CUDA: ") {
				t.Fatalf("after %d chunks: %v, want a \"CUDA: \" error wrapping ErrOutOfMemory", n, err)
			}
			return n
		}
	}
	t.Fatal("4096 chunks of 256 MiB and no DDS_ERR_OOM")
	return 0
}

// BenchmarkStepGPU times whole training steps (network.Net.Step: forward, backward,
// SGD, and the download of the loss, which waits for the stream) of X-200MF on CIFAR
// shapes at batch 128 and 256, with float32 and bfloat16 activations (sub-benchmarks
// fp32/batch=N, bf16/batch=N), as ../shared/peer/torch_anynet.py measures its
// modes: compare img/s with it in the same run on the same machine.
func BenchmarkStepGPU(b *testing.B) { benchSteps(b, benchStep) }

// benchSteps runs bench as the sub-benchmarks fp32/batch=N and bf16/batch=N, N 128
// and 256, each on a new engine of the GPU library in that precision, and reports
// img/s and the engine's device memory after it.
func benchSteps(b *testing.B, bench func(b *testing.B, e *Engine, batch int)) {
	lib := gpuLibrary(b)
	for _, p := range precisions {
		for _, batch := range []int{128, 256} {
			b.Run(fmt.Sprintf("%v/batch=%d", p, batch), func(b *testing.B) {
				e, err := lib.NewEngineWith(0, p)
				if err != nil {
					b.Fatal(err)
				}
				defer e.Close()
				bench(b, e, batch)
				b.ReportMetric(float64(batch*b.N)/b.Elapsed().Seconds(), "img/s")
				b.ReportMetric(float64(e.MemUsed())/(1<<20), "MiB")
			})
		}
	}
}

func benchStep(b *testing.B, e *Engine, batch int) {
	d := enginetest.NewData(x200mf, batch, 1, 1)
	r := enginetest.NewNetRun(b, e, x200mf, batch, d)
	r.Step(b, 0) // Batch once; the steps reuse X and Y
	for range 5 {
		if _, err := r.Net().Step(enginetest.LR, enginetest.Hyper); err != nil {
			b.Fatal(err)
		}
	}
	for b.Loop() {
		if _, err := r.Net().Step(enginetest.LR, enginetest.Hyper); err != nil {
			b.Fatal(err)
		}
	}
}

// TestRecordGPU checks Record and Replay on small operations: replays run what was
// recorded on the buffers' current contents, Close is idempotent and Run after it
// panics, a transfer while recording fails the recording with the engine's error,
// and an engine closed with a live recording frees it.
func TestRecordGPU(t *testing.T) {
	e := gpuEngine(t)
	a, b := e.Alloc(5), e.Alloc(5)
	e.Upload(a, []float32{1, 2, 3, 4, 5})
	e.Upload(b, []float32{0.5, 0.25, 1, -1, 2})
	rep, err := e.Record(func() { e.Add(a, a, b, 5) })
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		rep.Run()
	}
	got := make([]float32, 5)
	e.Download(got, a)
	if want := []float32{2.5, 2.75, 6, 1, 11}; !slices.Equal(got, want) || e.Err() != nil {
		t.Errorf("after 3 replays of a += b: %v (%v), want %v", got, e.Err(), want)
	}
	rep2, err := e.Record(func() { e.ReLUForward(b, b, 5) })
	if err != nil {
		t.Fatal(err)
	}
	rep.Close()
	rep.Close()
	func() {
		defer func() {
			if r := recover(); r != "cuda: Replay used after Close" {
				t.Errorf("Run after Close: panic %v", r)
			}
		}()
		rep.Run()
	}()
	rep2.Run()
	e.Download(got, b)
	if want := []float32{0.5, 0.25, 1, 0, 2}; !slices.Equal(got, want) || e.Err() != nil {
		t.Errorf("second recording: %v (%v), want %v", got, e.Err(), want)
	}
	e.Close() // frees rep2
	rep2.Close()

	e = gpuEngine(t)
	x := e.Alloc(4)
	_, err = e.Record(func() {
		e.ReLUForward(x, x, 4)
		e.Upload(x, []float32{1, 2, 3, 4})
	})
	wantErr(t, err, "dds_upload: called while the stream is capturing")
	if e.Err() != err {
		t.Errorf("Err() = %v, want the recording's error %v", e.Err(), err)
	}
}

// BenchmarkStepGraphGPU times training steps of X-200MF as train runs them
// (network.Steps: the step recorded once as a CUDA graph and replayed, its inputs in
// device memory, the loss statistics read back once per 64 steps), with the batch
// sizes, precisions and recipe of BenchmarkStepGPU, which waits after every step. Sub-benchmarks fp32/batch=N and bf16/batch=N.
func BenchmarkStepGraphGPU(b *testing.B) { benchSteps(b, benchStepGraph) }

func benchStepGraph(b *testing.B, e *Engine, batch int) {
	const group = 64
	d := enginetest.NewData(x200mf, batch, group, 1)
	r := enginetest.NewNetRun(b, e, x200mf, batch, d)
	steps, err := r.Net().NewSteps(group, r.Set(), false, 0, d.Mean, d.Std, enginetest.Hyper)
	if err != nil {
		b.Fatal(err)
	}
	defer steps.Close()
	var idx []int32
	for _, v := range d.Idx {
		idx = append(idx, v...)
	}
	lrs := make([]float32, group)
	for i := range lrs {
		lrs[i] = enginetest.LR
	}
	run := func(n int) { // n steps, reading the statistics back per group as train does
		for i := range n {
			if i%group == 0 {
				steps.Load(idx, nil, lrs)
			}
			if err := steps.Run(); err != nil {
				b.Fatal(err)
			}
			if (i+1)%group == 0 || i+1 == n {
				if _, err := steps.Stats(0, i%group+1); err != nil {
					b.Fatal(err)
				}
			}
		}
	}
	run(5)
	b.ResetTimer()
	run(b.N)
	b.StopTimer()
}
