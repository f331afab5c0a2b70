package enginetest

import (
	"fmt"
	"math"

	"github.com/ddstools/dds/train/engine"
)

// Naive returns the float64 reference engine as a Subject, in both precisions: every
// operation written straight from its formula (package cpu's doc comments), loops
// over the definition's indices with sums in float64, one rounding to float32 at the
// end. In BF16 it stores activations as bfloat16 as engine.BF16 says: every value
// written to an activation buffer is rounded to the nearest bfloat16, and convolution
// and linear weights are rounded to bfloat16 where they multiply activations (the
// forward pass and the data gradient). It is slow and meant only as the CPU engine's
// reference.
func Naive() Subject {
	return Subject{Name: "naive", Precisions: []engine.Precision{engine.FP32, engine.BF16},
		New: func(p engine.Precision) (engine.Engine, error) { return &naive{p: p}, nil }}
}

// nbuf is a buffer of the naive engine; act marks bfloat16 activations (BF16 only).
type nbuf struct {
	v   []float32
	act bool
}

func (b nbuf) Len() int { return len(b.v) }

type nints []int32

func (l nints) Len() int { return len(l) }

type nset struct {
	images  []uint8
	labels  []int32
	h, w, c int
}

func (s *nset) Len() int { return len(s.labels) }

type naive struct {
	p    engine.Precision
	used int64
}

var _ engine.Engine = (*naive)(nil)

func nb(b engine.Buf) nbuf {
	switch v := b.(type) {
	case nil:
		return nbuf{}
	case nbuf:
		return v
	}
	panic(fmt.Sprintf("enginetest: buffer of type %T is not a naive engine buffer", b))
}

// in returns b's values as float64.
func in64(b engine.Buf, n int) []float64 {
	v := nb(b).v[:n]
	out := make([]float64, n)
	for i, x := range v {
		out[i] = float64(x)
	}
	return out
}

// store writes v into b, rounded to float32 and, for an activation buffer, to
// bfloat16.
func store(b engine.Buf, v []float64) {
	d := nb(b)
	for i, x := range v {
		d.v[i] = float32(x)
	}
	if d.act {
		roundBF16(d.v[:len(v)])
	}
}

// weights returns the first n weights of w as operations multiply them with
// activations: rounded to bfloat16 in BF16.
func (e *naive) weights(w engine.Buf, n int) []float64 {
	v := append([]float32(nil), nb(w).v[:n]...)
	if e.p == engine.BF16 {
		roundBF16(v)
	}
	out := make([]float64, n)
	for i, x := range v {
		out[i] = float64(x)
	}
	return out
}

func (e *naive) Name() string                { return "naive" }
func (e *naive) Precision() engine.Precision { return e.p }
func (e *naive) Alloc(n int) engine.Buf {
	e.used += 4 * int64(n)
	return nbuf{v: make([]float32, n)}
}
func (e *naive) AllocAct(n int) engine.Buf {
	if e.p != engine.BF16 {
		return e.Alloc(n)
	}
	e.used += 2 * int64(n)
	return nbuf{v: make([]float32, n), act: true}
}
func (e *naive) AllocInts(n int) engine.Ints {
	e.used += 4 * int64(n)
	return make(nints, n)
}
func (e *naive) Slice(b engine.Buf, off, n int) engine.Buf {
	d := nb(b)
	return nbuf{v: d.v[off : off+n : off+n], act: d.act}
}
func (e *naive) Upload(dst engine.Buf, src []float32) {
	d := nb(dst)
	copy(d.v[:len(src)], src)
	if d.act {
		roundBF16(d.v[:len(src)])
	}
}
func (e *naive) Download(dst []float32, src engine.Buf)  { copy(dst, nb(src).v[:len(dst)]) }
func (e *naive) UploadInts(dst engine.Ints, src []int32) { copy(dst.(nints)[:len(src)], src) }
func (e *naive) DownloadInts(dst []int32, src engine.Ints) {
	copy(dst, src.(nints)[:len(dst)])
}
func (e *naive) MemUsed() int64                { return e.used }
func (e *naive) AllocAlign() int               { return 1 }
func (e *naive) Err() error                    { return nil }
func (e *naive) Close()                        {}
func (e *naive) ConvScratch(s engine.Conv) int { return 0 }

