//go:build cgo

package cuda

// #include "trampolines.h"
import "C"

import (
	"fmt"
	"runtime"

	"github.com/ddstools/dds/train/engine"
)

// NewEngine makes an engine with float32 activations on a device in [0, Devices()):
// NewEngineWith(device, engine.FP32).
func (l *Library) NewEngine(device int) (*Engine, error) { return l.NewEngineWith(device, engine.FP32) }

// NewEngineWith makes an engine on a device in [0, Devices()) whose activations are
// stored in precision p: a library context with its own stream, cuBLAS handle and
// memory (dds_create), set to p before anything is allocated (dds_set_precision).
// Its error carries the library's message.
func (l *Library) NewEngineWith(device int, p engine.Precision) (*Engine, error) {
	if device < 0 || device >= l.devices {
		return nil, fmt.Errorf("CUDA device %d: the library sees devices 0 to %d", device, l.devices-1)
	}
	var cp C.int
	switch p {
	case engine.FP32:
		cp = C.DDS_FP32
	case engine.BF16:
		cp = C.DDS_BF16
	default:
		return nil, fmt.Errorf("CUDA device %d: precision %d: want fp32 or bf16", device, int(p))
	}
	var msg [1024]C.char
	ctx := C.go_create(l.t, C.int(device), &msg[0], C.size_t(len(msg)))
	if ctx == nil {
		return nil, fmt.Errorf("CUDA device %d: %s", device, oneLine(C.GoString(&msg[0])))
	}
	if cp != C.DDS_FP32 { // dds_create's default
		C.go_set_precision(l.t, ctx, cp)
	}
	if st := int(C.go_status(l.t, ctx)); st != StatusOK || C.go_precision(l.t, ctx) != cp {
		err := fmt.Errorf("CUDA device %d: precision %v: %s", device, p, oneLine(C.GoString(C.go_message(l.t, ctx))))
		C.go_destroy(l.t, ctx)
		return nil, err
	}
	e := &Engine{lib: l, t: l.t, ctx: ctx, device: device, prec: p}
	e.cleanup = runtime.AddCleanup(e, func(r ctxRef) { C.go_destroy(r.t, r.ctx) }, ctxRef{l.t, ctx})
	return e, nil
}

type ctxRef struct {
	t   *C.dds_fns
	ctx *C.dds_ctx
}

// Engine is the CUDA engine: one library context (dds_ctx) on one device. Every
// operation enqueues its kernels on the context's stream and returns; Download, Sync
// and Err (through dds_status) are where the host learns of failures. Its buffers are
// Buf, Ints and *ImageSet. Close frees its memory; a cleanup frees it too if an
// engine is dropped unclosed, but only as a backstop.
type Engine struct {
	lib     *Library
	t       *C.dds_fns
	ctx     *C.dds_ctx // nil after Close
	device  int
	prec    engine.Precision
	err     error // the first failure, once seen
	cleanup runtime.Cleanup

	// stage holds bfloat16 values on their way between a float32 slice and an
	// activation buffer (Upload, Download in BF16); it only grows.
	stage []uint16

	// Staging buffers for Batch's indices (int32) and crops (3 int8 per example),
	// allocated at the first batch and reallocated when a larger batch first appears
	// (the smaller ones stay allocated until Close: the library frees memory only in
	// dds_destroy).
	idx, crops       uintptr
	idxCap, cropsCap int
}

var (
	_ engine.Engine   = (*Engine)(nil)
	_ engine.Recorder = (*Engine)(nil)
)

// c returns the context, panicking on an engine used after Close.
func (e *Engine) c() *C.dds_ctx {
	if e.ctx == nil {
		panic("cuda: engine used after Close")
	}
	return e.ctx
}

// Name returns "cuda".
func (e *Engine) Name() string { return "cuda" }

// Precision returns how the engine stores activations (NewEngineWith).
func (e *Engine) Precision() engine.Precision { return e.prec }

// bf16 reports whether activations are bfloat16.
func (e *Engine) bf16() bool { return e.prec == engine.BF16 }

