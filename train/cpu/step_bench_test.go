package cpu

import "testing"

// stepNet holds the buffers of one training step of an AnyNetX network on the CPU
// kernels, to time whole steps: X blocks (1×1, BN, ReLU, 3×3 group conv, BN, ReLU,
// 1×1, BN, + shortcut, ReLU), a 3×3 stem, average pool and a linear head, soft
// cross-entropy and SGD. Values are random: the timing does not depend on them.
type stepNet struct {
	n                 int
	params, grads, mo []float32
	used              int
	scratch           []float32
	fwd, bwd          []func()
}

func (t *stepNet) param(n int) (w, dw []float32) {
	w, dw = t.params[t.used:][:n], t.grads[t.used:][:n]
	t.used += n
	return w, dw
}

// conv adds a convolution on x (shape s) and returns its output buffer; dy is the
// gradient buffer of that output, dx that of the input (nil: no data gradient).
func (t *stepNet) conv(s ConvShape, x, dx []float32) (y, dy []float32) {
	w, dw := t.param(s.WeightLen())
	y, dy = make([]float32, s.OutLen()), make([]float32, s.OutLen())
	t.scratch = make([]float32, max(len(t.scratch), s.ScratchLen()))
	t.fwd = append(t.fwd, func() { ConvForward(y, x, w, s, t.scratch) })
	bwd := func() {
		ConvBackwardWeight(dw, dy, x, s, t.scratch)
		if dx != nil {
			ConvBackwardData(dx, dy, w, s, t.scratch)
		}
	}
	t.bwd = append([]func(){bwd}, t.bwd...)
	return y, dy
}

// bn adds batch norm over x [m][c] with optional residual and ReLU; it returns the
// output and its gradient buffer. dres receives the residual's gradient.
func (t *stepNet) bn(x, dx []float32, m, c int, res, dres []float32, relu bool) (y, dy []float32) {
	gamma, dgamma := t.param(c)
	beta, dbeta := t.param(c)
	mean, variance, rm, rv := make([]float32, c), make([]float32, c), make([]float32, c), make([]float32, c)
	y, dy = make([]float32, m*c), make([]float32, m*c)
	t.fwd = append(t.fwd, func() {
		BatchNormStats(mean, variance, x, m, c)
		BatchNormUpdateRunning(rm, rv, mean, variance, m, c, 0.1)
		BatchNormApply(y, x, res, gamma, beta, mean, variance, m, c, 1e-5, relu)
	})
	bwd := func() {
		if relu {
			BatchNormReLUBackward(dx, dres, dgamma, dbeta, dy, y, x, gamma, mean, variance, m, c, 1e-5)
		} else {
			BatchNormBackward(dx, dgamma, dbeta, dy, x, gamma, mean, variance, m, c, 1e-5)
		}
	}
	t.bwd = append([]func(){bwd}, t.bwd...)
	return y, dy
}

