package data

import (
	"fmt"
	"math/rand/v2"

	"github.com/ddstools/dds/internal/rng"
)

// MaxPad is the largest padding a Crop can express: offsets are int8 and reach 2·Pad.
const MaxPad = 63

// Crop says how one image is augmented. The image is first mirrored left-right when
// Flip is set, then zero-padded by pad pixels on every side (pad is Augment.Pad, passed
// to Set.Batch), and the output is the HxW window whose top-left corner sits at row DY,
// column DX of the padded image; DY and DX lie in [0, 2·pad]. So output pixel (y, x)
// is the flipped image's pixel (y + DY − pad, x + DX − pad), or 0 where that falls
// outside it. The identity is Crop{DY: pad, DX: pad}, which is the zero Crop when
// pad = 0.
type Crop struct {
	DY, DX int8
	Flip   bool
}

// Augment describes the random augmentation of training images: zero padding by Pad
// pixels and a random HxW crop, and a horizontal flip with probability 1/2 when Flip
// is set. The zero value is no augmentation. CIFAR training in pycls uses
// Augment{Pad: 4, Flip: true}.
type Augment struct {
	Pad  int // in [0, MaxPad]
	Flip bool
}

// Draw fills crops with independent draws from src: for each crop, in order, DY and
// then DX uniform in [0, 2·Pad] (no draw when Pad = 0), then Flip = the top bit of
// src.Uint64() when a.Flip (no draw otherwise). Integers come from Lemire's method in
// internal/rng, so a seeded PCG gives the same crops on every platform and Go release.
// It panics if Pad is outside [0, MaxPad].
func (a Augment) Draw(src *rand.PCG, crops []Crop) {
	if a.Pad < 0 || a.Pad > MaxPad {
		panic(fmt.Sprintf("data: Augment.Draw: Pad = %d, want [0, %d]", a.Pad, MaxPad))
	}
	span := uint64(2*a.Pad + 1)
	for i := range crops {
		var c Crop
		if a.Pad > 0 {
			c.DY = int8(rng.Intn(src, span))
			c.DX = int8(rng.Intn(src, span))
		}
		if a.Flip {
			c.Flip = src.Uint64()>>63 == 1
		}
		crops[i] = c
	}
}

// lutChannels is how many channels Batch normalises per pass through a batch, the
// size of its on-stack lookup table.
const lutChannels = 4

// Batch assembles the examples idx of s into dst as float32 NHWC, in idx order, and
// their labels into labels (unless labels is nil). Each value is normalised first,
// (v/255 − mean[c]) / std[c] computed in float32, and then the image is augmented by
// crops[i] with padding pad as Crop describes, so padded pixels are exactly 0 after
// normalisation. With crops nil the images are copied unaugmented and pad is unused.
//
// Shapes: dst has at least len(idx)·H·W·C values, labels (if not nil) at least
// len(idx), crops (if not nil) at least len(idx), mean and std at least C. Only those
// prefixes are written. It allocates nothing and panics on shapes that do not fit, an
// index outside [0, Len()), or a crop offset outside [0, 2·pad].
func (s *Set) Batch(dst []float32, labels []int32, idx []int, crops []Crop, pad int, mean, std []float32) {
	h, w, c := s.H, s.W, s.C
	size := h * w * c
	n := len(idx)
	switch {
	case len(dst) < n*size:
		panic(fmt.Sprintf("data: Batch: len(dst) = %d, want at least %d (%d images of %dx%dx%d)", len(dst), n*size, n, h, w, c))
	case labels != nil && len(labels) < n:
		panic(fmt.Sprintf("data: Batch: len(labels) = %d, want at least %d", len(labels), n))
	case crops != nil && len(crops) < n:
		panic(fmt.Sprintf("data: Batch: len(crops) = %d, want at least %d", len(crops), n))
	case len(mean) < c || len(std) < c:
		panic(fmt.Sprintf("data: Batch: len(mean) = %d, len(std) = %d, want at least C = %d", len(mean), len(std), c))
	case crops != nil && (pad < 0 || pad > MaxPad):
		panic(fmt.Sprintf("data: Batch: pad = %d, want [0, %d]", pad, MaxPad))
	}
	total := s.Len()
	for i, j := range idx {
		if j < 0 || j >= total {
			panic(fmt.Sprintf("data: Batch: idx[%d] = %d, want [0, %d)", i, j, total))
		}
		if crops != nil {
			if cr := crops[i]; cr.DY < 0 || int(cr.DY) > 2*pad || cr.DX < 0 || int(cr.DX) > 2*pad {
				panic(fmt.Sprintf("data: Batch: crops[%d] = %+v, want DY, DX in [0, %d] (2·pad)", i, cr, 2*pad))
			}
		}
		if labels != nil {
			labels[i] = s.Labels[j]
		}
	}
	var lut [lutChannels * 256]float32
	for c0 := 0; c0 < c; c0 += lutChannels {
		c1 := min(c, c0+lutChannels)
		for ch := c0; ch < c1; ch++ {
			m, sd := mean[ch], std[ch]
			t := lut[(ch-c0)*256 : (ch-c0+1)*256]
			for v := range t {
				t[v] = (float32(v)/255 - m) / sd
			}
		}
		for i, j := range idx {
			oy, ox, flip := 0, 0, false
			if crops != nil {
				oy, ox, flip = int(crops[i].DY)-pad, int(crops[i].DX)-pad, crops[i].Flip
			}
			s.writeImage(dst[i*size:(i+1)*size], s.Images[j*size:(j+1)*size], oy, ox, flip, c0, c1, &lut)
		}
	}
}

