package cuda

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestDefaultPaths(t *testing.T) {
	t.Setenv(EnvLibrary, "")
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	if r, err := filepath.EvalSymlinks(exe); err == nil {
		exe = r
	}
	dir := filepath.Dir(exe)
	want := []string{filepath.Join(dir, LibraryName), filepath.Join(filepath.Dir(dir), "lib", LibraryName), LibraryName}
	if got := DefaultPaths(); !slices.Equal(got, want) {
		t.Errorf("DefaultPaths() = %q, want %q", got, want)
	}
	t.Setenv(EnvLibrary, "/opt/dds/libdds_cuda.so")
	if got := DefaultPaths(); !slices.Equal(got, []string{"/opt/dds/libdds_cuda.so"}) {
		t.Errorf("with %s set: DefaultPaths() = %q", EnvLibrary, got)
	}
}

func TestErrorText(t *testing.T) {
	e := &Error{Code: StatusOOM, Message: "dds_alloc: out of memory"}
	if e.Error() != "CUDA: dds_alloc: out of memory" || e.Unwrap() != ErrOutOfMemory {
		t.Errorf("%q, %v", e.Error(), e.Unwrap())
	}
	if e := (&Error{Code: 700}); e.Error() != "CUDA: error 700" || e.Unwrap() != nil {
		t.Errorf("%q, %v", e.Error(), e.Unwrap())
	}
	if v := cudaVersion(12040); v != "12.4" {
		t.Errorf("cudaVersion(12040) = %s", v)
	}
}
