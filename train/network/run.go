package network

import (
	"fmt"
	"math/rand/v2"

	"github.com/ddstools/dds/train/engine"
)

// Init sets every parameter and running statistic to its initial value (see the
// package comment), drawing from a PCG generator seeded with seed, and resets the
// momentum and the step count.
func (n *Net) Init(seed uint64) {
	r := rand.New(rand.NewPCG(seed, 0x6e6574776f726b)) // second word: "network"
	for _, e := range n.Entries {
		if e.Counter {
			continue
		}
		v := make([]float32, e.Len)
		for i := range v {
			if e.initStd > 0 {
				v[i] = float32(r.NormFloat64() * e.initStd)
			} else {
				v[i] = e.initConst
			}
		}
		n.E.Upload(e.Buf, v)
	}
	if n.Train {
		n.E.Upload(n.V, make([]float32, n.NParams))
	}
	n.Steps = 0
}

// Stats is what one forward pass measured on its batch.
type Stats struct {
	Loss    float64 // mean loss over the batch
	Correct int     // rows whose top-1 prediction is the label
}

// Forward runs the network on X. In training mode (train, on a net built with train)
// BN normalises with batch statistics and updates the running ones, and the loss with
// label smoothing and its gradient are computed against Y; in evaluation mode BN uses
// the running statistics and only Logits are written.
func (n *Net) Forward(train bool, smoothing float32) {
	train = train && n.Train
	e := n.E
	s := &n.stem
	e.ConvForward(s.y.x, n.X, s.conv.w, s.conv.s, n.scratch)
	n.bnForward(&s.bn, s.out.x, s.y.x, nil, true, train)
	for _, b := range n.blocks {
		n.blockForward(b, train)
	}
	h := &n.head
	e.AvgPoolForward(h.pooled.x, h.in.x, n.Batch, h.hw, h.c)
	e.LinearForward(n.Logits, h.pooled.x, h.fc.w, h.fc.b, n.Batch, h.fc.in, h.fc.out)
	if train {
		e.SoftmaxCrossEntropy(n.dlogits, n.Logits, n.Y, n.Batch, h.fc.out, smoothing, n.stats)
	}
}

// bnForward writes y = BN(x) (+ res) (then ReLU if relu), with batch statistics and a
// running-statistics update when train, else with the running statistics.
func (n *Net) bnForward(b *bn, y, x, res engine.Buf, relu, train bool) {
	if !train {
		n.E.BatchNormApply(y, x, res, b.gamma, b.beta, b.runMean, b.runVar, b.m, b.c, BNEps, relu)
		return
	}
	n.E.BatchNormStats(b.mean, b.variance, x, b.m, b.c)
	n.E.BatchNormUpdateRunning(b.runMean, b.runVar, b.mean, b.variance, b.m, b.c, BNMomentum)
	n.E.BatchNormApply(y, x, res, b.gamma, b.beta, b.mean, b.variance, b.m, b.c, BNEps, relu)
}

func (n *Net) bnBackward(b *bn, dx, dres, dy, y, x engine.Buf, relu bool) {
	n.E.BatchNormBackward(dx, dres, b.dg, b.db, dy, y, x, b.gamma, b.mean, b.variance, b.m, b.c, BNEps, relu)
}

func (n *Net) convBackward(c *conv, dx, dy, x engine.Buf) {
	n.E.ConvBackwardWeight(c.dw, dy, x, c.s, n.scratch)
	if dx != nil {
		n.E.ConvBackwardData(dx, dy, c.w, c.s, n.scratch)
	}
}

func (n *Net) blockForward(b *block, train bool) {
	e := n.E
	x := b.in.x
	e.ConvForward(b.ay.x, x, b.a.w, b.a.s, n.scratch)
	n.bnForward(&b.aBN, b.aOut.x, b.ay.x, nil, true, train)
	e.ConvForward(b.by.x, b.aOut.x, b.b.w, b.b.s, n.scratch)
	n.bnForward(&b.bBN, b.bOut.x, b.by.x, nil, true, train)
	if s := b.se; s != nil {
		e.AvgPoolForward(s.pooled.x, b.bOut.x, n.Batch, s.hw, s.wb)
		e.LinearForward(s.z1.x, s.pooled.x, s.fc1.w, s.fc1.b, n.Batch, s.wb, s.wse)
		e.ReLUForward(s.r1.x, s.z1.x, n.Batch*s.wse)
		e.LinearForward(s.z2.x, s.r1.x, s.fc2.w, s.fc2.b, n.Batch, s.wse, s.wb)
		e.SigmoidForward(s.gate.x, s.z2.x, n.Batch*s.wb)
		e.ScaleForward(b.seOut.x, b.bOut.x, s.gate.x, n.Batch, s.hw, s.wb)
	}
	e.ConvForward(b.cy.x, b.seOut.x, b.c.w, b.c.s, n.scratch)
	res := x
	if b.proj != nil {
		e.ConvForward(b.py.x, x, b.proj.w, b.proj.s, n.scratch)
		n.bnForward(&b.projBN, b.pOut.x, b.py.x, nil, false, train)
		res = b.pOut.x
	}
	n.bnForward(&b.cBN, b.out.x, b.cy.x, res, true, train)
}

