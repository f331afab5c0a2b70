package data

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/ddstools/dds/internal/approx"
)

// fits reports whether a box of integer sides w×h is the rounding of some real
// w'×h' (|w − w'|, |h − h'| ≤ ½) whose area is a fraction in [lo, hi] of the image's
// and whose ratio w'/h' is in [rlo, rhi].
func fits(w, h, area float64, c ResizedCrop) bool {
	return (w+0.5)*(h+0.5) >= c.MinScale*area && (w-0.5)*(h-0.5) <= c.MaxScale*area &&
		(w+0.5)/(h-0.5) >= c.MinRatio && (w-0.5)/(h+0.5) <= c.MaxRatio
}

func TestResizedCropDraw(t *testing.T) {
	c := ImageNetCrop
	for _, sz := range []struct{ h, w int }{{32, 32}, {224, 224}, {24, 40}, {64, 7}} {
		boxes := make([]Box, 4000)
		c.Draw(rand.NewPCG(7, 8), sz.h, sz.w, boxes)
		area := float64(sz.h * sz.w)
		var flips, central int
		var logRatio float64
		for _, b := range boxes {
			if b.Top < 0 || b.Left < 0 || b.Height < 1 || b.Width < 1 || int(b.Top+b.Height) > sz.h || int(b.Left+b.Width) > sz.w {
				t.Fatalf("%dx%d: box %+v outside the image", sz.h, sz.w, b)
			}
			if !fits(float64(b.Width), float64(b.Height), area, c) {
				central++ // only the fallback may break the scale range
				wantH, wantW := sz.h, sz.w
				if r := float64(sz.w) / float64(sz.h); r < c.MinRatio {
					wantH = int(math.RoundToEven(float64(sz.w) / c.MinRatio))
				} else if r > c.MaxRatio {
					wantW = int(math.RoundToEven(float64(sz.h) * c.MaxRatio))
				}
				if int(b.Height) != wantH || int(b.Width) != wantW || int(b.Top) != (sz.h-wantH)/2 || int(b.Left) != (sz.w-wantW)/2 {
					t.Fatalf("%dx%d: box %+v is neither in the scale and ratio ranges nor the central fallback", sz.h, sz.w, b)
				}
			}
			if b.Flip {
				flips++
			}
			logRatio += math.Log(float64(b.Width) / float64(b.Height))
		}
		if !approx.Close(float64(flips)/4000, 0.5, 0.03, 0) {
			t.Errorf("%dx%d: %d flips in 4000, want about half", sz.h, sz.w, flips)
		}
		if sz.h == sz.w {
			if central > 0 {
				t.Errorf("%dx%d: %d boxes outside the ranges", sz.h, sz.w, central)
			}
			// On a square image the ratio is symmetric in log space.
			if m := logRatio / 4000; !approx.Close(m, 0, 0.02, 0) {
				t.Errorf("%dx%d: mean log ratio %.3f, want about 0", sz.h, sz.w, m)
			}
		}
	}
	// The same seed gives the same boxes; another seed others.
	a, b, d := make([]Box, 50), make([]Box, 50), make([]Box, 50)
	c.Draw(rand.NewPCG(1, 2), 32, 32, a)
	c.Draw(rand.NewPCG(1, 2), 32, 32, b)
	c.Draw(rand.NewPCG(1, 3), 32, 32, d)
	if !slices.Equal(a, b) || slices.Equal(a, d) {
		t.Errorf("draws are not a function of the seed")
	}
	// A scale range no box reaches leaves the fallback: the centred box of the whole
	// image clamped to the ratio range.
	never := ResizedCrop{MinScale: 2, MaxScale: 3, MinRatio: 3.0 / 4, MaxRatio: 4.0 / 3}
	for _, cs := range []struct {
		h, w int
		want Box
	}{
		{10, 40, Box{Top: 0, Left: 13, Height: 10, Width: 13}},
		{40, 10, Box{Top: 13, Left: 0, Height: 13, Width: 10}},
		{20, 22, Box{Top: 0, Left: 0, Height: 20, Width: 22}},
	} {
		got := make([]Box, 1)
		never.Draw(rand.NewPCG(5, 5), cs.h, cs.w, got)
		if got[0] != cs.want {
			t.Errorf("fallback on %dx%d: %+v, want %+v", cs.h, cs.w, got[0], cs.want)
		}
	}
}

func TestResizedBatch(t *testing.T) {
	s := &Set{H: 4, W: 4, C: 2, Classes: 3, Images: make([]uint8, 2*32), Labels: []int32{2, 1}}
	for i := range s.Images {
		s.Images[i] = uint8(7*i + 3)
	}
	mean, std := []float32{0.2, 0.5}, []float32{0.5, 0.25}
	norm := func(v float64, c int) float64 { return (v/255 - float64(mean[c])) / float64(std[c]) }
	// The whole image is the image itself; flipped, its mirror.
	want := make([]float32, 64)
	s.Batch(want, nil, []int{1, 0}, nil, 0, mean, std)
	got := make([]float32, 64)
	labels := make([]int32, 2)
	s.ResizedBatch(got, labels, []int{1, 0}, []Box{{0, 0, 4, 4, false}, {0, 0, 4, 4, false}}, mean, std)
	checkClose(t, "whole box", got, want, 1e-6)
	if !slices.Equal(labels, []int32{1, 2}) {
		t.Errorf("labels %v, want [1 2]", labels)
	}
	s.ResizedBatch(got, nil, []int{0}, []Box{{0, 0, 4, 4, true}}, mean, std)
	var mirror []float32
	for y := range 4 {
		for x := range 4 {
			mirror = append(mirror, want[32+(y*4+3-x)*2:32+(y*4+3-x)*2+2]...)
		}
	}
	checkClose(t, "flipped whole box", got[:32], mirror, 1e-6)
	// A 2×2 box upscaled to 4×4 samples positions −¼→0, ¼, ¾, 1¼→1 of it on each axis.
	s.ResizedBatch(got, nil, []int{0}, []Box{{1, 2, 2, 2, false}}, mean, std)
	pos := []float64{0, 0.25, 0.75, 1}
	px := func(y, x, c int) float64 { return float64(s.Images[(y*4+x)*2+c]) }
	var exp []float64
	for y := range 4 {
		for x := range 4 {
			for c := range 2 {
				fy, fx := pos[y], pos[x]
				top := px(1, 2, c)*(1-fx) + px(1, 3, c)*fx
				bot := px(2, 2, c)*(1-fx) + px(2, 3, c)*fx
				exp = append(exp, norm(top*(1-fy)+bot*fy, c))
			}
		}
	}
	g64 := make([]float64, 32)
	for i, v := range got[:32] {
		g64[i] = float64(v)
	}
	checkClose(t, "upscaled box", g64, exp, 1e-5)
}
