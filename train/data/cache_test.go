package data

import (
	"errors"
	"maps"
	"sync"
	"testing"
)

// TestCacheOpensOnce: concurrent Gets of a spec open it once and share the result,
// a failing spec keeps its error without being opened again, and other specs are
// opened apart.
func TestCacheOpensOnce(t *testing.T) {
	var mu sync.Mutex
	opens := map[string]int{}
	c := NewCache(func(spec string) (*Data, error) {
		mu.Lock()
		opens[spec]++
		mu.Unlock()
		if spec == "bad" {
			return nil, errors.New("bad spec")
		}
		return Open(spec)
	})
	var wg sync.WaitGroup
	got := make([]*Data, 8)
	for i := range got {
		wg.Go(func() {
			d, err := c.Get("synthetic:8x8x1")
			if err != nil {
				t.Error(err)
			}
			got[i] = d
		})
	}
	wg.Wait()
	for _, d := range got {
		if d == nil || d != got[0] {
			t.Fatalf("Gets returned different data sets: %p and %p", d, got[0])
		}
	}
	for range 2 {
		if _, err := c.Get("bad"); err == nil || err.Error() != "bad spec" {
			t.Errorf("bad spec: error %v", err)
		}
	}
	if d, err := c.Get("synthetic:8x8x3"); err != nil || d.Train.C != 3 {
		t.Errorf("second spec: %v, %v", d, err)
	}
	want := map[string]int{"synthetic:8x8x1": 1, "bad": 1, "synthetic:8x8x3": 1}
	if !maps.Equal(opens, want) {
		t.Errorf("opens per spec %v, want %v", opens, want)
	}
}
