package data

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// randomSet returns n random images of shape h x w x c with labels i % 3.
func randomSet(n, h, w, c int, seed uint64) *Set {
	r := rand.New(rand.NewPCG(seed, 1))
	s := &Set{Name: "random", H: h, W: w, C: c, Classes: 3, Images: make([]uint8, n*h*w*c), Labels: make([]int32, n)}
	for i := range s.Images {
		s.Images[i] = uint8(r.IntN(256))
	}
	for i := range s.Labels {
		s.Labels[i] = int32(i % 3)
	}
	return s
}

// refBatch is the naive reference of Batch, one step at a time: normalise, flip, pad
// with zeros, crop. padded[k] reports whether output value k came from the padding.
func refBatch(s *Set, idx []int, crops []Crop, pad int, mean, std []float32) (out []float32, padded []bool) {
	h, w, c := s.H, s.W, s.C
	hp, wp := h+2*pad, w+2*pad
	for i, j := range idx {
		img := s.Images[j*h*w*c : (j+1)*h*w*c]
		norm := make([]float32, h*w*c)
		for q, v := range img {
			norm[q] = (float32(v)/255 - mean[q%c]) / std[q%c]
		}
		flipped := slices.Clone(norm)
		if crops[i].Flip {
			for y := range h {
				for x := range w {
					for ch := range c {
						flipped[(y*w+x)*c+ch] = norm[(y*w+(w-1-x))*c+ch]
					}
				}
			}
		}
		big := make([]float32, hp*wp*c)
		inside := make([]bool, hp*wp*c)
		for y := range h {
			for x := range w {
				for ch := range c {
					big[((y+pad)*wp+x+pad)*c+ch] = flipped[(y*w+x)*c+ch]
					inside[((y+pad)*wp+x+pad)*c+ch] = true
				}
			}
		}
		dy, dx := int(crops[i].DY), int(crops[i].DX)
		for y := range h {
			for x := range w {
				for ch := range c {
					k := ((y+dy)*wp+x+dx)*c + ch
					out = append(out, big[k])
					padded = append(padded, !inside[k])
				}
			}
		}
	}
	return out, padded
}

func TestBatchAgainstReference(t *testing.T) {
	const guard = 7 // sentinel values after the batch that must stay untouched
	for _, c := range []struct{ h, w, ch, pad int }{
		{4, 5, 2, 0}, {4, 5, 2, 1}, {4, 5, 2, 2}, {4, 5, 1, 2}, {3, 4, 3, 1}, {3, 4, 3, 3}, {3, 3, 5, 2}, {2, 6, 4, 1}, {3, 3, 9, 3},
	} {
		name := fmt.Sprintf("%dx%dx%d/pad%d", c.h, c.w, c.ch, c.pad)
		s := randomSet(3, c.h, c.w, c.ch, uint64(c.h*100+c.ch))
		mean, std := make([]float32, c.ch), make([]float32, c.ch)
		for k := range c.ch {
			mean[k], std[k] = 0.1*float32(k+1), 0.2+0.05*float32(k)
		}
		// Every crop and flip, each on a different example.
		var idx []int
		var crops []Crop
		for dy := 0; dy <= 2*c.pad; dy++ {
			for dx := 0; dx <= 2*c.pad; dx++ {
				for _, flip := range []bool{false, true} {
					crops = append(crops, Crop{DY: int8(dy), DX: int8(dx), Flip: flip})
					idx = append(idx, len(idx)%3)
				}
			}
		}
		size := c.h * c.w * c.ch
		dst := make([]float32, len(idx)*size+guard)
		labels := make([]int32, len(idx)+guard)
		for k := range guard {
			dst[len(idx)*size+k], labels[len(idx)+k] = 42, 42
		}
		s.Batch(dst, labels, idx, crops, c.pad, mean, std)
		want, padded := refBatch(s, idx, crops, c.pad, mean, std)
		checkClose(t, name, dst[:len(idx)*size], want, 1e-6)
		for k, p := range padded {
			if p && dst[k] != 0 {
				t.Fatalf("%s: padded value %d = %v, want exactly 0", name, k, dst[k])
			}
		}
		for i, j := range idx {
			if labels[i] != s.Labels[j] {
				t.Errorf("%s: label %d = %d, want %d", name, i, labels[i], s.Labels[j])
			}
		}
		for k := range guard {
			if dst[len(idx)*size+k] != 42 || labels[len(idx)+k] != 42 {
				t.Fatalf("%s: Batch wrote past the batch", name)
			}
		}

		// No crops, and the centred crop, are the identity (the normalised image).
		ident := make([]Crop, len(idx))
		for i := range ident {
			ident[i] = Crop{DY: int8(c.pad), DX: int8(c.pad)}
		}
		norm, _ := refBatch(s, idx, make([]Crop, len(idx)), 0, mean, std)
		s.Batch(dst, nil, idx, nil, c.pad, mean, std)
		checkClose(t, name+" nil crops", dst[:len(idx)*size], norm, 1e-6)
		s.Batch(dst, nil, idx, ident, c.pad, mean, std)
		checkClose(t, name+" centred crop", dst[:len(idx)*size], norm, 1e-6)
	}
}

