// Package golden reads and writes the golden files of tests (under a package's
// testdata folder): a test compares with them, and `go test -update` rewrites them
// from what generates them, so that a change to them shows in git diff. Users: the
// PyTorch oracle tests, whose golden files hold PyTorch's side so that they run
// without PyTorch, and internal/cases.
//
// -update is a flag only of the test binaries that import this package, so name
// those packages (with ./... the others refuse the flag):
//
//	go test ./train/network ./evaluate/evaluator ./train/safetensors -run Torch -update
//	go test ./internal/cases ./show ./sample ./compare ./bootstrap ./refine -run 'TestCases|TestInputs' -update
//
// The first needs Debian's python3-torch (internal/torchpeer); the network and
// evaluator oracles also the peer module ../shared/peer, and the evaluator's the
// MNIST data set (train/data). Both regenerate byte-identical files.
package golden

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata instead of comparing with them")

// Update reports whether the test binary runs with -update.
func Update() bool { return *update }

// Read returns the content of the golden file at path, failing t (with the
// command that writes it) when it cannot be read.
func Read(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("golden file: %v (go test -update writes it)", err)
	}
	return b
}

// Write writes b to the golden file at path, making its folder.
func Write(t testing.TB, path string, b []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// Check compares got with the golden file at path, or, with -update, writes got
// there. A mismatch fails t, naming the first differing line.
func Check(t testing.TB, path string, got []byte) {
	t.Helper()
	if *update {
		Write(t, path, got)
		return
	}
	want := Read(t, path)
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the output (go test -update rewrites it): %s", path, firstDiff(got, want))
	}
}

// CheckOptional is Check for a golden file that an empty output leaves out: with
// -update an empty got removes the file, and without it a missing file means
// empty.
func CheckOptional(t testing.TB, path string, got []byte) {
	t.Helper()
	if *update && len(got) == 0 {
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			t.Fatal(err)
		}
		return
	}
	if !*update {
		if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
			if len(got) != 0 {
				t.Errorf("%s is missing and the output is not empty (go test -update writes it): %s", path, firstDiff(got, nil))
			}
			return
		}
	}
	Check(t, path, got)
}

// firstDiff describes the first line where got and want differ.
func firstDiff(got, want []byte) string {
	g, w := bytes.SplitAfter(got, []byte("\n")), bytes.SplitAfter(want, []byte("\n"))
	for i := 0; i < max(len(g), len(w)); i++ {
		var gl, wl []byte
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if !bytes.Equal(gl, wl) {
			return fmt.Sprintf("line %d: got %q, want %q", i+1, gl, wl)
		}
	}
	return "same lines"
}
