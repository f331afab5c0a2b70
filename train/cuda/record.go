//go:build cgo

package cuda

// #include "trampolines.h"
import "C"

import (
	"errors"

	"github.com/ddstools/dds/train/engine"
)

// Record records the operations f issues into a CUDA graph and returns it as a
// *Replay (dds_capture_begin, f, dds_capture_end): f's operations are checked and
// enqueued as usual but do not run; Replay.Run runs them all with one call. f must
// issue only operations on buffers allocated before: Alloc, the transfers (Upload,
// Download, UploadInts, Batch, which uploads its indices) and Sync are refused
// while recording and make the recording fail. A failure is returned as Err's error
// (the engine's first failure), so an engine that has failed records nothing. If f
// panics, the recording is discarded and the panic goes on.
func (e *Engine) Record(f func()) (engine.Replay, error) {
	ctx := e.c()
	if err := e.Err(); err != nil {
		return nil, err
	}
	C.go_capture_begin(e.t, ctx)
	done := false
	defer func() {
		if !done { // f panicked: end the capture, keep nothing
			if g := C.go_capture_end(e.t, ctx); g != nil {
				C.go_graph_destroy(e.t, ctx, g)
			}
		}
	}()
	f()
	done = true
	g := C.go_capture_end(e.t, ctx)
	if g == nil {
		if err := e.Err(); err != nil {
			return nil, err
		}
		return nil, errors.New("cuda: Record: the library returned no graph and no error")
	}
	return &Replay{e: e, g: g}, nil
}

// Replay is a CUDA graph recorded by Engine.Record (a dds_graph of the engine's
// context).
type Replay struct {
	e *Engine
	g *C.dds_graph // nil after Close
}

var _ engine.Replay = (*Replay)(nil)

// Run enqueues the recorded operations on the engine's stream (dds_graph_launch) and
// returns; they run as f's did, on the buffers' contents when they run.
func (r *Replay) Run() {
	if r.g == nil {
		panic("cuda: Replay used after Close")
	}
	C.go_graph_launch(r.e.t, r.e.c(), r.g)
}

// Close frees the graph (dds_graph_destroy); Close again, or after the engine's
// Close (which freed it), does nothing.
func (r *Replay) Close() {
	if r.g == nil {
		return
	}
	if r.e.ctx != nil {
		C.go_graph_destroy(r.e.t, r.e.ctx, r.g)
	}
	r.g = nil
}
