//go:build cgo

package cuda

import (
	"math"
	"math/rand/v2"
	"os"
	"sync"
	"testing"

	"github.com/ddstools/dds/train/cpu"
	"github.com/ddstools/dds/train/engine"
	"github.com/ddstools/dds/train/engine/enginetest"
)

// The GPU tests open the library from DefaultPaths (so $DDS_CUDA_LIB) once per test
// binary. Where that fails they skip with Open's error, unless DDS_REQUIRE_GPU=1,
// which the GPU machine's check (dev/gpu-check.sh, make cuda-test) sets so that a missing
// GPU or library fails there instead of passing silently. The emulated library
// (make cuda-emu) is opened the same way, through $DDS_CUDA_LIB.
var gpu struct {
	once sync.Once
	lib  *Library
	err  error
}

// gpuLibrary returns the opened library or skips (fails under DDS_REQUIRE_GPU=1).
func gpuLibrary(tb testing.TB) *Library {
	tb.Helper()
	gpu.once.Do(func() { gpu.lib, gpu.err = Open("") })
	if gpu.err != nil {
		if os.Getenv("DDS_REQUIRE_GPU") == "1" {
			tb.Fatalf("DDS_REQUIRE_GPU=1 but the CUDA library did not open: %v", gpu.err)
		}
		tb.Skip(gpu.err)
	}
	return gpu.lib
}

// gpuEngine returns a new engine on device 0, closed when the test ends.
func gpuEngine(tb testing.TB) *Engine { return gpuEngineWith(tb, engine.FP32) }

// gpuEngineWith returns a new engine on device 0 in precision p, closed when the
// test ends.
func gpuEngineWith(tb testing.TB, p engine.Precision) *Engine {
	tb.Helper()
	e, err := gpuLibrary(tb).NewEngineWith(0, p)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(e.Close)
	return e
}

// precisions are the engine precisions the tests run in.
var precisions = []engine.Precision{engine.FP32, engine.BF16}

// librarySubject is the CUDA engine of lib (device 0) as the conformance suite sees
// it.
func librarySubject(lib *Library) enginetest.Subject {
	return enginetest.Subject{Name: "cuda", Precisions: precisions,
		New: func(p engine.Precision) (engine.Engine, error) { return lib.NewEngineWith(0, p) }}
}

// cpuSubject is the reference of the CUDA engine's conformance: the CPU engine, its
// BF16 emulation included.
var cpuSubject = enginetest.Subject{Name: "cpu", Precisions: precisions,
	New: func(p engine.Precision) (engine.Engine, error) { return cpu.NewEngineWith(p), nil }}

// TestConformance runs the engine conformance suite (package enginetest: every
// operation, the step-indexed operations, recorded steps, whole networks; fp32 and
// bf16) on the CUDA engine of the library DefaultPaths finds (a GPU's, or the
// emulated one of make cuda-emu through $DDS_CUDA_LIB) against the CPU engine.
func TestConformance(t *testing.T) {
	enginetest.Run(t, librarySubject(gpuLibrary(t)), cpuSubject)
}

// TestBatchStaging checks that the engine's memory grows in Batch only when a batch
// is larger than every earlier one (the staging buffers are kept and reused).
func TestBatchStaging(t *testing.T) { checkBatchStaging(t, gpuEngine(t)) }

func checkBatchStaging(t *testing.T, e *Engine) {
	r := rand.New(rand.NewPCG(1, 2))
	const h, w, c, images = 9, 7, 3, 20
	img := make([]uint8, images*h*w*c)
	for i := range img {
		img[i] = uint8(r.IntN(256))
	}
	lab := make([]int32, images)
	set := e.UploadImages(img, lab, h, w, c)
	x, y := e.AllocAct(17*h*w*c), e.AllocInts(17)
	mean, std := []float32{0.5, 0.5, 0.5}, []float32{0.25, 0.25, 0.25}
	seen := 0
	for _, n := range []int{5, 12, 3, 12, 17} {
		idx := make([]int32, n)
		for i := range idx {
			idx[i] = int32(r.IntN(images))
		}
		used := e.MemUsed()
		e.Batch(x, y, set, idx, nil, 0, mean, std)
		if err := e.Err(); err != nil {
			t.Fatal(err)
		}
		if grew := e.MemUsed() != used; grew != (n > seen) {
			t.Errorf("batch of %d after a largest of %d: memory grew %v (%d to %d bytes)", n, seen, grew, used, e.MemUsed())
		}
		seen = max(seen, n)
	}
}

// normals returns n values drawn from N(0, 1).
func normals(r *rand.Rand, n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(r.NormFloat64())
	}
	return v
}

// sameBits reports whether a and b hold the same float32 bits.
func sameBits(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return false
		}
	}
	return true
}
