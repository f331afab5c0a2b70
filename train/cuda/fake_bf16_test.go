//go:build cgo

package cuda

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/ddstools/dds/train/engine"
)

// bf16Bits returns the bfloat16 of f, nearest with ties to even, computed
// differently from the binding's toBF16 (on float64, rounding the significand), so
// that the tests do not check the conversion against itself. NaN gives a quiet NaN.
func bf16Bits(f float32) uint16 {
	b := math.Float32bits(f)
	if f != f {
		return uint16(b>>16) | 0x0040
	}
	if math.IsInf(float64(f), 0) || f == 0 {
		return uint16(b >> 16)
	}
	// The bfloat16 values around |f| are multiples of ulp = 2^(e−7), e = the binary
	// exponent of |f| (clamped to the subnormal range); round |f|/ulp half to even.
	a := math.Abs(float64(f))
	_, e := math.Frexp(a) // a = m·2^e, m in [0.5, 1)
	e = max(e-1, -126)
	ulp := math.Ldexp(1, e-7)
	r := math.RoundToEven(a/ulp) * ulp
	v := float32(r) // exact: r has at most 8 significant bits (or is 2^128, +Inf)
	if math.IsInf(r, 0) || r > math.MaxFloat32 {
		v = float32(math.Inf(1))
	}
	return uint16(math.Float32bits(v)>>16) | uint16(b>>16)&0x8000
}

// TestFakeBF16Convert checks Upload's rounding and Download's conversion of bfloat16
// activations: ties to even, NaN and infinities, and random values against
// bf16Bits, through the raw bits the fake's memory holds (read back through a
// float32 view of the same memory: value 2i in the low half of float i).
func TestFakeBF16Convert(t *testing.T) {
	e := fakeEngineWith(t, engine.BF16)
	f := math.Float32frombits
	cases := []struct {
		in   uint32
		want uint16
	}{
		{0x3f800000, 0x3f80}, // 1
		{0x3f808000, 0x3f80}, // 1 + 2^-8: a tie, to the even 1
		{0x3f818000, 0x3f82}, // 1 + 3·2^-8: a tie, to the even 1 + 2^-6
		{0x3f808001, 0x3f81}, // just above the tie: up
		{0x3f807fff, 0x3f80}, // just below: down
		{0xbf818000, 0xbf82}, // negative tie
		{0x80000000, 0x8000}, // −0
		{0x7f800000, 0x7f80}, // +Inf
		{0xff800000, 0xff80}, // −Inf
		{0x7f7fffff, 0x7f80}, // the largest float32 rounds to +Inf
		{0x00000001, 0x0000}, // the smallest subnormal rounds to 0
		{0x00018000, 0x0002}, // a subnormal tie, to even
		{0x7fc00000, 0x7fc0}, // NaN
		{0x7f800001, 0x7fc0}, // a signalling NaN whose payload is in the low half: still NaN
		{0xffa00001, 0xffe0}, // a negative NaN
	}
	r := rand.New(rand.NewPCG(1, 2))
	var in []float32
	var want []uint16
	for _, c := range cases {
		in, want = append(in, f(c.in)), append(want, c.want)
		if got := bf16Bits(f(c.in)); got != c.want {
			t.Errorf("the test's bf16Bits(%#08x) = %#04x, want %#04x", c.in, got, c.want)
		}
	}
	for range 1001 {
		v := float32(r.NormFloat64() * math.Pow(2, float64(r.IntN(60)-30)))
		in, want = append(in, v), append(want, bf16Bits(v))
	}
	if len(in)%2 != 0 {
		in, want = append(in, 0), append(want, 0)
	}
	b := e.AllocAct(len(in)).(Buf)
	if !b.BF16() || e.MemUsed() != int64(2*len(in)) {
		t.Fatalf("AllocAct(%d): BF16() = %v, MemUsed() = %d, want true and %d", len(in), b.BF16(), e.MemUsed(), 2*len(in))
	}
	e.Upload(b, in)
	raw := make([]float32, len(in)/2)
	e.Download(raw, Buf{ptr: b.ptr, n: len(in) / 2}) // the same memory as float32
	for i, w := range want {
		got := uint16(math.Float32bits(raw[i/2]) >> (16 * (i % 2)))
		if got != w {
			t.Errorf("Upload(%g = %#08x) stored %#04x, want %#04x", in[i], math.Float32bits(in[i]), got, w)
		}
	}
	back := make([]float32, len(in))
	e.Download(back, b)
	for i, w := range want {
		if g := math.Float32bits(back[i]); g != uint32(w)<<16 {
			t.Errorf("Download of %#04x gave %#08x, want %#08x", w, g, uint32(w)<<16)
		}
		if math.IsNaN(float64(in[i])) != math.IsNaN(float64(back[i])) {
			t.Errorf("value %d: %g came back as %g", i, in[i], back[i])
		}
	}
	// A download into a shorter slice, and one after a failure, as for float32.
	part := make([]float32, 3)
	e.Download(part, e.Slice(b, 1, 3))
	if !sameBits(part, back[1:4]) {
		t.Errorf("Download of a slice: %v, want %v", part, back[1:4])
	}
	if err := e.Err(); err != nil {
		t.Fatal(err)
	}
}

