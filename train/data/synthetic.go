package data

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"

	"github.com/ddstools/dds/formats/anynet"
	"github.com/ddstools/dds/internal/rng"
)

// Defaults and limits of synthetic specs.
const (
	synthClasses  = 10
	synthTrain    = 1024
	synthTest     = 256
	synthMaxBytes = 1 << 34 // total image bytes of both splits
	synthMaxSide  = 1 << 14
	synthCells    = 4  // the class prototype is a synthCells x synthCells grid per channel
	synthNoise    = 64 // per-pixel noise is uniform in [-synthNoise, synthNoise)
)

// Seeds of the three synthetic random streams (prototypes, train split, test split).
const (
	synthProtoSeed = 1
	synthTrainSeed = 2
	synthTestSeed  = 3
)

// parseSynthetic parses the part of a spec after "synthetic:":
// HxWxC[:CLASSES[:NTRAIN[:NTEST]]]; an empty field takes its default.
func parseSynthetic(arg string) (h, w, c, classes, ntrain, ntest int, err error) {
	fail := func(format string, args ...any) (int, int, int, int, int, int, error) {
		return 0, 0, 0, 0, 0, 0, fmt.Errorf("synthetic: %q: "+format, append([]any{arg}, args...)...)
	}
	fields := strings.Split(arg, ":")
	if len(fields) > 4 {
		return fail("want HxWxC[:CLASSES[:NTRAIN[:NTEST]]], found %d fields", len(fields))
	}
	dims := strings.Split(fields[0], "x")
	if len(dims) != 3 {
		return fail("shape %q: want HxWxC, e.g. 32x32x3", fields[0])
	}
	var shape [3]int
	for i, d := range dims {
		v, err := strconv.Atoi(d)
		if err != nil || v < 1 || v > synthMaxSide {
			return fail("shape %q: %q is not a whole number in [1, %d]", fields[0], d, synthMaxSide)
		}
		shape[i] = v
	}
	h, w, c = shape[0], shape[1], shape[2]
	vals := []int{synthClasses, synthTrain, synthTest}
	names := []string{"CLASSES", "NTRAIN", "NTEST"}
	lows := []int{anynet.MinClasses, 1, 1}
	highs := []int{anynet.MaxClasses, 1 << 30, 1 << 30} // classes: what a network may have
	for i, f := range fields[1:] {
		if f == "" {
			continue
		}
		v, err := strconv.Atoi(f)
		if err != nil || v < lows[i] || v > highs[i] {
			return fail("%s %q is not a whole number in [%d, %d]", names[i], f, lows[i], highs[i])
		}
		vals[i] = v
	}
	classes, ntrain, ntest = vals[0], vals[1], vals[2]
	if bytes := int64(ntrain+ntest) * int64(h) * int64(w) * int64(c); bytes > synthMaxBytes {
		return fail("%d images of %dx%dx%d take %d bytes, more than the %d allowed", ntrain+ntest, h, w, c, bytes, int64(synthMaxBytes))
	}
	return h, w, c, classes, ntrain, ntest, nil
}

// synthetic builds the train and test sets of a synthetic spec. Each class has a
// prototype: a grid of synthCells x synthCells cells (fewer where the image is smaller)
// per channel, each cell a value in [64, 192]. An example draws its label uniformly,
// then each pixel is its class prototype's cell value plus noise uniform in [-64, 64),
// clamped to [0, 255]. Prototypes come from PCG(SplitMix64(1, 1), SplitMix64(1, 2)),
// the train split from the stream of seed 2 and the test split from that of seed 3, in
// example order, so the first n examples of a split do not depend on its size.
func synthetic(h, w, c, classes, ntrain, ntest int) (train, test *Set) {
	cy, cx := min(synthCells, h), min(synthCells, w)
	src := synthStream(synthProtoSeed)
	proto := make([]uint8, classes*cy*cx*c)
	for i := range proto {
		proto[i] = uint8(64 + rng.Intn(src, 129))
	}
	// cellOf[y*w+x] is the offset of pixel (y, x)'s cell in a class prototype.
	cellOf := make([]int, h*w)
	for y := range h {
		for x := range w {
			cellOf[y*w+x] = ((y*cy/h)*cx + x*cx/w) * c
		}
	}
	gen := func(seed uint64, n int, name string) *Set {
		s := &Set{Name: name, H: h, W: w, C: c, Classes: classes,
			Images: make([]uint8, n*h*w*c), Labels: make([]int32, n)}
		src := synthStream(seed)
		size := h * w * c
		for i := range n {
			label := int(rng.Intn(src, uint64(classes)))
			s.Labels[i] = int32(label)
			p := proto[label*cy*cx*c : (label+1)*cy*cx*c]
			img := s.Images[i*size : (i+1)*size]
			var bits uint64
			left := 0 // noise bytes left in bits
			for q, off := range cellOf {
				for ch := range c {
					if left == 0 {
						bits, left = src.Uint64(), 8
					}
					noise := int(bits&0xff)>>1 - synthNoise
					bits >>= 8
					left--
					img[q*c+ch] = uint8(min(255, max(0, int(p[off+ch])+noise)))
				}
			}
		}
		return s
	}
	return gen(synthTrainSeed, ntrain, "train"), gen(synthTestSeed, ntest, "test")
}

func synthStream(seed uint64) *rand.PCG {
	return rand.NewPCG(rng.SplitMix64(seed, 1), rng.SplitMix64(seed, 2))
}
