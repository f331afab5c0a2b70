//go:build cgo

package cuda

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestOpenNotFound(t *testing.T) {
	p := filepath.Join(t.TempDir(), "nowhere", LibraryName)
	_, err := Open(p)
	wantErr(t, err, "CUDA library not found (tried: "+p+"); build it with make cuda")
}

func TestOpenDefaultNotFound(t *testing.T) {
	dir := t.TempDir()
	t.Setenv(EnvLibrary, filepath.Join(dir, LibraryName))
	_, err := Open("")
	wantErr(t, err, "CUDA library not found (tried: "+filepath.Join(dir, LibraryName)+"); build it")
}

// TestOpenNotALibrary gives Open a file that exists but is no shared object: its
// error is dlopen's, naming the file, not "not found".
func TestOpenNotALibrary(t *testing.T) {
	p := filepath.Join(t.TempDir(), LibraryName)
	if err := os.WriteFile(p, []byte("not an ELF file, just text that is long enough to have a header\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Open(p)
	wantErr(t, err, p)
	if strings.Contains(err.Error(), "not found") {
		t.Errorf("error %q for a file that exists", err)
	}
	t.Log(err)
}

// TestOpenOtherLibrary loads a shared library that is not dds's (the C math
// library, found by dlopen's own search): Open names the first missing function.
func TestOpenOtherLibrary(t *testing.T) {
	_, err := Open("libm.so.6")
	if err != nil && strings.Contains(err.Error(), "not found") {
		t.Skip(err)
	}
	wantErr(t, err, "libm.so.6 is not dds's CUDA library: it lacks dds_abi_version")
}

// TestOpenBareNameNotFound: a bare name that dlopen's search does not find is "not found".
func TestOpenBareNameNotFound(t *testing.T) {
	_, err := Open("libdds_cuda_does_not_exist.so")
	wantErr(t, err, "CUDA library not found (tried: libdds_cuda_does_not_exist.so)")
}