// TestFakeBF16Buffers checks AllocAct's sizes in both precisions and slices of
// bfloat16 buffers (offsets in 2-byte values), and that ConvScratch asks the library
// for the context's precision.
func TestFakeBF16Buffers(t *testing.T) {
	conv := engine.Conv{N: 1, H: 2, W: 2, Cin: 2, Cout: 2, K: 1, Stride: 1, Groups: 1}
	f := fakeEngine(t)
	a := f.AllocAct(10)
	if d := a.(Buf); d.BF16() || a.Len() != 10 || f.MemUsed() != 40 || f.ConvScratch(conv) != 7 {
		t.Errorf("FP32: AllocAct(10): BF16() %v, Len() %d, MemUsed() %d, ConvScratch %d; want false, 10, 40, 7",
			d.BF16(), a.Len(), f.MemUsed(), f.ConvScratch(conv))
	}
	e := fakeEngineWith(t, engine.BF16)
	if e.AllocAct(0).Len() != 0 || e.MemUsed() != 0 {
		t.Errorf("AllocAct(0): MemUsed() = %d", e.MemUsed())
	}
	b := e.AllocAct(10)
	if b.Len() != 10 || e.MemUsed() != 20 {
		t.Errorf("BF16: AllocAct(10): Len() %d, MemUsed() %d; want 10, 20", b.Len(), e.MemUsed())
	}
	e.Alloc(10)
	if e.MemUsed() != 60 {
		t.Errorf("BF16: Alloc(10) after AllocAct(10): MemUsed() %d, want 60", e.MemUsed())
	}
	if n := e.ConvScratch(conv); n != 9 {
		t.Errorf("BF16: ConvScratch = %d, want the fake's FAKE_SCRATCH_BF16 = 9", n)
	}
	s := checkSlices(t, e, b)
	if !s.(Buf).BF16() || s.(Buf).ptr != b.(Buf).ptr+8 {
		t.Errorf("slice [2:][2:] of a bfloat16 buffer: %+v, want bf16 at %#x", s, b.(Buf).ptr+8)
	}
	part := make([]float32, 2)
	e.Upload(s, []float32{1.00390625}) // 1 + 2^-8: a tie, rounds to 1
	e.Download(part, s)
	if part[0] != 1 {
		t.Errorf("Upload into a slice did not round: %v", part[0])
	}
	if err := e.Err(); err != nil {
		t.Fatal(err)
	}
}

