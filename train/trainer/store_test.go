package trainer

import (
	"os"
	"path/filepath"
	"testing"
)

// TestOpenStoreRemovesTemporaries checks that OpenStore removes the temporary files
// a killed run left (those of formats.WriteFile and of earlier versions) and keeps
// the checkpoints, and that SaveDone and LoadDone round-trip a result.
func TestOpenStoreRemovesTemporaries(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{".k.done.tmp123", ".tmp-456", "k.state"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	s, err := OpenStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	if es, _ := os.ReadDir(dir); len(es) != 1 || es[0].Name() != "k.state" {
		t.Errorf("after OpenStore the folder holds %v, want only k.state", es)
	}
	if err := s.SaveDone("k", Result{Status: "ok"}); err != nil {
		t.Fatal(err)
	}
	r, err := s.LoadDone("k")
	if err != nil || r == nil || r.Status != "ok" {
		t.Errorf("LoadDone = %+v, %v", r, err)
	}
	if es, _ := os.ReadDir(dir); len(es) != 1 || es[0].Name() != "k.done" {
		t.Errorf("after SaveDone the folder holds %v, want only k.done", es)
	}
}
