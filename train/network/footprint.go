package network

import (
	"github.com/ddstools/dds/formats/anynet"
	"github.com/ddstools/dds/train/engine"
)

// Footprint returns the bytes New(e, arch, batch, train) would allocate on e, each
// allocation rounded up to e.AllocAlign(), without allocating anything: the network
// is laid out on a stand-in for e that counts allocations and asks e only for the
// convolutions' scratch sizes and its alignment.
func Footprint(e engine.Engine, arch anynet.Net, batch int, train bool) (int64, error) {
	c := &counting{Engine: e}
	if _, err := New(c, arch, batch, train); err != nil {
		return 0, err
	}
	return c.bytes, nil
}

// counting is the engine Footprint lays a network out on.
type counting struct {
	engine.Engine
	bytes int64
}

type countBuf int

func (b countBuf) Len() int { return int(b) }

func (c *counting) count(n int) countBuf { return c.countBytes(n, 4) }

func (c *counting) countAct(n int) countBuf { return c.countBytes(n, c.actSize()) }

func (c *counting) countBytes(n int, size int64) countBuf {
	a := int64(max(1, c.Engine.AllocAlign()))
	c.bytes += (size*int64(n) + a - 1) / a * a
	return countBuf(n)
}

func (c *counting) Alloc(n int) engine.Buf                    { return c.count(n) }
func (c *counting) AllocAct(n int) engine.Buf                 { return c.countAct(n) }
func (c *counting) AllocInts(n int) engine.Ints               { return c.count(n) }
func (c *counting) Slice(b engine.Buf, off, n int) engine.Buf { return countBuf(n) }
func (c *counting) Err() error                                { return nil }

// StepBytes returns the bytes a training step of arch at batch moves to and from
// memory when every operation reads each of its inputs and writes each of its
// outputs once (4 bytes a float32 value, 2 an activation in BF16, 1 an image byte): the memory traffic of this
// package's step (BatchAt, Forward, Backward, SGDStepAt, CopyAt) with its operations
// unfused, the bound a step's time divided by it is compared with. e is asked only
// for convolution scratch sizes.
func StepBytes(e engine.Engine, arch anynet.Net, batch int) (int64, error) {
	c := &counting{Engine: e}
	n, err := New(c, arch, batch, true)
	if err != nil {
		return 0, err
	}
	s, err := n.NewSteps(1, nil, false, 0, nil, nil, Hyper{})
	if err != nil {
		return 0, err
	}
	c.bytes = 0
	s.issue()
	return c.bytes, nil
}

// traffic adds 4 bytes for each float32 value of the given lengths.
func (c *counting) traffic(lens ...int) {
	for _, n := range lens {
		c.bytes += 4 * int64(n)
	}
}

// acts adds the bytes of activations of the given lengths (2 a value in BF16).
func (c *counting) acts(lens ...int) {
	for _, n := range lens {
		c.bytes += int64(n) * c.actSize()
	}
}

func (c *counting) actSize() int64 {
	if c.Engine.Precision() == engine.BF16 {
		return 2
	}
	return 4
}