// TestFakeBF16Ops runs ReLU, Add and Batch on bfloat16 activations through the
// binding and compares them with the host computation: the operation in float32 on
// the rounded inputs, rounded (bf16Bits).
func TestFakeBF16Ops(t *testing.T) {
	e := fakeEngineWith(t, engine.BF16)
	r := rand.New(rand.NewPCG(3, 4))
	const n = 1001
	a0, b0 := normals(r, n), normals(r, n)
	a0[0], a0[1], a0[2] = float32(math.NaN()), float32(math.Inf(-1)), 1.00390625
	b0[2] = 0.0009765625 // 2^-10: 1 + 2^-10 rounds to 1, but a0[2] + b0[2] must be computed from the rounded a0[2]
	round := func(v float32) float32 { return math.Float32frombits(uint32(bf16Bits(v)) << 16) }
	a, b, y := e.AllocAct(n), e.AllocAct(n), e.AllocAct(n)
	e.Upload(a, a0)
	e.Upload(b, b0)
	got := make([]float32, n)
	e.ReLUForward(y, a, n)
	e.Download(got, y)
	for i := range n {
		want := max(round(a0[i]), 0)
		if math.IsNaN(float64(a0[i])) {
			want = round(a0[i])
		}
		if math.Float32bits(got[i]) != math.Float32bits(want) && !(math.IsNaN(float64(got[i])) && math.IsNaN(float64(want))) {
			t.Errorf("ReLU[%d] of %g: %g, want %g", i, a0[i], got[i], want)
			break
		}
	}
	e.Add(y, a, b, n)
	e.Download(got, y)
	for i := range n {
		want := round(round(a0[i]) + round(b0[i]))
		if math.Float32bits(got[i]) != math.Float32bits(want) && !(math.IsNaN(float64(got[i])) && math.IsNaN(float64(want))) {
			t.Errorf("Add[%d] of %g, %g: %g, want %g", i, a0[i], b0[i], got[i], want)
			break
		}
	}
	if got[2] != 1 {
		t.Errorf("Add of 1 + 2^-8 and 2^-10: %g, want 1 (from the rounded 1; 1.0048828125 unrounded rounds up)", got[2])
	}

	// Batch: the normalised pixels, rounded.
	const h, w, c = 3, 2, 3
	images := make([]uint8, 2*h*w*c)
	for i := range images {
		images[i] = uint8(r.IntN(256))
	}
	mean, std := []float32{0.4, 0.5, 0.6}, []float32{0.2, 0.3, 0.7}
	set := e.UploadImages(images, []int32{4, 5}, h, w, c)
	x, yl := e.AllocAct(2*h*w*c), e.AllocInts(2)
	e.Batch(x, yl, set, []int32{1, 0}, nil, 0, mean, std)
	gx := make([]float32, 2*h*w*c)
	e.Download(gx, x)
	for i := range gx {
		img := 1 - i/(h*w*c)
		ch := i % c
		want := round((float32(images[img*h*w*c+i%(h*w*c)])/255 - mean[ch]) / std[ch])
		if gx[i] != want {
			t.Errorf("Batch value %d: %g, want %g", i, gx[i], want)
			break
		}
	}
	if err := e.Err(); err != nil {
		t.Fatal(err)
	}
}