// newStepNet builds the step for a network with a stem of width w0 and stride 1 on
// h×h×cin images, stages of depths d, widths w and strides s, group width g,
// bottleneck ratio 1, and the given number of classes.
func newStepNet(n, h, cin, w0 int, d, w, s []int, g, classes int) *stepNet {
	t := &stepNet{n: n, params: make([]float32, 4<<20), grads: make([]float32, 4<<20), mo: make([]float32, 4<<20)}
	r := newRand(5)
	copy(t.params, randSlice(r, len(t.params), 0.1))
	x := randSlice(r, n*h*h*cin, 1)
	y, dy := t.conv(ConvShape{N: n, H: h, W: h, Cin: cin, Cout: w0, K: 3, Stride: 1, Groups: 1}, x, nil)
	x, dx := t.bn(y, dy, n*h*h, w0, nil, nil, true)
	win := w0
	for i := range d {
		for j := 0; j < d[i]; j++ {
			stride := 1
			if j == 0 {
				stride = s[i]
			}
			wout, wb := w[i], w[i]
			ho := (h-1)/stride + 1
			before := len(t.bwd)
			a, da := t.conv(ConvShape{N: n, H: h, W: h, Cin: win, Cout: wb, K: 1, Stride: 1, Groups: 1}, x, dx)
			ra, dra := t.bn(a, da, n*h*h, wb, nil, nil, true)
			b, db := t.conv(ConvShape{N: n, H: h, W: h, Cin: wb, Cout: wb, K: 3, Stride: stride, Groups: wb / g}, ra, dra)
			rb, drb := t.bn(b, db, n*ho*ho, wb, nil, nil, true)
			c, dc := t.conv(ConvShape{N: n, H: ho, W: ho, Cin: wb, Cout: wout, K: 1, Stride: 1, Groups: 1}, rb, drb)
			res, dres := x, make([]float32, len(x))
			dshort := dres // the shortcut's gradient with respect to x
			if stride != 1 || win != wout {
				dshort = make([]float32, len(x))
				p, dp := t.conv(ConvShape{N: n, H: h, W: h, Cin: win, Cout: wout, K: 1, Stride: stride, Groups: 1}, x, dshort)
				res, dres = t.bn(p, dp, n*ho*ho, wout, nil, nil, false)
			}
			// dx (written by conv a's data gradient) += the shortcut's gradient, run right
			// after conv a's backward pass (which sits before the closures added since).
			at := len(t.bwd) - before
			xin := dx
			add := func() { Add(xin, xin, dshort, len(xin)) }
			t.bwd = append(t.bwd[:at], append([]func(){add}, t.bwd[at:]...)...)
			x, dx = t.bn(c, dc, n*ho*ho, wout, res, dres, true)
			win, h = wout, ho
		}
	}
	pooled, dpooled := make([]float32, n*win), make([]float32, n*win)
	logits, dlogits := make([]float32, n*classes), make([]float32, n*classes)
	fw, dfw := t.param(classes * win)
	fb, dfb := t.param(classes)
	labels := make([]int32, n)
	for i := range labels {
		labels[i] = int32(i % classes)
	}
	hw, xo, dxo := h*h, x, dx
	t.fwd = append(t.fwd, func() {
		AvgPoolForward(pooled, xo, n, hw, win)
		LinearForward(logits, pooled, fw, fb, n, win, classes)
		SoftmaxCrossEntropy(dlogits, logits, labels, n, classes, 0)
	})
	t.bwd = append([]func(){func() {
		LinearBackward(dpooled, dfw, dfb, dlogits, pooled, fw, n, win, classes)
		AvgPoolBackward(dxo, dpooled, n, hw, win)
	}}, t.bwd...)
	np := t.used
	t.bwd = append(t.bwd, func() { SGDStep(t.params, t.grads, t.mo, np, 0.1, 0.9, 5e-4, true) })
	return t
}

func (t *stepNet) step() {
	for _, f := range t.fwd {
		f()
	}
	for _, f := range t.bwd {
		f()
	}
}

// BenchmarkStepMNIST times a whole training step at batch 128 of the small MNIST
// network of DESIGN.md's CPU peer (stem w16 s1; d=[1,1,2,2], w=[16,32,64,128],
// strides [1,2,2,2], g=8; 28×28×1), which PyTorch 1.13 runs at 746 images/s on the
// same 2 cores (697 when re-measured with ../shared/peer/torch_anynet.py --device cpu
// --threads 2 right before this benchmark gave 323 images/s).
func BenchmarkStepMNIST(b *testing.B) {
	t := newStepNet(128, 28, 1, 16, []int{1, 1, 2, 2}, []int{16, 32, 64, 128}, []int{1, 2, 2, 2}, 8, 10)
	t.step()
	b.ReportAllocs()
	for b.Loop() {
		t.step()
	}
	b.ReportMetric(float64(t.n*b.N)/b.Elapsed().Seconds(), "img/s")
}

// BenchmarkStepCIFAR times a whole training step at batch 128 of the X-200MF network of
// DESIGN.md's CPU peer on CIFAR-sized input (stem w32 s1; d=[1,1,4,7],
// w=[24,56,152,368], strides [1,2,2,2], g=8; 32×32×3, 10 classes), which PyTorch 1.13
// runs at about 164 images/s on the same 2 cores (../shared/peer/torch_anynet.py
// --spec ../shared/peer/x200mf-cifar.json --device cpu --threads 2).
func BenchmarkStepCIFAR(b *testing.B) {
	t := newStepNet(128, 32, 3, 32, []int{1, 1, 4, 7}, []int{24, 56, 152, 368}, []int{1, 2, 2, 2}, 8, 10)
	t.step()
	b.ReportAllocs()
	for b.Loop() {
		t.step()
	}
	b.ReportMetric(float64(t.n*b.N)/b.Elapsed().Seconds(), "img/s")
}
