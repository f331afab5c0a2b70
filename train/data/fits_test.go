package data

import (
	"strings"
	"testing"

	"github.com/ddstools/dds/formats/anynet"
)

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
