//go:build cgo

package cuda

// #include "trampolines.h"
import "C"

import (
	"github.com/ddstools/dds/train/engine"
)

// BatchNormStats is dds_bn_stats: per-channel mean and (biased) variance of x [m][c].
func (e *Engine) BatchNormStats(mean, variance, x engine.Buf, m, c int) {
	const op = "BatchNormStats"
	C.go_bn_stats(e.t, e.c(), need(mean, c, op, "mean"), need(variance, c, op, "variance"), e.act(x, m*c, op, "x"), C.int(m), C.int(c))
}

// BatchNormUpdateRunning is dds_bn_update_running: the running statistics' update
// with momentum (the variance unbiased by m/(m−1)).
func (e *Engine) BatchNormUpdateRunning(runMean, runVar, mean, variance engine.Buf, m, c int, momentum float32) {
	const op = "BatchNormUpdateRunning"
	C.go_bn_update_running(e.t, e.c(), need(runMean, c, op, "runMean"), need(runVar, c, op, "runVar"),
		need(mean, c, op, "mean"), need(variance, c, op, "variance"), C.int(m), C.int(c), C.float(momentum))
}

// BatchNormApply is dds_bn_apply: y = BN(x) (+ res when not nil), then ReLU when relu.
func (e *Engine) BatchNormApply(y, x, res, gamma, beta, mean, variance engine.Buf, m, c int, eps float32, relu bool) {
	const op = "BatchNormApply"
	C.go_bn_apply(e.t, e.c(), e.act(y, m*c, op, "y"), e.act(x, m*c, op, "x"), e.optAct(res, m*c, op, "res"),
		need(gamma, c, op, "gamma"), need(beta, c, op, "beta"), need(mean, c, op, "mean"),
		need(variance, c, op, "variance"), C.int(m), C.int(c), C.float(eps), cbool(relu))
}

// BatchNormBackward is dds_bn_backward: the backward pass of BatchNormApply with
// batch statistics (with relu: masked by y > 0, dres receiving the masked gradient
// when not nil; without: y and dres unused).
func (e *Engine) BatchNormBackward(dx, dres, dgamma, dbeta, dy, y, x, gamma, mean, variance engine.Buf, m, c int, eps float32, relu bool) {
	const op = "BatchNormBackward"
	var yp, dresp C.uintptr_t
	if relu {
		yp, dresp = e.act(y, m*c, op, "y"), e.optAct(dres, m*c, op, "dres")
	}
	C.go_bn_backward(e.t, e.c(), e.act(dx, m*c, op, "dx"), dresp, need(dgamma, c, op, "dgamma"),
		need(dbeta, c, op, "dbeta"), e.act(dy, m*c, op, "dy"), yp, e.act(x, m*c, op, "x"),
		need(gamma, c, op, "gamma"), need(mean, c, op, "mean"), need(variance, c, op, "variance"),
		C.int(m), C.int(c), C.float(eps), cbool(relu))
}