// writeImage writes channels [c0, c1) of one normalised, flipped and shifted image:
// out(y, x) = lut(src'(y + oy, x + ox)), where src' is src mirrored left-right when
// flip, and 0 outside the image.
func (s *Set) writeImage(out []float32, src []uint8, oy, ox int, flip bool, c0, c1 int, lut *[lutChannels * 256]float32) {
	h, w, c := s.H, s.W, s.C
	// Output columns [x0, x1) read source columns inside the image.
	x0, x1 := max(0, -ox), min(w, w-ox)
	rowLen := w * c
	for y := range h {
		row := out[y*rowLen : (y+1)*rowLen]
		sy := y + oy
		if sy < 0 || sy >= h || x0 >= x1 {
			zeroChannels(row, c, c0, c1)
			continue
		}
		zeroChannels(row[:x0*c], c, c0, c1)
		zeroChannels(row[x1*c:], c, c0, c1)
		srow := src[sy*rowLen : (sy+1)*rowLen]
		switch {
		case c == 1 && !flip:
			seg := row[x0:x1]
			for k, v := range srow[x0+ox : x1+ox] {
				seg[k] = lut[v]
			}
		case c == 1:
			seg := row[x0:x1]
			sx := w - 1 - (x0 + ox)
			for k := range seg {
				seg[k] = lut[srow[sx-k]]
			}
		case c == 3 && c1-c0 == 3:
			for x := x0; x < x1; x++ {
				sx := x + ox
				if flip {
					sx = w - 1 - sx
				}
				sp := srow[3*sx : 3*sx+3]
				op := row[3*x : 3*x+3]
				op[0], op[1], op[2] = lut[sp[0]], lut[256+int(sp[1])], lut[512+int(sp[2])]
			}
		default:
			for x := x0; x < x1; x++ {
				sx := x + ox
				if flip {
					sx = w - 1 - sx
				}
				sp := srow[sx*c : (sx+1)*c]
				op := row[x*c : (x+1)*c]
				for ch := c0; ch < c1; ch++ {
					op[ch] = lut[(ch-c0)*256+int(sp[ch])]
				}
			}
		}
	}
}

// zeroChannels sets channels [c0, c1) of every pixel of row (c channels a pixel) to 0.
func zeroChannels(row []float32, c, c0, c1 int) {
	if c0 == 0 && c1 == c {
		clear(row)
		return
	}
	for p := 0; p+c <= len(row); p += c {
		clear(row[p+c0 : p+c1])
	}
}
