package cpu

import (
	"fmt"
	"testing"
)

// reportGFLOPs reports flops·b.N/elapsed as GFLOP/s (a multiply-add counts as 2).
func reportGFLOPs(b *testing.B, flops float64) {
	b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

// benchConv times the forward pass, the data gradient, the weight gradient and all
// three together (one training step of the layer).
func benchConv(b *testing.B, s ConvShape) {
	r := newRand(1)
	x := randSlice(r, s.InLen(), 1)
	w := randSlice(r, s.WeightLen(), 1)
	dy := randSlice(r, s.OutLen(), 1)
	y := make([]float32, s.OutLen())
	dx := make([]float32, s.InLen())
	dw := make([]float32, s.WeightLen())
	scratch := make([]float32, s.ScratchLen())
	f := 2 * float64(s.FLOPs())
	b.Run("fwd", func(b *testing.B) {
		for b.Loop() {
			ConvForward(y, x, w, s, scratch)
		}
		reportGFLOPs(b, f)
	})
	b.Run("bwdData", func(b *testing.B) {
		for b.Loop() {
			ConvBackwardData(dx, dy, w, s, scratch)
		}
		reportGFLOPs(b, f)
	})
	b.Run("bwdWeight", func(b *testing.B) {
		for b.Loop() {
			ConvBackwardWeight(dw, dy, x, s, scratch)
		}
		reportGFLOPs(b, f)
	})
	b.Run("fwd+bwd", func(b *testing.B) {
		for b.Loop() {
			ConvForward(y, x, w, s, scratch)
			ConvBackwardData(dx, dy, w, s, scratch)
			ConvBackwardWeight(dw, dy, x, s, scratch)
		}
		reportGFLOPs(b, 3*f)
	})
}

// BenchmarkConv3x3Grouped: the X block's 3×3 group conv at batch 128, 14×14, 64 channels,
// group width 8 (8 groups).
func BenchmarkConv3x3Grouped(b *testing.B) {
	benchConv(b, ConvShape{N: 128, H: 14, W: 14, Cin: 64, Cout: 64, K: 3, Stride: 1, Groups: 8})
}

// BenchmarkConv1x1: a 1×1 conv (a GEMM in NHWC) at batch 128, 14×14, 64 → 128 channels.
func BenchmarkConv1x1(b *testing.B) {
	benchConv(b, ConvShape{N: 128, H: 14, W: 14, Cin: 64, Cout: 128, K: 1, Stride: 1, Groups: 1})
}

// BenchmarkConvMore: other shapes of the small MNIST network's training step at batch 128.
func BenchmarkConvMore(b *testing.B) {
	for _, s := range []ConvShape{
		{N: 128, H: 28, W: 28, Cin: 1, Cout: 16, K: 3, Stride: 1, Groups: 1},   // stem
		{N: 128, H: 28, W: 28, Cin: 16, Cout: 16, K: 1, Stride: 1, Groups: 1},  // stage 1, 1×1
		{N: 128, H: 28, W: 28, Cin: 16, Cout: 16, K: 3, Stride: 1, Groups: 2},  // stage 1, 3×3 gw 8
		{N: 128, H: 28, W: 28, Cin: 32, Cout: 32, K: 3, Stride: 2, Groups: 4},  // stage 2, 3×3 s2 gw 8
		{N: 128, H: 28, W: 28, Cin: 16, Cout: 32, K: 1, Stride: 2, Groups: 1},  // stage 2 shortcut
		{N: 128, H: 14, W: 14, Cin: 64, Cout: 64, K: 3, Stride: 1, Groups: 64}, // depthwise
	} {
		b.Run(fmt.Sprintf("%dx%dx%d-%d-k%d-s%d-g%d", s.H, s.W, s.Cin, s.Cout, s.K, s.Stride, s.Groups), func(b *testing.B) {
			benchConv(b, s)
		})
	}
}

// BenchmarkSgemm times Sgemm alone on the 1×1 conv's three GEMM shapes.
func BenchmarkSgemm(b *testing.B) {
	const p, cin, cout = 128 * 14 * 14, 64, 128
	r := newRand(2)
	x := randSlice(r, p*cin, 1)
	w := randSlice(r, cout*cin, 1)
	dy := randSlice(r, p*cout, 1)
	out := make([]float32, p*cout)
	for _, c := range []struct {
		name    string
		ta, tb  bool
		m, n, k int
		a       []float32
		lda     int
		bb      []float32
		ldb     int
	}{
		{"Y=X·Wt", false, true, p, cout, cin, x, cin, w, cin},
		{"dX=dY·W", false, false, p, cin, cout, dy, cout, w, cin},
		{"dW=dYt·X", true, false, cout, cin, p, dy, cout, x, cin},
	} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				Sgemm(c.ta, c.tb, c.m, c.n, c.k, 1, c.a, c.lda, c.bb, c.ldb, 0, out, c.n)
			}
			reportGFLOPs(b, 2*float64(c.m*c.n*c.k))
		})
	}
}

// BenchmarkBatchNorm times the fused training pass (stats, apply with ReLU, backward)
// on the 3×3 conv's output; it reports the bytes moved per second as GB/s.
func BenchmarkBatchNorm(b *testing.B) {
	const m, c = 128 * 14 * 14, 64
	r := newRand(3)
	x := randSlice(r, m*c, 1)
	dy := randSlice(r, m*c, 1)
	y := make([]float32, m*c)
	dx := make([]float32, m*c)
	gamma, beta := randSlice(r, c, 1), randSlice(r, c, 1)
	mean, variance, dg, db := make([]float32, c), make([]float32, c), make([]float32, c), make([]float32, c)
	for b.Loop() {
		BatchNormStats(mean, variance, x, m, c)
		BatchNormApply(y, x, nil, gamma, beta, mean, variance, m, c, 1e-5, true)
		BatchNormReLUBackward(dx, nil, dg, db, dy, y, x, gamma, mean, variance, m, c, 1e-5)
	}
	// stats: read x; apply: read x, write y; backward: read dy, y, x twice, write dx.
	bytes := float64(4*m*c) * (1 + 2 + 7)
	b.ReportMetric(bytes*float64(b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
}