// TestFakeBF16Kinds checks that in BF16 an activation argument must be a bfloat16
// buffer and a float32 argument must not be one, that an FP32 engine refuses
// bfloat16 activations, and that NewEngineWith reports a context that refuses the
// precision.
func TestFakeBF16Kinds(t *testing.T) {
	e := fakeEngineWith(t, engine.BF16)
	act, fl := e.AllocAct(8), e.Alloc(8)
	conv := engine.Conv{N: 1, H: 2, W: 2, Cin: 2, Cout: 2, K: 1, Stride: 1, Groups: 1}
	set := e.UploadImages(make([]uint8, 2*4), []int32{0, 1}, 2, 2, 1)
	one := []float32{1}
	counter := e.AllocInts(1)
	f32 := e.Alloc(16)
	fp := fakeEngine(t)
	wantPanics(t, e, []panicCase{
		{"relu x float", func() { e.ReLUForward(act, fl, 4) }, "cuda: ReLUForward: x is a float32 buffer (Alloc), want a bfloat16 activation buffer (AllocAct) in bf16"},
		{"add y float", func() { e.Add(fl, act, act, 4) }, "cuda: Add: y is a float32 buffer (Alloc)"},
		{"sgd p act", func() { e.SGDStep(act, fl, fl, 8, 0.1, 0.9, 0, false) }, "cuda: SGDStep: p is a bfloat16 activation buffer (AllocAct), want a float32 buffer (Alloc)"},
		{"conv w act", func() { e.ConvForward(act, act, act, conv, f32) }, "cuda: ConvForward: w is a bfloat16 activation buffer (AllocAct)"},
		{"conv x float", func() { e.ConvForward(act, fl, fl, conv, f32) }, "cuda: ConvForward: x is a float32 buffer (Alloc)"},
		{"conv scratch act", func() { e.ConvForward(act, act, fl, conv, e.AllocAct(16)) }, "cuda: ConvForward: scratch is a bfloat16 activation buffer"},
		{"conv scratch short", func() { e.ConvForward(act, act, fl, conv, e.Alloc(8)) }, "cuda: ConvForward: len(scratch) = 8, want at least 9 (ConvScratch)"},
		{"bn mean act", func() { e.BatchNormStats(act, fl, act, 4, 2) }, "cuda: BatchNormStats: mean is a bfloat16 activation buffer"},
		{"bn res float", func() { e.BatchNormApply(act, act, fl, fl, fl, fl, fl, 4, 2, 1e-5, true) }, "cuda: BatchNormApply: res is a float32 buffer"},
		{"linear dw act", func() { e.LinearBackward(act, act, nil, act, act, fl, 2, 2, 2) }, "cuda: LinearBackward: dw is a bfloat16 activation buffer"},
		{"linear dx float", func() { e.LinearBackward(fl, fl, nil, act, act, fl, 2, 2, 2) }, "cuda: LinearBackward: dx is a float32 buffer"},
		{"xent stats act", func() { e.SoftmaxCrossEntropy(nil, act, counter, 1, 3, 0, act) }, "cuda: SoftmaxCrossEntropy: stats is a bfloat16 activation buffer"},
		{"scale s float", func() { e.ScaleForward(act, act, fl, 1, 4, 2) }, "cuda: ScaleForward: s is a float32 buffer"},
		{"batch x float", func() { e.Batch(fl, e.AllocInts(1), set, []int32{1}, nil, 0, one, one) }, "cuda: Batch: x is a float32 buffer"},
		{"batchAt x float", func() { e.BatchAt(fl, e.AllocInts(1), set, e.AllocInts(1), nil, counter, 1, 0, one, one) }, "cuda: BatchAt: x is a float32 buffer"},
		{"copyAt act", func() { e.CopyAt(act, fl, counter, 4) }, "cuda: CopyAt: dst is a bfloat16 activation buffer"},
		{"fp32 engine, bf16 buffer", func() { fp.ReLUForward(fp.AllocAct(4), act, 4) }, "cuda: ReLUForward: x is a bfloat16 activation buffer, but the engine's activations are float32"},
	})
	// In FP32, AllocAct buffers are float32 buffers: any argument takes them.
	b := fp.AllocAct(8)
	fp.SGDStep(b, fp.AllocAct(8), fp.Alloc(8), 8, 0.1, 0.9, 0, false)
	fp.ReLUForward(fp.Alloc(8), b, 8)
	if err := fp.Err(); err != nil {
		t.Fatal(err)
	}

	lib, err := Open(fakeLibrary(t))
	if err != nil {
		t.Fatal(err)
	}
	_, err = lib.NewEngineWith(0, engine.Precision(7))
	wantErr(t, err, "CUDA device 0: precision 7: want fp32 or bf16")
	lib, err = Open(fakeLibrary(t, "FAKE_PRECISION_FAILS"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = lib.NewEngineWith(0, engine.BF16)
	wantErr(t, err, "CUDA device 0: precision bf16: fake: dds_set_precision refused")
	if e, err := lib.NewEngine(0); err != nil || e.Precision() != engine.FP32 {
		t.Errorf("NewEngine with a library that refuses precisions: %v, %v; want an FP32 engine (FP32 is not set)", e, err)
	}
}
