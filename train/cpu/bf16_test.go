package cpu

import (
	"math"
	"slices"
	"testing"

	"github.com/ddstools/dds/train/engine"
)

func TestBF16(t *testing.T) {
	f := math.Float32frombits
	for _, c := range []struct{ in, want uint32 }{
		{0x3f800000, 0x3f800000}, // 1
		{0x3f808000, 0x3f800000}, // 1 + 2^-8: a tie, to the even 1
		{0x3f818000, 0x3f820000}, // 1 + 3·2^-8: a tie, to the even 1 + 2^-6
		{0x3f808001, 0x3f810000}, // just above the tie: up
		{0x3f807fff, 0x3f800000}, // just below: down
		{0xbf808001, 0xbf810000}, // negative, magnitude rounds the same way
		{0x80000000, 0x80000000}, // −0
		{0x7f800000, 0x7f800000}, // +Inf
		{0x7f7fffff, 0x7f800000}, // the largest float32 rounds to +Inf, as __float2bfloat16_rn
		{0x00000001, 0x00000000}, // the smallest subnormal rounds to 0
	} {
		if got := math.Float32bits(BF16(f(c.in))); got != c.want {
			t.Errorf("BF16(%#08x) = %#08x, want %#08x", c.in, got, c.want)
		}
	}
	for _, nan := range []uint32{0x7fc00000, 0x7f800001, 0xffff0001} {
		if v := BF16(f(nan)); !math.IsNaN(float64(v)) || math.Float32bits(v)&0xffff != 0 {
			t.Errorf("BF16(NaN %#08x) = %#08x, want a bfloat16 NaN", nan, math.Float32bits(v))
		}
	}
}

// TestEngineBF16 checks the emulation on two operations that show each rule: every
// activation the BF16 engine writes is the float32 result, computed from the
// bfloat16 activations and bfloat16-rounded weights, rounded to bfloat16; float32
// outputs (weight gradients) are not rounded; and Upload rounds into activations.
func TestEngineBF16(t *testing.T) {
	r := newRand(5)
	s := engine.Conv{N: 2, H: 5, W: 5, Cin: 8, Cout: 8, K: 3, Stride: 1, Groups: 2}
	x0, w0 := randSlice(r, s.InLen(), 1), randSlice(r, s.WeightLen(), 1)
	xr, wr := slices.Clone(x0), slices.Clone(w0)
	RoundBF16(xr)
	RoundBF16(wr)

	e := NewEngineWith(engine.BF16)
	if e.Precision() != engine.BF16 {
		t.Fatal("precision not kept")
	}
	x, w, y := e.AllocAct(s.InLen()), e.Alloc(s.WeightLen()), e.AllocAct(s.OutLen())
	if _, ok := x.(BF16s); !ok || e.MemUsed() != int64(2*s.InLen()+4*s.WeightLen()+2*s.OutLen()) {
		t.Fatalf("AllocAct gave %T, memory %d", x, e.MemUsed())
	}
	e.Upload(x, x0)
	e.Upload(w, w0)
	if got := make([]float32, len(x0)); true {
		e.Download(got, x)
		if !slices.Equal(got, xr) {
			t.Error("Upload into activations did not round to bfloat16")
		}
	}
	scratch := e.Alloc(e.ConvScratch(s))
	e.ConvForward(y, x, w, s, scratch)
	want := make([]float32, s.OutLen())
	ConvForward(want, xr, wr, ConvShape(s), make([]float32, e.ConvScratch(s)))
	RoundBF16(want)
	if got := []float32(y.(BF16s)); !slices.Equal(got, want) {
		t.Error("ConvForward in BF16 is not the rounded float32 result of rounded inputs and weights")
	}
	if got := make([]float32, len(w0)); true {
		e.Download(got, w)
		if !slices.Equal(got, w0) {
			t.Error("ConvForward changed the float32 master weights")
		}
	}

	// Linear backward: dx with rounded weights, rounded; dw from the activations, float32.
	n, in, out := 3, 8, 5
	dy0, xl0, wl0 := randSlice(r, n*out, 1), randSlice(r, n*in, 1), randSlice(r, in*out, 1)
	RoundBF16(dy0)
	RoundBF16(xl0)
	dx, dw := e.AllocAct(n*in), e.Alloc(in*out)
	dy, xl, wl := e.AllocAct(n*out), e.AllocAct(n*in), e.Alloc(in*out)
	e.Upload(dy, dy0)
	e.Upload(xl, xl0)
	e.Upload(wl, wl0)
	e.LinearBackward(dx, dw, nil, dy, xl, wl, n, in, out)
	wantDx, wantDw := make([]float32, n*in), make([]float32, in*out)
	wlr := slices.Clone(wl0)
	RoundBF16(wlr)
	LinearBackward(wantDx, wantDw, nil, dy0, xl0, wlr, n, in, out)
	RoundBF16(wantDx)
	LinearBackward(nil, wantDw, nil, dy0, xl0, wl0, n, in, out)
	if !slices.Equal([]float32(dx.(BF16s)), wantDx) {
		t.Error("LinearBackward dx in BF16 differs from the rounded result with rounded weights")
	}
	if !slices.Equal([]float32(dw.(Floats)), wantDw) {
		t.Error("LinearBackward dw in BF16 differs from the float32 gradient of the activations")
	}
	if slices.Equal(wantDw, func() []float32 { v := slices.Clone(wantDw); RoundBF16(v); return v }()) {
		t.Error("test data too tame: the float32 weight gradient is already bfloat16")
	}
}