// Backward computes the gradients of the loss of the last training Forward with
// respect to every parameter, into G.
func (n *Net) Backward() {
	if !n.Train {
		panic("network: Backward on a net built without train")
	}
	e := n.E
	h := &n.head
	e.LinearBackward(h.pooled.d, h.fc.dw, h.fc.db, n.dlogits, h.pooled.x, h.fc.w, n.Batch, h.fc.in, h.fc.out)
	e.AvgPoolBackward(h.in.d, h.pooled.d, n.Batch, h.hw, h.c)
	for i := len(n.blocks) - 1; i >= 0; i-- {
		n.blockBackward(n.blocks[i])
	}
	s := &n.stem
	n.bnBackward(&s.bn, s.y.d, nil, s.out.d, s.out.x, s.y.x, true)
	n.convBackward(&s.conv, nil, s.y.d, n.X)
}

// blockBackward takes the gradient in b.out.d and writes that of the block's input
// into b.in.d.
func (n *Net) blockBackward(b *block) {
	e := n.E
	dres := b.dShort
	if b.proj != nil {
		dres = b.pOut.d
	}
	n.bnBackward(&b.cBN, b.cy.d, dres, b.out.d, b.out.x, b.cy.x, true)
	n.convBackward(&b.c, b.seOut.d, b.cy.d, b.seOut.x)
	if s := b.se; s != nil {
		N := n.Batch
		e.ScaleBackward(s.dDirect, s.gate.d, b.seOut.d, b.bOut.x, s.gate.x, N, s.hw, s.wb)
		e.SigmoidBackward(s.z2.d, s.gate.d, s.gate.x, N*s.wb)
		e.LinearBackward(s.r1.d, s.fc2.dw, s.fc2.db, s.z2.d, s.r1.x, s.fc2.w, N, s.wse, s.wb)
		e.ReLUBackward(s.z1.d, s.r1.d, s.r1.x, N*s.wse)
		e.LinearBackward(s.pooled.d, s.fc1.dw, s.fc1.db, s.z1.d, s.pooled.x, s.fc1.w, N, s.wb, s.wse)
		e.AvgPoolBackward(s.dPooled, s.pooled.d, N, s.hw, s.wb)
		e.Add(b.bOut.d, s.dDirect, s.dPooled, N*s.hw*s.wb)
	}
	n.bnBackward(&b.bBN, b.by.d, nil, b.bOut.d, b.bOut.x, b.by.x, true)
	n.convBackward(&b.b, b.aOut.d, b.by.d, b.aOut.x)
	n.bnBackward(&b.aBN, b.ay.d, nil, b.aOut.d, b.aOut.x, b.ay.x, true)
	n.convBackward(&b.a, b.in.d, b.ay.d, b.in.x)
	size := b.a.s.InLen()
	if b.proj != nil {
		n.bnBackward(&b.projBN, b.py.d, nil, b.pOut.d, nil, b.py.x, false)
		n.convBackward(b.proj, b.dxProj, b.py.d, b.in.x)
		e.Add(b.in.d, b.in.d, b.dxProj, size)
		return
	}
	e.Add(b.in.d, b.in.d, b.dShort, size)
}

// Hyper holds the hyperparameters of a training step other than its learning rate:
// SGD's momentum, weight decay and Nesterov flag, and the loss's label smoothing.
// They stay fixed over a run (the learning rate varies per step and is passed on
// its own); the trainer takes them from a formats.Recipe.
type Hyper struct {
	Momentum    float32
	WeightDecay float32
	Nesterov    bool
	Smoothing   float32 // label smoothing
}

// Step runs one training step on the batch in X and Y: Forward, Backward and SGD
// with learning rate lr over all parameters at once. It returns the batch's loss
// and top-1 count, read back from the engine.
func (n *Net) Step(lr float32, r Hyper) (Stats, error) {
	n.Forward(true, r.Smoothing)
	n.Backward()
	n.E.SGDStep(n.P, n.G, n.V, n.NParams, lr, r.Momentum, r.WeightDecay, r.Nesterov)
	n.Steps++
	var st [3]float32
	n.E.Download(st[:], n.stats)
	if err := n.E.Err(); err != nil {
		return Stats{}, err
	}
	if st[2] > 0 {
		return Stats{}, fmt.Errorf("%d labels of the batch are outside the network's %d classes", int(st[2]), n.Arch.Classes)
	}
	return Stats{Loss: float64(st[0]), Correct: int(st[1])}, nil
}

// Predictions runs an evaluation Forward and returns the logits of the first rows
// images of the batch, [rows][Classes] on the host.
func (n *Net) Predictions(rows int) ([]float32, error) {
	n.Forward(false, 0)
	out := make([]float32, rows*n.Arch.Classes)
	n.E.Download(out, n.Logits)
	return out, n.E.Err()
}
