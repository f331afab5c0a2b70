//go:build cgo

package cuda

// #include "trampolines.h"
import "C"

import (
	"github.com/ddstools/dds/train/engine"
)

// LinearForward is dds_linear_forward: y [n][out] = x [n][in]·wᵀ + bias (bias may be nil).
func (e *Engine) LinearForward(y, x, w, bias engine.Buf, n, in, out int) {
	const op = "LinearForward"
	C.go_linear_forward(e.t, e.c(), e.act(y, n*out, op, "y"), e.act(x, n*in, op, "x"), need(w, out*in, op, "w"),
		opt(bias, out, op, "bias"), C.int(n), C.int(in), C.int(out))
}

// LinearBackward is dds_linear_backward: dx = dy·w (dx may be nil), dw = dyᵀ·x,
// dbias = Σ_b dy (dbias may be nil).
func (e *Engine) LinearBackward(dx, dw, dbias, dy, x, w engine.Buf, n, in, out int) {
	const op = "LinearBackward"
	C.go_linear_backward(e.t, e.c(), e.optAct(dx, n*in, op, "dx"), need(dw, out*in, op, "dw"), opt(dbias, out, op, "dbias"),
		e.act(dy, n*out, op, "dy"), e.act(x, n*in, op, "x"), need(w, out*in, op, "w"), C.int(n), C.int(in), C.int(out))
}
