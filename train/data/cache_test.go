package data

import (
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/ddstools/dds/formats/anynet"
)

// TestCacheOpensOnce: concurrent Gets of a spec open it once and share the result,
// a failing spec keeps its error without being opened again, and other specs are
// opened apart.
func TestCacheOpensOnce(t *testing.T) {
	var opens sync.Map
	var calls atomic.Int32
	c := NewCache(func(spec string) (*Data, error) {
		calls.Add(1)
		n, _ := opens.LoadOrStore(spec, new(atomic.Int32))
		n.(*atomic.Int32).Add(1)
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
	if calls.Load() != 3 {
		t.Errorf("%d opens for 3 specs", calls.Load())
	}
}

// TestFits names the mismatch between a network and a data set.
func TestFits(t *testing.T) {
	d, err := Open("synthetic:8x8x1:10")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		res, ch, classes int
		want             string
	}{
		{8, 1, 10, ""},
		{8, 1, 100, ""},
		{16, 1, 10, "network takes 16x16x1 images, data synthetic:8x8x1:10:1024:256 has 8x8x1"},
		{8, 3, 10, "network takes 8x8x3 images"},
		{8, 1, 5, "data synthetic:8x8x1:10:1024:256 has 10 classes, the network only 5 outputs"},
	} {
		err := d.Fits(anynet.Net{Res: c.res, Channels: c.ch, Classes: c.classes})
		if c.want == "" && err != nil || c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)) {
			t.Errorf("%dx%dx%d, %d classes: %v, want %q", c.res, c.res, c.ch, c.classes, err, c.want)
		}
	}
}
