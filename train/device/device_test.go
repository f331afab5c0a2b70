package device

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ddstools/dds/train/cpu"
	"github.com/ddstools/dds/train/cuda"
	"github.com/ddstools/dds/train/engine"
)

func TestOpen(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "libdds_cuda.so")
	broken := filepath.Join(t.TempDir(), "libdds_cuda.so")
	if err := os.WriteFile(broken, []byte("not a library"), 0o644); err != nil {
		t.Fatal(err)
	}
	// A binary built without cgo loads no library: every Open of cuda is not found.
	_, err := cuda.Open(broken)
	nocgo := errors.Is(err, cuda.ErrNotFound)
	for _, c := range []struct {
		lib, spec, note, err string
	}{
		{lib: missing, spec: "cpu"},
		{lib: missing, spec: "auto", note: "no GPU used: cuda: CUDA library not found"}, // saying why
		{lib: broken, spec: "auto", note: "no GPU used: cuda: " + broken},
		{lib: missing, spec: "cuda", err: "cuda: CUDA library not found (tried: " + missing + ")"},
		{lib: broken, spec: "cuda:1", err: "cuda: " + broken},
		{lib: missing, spec: "cuda:x", err: `bad --device "cuda:x": want cuda:N`},
		{lib: missing, spec: "cuda:-1", err: `bad --device "cuda:-1": want cuda:N`},
		{lib: missing, spec: "gpu", err: `bad --device "gpu": want cpu, cuda, cuda:N or auto`},
	} {
		t.Setenv(cuda.EnvLibrary, c.lib)
		if nocgo && strings.HasPrefix(c.err, "cuda:") {
			c.err = "cuda: CUDA library not found"
		}
		if nocgo && c.note != "" {
			c.note = "no GPU used: cuda: CUDA library not found"
		}
		d, err := Open(c.spec)
		if c.err != "" {
			if err == nil || !strings.HasPrefix(err.Error(), c.err) || strings.Contains(err.Error(), "\n") {
				t.Errorf("Open(%q) with %s: error %v, want one line starting %q", c.spec, c.lib, err, c.err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("Open(%q): %v", c.spec, err)
		}
		if d.Name != "cpu" || !strings.HasPrefix(d.Note, c.note) || (c.note == "") != (d.Note == "") || d.CUDA() {
			t.Errorf("Open(%q) with %s = %q (note %q), want cpu (note %q...)", c.spec, c.lib, d.Name, d.Note, c.note)
		}
		e, err := d.NewEngine(engine.FP32)
		if _, ok := e.(*cpu.Engine); err != nil || !ok {
			t.Errorf("Open(%q).NewEngine() = %T, %v; want the CPU engine", c.spec, e, err)
		}
		if _, ok, err := d.FreeMemory(); ok || err != nil {
			t.Errorf("Open(%q).FreeMemory() reports memory on the CPU", c.spec)
		}
	}
}
