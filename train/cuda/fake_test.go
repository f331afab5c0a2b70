//go:build cgo

package cuda

import (
	_ "embed"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/ddstools/dds/train/engine"
	"github.com/ddstools/dds/train/engine/enginetest"
)

// fakeSource is testdata/fake/fake.c, a stand-in for libdds_cuda.so that runs on
// the host (its comment says what it implements). The tests compile it with the C
// compiler cgo uses, so they check the binding — loading, error messages, argument
// order and staging — on machines without a GPU.
//
//go:embed testdata/fake/fake.c
var fakeSource string

var fakeLibs sync.Map // defines → path of the built library

// fakeLibrary compiles fakeSource with the given -D definitions into a shared
// library and returns its path; it skips the test where there is no C compiler or no
// lib/dds_cuda.h beside the test (the test runs in the package directory).
func fakeLibrary(t testing.TB, defines ...string) string {
	t.Helper()
	key := strings.Join(defines, " ")
	if p, ok := fakeLibs.Load(key); ok {
		return p.(string)
	}
	hdr, err := filepath.Abs(filepath.Join("lib", "dds_cuda.h"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(hdr); err != nil {
		t.Skipf("no %s to build the fake library with: %v", hdr, err)
	}
	cc := "cc"
	if v := os.Getenv("CC"); v != "" {
		cc = v
	}
	if _, err := exec.LookPath(cc); err != nil {
		t.Skipf("no C compiler (%s) to build the fake library with", cc)
	}
	dir, err := os.MkdirTemp("", "dds-fake-cuda-")
	if err != nil {
		t.Fatal(err)
	}
	// The directory outlives the test: the library stays loaded for the process.
	src, lib := filepath.Join(dir, "fake.c"), filepath.Join(dir, "libdds_cuda.so")
	if err := os.WriteFile(src, []byte(fakeSource), 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{"-shared", "-fPIC", "-O1", "-I", filepath.Dir(hdr), "-o", lib, src}
	for _, d := range defines {
		args = append(args, "-D"+d)
	}
	if out, err := exec.Command(cc, args...).CombinedOutput(); err != nil {
		t.Fatalf("%s %s: %v\n%s", cc, strings.Join(args, " "), err, out)
	}
	fakeLibs.Store(key, lib)
	return lib
}

func wantErr(t *testing.T, err error, want string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want %q", want)
	}
	if !strings.Contains(err.Error(), want) {
		t.Fatalf("error %q, want it to contain %q", err, want)
	}
	if strings.Contains(err.Error(), "\n") {
		t.Errorf("error %q spans lines", err)
	}
}

func TestOpenFakeMessages(t *testing.T) {
	for _, c := range []struct {
		defines []string
		want    string
	}{
		{[]string{"FAKE_ABI=99"}, fmt.Sprintf("has ABI version 99, this binary needs %d; rebuild it with make cuda", ABIVersion)},
		{[]string{"FAKE_COUNT=0", "FAKE_PROBE_RC=100", `FAKE_PROBE_MSG="no CUDA-capable device is detected"`},
			"no CUDA GPU visible (no CUDA-capable device is detected)"},
		{[]string{"FAKE_COUNT=0"}, "no CUDA GPU visible (0 devices)"},
		{[]string{"FAKE_COUNT=0", "FAKE_DRIVER=12040", "FAKE_PROBE_RC=35"}, "the NVIDIA driver supports CUDA 12.4 but the library needs 13.0"},
	} {
		t.Run(strings.Join(c.defines, ","), func(t *testing.T) {
			p := fakeLibrary(t, c.defines...)
			_, err := Open(p)
			wantErr(t, err, c.want)
		})
	}
}

func TestFakeCreateFails(t *testing.T) {
	lib, err := Open(fakeLibrary(t, "FAKE_CREATE_FAILS"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = lib.NewEngine(0)
	wantErr(t, err, "CUDA device 0: fake: no context on device 0")
	_, err = lib.NewEngine(1)
	wantErr(t, err, "CUDA device 1: the library sees devices 0 to 0")
}

// panicCase is a call that must panic with a message containing want.
type panicCase struct {
	name string
	f    func()
	want string
}

// wantPanics runs each case as a subtest, and then checks that none of the rejected
// calls reached e's library.
func wantPanics(t *testing.T, e *Engine, cases []panicCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			defer func() {
				r := recover()
				if s, _ := r.(string); !strings.Contains(s, c.want) {
					t.Errorf("panic %v, want %q", r, c.want)
				}
			}()
			c.f()
		})
	}
	if err := e.Err(); err != nil {
		t.Errorf("a rejected call reached the library: %v", err)
	}
}

// fakeEngine returns an engine of the fake library (FAKE_MEM bytes of memory).
func fakeEngine(t *testing.T) *Engine { return fakeEngineWith(t, engine.FP32) }

// fakeEngineWith returns an engine of the fake library in precision p.
func fakeEngineWith(t *testing.T, p engine.Precision) *Engine {
	t.Helper()
	lib, err := Open(fakeLibrary(t))
	if err != nil {
		t.Fatal(err)
	}
	if lib.Devices() != 1 || lib.Path() == "" {
		t.Errorf("Devices() = %d, Path() = %q", lib.Devices(), lib.Path())
	}
	if d, r := lib.Versions(); d != 13000 || r != 13000 {
		t.Errorf("Versions() = %d, %d", d, r)
	}
	e, err := lib.NewEngineWith(0, p)
	if err != nil {
		t.Fatal(err)
	}
	if e.Precision() != p {
		t.Fatalf("Precision() = %v, want %v", e.Precision(), p)
	}
	t.Cleanup(e.Close)
	return e
}

// TestFakeConformance runs the conformance suite's case families of the operations
// the fake implements (ReLU forward, Add, SGD, Batch, the step-indexed operations,
// random-resized crops)
// through the binding against the CPU engine, in both precisions, which checks the
// trampolines' argument order, the steps the binding derives from the buffers'
// lengths, and in BF16 that activations are allocated, uploaded and downloaded as
// bfloat16.
func TestFakeConformance(t *testing.T) {
	lib, err := Open(fakeLibrary(t))
	if err != nil {
		t.Fatal(err)
	}
	families := []string{"relu_forward", "add", "sgd", "batch", "step_ops", "resized_batch"}
	sum := enginetest.Run(t, librarySubject(lib), cpuSubject, families...)
	for _, p := range precisions {
		for _, f := range families {
			if sum.Cases(f, p) == 0 {
				t.Errorf("no %s %s cases ran", f, p)
			}
		}
	}
}

// TestFakeBatchStaging checks the reuse of Batch's staging buffers on the fake.
func TestFakeBatchStaging(t *testing.T) { checkBatchStaging(t, fakeEngine(t)) }

// download returns counter[0] (DownloadInts), for the fake tests.
func (e *Engine) download(t *testing.T, counter engine.Ints) int32 {
	t.Helper()
	v := make([]int32, 1)
	e.DownloadInts(v, counter)
	return v[0]
}

func TestFakeMemInfo(t *testing.T) {
	lib, err := Open(fakeLibrary(t))
	if err != nil {
		t.Fatal(err)
	}
	free0, total, err := lib.MemInfo(0)
	if err != nil || total != 64<<20 || free0 > total {
		t.Fatalf("MemInfo(0) = %d, %d, %v; want at most 64 MiB free of 64 MiB", free0, total, err)
	}
	e, err := lib.NewEngine(0)
	if err != nil {
		t.Fatal(err)
	}
	e.Alloc(1000)
	free1, _, err := lib.MemInfo(0)
	if err != nil || free1 != free0-4000 {
		t.Errorf("after Alloc(1000): MemInfo(0) free = %d, %v; want %d", free1, err, free0-4000)
	}
	e.Close()
	if free2, _, _ := lib.MemInfo(0); free2 != free0 {
		t.Errorf("after Close: MemInfo(0) free = %d, want %d", free2, free0)
	}
	_, _, err = lib.MemInfo(1)
	wantErr(t, err, "CUDA device 1: the library sees devices 0 to 0")
	lib, err = Open(fakeLibrary(t, "FAKE_MEMINFO_FAILS"))
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = lib.MemInfo(0)
	wantErr(t, err, "CUDA device 0: fake: dds_mem_info fails on device 0")
}
