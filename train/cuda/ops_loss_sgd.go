//go:build cgo

package cuda

// #include "trampolines.h"
import "C"

import (
	"github.com/ddstools/dds/train/engine"
)

// SoftmaxCrossEntropy is dds_softmax_xent: dlogits (nil: skipped) and stats = {mean
// loss, rows whose argmax is the label, labels outside [0, c)}.
func (e *Engine) SoftmaxCrossEntropy(dlogits, logits engine.Buf, lab engine.Ints, n, c int, smoothing float32, stats engine.Buf) {
	const op = "SoftmaxCrossEntropy"
	C.go_softmax_xent(e.t, e.c(), e.optAct(dlogits, n*c, op, "dlogits"), e.act(logits, n*c, op, "logits"),
		ints(lab, n, op, "labels"), C.int(n), C.int(c), C.float(smoothing), need(stats, 3, op, "stats"))
}

// SGDStep is dds_sgd_step: SGD with momentum, weight decay and optional Nesterov
// over p[:n], g[:n], v[:n] (torch.optim.SGD with dampening 0).
func (e *Engine) SGDStep(p, g, v engine.Buf, n int, lr, momentum, weightDecay float32, nesterov bool) {
	const op = "SGDStep"
	C.go_sgd_step(e.t, e.c(), need(p, n, op, "p"), need(g, n, op, "g"), need(v, n, op, "v"), C.int64_t(n),
		C.float(lr), C.float(momentum), C.float(weightDecay), cbool(nesterov))
}