func (c *counting) ConvForward(y, x, w engine.Buf, s engine.Conv, scratch engine.Buf) {
	c.acts(s.OutLen(), s.InLen())
	c.traffic(s.WeightLen())
}
func (c *counting) ConvBackwardData(dx, dy, w engine.Buf, s engine.Conv, scratch engine.Buf) {
	c.acts(s.InLen(), s.OutLen())
	c.traffic(s.WeightLen())
}
func (c *counting) ConvBackwardWeight(dw, dy, x engine.Buf, s engine.Conv, scratch engine.Buf) {
	c.acts(s.OutLen(), s.InLen())
	c.traffic(s.WeightLen())
}
func (c *counting) BatchNormStats(mean, variance, x engine.Buf, m, ch int) {
	c.acts(m * ch)
	c.traffic(2 * ch)
}
func (c *counting) BatchNormUpdateRunning(runMean, runVar, mean, variance engine.Buf, m, ch int, momentum float32) {
	c.traffic(6 * ch)
}
func (c *counting) BatchNormApply(y, x, res, gamma, beta, mean, variance engine.Buf, m, ch int, eps float32, relu bool) {
	c.acts(2 * m * ch)
	c.traffic(4 * ch)
	if res != nil {
		c.acts(m * ch)
	}
}
func (c *counting) BatchNormBackward(dx, dres, dgamma, dbeta, dy, y, x, gamma, mean, variance engine.Buf, m, ch int, eps float32, relu bool) {
	c.acts(3 * m * ch) // dy, x, dx
	c.traffic(5 * ch)  // gamma, mean, variance, dgamma, dbeta
	if relu {
		c.acts(m * ch) // y
		if dres != nil {
			c.acts(m * ch)
		}
	}
}
func (c *counting) ReLUForward(y, x engine.Buf, n int)       { c.acts(2 * n) }
func (c *counting) ReLUBackward(dx, dy, y engine.Buf, n int) { c.acts(3 * n) }
func (c *counting) Add(y, a, b engine.Buf, n int)            { c.acts(3 * n) }
func (c *counting) SigmoidForward(y, x engine.Buf, n int)    { c.acts(2 * n) }
func (c *counting) SigmoidBackward(dx, dy, y engine.Buf, n int) {
	c.acts(3 * n)
}
func (c *counting) ScaleForward(y, x, s engine.Buf, n, hw, ch int) { c.acts(2*n*hw*ch, n*ch) }
func (c *counting) ScaleBackward(dx, ds, dy, x, s engine.Buf, n, hw, ch int) {
	c.acts(3*n*hw*ch, 2*n*ch)
}
func (c *counting) AvgPoolForward(y, x engine.Buf, n, hw, ch int)    { c.acts(n*hw*ch, n*ch) }
func (c *counting) AvgPoolBackward(dx, dy engine.Buf, n, hw, ch int) { c.acts(n*hw*ch, n*ch) }
func (c *counting) LinearForward(y, x, w, bias engine.Buf, n, in, out int) {
	c.acts(n*out, n*in)
	c.traffic(in * out)
	if bias != nil {
		c.traffic(out)
	}
}
func (c *counting) LinearBackward(dx, dw, dbias, dy, x, w engine.Buf, n, in, out int) {
	c.acts(n*out, n*in) // dw from dy and x
	c.traffic(in * out)
	if dx != nil {
		c.acts(n * in)
		c.traffic(in * out)
	}
	if dbias != nil {
		c.traffic(out)
	}
}
func (c *counting) SoftmaxCrossEntropy(dlogits, logits engine.Buf, labels engine.Ints, n, ch int, smoothing float32, stats engine.Buf) {
	c.acts(n * ch)
	c.traffic(n, 3)
	if dlogits != nil {
		c.acts(n * ch)
	}
}
func (c *counting) SGDStep(p, g, v engine.Buf, n int, lr, momentum, weightDecay float32, nesterov bool) {
	c.traffic(5 * n) // read p, g, v; write p, v
}
func (c *counting) SGDStepAt(p, g, v engine.Buf, n int, lrs engine.Buf, counter engine.Ints, momentum, weightDecay float32, nesterov bool) {
	c.SGDStep(p, g, v, n, 0, momentum, weightDecay, nesterov)
}
func (c *counting) Batch(x engine.Buf, y engine.Ints, set engine.ImageSet, idx []int32, crops []int8, pad int, mean, std []float32) {
	c.bytes += int64(x.Len()) // uint8 images in
	c.acts(x.Len())
	c.traffic(3 * len(idx)) // index, label in, label out
}
func (c *counting) BatchAt(x engine.Buf, y engine.Ints, set engine.ImageSet, idxs, crops, counter engine.Ints, n, pad int, mean, std []float32) {
	c.bytes += int64(x.Len())
	c.acts(x.Len())
	c.traffic(3 * n)
}
func (c *counting) CopyAt(dst, src engine.Buf, counter engine.Ints, n int) { c.traffic(2 * n) }
func (c *counting) Count(counter engine.Ints)                              { c.traffic(2) }