// Device returns the CUDA device the engine runs on.
func (e *Engine) Device() int { return e.device }

// Library returns the library the engine was made by.
func (e *Engine) Library() *Library { return e.lib }

// Close waits for the engine's stream and frees everything it allocated
// (dds_destroy). Its buffers must not be used after; Close again does nothing, and
// Err keeps reporting what it reported before.
func (e *Engine) Close() {
	if e.ctx == nil {
		return
	}
	e.Err()
	e.cleanup.Stop()
	C.go_destroy(e.t, e.ctx)
	e.ctx = nil
}

// Err returns the engine's first failure as an *Error, or nil (dds_status,
// dds_message). The error wraps ErrOutOfMemory for DDS_ERR_OOM.
func (e *Engine) Err() error {
	if e.err != nil || e.ctx == nil {
		return e.err
	}
	if st := int(C.go_status(e.t, e.ctx)); st != StatusOK {
		e.err = &Error{Code: st, Message: oneLine(C.GoString(C.go_message(e.t, e.ctx)))}
	}
	return e.err
}

// Sync waits until the engine's stream has run everything enqueued so far (dds_sync)
// and returns Err.
func (e *Engine) Sync() error {
	C.go_sync(e.t, e.c())
	return e.Err()
}

// allocAlign is the granularity of cudaMalloc, which dds_alloc calls once per
// buffer: every allocation takes a multiple of 512 bytes of device memory.
const allocAlign = 512

// AllocAlign returns 512, the granularity of the device allocator the library uses
// (cudaMalloc).
func (e *Engine) AllocAlign() int { return allocAlign }

// MemUsed returns the bytes of device memory the engine has allocated
// (dds_mem_used); 0 after Close.
func (e *Engine) MemUsed() int64 {
	if e.ctx == nil {
		return 0
	}
	return int64(C.go_mem_used(e.t, e.ctx))
}

// alloc returns bytes of zeroed device memory (dds_alloc); 0 when bytes is 0, and 0
// with the context's error set when the allocation failed.
func (e *Engine) alloc(bytes int) uintptr {
	if bytes == 0 {
		return 0
	}
	return uintptr(C.go_alloc(e.t, e.c(), C.size_t(bytes)))
}

// Alloc returns a zeroed buffer of n float32 values (dds_alloc). Alloc(0) is a valid
// empty buffer that allocates nothing. When device memory runs out the buffer is
// unusable and Err reports ErrOutOfMemory.
func (e *Engine) Alloc(n int) engine.Buf {
	if n < 0 {
		panic(fmt.Sprintf("cuda: Alloc(%d)", n))
	}
	return Buf{ptr: e.alloc(4 * n), n: n}
}

// AllocAct returns a zeroed buffer of n activations (dds_alloc): float32 values (as
// Alloc) in FP32, bfloat16 values (2n bytes) in BF16.
func (e *Engine) AllocAct(n int) engine.Buf {
	if n < 0 {
		panic(fmt.Sprintf("cuda: AllocAct(%d)", n))
	}
	if !e.bf16() {
		return e.Alloc(n)
	}
	return Buf{ptr: e.alloc(2 * n), n: n, bf16: true}
}

// AllocInts returns a zeroed buffer of n int32 values (dds_alloc).
func (e *Engine) AllocInts(n int) engine.Ints {
	if n < 0 {
		panic(fmt.Sprintf("cuda: AllocInts(%d)", n))
	}
	return Ints{ptr: e.alloc(4 * n), n: n}
}

// Slice returns the view b[off : off+n] (device address plus off values of b's
// element size: 4 bytes, or 2 for bfloat16 activations), of b's kind.
func (e *Engine) Slice(b engine.Buf, off, n int) engine.Buf {
	d := dev(b, "Slice", "b")
	if off < 0 || n < 0 || off+n > d.n {
		panic(fmt.Sprintf("cuda: Slice [%d:%d] of a buffer of %d values", off, off+n, d.n))
	}
	p := d.ptr
	if p != 0 {
		p += d.size() * uintptr(off)
	}
	return Buf{ptr: p, n: n, bf16: d.bf16}
}