func TestBatchPanics(t *testing.T) {
	s := randomSet(2, 2, 3, 1, 1)
	m, sd := []float32{0.5}, []float32{0.25}
	dst := make([]float32, 2*6)
	for _, c := range []struct {
		name string
		call func()
		want string
	}{
		{"dst", func() { s.Batch(dst[:11], nil, []int{0, 1}, nil, 0, m, sd) }, "len(dst) = 11, want at least 12"},
		{"labels", func() { s.Batch(dst, make([]int32, 1), []int{0, 1}, nil, 0, m, sd) }, "len(labels) = 1, want at least 2"},
		{"crops", func() { s.Batch(dst, nil, []int{0, 1}, make([]Crop, 1), 0, m, sd) }, "len(crops) = 1, want at least 2"},
		{"mean", func() { s.Batch(dst, nil, []int{0}, nil, 0, nil, sd) }, "len(mean) = 0, len(std) = 1, want at least C = 1"},
		{"index", func() { s.Batch(dst, nil, []int{0, 2}, nil, 0, m, sd) }, "idx[1] = 2, want [0, 2)"},
		{"negative index", func() { s.Batch(dst, nil, []int{-1}, nil, 0, m, sd) }, "idx[0] = -1, want [0, 2)"},
		{"crop range", func() { s.Batch(dst, nil, []int{0, 1}, []Crop{{}, {DY: 3}}, 1, m, sd) }, "crops[1] = {DY:3 DX:0 Flip:false}, want DY, DX in [0, 2]"},
		{"negative crop", func() { s.Batch(dst, nil, []int{0}, []Crop{{DX: -1}}, 1, m, sd) }, "crops[0] = {DY:0 DX:-1 Flip:false}"},
		{"pad", func() { s.Batch(dst, nil, []int{0}, []Crop{{}}, 64, m, sd) }, "pad = 64, want [0, 63]"},
		{"draw pad", func() { Augment{Pad: -1}.Draw(rand.NewPCG(1, 2), make([]Crop, 1)) }, "Augment.Draw: Pad = -1, want [0, 63]"},
	} {
		func() {
			defer func() {
				msg := fmt.Sprint(recover())
				if !strings.Contains(msg, c.want) || !strings.HasPrefix(msg, "data: ") {
					t.Errorf("%s: panic %q, want one containing %q", c.name, msg, c.want)
				}
			}()
			c.call()
		}()
	}
}

func TestBatchAllocatesNothing(t *testing.T) {
	s := randomSet(64, 32, 32, 3, 2)
	idx := Permutation(64, 1, 0)
	crops := make([]Crop, 64)
	Augment{Pad: 4, Flip: true}.Draw(rand.NewPCG(1, 1), crops)
	dst, labels := make([]float32, 64*32*32*3), make([]int32, 64)
	mean, std := s.MeanStd()
	if n := testing.AllocsPerRun(5, func() { s.Batch(dst, labels, idx, crops, 4, mean, std) }); n != 0 {
		t.Errorf("Batch allocates %v times per call", n)
	}
}

func TestDraw(t *testing.T) {
	crops := make([]Crop, 4000)
	for i := range crops {
		crops[i] = Crop{DY: 9, DX: 9, Flip: true}
	}
	Augment{}.Draw(rand.NewPCG(1, 2), crops)
	for i, c := range crops {
		if c != (Crop{}) {
			t.Fatalf("zero Augment drew crops[%d] = %+v, want the identity", i, c)
		}
	}
	a := Augment{Pad: 4, Flip: true}
	a.Draw(rand.NewPCG(3, 4), crops)
	again := make([]Crop, len(crops))
	a.Draw(rand.NewPCG(3, 4), again)
	if !slices.Equal(crops, again) {
		t.Error("Draw is not deterministic")
	}
	var dy, dx [9]int
	flips := 0
	for _, c := range crops {
		if c.DY < 0 || c.DY > 8 || c.DX < 0 || c.DX > 8 {
			t.Fatalf("crop %+v outside [0, 8]", c)
		}
		dy[c.DY]++
		dx[c.DX]++
		if c.Flip {
			flips++
		}
	}
	for v := range 9 { // 4000/9 ≈ 444 each
		if dy[v] < 350 || dy[v] > 540 || dx[v] < 350 || dx[v] > 540 {
			t.Errorf("offset %d drawn %d (DY) and %d (DX) times of 4000, want about 444", v, dy[v], dx[v])
		}
	}
	if flips < 1850 || flips > 2150 {
		t.Errorf("%d flips of 4000, want about 2000", flips)
	}
	Augment{Pad: 2}.Draw(rand.NewPCG(5, 6), crops)
	for _, c := range crops {
		if c.Flip {
			t.Fatal("Augment without Flip drew a flip")
		}
	}
}

// BenchmarkBatch assembles one training batch of 128 augmented CIFAR-size images.
func BenchmarkBatch(b *testing.B) {
	for _, c := range []struct{ h, w, ch int }{{32, 32, 3}, {28, 28, 1}} {
		b.Run(fmt.Sprintf("%dx%dx%d", c.h, c.w, c.ch), func(b *testing.B) {
			const n = 128
			s := randomSet(n, c.h, c.w, c.ch, 3)
			idx := Permutation(n, 1, 0)
			crops := make([]Crop, n)
			Augment{Pad: 4, Flip: true}.Draw(rand.NewPCG(1, 1), crops)
			dst := make([]float32, n*c.h*c.w*c.ch)
			labels := make([]int32, n)
			mean, std := s.MeanStd()
			b.SetBytes(int64(len(dst) * 4))
			for b.Loop() {
				s.Batch(dst, labels, idx, crops, 4, mean, std)
			}
		})
	}
}