// BatchNormStats: mean = 1/m Σ x, variance = 1/m Σ (x − mean)² per channel.
func (e *naive) BatchNormStats(mean, variance, x engine.Buf, m, c int) {
	xv := in64(x, m*c)
	mu, va := make([]float64, c), make([]float64, c)
	for k := range c {
		for r := range m {
			mu[k] += xv[r*c+k]
		}
		mu[k] /= float64(m)
		for r := range m {
			d := xv[r*c+k] - mu[k]
			va[k] += d * d
		}
		va[k] /= float64(m)
	}
	store(mean, mu)
	store(variance, va)
}

// BatchNormUpdateRunning: run = (1 − momentum)·run + momentum·batch, the variance
// unbiased by m/(m − 1) (m > 1).
func (e *naive) BatchNormUpdateRunning(runMean, runVar, mean, variance engine.Buf, m, c int, momentum float32) {
	rm, rv, mu, va := in64(runMean, c), in64(runVar, c), in64(mean, c), in64(variance, c)
	unbias, mo := 1.0, float64(momentum)
	if m > 1 {
		unbias = float64(m) / float64(m-1)
	}
	for k := range c {
		rm[k] = (1-mo)*rm[k] + mo*mu[k]
		rv[k] = (1-mo)*rv[k] + mo*va[k]*unbias
	}
	store(runMean, rm)
	store(runVar, rv)
}

// BatchNormApply: y = γ·(x − mean)/sqrt(variance + eps) + β (+ res), then max(0, ·)
// with relu.
func (e *naive) BatchNormApply(y, x, res, gamma, beta, mean, variance engine.Buf, m, c int, eps float32, relu bool) {
	xv, ga, be, mu, va := in64(x, m*c), in64(gamma, c), in64(beta, c), in64(mean, c), in64(variance, c)
	var rv []float64
	if res != nil {
		rv = in64(res, m*c)
	}
	out := make([]float64, m*c)
	for r := range m {
		for k := range c {
			v := ga[k]*(xv[r*c+k]-mu[k])/math.Sqrt(va[k]+float64(eps)) + be[k]
			if rv != nil {
				v += rv[r*c+k]
			}
			if relu {
				v = math.Max(0, v)
			}
			out[r*c+k] = v
		}
	}
	store(y, out)
}

// BatchNormBackward: with dz = dy (masked by y > 0 with relu), istd =
// 1/sqrt(variance + eps) and xhat = (x − mean)·istd: dβ = Σ dz, dγ = Σ dz·xhat,
// dx = γ·istd/m·(m·dz − dβ − xhat·dγ), dres = dz (relu, when wanted).
func (e *naive) BatchNormBackward(dx, dres, dgamma, dbeta, dy, y, x, gamma, mean, variance engine.Buf, m, c int, eps float32, relu bool) {
	dz, xv, ga, mu, va := in64(dy, m*c), in64(x, m*c), in64(gamma, c), in64(mean, c), in64(variance, c)
	if relu {
		yv := in64(y, m*c)
		for i := range dz {
			if !(yv[i] > 0) {
				dz[i] = 0
			}
		}
	}
	dg, db, out := make([]float64, c), make([]float64, c), make([]float64, m*c)
	for k := range c {
		istd := 1 / math.Sqrt(va[k]+float64(eps))
		for r := range m {
			db[k] += dz[r*c+k]
			dg[k] += dz[r*c+k] * (xv[r*c+k] - mu[k]) * istd
		}
		for r := range m {
			xh := (xv[r*c+k] - mu[k]) * istd
			out[r*c+k] = ga[k] * istd / float64(m) * (float64(m)*dz[r*c+k] - db[k] - xh*dg[k])
		}
	}
	store(dgamma, dg)
	store(dbeta, db)
	store(dx, out)
	if relu && dres != nil {
		store(dres, dz)
	}
}

