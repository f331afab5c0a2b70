package formats

import (
	"fmt"
	"math"
)

// Geometry is an input geometry to re-target a space to; a zero field keeps the
// space's value (StemS too, which then follows StemStride).
type Geometry struct {
	Res, Channels, Classes, StemS int
}

// minFinalSide is the side, in pixels, the last stage should keep at least when
// StageStrides chooses the first stage's stride.
const minFinalSide = 4

// StemStride returns the stem stride for input side res: 2 from 128 pixels up
// (ImageNet-size input), 1 below (CIFAR and MNIST size).
func StemStride(res int) int {
	if res >= 128 {
		return 2
	}
	return 1
}

// StageStrides returns the strides of n stages at input side res after a stem of
// stride stem: stages 2..n halve the resolution (stride 2); the first stage has
// stride 2 when the last stage then keeps at least minFinalSide pixels, i.e.
// res/(stem·2^n) ≥ 4, and stride 1 otherwise. With 4 stages this gives the
// built-in geometries: 224 with stem 2 → 2,2,2,2 (7×7 at the end), 32 and 28 with
// stem 1 → 1,2,2,2 (4×4); 64 with stem 1 → 2,2,2,2 (4×4).
func StageStrides(n, res, stem int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = 2
	}
	if n > 0 && float64(res)/float64(stem)/math.Pow(2, float64(n)) < minFinalSide {
		s[0] = 1
	}
	return s
}

// Retarget moves s to the geometry g: the input resolution, channels and classes
// (zero fields kept), the stem stride (g.StemS, or StemStride(res) when zero and
// the resolution changes) and the stage strides (StageStrides, when the
// resolution or the stem stride changes). The flops and activation bounds scale by
// the ratio of the first stage's output area, ((res'/(stem'·s1')) / (res/(stem·s1)))²,
// which every later stage shares since those all have stride 2 (the stem and head
// are a small part of the total); params bounds are kept, as the parameters of a
// network do not depend on its resolution. Bounds given afterwards (sample's
// --flops, --params, --acts) replace these. The name gains "@RxRxC-K", and the
// space is validated. A geometry equal to the space's changes nothing.
func (s *Space) Retarget(g Geometry) error {
	if g.Res < 0 || g.Channels < 0 || g.Classes < 0 || g.StemS < 0 {
		return fmt.Errorf("space %q: re-target to %+v: values must be positive", s.Name, g)
	}
	res, stem := s.Res, s.StemS
	if g.Res > 0 {
		res = g.Res
		if g.StemS == 0 && g.Res != s.Res {
			stem = StemStride(res)
		}
	}
	if g.StemS > 0 {
		stem = g.StemS
	}
	strides := s.Strides
	if res != s.Res || stem != s.StemS {
		strides = StageStrides(len(s.Strides), res, stem)
	}
	side := func(res, stem int, strides []int) float64 {
		return float64(res) / float64(stem*strides[0])
	}
	if len(s.Strides) > 0 {
		f := math.Pow(side(res, stem, strides)/side(s.Res, s.StemS, s.Strides), 2)
		s.Flops = scaleBounds(s.Flops, f)
		s.Acts = scaleBounds(s.Acts, f)
	}
	before := fmt.Sprint(s.Res, s.Channels, s.Classes, s.StemS, s.Strides)
	s.Res, s.StemS, s.Strides = res, stem, strides
	if g.Channels > 0 {
		s.Channels = g.Channels
	}
	if g.Classes > 0 {
		s.Classes = g.Classes
	}
	if fmt.Sprint(s.Res, s.Channels, s.Classes, s.StemS, s.Strides) != before {
		s.Name = fmt.Sprintf("%s@%dx%dx%d-%d", s.Name, s.Res, s.Res, s.Channels, s.Classes)
	}
	return s.Validate()
}

// scaleBounds multiplies both ends of b by f (an unbounded end stays unbounded; a
// bounded one stays at least 1).
func scaleBounds(b Bounds, f float64) Bounds {
	scale := func(v int64) int64 {
		if v == 0 {
			return 0
		}
		return max(1, int64(math.Round(float64(v)*f)))
	}
	return Bounds{Lo: scale(b.Lo), Hi: scale(b.Hi)}
}
