package trainer

import (
	"os"
	"path/filepath"
	"testing"
)

// TestOpenStoreRemovesTemporaries checks that OpenStore removes the temporary files
// a killed run left (those of formats.WriteFile and of earlier versions) and keeps
// the checkpoints and files that are not its own, and that SaveDone and LoadDone
// round-trip a result.
func TestOpenStoreRemovesTemporaries(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{".k.done.tmp123", ".k.state.tmp7", ".tmp-456", "k.state", ".notes.tmp1"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	s, err := OpenStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	if es, _ := os.ReadDir(dir); len(es) != 2 || es[0].Name() != ".notes.tmp1" || es[1].Name() != "k.state" {
		t.Errorf("after OpenStore the folder holds %v, want .notes.tmp1 and k.state", es)
	}
	if err := os.Remove(filepath.Join(dir, ".notes.tmp1")); err != nil {
		t.Fatal(err)
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