// elementwise writes f(i, a[i], b[i]) into y for i < n (b may be nil).
func elementwise(y, a, b engine.Buf, n int, f func(a, b float64) float64) {
	av := in64(a, n)
	bv := make([]float64, n)
	if b != nil {
		bv = in64(b, n)
	}
	out := make([]float64, n)
	for i := range out {
		out[i] = f(av[i], bv[i])
	}
	store(y, out)
}

func (e *naive) ReLUForward(y, x engine.Buf, n int) {
	elementwise(y, x, nil, n, func(x, _ float64) float64 { return math.Max(0, x) })
}
func (e *naive) ReLUBackward(dx, dy, y engine.Buf, n int) {
	elementwise(dx, dy, y, n, func(d, y float64) float64 {
		if y > 0 {
			return d
		}
		return 0
	})
}
func (e *naive) Add(y, a, b engine.Buf, n int) {
	elementwise(y, a, b, n, func(a, b float64) float64 { return a + b })
}
func (e *naive) SigmoidForward(y, x engine.Buf, n int) {
	elementwise(y, x, nil, n, func(x, _ float64) float64 { return 1 / (1 + math.Exp(-x)) })
}
func (e *naive) SigmoidBackward(dx, dy, y engine.Buf, n int) {
	elementwise(dx, dy, y, n, func(d, y float64) float64 { return d * y * (1 - y) })
}

// ScaleForward: y[b,p,ch] = x[b,p,ch]·s[b,ch].
func (e *naive) ScaleForward(y, x, s engine.Buf, n, hw, c int) {
	xv, sv := in64(x, n*hw*c), in64(s, n*c)
	out := make([]float64, n*hw*c)
	for i := range out {
		b, ch := i/(hw*c), i%c
		out[i] = xv[i] * sv[b*c+ch]
	}
	store(y, out)
}

// ScaleBackward: dx[b,p,ch] = dy[b,p,ch]·s[b,ch], ds[b,ch] = Σ_p dy[b,p,ch]·x[b,p,ch].
func (e *naive) ScaleBackward(dx, ds, dy, x, s engine.Buf, n, hw, c int) {
	dyv, xv, sv := in64(dy, n*hw*c), in64(x, n*hw*c), in64(s, n*c)
	out, dsv := make([]float64, n*hw*c), make([]float64, n*c)
	for i := range out {
		b, ch := i/(hw*c), i%c
		out[i] = dyv[i] * sv[b*c+ch]
		dsv[b*c+ch] += dyv[i] * xv[i]
	}
	store(ds, dsv)
	store(dx, out)
}

// AvgPoolForward: y[b,ch] = 1/hw Σ_p x[b,p,ch].
func (e *naive) AvgPoolForward(y, x engine.Buf, n, hw, c int) {
	xv := in64(x, n*hw*c)
	out := make([]float64, n*c)
	for i, v := range xv {
		out[i/(hw*c)*c+i%c] += v / float64(hw)
	}
	store(y, out)
}

// AvgPoolBackward: dx[b,p,ch] = dy[b,ch]/hw.
func (e *naive) AvgPoolBackward(dx, dy engine.Buf, n, hw, c int) {
	dyv := in64(dy, n*c)
	out := make([]float64, n*hw*c)
	for i := range out {
		out[i] = dyv[i/(hw*c)*c+i%c] / float64(hw)
	}
	store(dx, out)
}

// LinearForward: y[b,o] = Σ_i x[b,i]·w[o,i] + bias[o].
func (e *naive) LinearForward(y, x, w, bias engine.Buf, n, in, out int) {
	xv, wv := in64(x, n*in), e.weights(w, out*in)
	var bv []float64
	if bias != nil {
		bv = in64(bias, out)
	}
	res := make([]float64, n*out)
	for b := range n {
		for o := range out {
			s := 0.0
			if bv != nil {
				s = bv[o]
			}
			for i := range in {
				s += xv[b*in+i] * wv[o*in+i]
			}
			res[b*out+o] = s
		}
	}
	store(y, res)
}

// LinearBackward: dx[b,i] = Σ_o dy[b,o]·w[o,i] (weights as the forward pass
// multiplies them), dw[o,i] = Σ_b dy[b,o]·x[b,i], dbias[o] = Σ_b dy[b,o].
func (e *naive) LinearBackward(dx, dw, dbias, dy, x, w engine.Buf, n, in, out int) {
	dyv, xv := in64(dy, n*out), in64(x, n*in)
	if dx != nil {
		wv := e.weights(w, out*in)
		d := make([]float64, n*in)
		for b := range n {
			for i := range in {
				for o := range out {
					d[b*in+i] += dyv[b*out+o] * wv[o*in+i]
				}
			}
		}
		store(dx, d)
	}
	g := make([]float64, out*in)
	for o := range out {
		for i := range in {
			for b := range n {
				g[o*in+i] += dyv[b*out+o] * xv[b*in+i]
			}
		}
	}
	store(dw, g)
	if dbias != nil {
		db := make([]float64, out)
		for b := range n {
			for o := range out {
				db[o] += dyv[b*out+o]
			}
		}
		store(dbias, db)
	}
}

// SoftmaxCrossEntropy: with targets q[b,j] = (1 − ε)·[j = label] + ε/c, loss =
// 1/n Σ_b −Σ_j q·log softmax(z_b)_j, dlogits = (softmax(z_b) − q_b)/n, the number of
// rows whose first argmax is the label, and the number of bad labels (then nothing
// else).
func (e *naive) SoftmaxCrossEntropy(dlogits, logits engine.Buf, labels engine.Ints, n, c int, smoothing float32, stats engine.Buf) {
	ls := labels.(nints)[:n]
	bad := 0
	for _, y := range ls {
		if y < 0 || int(y) >= c {
			bad++
		}
	}
	if bad > 0 {
		store(stats, []float64{0, 0, float64(bad)})
		return
	}
	z := in64(logits, n*c)
	d := make([]float64, n*c)
	loss, correct := 0.0, 0
	for b, y := range ls {
		row := z[b*c : (b+1)*c]
		arg := 0
		for j, v := range row {
			if v > row[arg] {
				arg = j
			}
		}
		if arg == int(y) {
			correct++
		}
		sum := 0.0
		for _, v := range row {
			sum += math.Exp(v - row[arg])
		}
		lse := row[arg] + math.Log(sum)
		for j, v := range row {
			q := float64(smoothing) / float64(c)
			if j == int(y) {
				q += 1 - float64(smoothing)
			}
			loss -= q * (v - lse) / float64(n)
			d[b*c+j] = (math.Exp(v-lse) - q) / float64(n)
		}
	}
	if dlogits != nil {
		store(dlogits, d)
	}
	store(stats, []float64{loss, float64(correct), 0})
}

// SGDStep: d = g + wd·p; v = momentum·v + d; p −= lr·(d + momentum·v) (Nesterov) or
// lr·v.
func (e *naive) SGDStep(p, g, v engine.Buf, n int, lr, momentum, weightDecay float32, nesterov bool) {
	pv, gv, vv := in64(p, n), in64(g, n), in64(v, n)
	for i := range pv {
		d := gv[i] + float64(weightDecay)*pv[i]
		vv[i] = float64(momentum)*vv[i] + d
		if nesterov {
			d += float64(momentum) * vv[i]
		} else {
			d = vv[i]
		}
		pv[i] -= float64(lr) * d
	}
	store(v, vv)
	store(p, pv)
}
