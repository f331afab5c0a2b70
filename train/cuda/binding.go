//go:build cgo

package cuda

/*
#cgo CFLAGS: -I${SRCDIR}/lib -O2
#cgo LDFLAGS: -ldl
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "dds_cuda.h"

// DDS_FUNCS lists every function of dds_cuda.h (without its dds_ prefix). The table,
// the loader and nothing else are generated from it, so a function added to the header
// is added here once.
#define DDS_FUNCS(X) \
	X(abi_version) X(probe) X(create) X(destroy) X(status) X(message) X(alloc) X(mem_used) \
	X(upload) X(download) X(sync) X(conv_scratch) X(conv_forward) X(conv_backward_data) \
	X(conv_backward_weight) X(bn_stats) X(bn_update_running) X(bn_apply) X(bn_backward) \
	X(relu_forward) X(relu_backward) X(add) X(sigmoid_forward) X(sigmoid_backward) \
	X(scale_forward) X(scale_backward) X(avgpool_forward) X(avgpool_backward) \
	X(linear_forward) X(linear_backward) X(softmax_xent) X(sgd_step) X(batch) X(mem_info) \
	X(batch_at) X(sgd_step_at) X(copy_at) X(count) X(capture_begin) X(capture_end) X(graph_launch) \
	X(graph_destroy) X(set_precision) X(precision) X(conv_scratch_ctx) X(resized_batch_at)

// dds_fns holds a pointer to every function of one loaded library, each typed as the
// header declares it (the declarations are only read for their types, never linked).
typedef struct {
#define DDS_FIELD(name) __typeof__(&dds_##name) name;
	DDS_FUNCS(DDS_FIELD)
#undef DDS_FIELD
} dds_fns;

// go_load dlopens path (RTLD_NOW | RTLD_LOCAL) and resolves every function into a
// new table *out (malloc'ed; it lives as long as the process). It returns 0 on
// success; 1 when dlopen failed, with dlerror's text in err; 2 when a symbol is
// missing, with its name in err (the library is closed again); 3 when the library's
// dds_abi_version is not DDS_ABI_VERSION, with its version in err (checked before the
// other symbols, which a library of another version may lack). dlopen and dlerror run
// in this one call, so the text is that of this thread's dlopen.
static int go_load(const char *path, dds_fns **out, char *err, size_t errlen) {
	void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (h == NULL) {
		const char *e = dlerror();
		snprintf(err, errlen, "%s", e != NULL ? e : "dlopen failed");
		return 1;
	}
	int (*abi)(void) = (int (*)(void))dlsym(h, "dds_abi_version");
	if (abi != NULL && abi() != DDS_ABI_VERSION) {
		snprintf(err, errlen, "%d", abi());
		dlclose(h);
		return 3;
	}
	dds_fns *t = calloc(1, sizeof *t);
	if (t == NULL) {
		snprintf(err, errlen, "out of host memory");
		dlclose(h);
		return 1;
	}
#define DDS_SYM(name)                                                   \
	t->name = (__typeof__(t->name))dlsym(h, "dds_" #name);              \
	if (t->name == NULL) {                                              \
		snprintf(err, errlen, "dds_" #name);                            \
		free(t);                                                        \
		dlclose(h);                                                     \
		return 2;                                                       \
	}
	DDS_FUNCS(DDS_SYM)
#undef DDS_SYM
	*out = t;
	return 0;
}

// The trampolines: one per function, each one cgo call. Device addresses travel as
// uintptr_t (Go keeps them as uintptr, which the garbage collector ignores) and are
// cast to the header's pointer types here; 0 is NULL.
#define F(p) ((float *)(p))
#define CF(p) ((const float *)(p))

static int go_abi_version(const dds_fns *t) { return t->abi_version(); }
static int go_probe(const dds_fns *t, int *count, int *driver, int *runtime, char *msg, size_t len) {
	return t->probe(count, driver, runtime, msg, len);
}
static dds_ctx *go_create(const dds_fns *t, int device, char *msg, size_t len) { return t->create(device, msg, len); }
static void go_destroy(const dds_fns *t, dds_ctx *c) { t->destroy(c); }
static int go_status(const dds_fns *t, dds_ctx *c) { return t->status(c); }
static const char *go_message(const dds_fns *t, dds_ctx *c) { return t->message(c); }
static uintptr_t go_alloc(const dds_fns *t, dds_ctx *c, size_t bytes) { return (uintptr_t)t->alloc(c, bytes); }
static size_t go_mem_used(const dds_fns *t, dds_ctx *c) { return t->mem_used(c); }
static void go_upload(const dds_fns *t, dds_ctx *c, uintptr_t dst, const void *src, size_t bytes) {
	t->upload(c, (void *)dst, src, bytes);
}
static int go_download(const dds_fns *t, dds_ctx *c, void *dst, uintptr_t src, size_t bytes) {
	return t->download(c, dst, (const void *)src, bytes);
}
static int go_sync(const dds_fns *t, dds_ctx *c) { return t->sync(c); }
static void go_set_precision(const dds_fns *t, dds_ctx *c, int p) { t->set_precision(c, p); }
static int go_precision(const dds_fns *t, dds_ctx *c) { return t->precision(c); }
static int go_mem_info(const dds_fns *t, int device, size_t *free_bytes, size_t *total_bytes, char *msg, size_t len) {
	return t->mem_info(device, free_bytes, total_bytes, msg, len);
}

#define CONV_SHAPE dds_conv s = {n, h, w, cin, cout, k, stride, groups}
#define CONV_ARGS int n, int h, int w, int cin, int cout, int k, int stride, int groups
static size_t go_conv_scratch(const dds_fns *t, dds_ctx *c, CONV_ARGS) {
	CONV_SHAPE;
	return t->conv_scratch_ctx(c, &s);
}
// The convolutions check the scratch length (scratchLen values) against
// dds_conv_scratch_ctx (the context's precision) in the same call and return the
// length needed when it is short, launching nothing; else they return 0.
static size_t go_conv_forward(const dds_fns *t, dds_ctx *c, uintptr_t y, uintptr_t x, uintptr_t wt, CONV_ARGS,
                              uintptr_t scratch, size_t scratchLen) {
	CONV_SHAPE;
	size_t need = t->conv_scratch_ctx(c, &s);
	if (need > scratchLen) return need;
	t->conv_forward(c, F(y), CF(x), CF(wt), &s, F(scratch));
	return 0;
}
static size_t go_conv_backward_data(const dds_fns *t, dds_ctx *c, uintptr_t dx, uintptr_t dy, uintptr_t wt,
                                    CONV_ARGS, uintptr_t scratch, size_t scratchLen) {
	CONV_SHAPE;
	size_t need = t->conv_scratch_ctx(c, &s);
	if (need > scratchLen) return need;
	t->conv_backward_data(c, F(dx), CF(dy), CF(wt), &s, F(scratch));
	return 0;
}
static size_t go_conv_backward_weight(const dds_fns *t, dds_ctx *c, uintptr_t dw, uintptr_t dy, uintptr_t x,
                                      CONV_ARGS, uintptr_t scratch, size_t scratchLen) {
	CONV_SHAPE;
	size_t need = t->conv_scratch_ctx(c, &s);
	if (need > scratchLen) return need;
	t->conv_backward_weight(c, F(dw), CF(dy), CF(x), &s, F(scratch));
	return 0;
}

static void go_bn_stats(const dds_fns *t, dds_ctx *c, uintptr_t mean, uintptr_t var, uintptr_t x, int m, int ch) {
	t->bn_stats(c, F(mean), F(var), CF(x), m, ch);
}
static void go_bn_update_running(const dds_fns *t, dds_ctx *c, uintptr_t rm, uintptr_t rv, uintptr_t mean,
                                 uintptr_t var, int m, int ch, float momentum) {
	t->bn_update_running(c, F(rm), F(rv), CF(mean), CF(var), m, ch, momentum);
}
static void go_bn_apply(const dds_fns *t, dds_ctx *c, uintptr_t y, uintptr_t x, uintptr_t res, uintptr_t gamma,
                        uintptr_t beta, uintptr_t mean, uintptr_t var, int m, int ch, float eps, int relu) {
	t->bn_apply(c, F(y), CF(x), CF(res), CF(gamma), CF(beta), CF(mean), CF(var), m, ch, eps, relu);
}
static void go_bn_backward(const dds_fns *t, dds_ctx *c, uintptr_t dx, uintptr_t dres, uintptr_t dgamma,
                           uintptr_t dbeta, uintptr_t dy, uintptr_t y, uintptr_t x, uintptr_t gamma, uintptr_t mean,
                           uintptr_t var, int m, int ch, float eps, int relu) {
	t->bn_backward(c, F(dx), F(dres), F(dgamma), F(dbeta), CF(dy), CF(y), CF(x), CF(gamma), CF(mean), CF(var), m, ch,
	               eps, relu);
}

static void go_relu_forward(const dds_fns *t, dds_ctx *c, uintptr_t y, uintptr_t x, int64_t n) {
	t->relu_forward(c, F(y), CF(x), n);
}
static void go_relu_backward(const dds_fns *t, dds_ctx *c, uintptr_t dx, uintptr_t dy, uintptr_t y, int64_t n) {
	t->relu_backward(c, F(dx), CF(dy), CF(y), n);
}
static void go_add(const dds_fns *t, dds_ctx *c, uintptr_t y, uintptr_t a, uintptr_t b, int64_t n) {
	t->add(c, F(y), CF(a), CF(b), n);
}
static void go_sigmoid_forward(const dds_fns *t, dds_ctx *c, uintptr_t y, uintptr_t x, int64_t n) {
	t->sigmoid_forward(c, F(y), CF(x), n);
}
static void go_sigmoid_backward(const dds_fns *t, dds_ctx *c, uintptr_t dx, uintptr_t dy, uintptr_t y, int64_t n) {
	t->sigmoid_backward(c, F(dx), CF(dy), CF(y), n);
}
static void go_scale_forward(const dds_fns *t, dds_ctx *c, uintptr_t y, uintptr_t x, uintptr_t s, int n, int hw,
                             int ch) {
	t->scale_forward(c, F(y), CF(x), CF(s), n, hw, ch);
}
static void go_scale_backward(const dds_fns *t, dds_ctx *c, uintptr_t dx, uintptr_t ds, uintptr_t dy, uintptr_t x,
                              uintptr_t s, int n, int hw, int ch) {
	t->scale_backward(c, F(dx), F(ds), CF(dy), CF(x), CF(s), n, hw, ch);
}
static void go_avgpool_forward(const dds_fns *t, dds_ctx *c, uintptr_t y, uintptr_t x, int n, int hw, int ch) {
	t->avgpool_forward(c, F(y), CF(x), n, hw, ch);
}
static void go_avgpool_backward(const dds_fns *t, dds_ctx *c, uintptr_t dx, uintptr_t dy, int n, int hw, int ch) {
	t->avgpool_backward(c, F(dx), CF(dy), n, hw, ch);
}
static void go_linear_forward(const dds_fns *t, dds_ctx *c, uintptr_t y, uintptr_t x, uintptr_t w, uintptr_t bias,
                              int n, int in, int out) {
	t->linear_forward(c, F(y), CF(x), CF(w), CF(bias), n, in, out);
}
static void go_linear_backward(const dds_fns *t, dds_ctx *c, uintptr_t dx, uintptr_t dw, uintptr_t dbias,
                               uintptr_t dy, uintptr_t x, uintptr_t w, int n, int in, int out) {
	t->linear_backward(c, F(dx), F(dw), F(dbias), CF(dy), CF(x), CF(w), n, in, out);
}
static void go_softmax_xent(const dds_fns *t, dds_ctx *c, uintptr_t dlogits, uintptr_t logits, uintptr_t labels,
                            int n, int ch, float smoothing, uintptr_t stats) {
	t->softmax_xent(c, F(dlogits), CF(logits), (const int32_t *)labels, n, ch, smoothing, F(stats));
}
static void go_sgd_step(const dds_fns *t, dds_ctx *c, uintptr_t p, uintptr_t g, uintptr_t v, int64_t n, float lr,
                        float momentum, float wd, int nesterov) {
	t->sgd_step(c, F(p), CF(g), F(v), n, lr, momentum, wd, nesterov);
}
// go_batch uploads the n indices (and 3n crop bytes when crops is not NULL) from host
// memory into the engine's staging buffers idxDev and cropsDev, then runs dds_batch
// on them: one cgo call per batch.
static void go_batch(const dds_fns *t, dds_ctx *c, uintptr_t x, uintptr_t y, uintptr_t images, uintptr_t labels,
                     uintptr_t idxDev, const int32_t *idx, uintptr_t cropsDev, const int8_t *crops, int n, int h, int w,
                     int ch, int pad, const float *mean, const float *std) {
	t->upload(c, (void *)idxDev, idx, (size_t)n * sizeof(int32_t));
	if (crops != NULL) t->upload(c, (void *)cropsDev, crops, (size_t)n * 3);
	t->batch(c, F(x), (int32_t *)y, (const uint8_t *)images, (const int32_t *)labels, (const int32_t *)idxDev,
	         crops != NULL ? (const int8_t *)cropsDev : NULL, n, h, w, ch, pad, mean, std);
}

// The step-indexed operations: labels, indices, crops and the counter are int32
// device arrays (0 is NULL).
#define CI(p) ((const int32_t *)(p))
static void go_batch_at(const dds_fns *t, dds_ctx *c, uintptr_t x, uintptr_t y, uintptr_t images, uintptr_t labels,
                        uintptr_t idxs, uintptr_t crops, uintptr_t counter, int steps, int n, int h, int w, int ch,
                        int pad, const float *mean, const float *std) {
	t->batch_at(c, F(x), (int32_t *)y, (const uint8_t *)images, CI(labels), CI(idxs), CI(crops), CI(counter), steps, n,
	            h, w, ch, pad, mean, std);
}
static void go_resized_batch_at(const dds_fns *t, dds_ctx *c, uintptr_t x, uintptr_t y, uintptr_t images,
                                uintptr_t labels, uintptr_t idxs, uintptr_t boxes, uintptr_t counter, int steps, int n,
                                int h, int w, int ch, const float *mean, const float *std) {
	t->resized_batch_at(c, F(x), (int32_t *)y, (const uint8_t *)images, CI(labels), CI(idxs), CI(boxes), CI(counter),
	                    steps, n, h, w, ch, mean, std);
}
static void go_sgd_step_at(const dds_fns *t, dds_ctx *c, uintptr_t p, uintptr_t g, uintptr_t v, int64_t n,
                           uintptr_t lrs, uintptr_t counter, int steps, float momentum, float wd, int nesterov) {
	t->sgd_step_at(c, F(p), CF(g), F(v), n, CF(lrs), CI(counter), steps, momentum, wd, nesterov);
}
static void go_copy_at(const dds_fns *t, dds_ctx *c, uintptr_t dst, uintptr_t src, uintptr_t counter, int steps, int n) {
	t->copy_at(c, F(dst), CF(src), CI(counter), steps, n);
}
static void go_count(const dds_fns *t, dds_ctx *c, uintptr_t counter) { t->count(c, (int32_t *)counter); }

// Graphs: a dds_graph is host memory of the library; Go keeps its address.
static void go_capture_begin(const dds_fns *t, dds_ctx *c) { t->capture_begin(c); }
static dds_graph *go_capture_end(const dds_fns *t, dds_ctx *c) { return t->capture_end(c); }
static void go_graph_launch(const dds_fns *t, dds_ctx *c, dds_graph *g) { t->graph_launch(c, g); }
static void go_graph_destroy(const dds_fns *t, dds_ctx *c, dds_graph *g) { t->graph_destroy(c, g); }
*/
import "C"

import (
	"errors"
	"fmt"
	"math"
	"os"
	"runtime"
	"strings"
	"unsafe"

	"github.com/ddstools/dds/train/engine"
)

// ABIVersion is the DDS_ABI_VERSION of the header this package was built with; Open
// refuses a library whose dds_abi_version differs.
const ABIVersion = C.DDS_ABI_VERSION

// Library is a loaded libdds_cuda.so and the GPUs it sees. It stays loaded for the
// life of the process (CUDA libraries are not safe to dlclose once used).
type Library struct {
	path    string
	t       *C.dds_fns // function table, in C memory
	devices int
	driver  int // CUDA version the driver supports (dds_probe), e.g. 13000
	runtime int // CUDA runtime version the library was built against
}

// Open loads the kernel library and probes the GPUs (dds_probe). With path empty it
// tries DefaultPaths in order and takes the first that exists and loads; otherwise
// only path (a bare name without '/' is searched by dlopen). Its errors are one line
// and say what is missing:
//
//	CUDA library not found (tried: a, b, c); build it with make cuda
//	<dlopen's error>                         a library that exists but does not load (a missing libcublas, say)
//	<path> is not dds's CUDA library: it lacks dds_probe
//	<path> has ABI version 2, this binary needs 1; rebuild it with make cuda
//	the NVIDIA driver supports CUDA 12.4 but the library needs 13.0
//	no CUDA GPU visible (<dds_probe's message>)
func Open(path string) (*Library, error) {
	paths := []string{path}
	if path == "" {
		paths = DefaultPaths()
	}
	var tried []string
	for _, p := range paths {
		t, missing, err := load(p)
		if missing {
			tried = append(tried, p)
			continue
		}
		if err != nil {
			return nil, err
		}
		return probe(p, t)
	}
	return nil, fmt.Errorf("%w (tried: %s); build it with make cuda", ErrNotFound, strings.Join(tried, ", "))
}

// load dlopens p and resolves the ABI. missing reports that p itself is not there
// (as opposed to a library that is there but does not load).
func load(p string) (t *C.dds_fns, missing bool, err error) {
	if strings.ContainsRune(p, '/') {
		if _, err := os.Stat(p); errors.Is(err, os.ErrNotExist) {
			return nil, true, nil
		}
	}
	cp := C.CString(p)
	defer C.free(unsafe.Pointer(cp))
	var msg [1024]C.char
	switch C.go_load(cp, &t, &msg[0], C.size_t(len(msg))) {
	case 0:
	case 2:
		return nil, false, fmt.Errorf("%s is not dds's CUDA library: it lacks %s", p, C.GoString(&msg[0]))
	case 3:
		return nil, false, fmt.Errorf("%s has ABI version %s, this binary needs %d; rebuild it with make cuda", p, C.GoString(&msg[0]), ABIVersion)
	default:
		text := oneLine(C.GoString(&msg[0]))
		if !strings.ContainsRune(p, '/') && strings.HasPrefix(text, p+": cannot open shared object file") {
			return nil, true, nil
		}
		if !strings.Contains(text, p) {
			text = p + ": " + text
		}
		return nil, false, errors.New(text)
	}
	if v := int(C.go_abi_version(t)); v != ABIVersion {
		return nil, false, fmt.Errorf("%s has ABI version %d, this binary needs %d; rebuild it with make cuda", p, v, ABIVersion)
	}
	return t, false, nil
}

// probe asks the library for the GPUs and the CUDA versions (dds_probe).
func probe(p string, t *C.dds_fns) (*Library, error) {
	var count, driver, rt C.int
	var msg [1024]C.char
	rc := C.go_probe(t, &count, &driver, &rt, &msg[0], C.size_t(len(msg)))
	l := &Library{path: p, t: t, devices: int(count), driver: int(driver), runtime: int(rt)}
	text := oneLine(C.GoString(&msg[0]))
	switch {
	case l.driver > 0 && l.runtime > 0 && l.driver < l.runtime:
		return nil, fmt.Errorf("the NVIDIA driver supports CUDA %s but the library needs %s", cudaVersion(l.driver), cudaVersion(l.runtime))
	case rc != 0 || l.devices < 1:
		if text == "" {
			text = fmt.Sprintf("%d devices", l.devices)
		}
		return nil, fmt.Errorf("no CUDA GPU visible (%s)", text)
	}
	return l, nil
}

// oneLine joins the lines of s with "; ".
func oneLine(s string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(strings.TrimSpace(s), "\n", " ; ")), " ")
}

// Path returns the path the library was loaded from.
func (l *Library) Path() string { return l.path }

// Devices returns the number of CUDA devices the library sees (dds_probe).
func (l *Library) Devices() int { return l.devices }

// Versions returns the CUDA version the driver supports and the one of the runtime the
// library was built with, as CUDA numbers them (13000 is 13.0) (dds_probe).
func (l *Library) Versions() (driver, runtime int) { return l.driver, l.runtime }

// MemInfo returns the free and total memory of a device in [0, Devices()), in bytes
// (dds_mem_info, cudaMemGetInfo). Free counts every process's use of the device.
func (l *Library) MemInfo(device int) (free, total int64, err error) {
	if device < 0 || device >= l.devices {
		return 0, 0, fmt.Errorf("CUDA device %d: the library sees devices 0 to %d", device, l.devices-1)
	}
	var f, t C.size_t
	var msg [1024]C.char
	if rc := C.go_mem_info(l.t, C.int(device), &f, &t, &msg[0], C.size_t(len(msg))); rc != 0 {
		return 0, 0, fmt.Errorf("CUDA device %d: %s", device, oneLine(C.GoString(&msg[0])))
	}
	return int64(f), int64(t), nil
}

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

// staging returns the engine's bfloat16 staging slice with n values.
func (e *Engine) staging(n int) []uint16 {
	if cap(e.stage) < n {
		e.stage = make([]uint16, n)
	}
	return e.stage[:n]
}

// Upload copies src into dst[:len(src)] and waits for the copy (dds_upload). Into
// bfloat16 activations it rounds each value to the nearest bfloat16 (ties to even;
// NaN stays NaN) on the host first.
func (e *Engine) Upload(dst engine.Buf, src []float32) {
	d := dev(dst, "Upload", "dst")
	if d.n < len(src) {
		panic(short(dst, len(src), "Upload", "dst"))
	}
	if len(src) == 0 {
		return
	}
	if !d.bf16 {
		C.go_upload(e.t, e.c(), C.uintptr_t(d.ptr), unsafe.Pointer(unsafe.SliceData(src)), C.size_t(4*len(src)))
		return
	}
	ctx := e.c()
	st := e.staging(len(src))
	for i, v := range src {
		st[i] = toBF16(v)
	}
	C.go_upload(e.t, ctx, C.uintptr_t(d.ptr), unsafe.Pointer(unsafe.SliceData(st)), C.size_t(2*len(src)))
}

// Download waits for the stream and copies src[:len(dst)] into dst (dds_download),
// converting bfloat16 activations to float32 (exactly). After a failure dst is left
// as it was; Err reports the failure.
func (e *Engine) Download(dst []float32, src engine.Buf) {
	s := dev(src, "Download", "src")
	if s.n < len(dst) {
		panic(short(src, len(dst), "Download", "src"))
	}
	if len(dst) == 0 {
		return
	}
	if !s.bf16 {
		C.go_download(e.t, e.c(), unsafe.Pointer(unsafe.SliceData(dst)), C.uintptr_t(s.ptr), C.size_t(4*len(dst)))
		return
	}
	ctx := e.c()
	st := e.staging(len(dst))
	if C.go_download(e.t, ctx, unsafe.Pointer(unsafe.SliceData(st)), C.uintptr_t(s.ptr), C.size_t(2*len(dst))) != StatusOK {
		return
	}
	for i, v := range st {
		dst[i] = fromBF16(v)
	}
}

// toBF16 returns the bfloat16 nearest to f (ties to even), as __float2bfloat16_rn:
// the high half of f's encoding after rounding the low half; a NaN stays a (quiet)
// NaN of the same sign, infinities stay infinite.
func toBF16(f float32) uint16 {
	b := math.Float32bits(f)
	if b&0x7fffffff > 0x7f800000 {
		return uint16((b | 0x00400000) >> 16)
	}
	b += 0x7fff + (b>>16)&1
	return uint16(b >> 16)
}

// fromBF16 returns the float32 of a bfloat16 (exact).
func fromBF16(h uint16) float32 { return math.Float32frombits(uint32(h) << 16) }

// UploadInts copies src into dst[:len(src)] (dds_upload).
func (e *Engine) UploadInts(dst engine.Ints, src []int32) {
	d := ints(dst, len(src), "UploadInts", "dst")
	if len(src) == 0 {
		return
	}
	C.go_upload(e.t, e.c(), d, unsafe.Pointer(unsafe.SliceData(src)), C.size_t(4*len(src)))
}

// DownloadInts copies src[:len(dst)] into dst (dds_download).
func (e *Engine) DownloadInts(dst []int32, src engine.Ints) {
	s := ints(src, len(dst), "DownloadInts", "src")
	if len(dst) == 0 {
		return
	}
	C.go_download(e.t, e.c(), unsafe.Pointer(unsafe.SliceData(dst)), s, C.size_t(4*len(dst)))
}

// dev returns b as a Buf, panicking when it is nil or another engine's buffer.
func dev(b engine.Buf, op, arg string) Buf {
	d, ok := b.(Buf)
	if !ok {
		panic(fmt.Sprintf("cuda: %s: %s is %T, not a CUDA engine buffer", op, arg, b))
	}
	return d
}

// need returns the device address of b, panicking unless it is a float32 Buf (not
// bfloat16 activations) of at least n values: a float argument (engine's
// "Activation arguments" are the others, checked by act).
func need(b engine.Buf, n int, op, arg string) C.uintptr_t {
	d, ok := b.(Buf)
	if !ok || d.n < n {
		panic(short(b, n, op, arg))
	}
	if d.bf16 {
		panic(fmt.Sprintf("cuda: %s: %s is a bfloat16 activation buffer (AllocAct), want a float32 buffer (Alloc)", op, arg))
	}
	return C.uintptr_t(d.ptr)
}

// opt is need for an optional argument: nil gives NULL.
func opt(b engine.Buf, n int, op, arg string) C.uintptr_t {
	if b == nil {
		return 0
	}
	return need(b, n, op, arg)
}

// act is need for an activation argument: a Buf of at least n values in the
// engine's precision (from AllocAct; in FP32 any float32 Buf).
func (e *Engine) act(b engine.Buf, n int, op, arg string) C.uintptr_t {
	d, ok := b.(Buf)
	if !ok || d.n < n {
		panic(short(b, n, op, arg))
	}
	if d.bf16 != e.bf16() {
		if d.bf16 {
			panic(fmt.Sprintf("cuda: %s: %s is a bfloat16 activation buffer, but the engine's activations are float32", op, arg))
		}
		panic(fmt.Sprintf("cuda: %s: %s is a float32 buffer (Alloc), want a bfloat16 activation buffer (AllocAct) in bf16", op, arg))
	}
	return C.uintptr_t(d.ptr)
}

// optAct is act for an optional argument: nil gives NULL.
func (e *Engine) optAct(b engine.Buf, n int, op, arg string) C.uintptr_t {
	if b == nil {
		return 0
	}
	return e.act(b, n, op, arg)
}

// ints is need for an Ints buffer.
func ints(l engine.Ints, n int, op, arg string) C.uintptr_t {
	d, ok := l.(Ints)
	if !ok || d.n < n {
		panic(short(l, n, op, arg))
	}
	return C.uintptr_t(d.ptr)
}

func short(b interface{ Len() int }, n int, op, arg string) string {
	switch b.(type) {
	case Buf, Ints:
		return fmt.Sprintf("cuda: %s: len(%s) = %d, want at least %d", op, arg, b.Len(), n)
	case nil:
		return fmt.Sprintf("cuda: %s: %s is nil", op, arg)
	}
	return fmt.Sprintf("cuda: %s: %s is %T, not a CUDA engine buffer", op, arg, b)
}

// convArgs returns the C arguments of shape s.
func convArgs(s engine.Conv) (n, h, w, cin, cout, k, stride, groups C.int) {
	if s.Groups < 1 || s.Stride < 1 || s.K < 1 || s.Cin%s.Groups != 0 || s.Cout%s.Groups != 0 {
		panic(fmt.Sprintf("cuda: convolution %+v: want K, Stride, Groups >= 1 dividing Cin and Cout", s))
	}
	return C.int(s.N), C.int(s.H), C.int(s.W), C.int(s.Cin), C.int(s.Cout), C.int(s.K), C.int(s.Stride), C.int(s.Groups)
}

// ConvScratch returns the float32 scratch length the convolutions need for s in the
// engine's precision (dds_conv_scratch_ctx; a float32 buffer from Alloc).
func (e *Engine) ConvScratch(s engine.Conv) int {
	n, h, w, cin, cout, k, st, g := convArgs(s)
	return int(C.go_conv_scratch(e.t, e.c(), n, h, w, cin, cout, k, st, g))
}

// scratchArgs returns the address and length of an optional scratch buffer (float32).
func scratchArgs(b engine.Buf, op string) (C.uintptr_t, C.size_t) {
	if b == nil {
		return 0, 0
	}
	d := dev(b, op, "scratch")
	if d.bf16 {
		panic(fmt.Sprintf("cuda: %s: scratch is a bfloat16 activation buffer (AllocAct), want a float32 buffer (Alloc)", op))
	}
	return C.uintptr_t(d.ptr), C.size_t(d.n)
}

func shortScratch(op string, have C.size_t, need C.size_t) string {
	return fmt.Sprintf("cuda: %s: len(scratch) = %d, want at least %d (ConvScratch)", op, have, need)
}

// ConvForward is dds_conv_forward: y [N][OutH][OutW][Cout] = conv(x [N][H][W][Cin],
// w [Cout][K][K][Cin/G]).
func (e *Engine) ConvForward(y, x, w engine.Buf, s engine.Conv, scratch engine.Buf) {
	const op = "ConvForward"
	n, h, wd, cin, cout, k, st, g := convArgs(s)
	yp, xp, wp := e.act(y, s.OutLen(), op, "y"), e.act(x, s.InLen(), op, "x"), need(w, s.WeightLen(), op, "w")
	sp, sn := scratchArgs(scratch, op)
	if r := C.go_conv_forward(e.t, e.c(), yp, xp, wp, n, h, wd, cin, cout, k, st, g, sp, sn); r != 0 {
		panic(shortScratch(op, sn, r))
	}
}

// ConvBackwardData is dds_conv_backward_data: dx [N][H][W][Cin] from dy and w.
func (e *Engine) ConvBackwardData(dx, dy, w engine.Buf, s engine.Conv, scratch engine.Buf) {
	const op = "ConvBackwardData"
	n, h, wd, cin, cout, k, st, g := convArgs(s)
	dxp, dyp, wp := e.act(dx, s.InLen(), op, "dx"), e.act(dy, s.OutLen(), op, "dy"), need(w, s.WeightLen(), op, "w")
	sp, sn := scratchArgs(scratch, op)
	if r := C.go_conv_backward_data(e.t, e.c(), dxp, dyp, wp, n, h, wd, cin, cout, k, st, g, sp, sn); r != 0 {
		panic(shortScratch(op, sn, r))
	}
}

// ConvBackwardWeight is dds_conv_backward_weight: dw [Cout][K][K][Cin/G] from dy and x.
func (e *Engine) ConvBackwardWeight(dw, dy, x engine.Buf, s engine.Conv, scratch engine.Buf) {
	const op = "ConvBackwardWeight"
	n, h, wd, cin, cout, k, st, g := convArgs(s)
	dwp, dyp, xp := need(dw, s.WeightLen(), op, "dw"), e.act(dy, s.OutLen(), op, "dy"), e.act(x, s.InLen(), op, "x")
	sp, sn := scratchArgs(scratch, op)
	if r := C.go_conv_backward_weight(e.t, e.c(), dwp, dyp, xp, n, h, wd, cin, cout, k, st, g, sp, sn); r != 0 {
		panic(shortScratch(op, sn, r))
	}
}

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

// ReLUForward is dds_relu_forward: y = max(0, x) over n values.
func (e *Engine) ReLUForward(y, x engine.Buf, n int) {
	const op = "ReLUForward"
	C.go_relu_forward(e.t, e.c(), e.act(y, n, op, "y"), e.act(x, n, op, "x"), C.int64_t(n))
}

// ReLUBackward is dds_relu_backward: dx = dy where y > 0, else 0.
func (e *Engine) ReLUBackward(dx, dy, y engine.Buf, n int) {
	const op = "ReLUBackward"
	C.go_relu_backward(e.t, e.c(), e.act(dx, n, op, "dx"), e.act(dy, n, op, "dy"), e.act(y, n, op, "y"), C.int64_t(n))
}

// Add is dds_add: y = a + b over n values.
func (e *Engine) Add(y, a, b engine.Buf, n int) {
	const op = "Add"
	C.go_add(e.t, e.c(), e.act(y, n, op, "y"), e.act(a, n, op, "a"), e.act(b, n, op, "b"), C.int64_t(n))
}

// SigmoidForward is dds_sigmoid_forward: y = 1/(1 + exp(−x)).
func (e *Engine) SigmoidForward(y, x engine.Buf, n int) {
	const op = "SigmoidForward"
	C.go_sigmoid_forward(e.t, e.c(), e.act(y, n, op, "y"), e.act(x, n, op, "x"), C.int64_t(n))
}

// SigmoidBackward is dds_sigmoid_backward: dx = dy·y·(1 − y).
func (e *Engine) SigmoidBackward(dx, dy, y engine.Buf, n int) {
	const op = "SigmoidBackward"
	C.go_sigmoid_backward(e.t, e.c(), e.act(dx, n, op, "dx"), e.act(dy, n, op, "dy"), e.act(y, n, op, "y"), C.int64_t(n))
}

// ScaleForward is dds_scale_forward: y[b,p,ch] = x[b,p,ch]·s[b,ch].
func (e *Engine) ScaleForward(y, x, s engine.Buf, n, hw, c int) {
	const op = "ScaleForward"
	C.go_scale_forward(e.t, e.c(), e.act(y, n*hw*c, op, "y"), e.act(x, n*hw*c, op, "x"), e.act(s, n*c, op, "s"),
		C.int(n), C.int(hw), C.int(c))
}

// ScaleBackward is dds_scale_backward: dx = dy·s, ds[b,ch] = Σ_p dy·x.
func (e *Engine) ScaleBackward(dx, ds, dy, x, s engine.Buf, n, hw, c int) {
	const op = "ScaleBackward"
	C.go_scale_backward(e.t, e.c(), e.act(dx, n*hw*c, op, "dx"), e.act(ds, n*c, op, "ds"), e.act(dy, n*hw*c, op, "dy"),
		e.act(x, n*hw*c, op, "x"), e.act(s, n*c, op, "s"), C.int(n), C.int(hw), C.int(c))
}

// AvgPoolForward is dds_avgpool_forward: y [n][c] = the mean of x [n][hw][c] over hw.
func (e *Engine) AvgPoolForward(y, x engine.Buf, n, hw, c int) {
	const op = "AvgPoolForward"
	C.go_avgpool_forward(e.t, e.c(), e.act(y, n*c, op, "y"), e.act(x, n*hw*c, op, "x"), C.int(n), C.int(hw), C.int(c))
}

// AvgPoolBackward is dds_avgpool_backward: dx[b,p,ch] = dy[b,ch]/hw.
func (e *Engine) AvgPoolBackward(dx, dy engine.Buf, n, hw, c int) {
	const op = "AvgPoolBackward"
	C.go_avgpool_backward(e.t, e.c(), e.act(dx, n*hw*c, op, "dx"), e.act(dy, n*c, op, "dy"), C.int(n), C.int(hw), C.int(c))
}

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

// maxBatchChannels is the most channels dds_batch normalises (its mean and std
// arrays travel by value).
const maxBatchChannels = 16

// UploadImages copies n = len(labels) images [h][w][c] (uint8) and their labels to
// device memory once (dds_alloc, dds_upload) and returns them as an *ImageSet for
// Batch. len(images) must be n·h·w·c.
func (e *Engine) UploadImages(images []uint8, lab []int32, h, w, c int) engine.ImageSet {
	n := len(lab)
	if h < 1 || w < 1 || c < 1 || len(images) != n*h*w*c {
		panic(fmt.Sprintf("cuda: UploadImages: %d bytes for %d images of %dx%dx%d", len(images), n, h, w, c))
	}
	s := &ImageSet{n: n, h: h, w: w, c: c}
	if n == 0 {
		return s
	}
	ctx := e.c()
	s.images, s.labels = e.alloc(len(images)), e.alloc(4*n)
	C.go_upload(e.t, ctx, C.uintptr_t(s.images), unsafe.Pointer(unsafe.SliceData(images)), C.size_t(len(images)))
	C.go_upload(e.t, ctx, C.uintptr_t(s.labels), unsafe.Pointer(unsafe.SliceData(lab)), C.size_t(4*n))
	return s
}

// Batch is dds_batch: examples idx of set, augmented by crops (nil: none) with
// padding pad and normalised with mean and std, into x [len(idx)][H][W][C], their
// labels into y, with the semantics of data.Set.Batch. idx and crops are copied into
// the engine's staging buffers in device memory first (in the same cgo call). It
// panics, as data.Set.Batch does, on short buffers, an index outside the set, a crop
// offset outside [0, 2·pad] or pad outside [0, 63].
func (e *Engine) Batch(x engine.Buf, y engine.Ints, set engine.ImageSet, idx []int32, crops []int8, pad int, mean, std []float32) {
	const op = "Batch"
	s, ok := set.(*ImageSet)
	if !ok || s == nil {
		panic(fmt.Sprintf("cuda: Batch: set is %T, not a CUDA engine image set", set))
	}
	n := len(idx)
	xp, yp := e.act(x, n*s.h*s.w*s.c, op, "x"), ints(y, n, op, "y")
	switch {
	case s.c > maxBatchChannels:
		panic(fmt.Sprintf("cuda: Batch: %d channels, at most %d", s.c, maxBatchChannels))
	case len(mean) < s.c || len(std) < s.c:
		panic(fmt.Sprintf("cuda: Batch: len(mean) = %d, len(std) = %d, want at least C = %d", len(mean), len(std), s.c))
	case crops != nil && len(crops) < 3*n:
		panic(fmt.Sprintf("cuda: Batch: len(crops) = %d, want at least %d", len(crops), 3*n))
	case crops != nil && (pad < 0 || pad > 63):
		panic(fmt.Sprintf("cuda: Batch: pad = %d, want [0, 63]", pad))
	}
	for i, v := range idx {
		if v < 0 || int(v) >= s.n {
			panic(fmt.Sprintf("cuda: Batch: idx[%d] = %d, want [0, %d)", i, v, s.n))
		}
	}
	if crops != nil {
		for i := range n {
			if dy, dx := int(crops[3*i]), int(crops[3*i+1]); dy < 0 || dx < 0 || dy > 2*pad || dx > 2*pad {
				panic(fmt.Sprintf("cuda: Batch: crops[%d] = {DY:%d DX:%d}, want DY, DX in [0, %d]", i, dy, dx, 2*pad))
			}
		}
	}
	if n == 0 {
		return
	}
	ctx := e.c()
	if n > e.idxCap {
		e.idx, e.idxCap = e.alloc(4*n), n
	}
	var cp *C.int8_t
	if crops != nil {
		if n > e.cropsCap {
			e.crops, e.cropsCap = e.alloc(3*n), n
		}
		cp = (*C.int8_t)(unsafe.Pointer(unsafe.SliceData(crops)))
	}
	C.go_batch(e.t, ctx, xp, yp, C.uintptr_t(s.images), C.uintptr_t(s.labels),
		C.uintptr_t(e.idx), (*C.int32_t)(unsafe.Pointer(unsafe.SliceData(idx))), C.uintptr_t(e.crops), cp,
		C.int(n), C.int(s.h), C.int(s.w), C.int(s.c), C.int(pad),
		(*C.float)(unsafe.Pointer(unsafe.SliceData(mean))), (*C.float)(unsafe.Pointer(unsafe.SliceData(std))))
}

// steps returns the number of steps a buffer of l values holds at n per step (0 when
// n is 0), at most math.MaxInt32: the counter is an int32, so no step beyond that is
// ever selected.
func steps(l, n int) C.int {
	if n <= 0 {
		return 0
	}
	return C.int(min(l/n, math.MaxInt32))
}

// BatchAt is dds_batch_at: Batch of the n examples idxs[t·n : (t+1)·n] with the
// crops crops[3·t·n : 3·(t+1)·n] (int32 DY, DX, flip triples; nil: no augmentation)
// of step t = counter[0], read on the device when the operation runs; nothing when t
// is outside [0, steps), steps = idxs.Len()/n. The lengths are checked here; the
// indices and crops, being in device memory, are not: an index must lie in [0,
// set.Len()) (the kernel reads the image it names), a crop offset outside [0, 2·pad]
// reads as padding.
func (e *Engine) BatchAt(x engine.Buf, y engine.Ints, set engine.ImageSet, idxs, crops, counter engine.Ints, n, pad int, mean, std []float32) {
	const op = "BatchAt"
	s, ok := set.(*ImageSet)
	if !ok || s == nil {
		panic(fmt.Sprintf("cuda: BatchAt: set is %T, not a CUDA engine image set", set))
	}
	if n < 0 {
		panic(fmt.Sprintf("cuda: BatchAt: n = %d", n))
	}
	ip := ints(idxs, n, op, "idxs")
	st := steps(idxs.Len(), n)
	var cp C.uintptr_t
	if crops != nil {
		cp = ints(crops, 3*int(st)*n, op, "crops")
	}
	xp, yp, ctr := e.act(x, n*s.h*s.w*s.c, op, "x"), ints(y, n, op, "y"), ints(counter, 1, op, "counter")
	switch {
	case s.c > maxBatchChannels:
		panic(fmt.Sprintf("cuda: BatchAt: %d channels, at most %d", s.c, maxBatchChannels))
	case len(mean) < s.c || len(std) < s.c:
		panic(fmt.Sprintf("cuda: BatchAt: len(mean) = %d, len(std) = %d, want at least C = %d", len(mean), len(std), s.c))
	case crops != nil && (pad < 0 || pad > 63):
		panic(fmt.Sprintf("cuda: BatchAt: pad = %d, want [0, 63]", pad))
	}
	if n == 0 || st == 0 {
		return
	}
	C.go_batch_at(e.t, e.c(), xp, yp, C.uintptr_t(s.images), C.uintptr_t(s.labels), ip, cp, ctr, st,
		C.int(n), C.int(s.h), C.int(s.w), C.int(s.c), C.int(pad),
		(*C.float)(unsafe.Pointer(unsafe.SliceData(mean))), (*C.float)(unsafe.Pointer(unsafe.SliceData(std))))
}

var _ engine.ResizedCropper = (*Engine)(nil)

// ResizedBatchAt is dds_resized_batch_at: step t = counter[0]'s batch of
// random-resized crops with the semantics of data.Set.ResizedBatch (and the CPU
// engine's float32 arithmetic): the n examples idxs[t·n : (t+1)·n], example i cut to
// the window boxes[5k : 5k+5] (k = t·n + i; top, left, height, width, flip) and
// resized bilinearly to the set's H×W, mirrored when flip != 0, normalised with mean
// and std into x [n][H][W][C], their labels into y; t is read on the device when the
// operation runs, and nothing happens when it is outside [0, steps), steps =
// idxs.Len()/n. The lengths are checked here; the indices and boxes, being in device
// memory, are not: an index must lie in [0, set.Len()) (the kernel reads the image it
// names), and a box outside the image reads the image's edge pixels where
// data.Set.ResizedBatch would panic.
func (e *Engine) ResizedBatchAt(x engine.Buf, y engine.Ints, set engine.ImageSet, idxs, boxes, counter engine.Ints, n int, mean, std []float32) {
	const op = "ResizedBatchAt"
	s, ok := set.(*ImageSet)
	if !ok || s == nil {
		panic(fmt.Sprintf("cuda: ResizedBatchAt: set is %T, not a CUDA engine image set", set))
	}
	if n < 0 {
		panic(fmt.Sprintf("cuda: ResizedBatchAt: n = %d", n))
	}
	ip := ints(idxs, n, op, "idxs")
	st := steps(idxs.Len(), n)
	bp := ints(boxes, 5*int(st)*n, op, "boxes")
	xp, yp, ctr := e.act(x, n*s.h*s.w*s.c, op, "x"), ints(y, n, op, "y"), ints(counter, 1, op, "counter")
	switch {
	case s.c > maxBatchChannels:
		panic(fmt.Sprintf("cuda: ResizedBatchAt: %d channels, at most %d", s.c, maxBatchChannels))
	case len(mean) < s.c || len(std) < s.c:
		panic(fmt.Sprintf("cuda: ResizedBatchAt: len(mean) = %d, len(std) = %d, want at least C = %d", len(mean), len(std), s.c))
	}
	if n == 0 || st == 0 {
		return
	}
	C.go_resized_batch_at(e.t, e.c(), xp, yp, C.uintptr_t(s.images), C.uintptr_t(s.labels), ip, bp, ctr, st,
		C.int(n), C.int(s.h), C.int(s.w), C.int(s.c),
		(*C.float)(unsafe.Pointer(unsafe.SliceData(mean))), (*C.float)(unsafe.Pointer(unsafe.SliceData(std))))
}

// SGDStepAt is dds_sgd_step_at: SGDStep with learning rate lrs[t], t = counter[0]
// read on the device; nothing when t is outside [0, lrs.Len()).
func (e *Engine) SGDStepAt(p, g, v engine.Buf, n int, lrs engine.Buf, counter engine.Ints, momentum, weightDecay float32, nesterov bool) {
	const op = "SGDStepAt"
	lp := need(lrs, 0, op, "lrs")
	C.go_sgd_step_at(e.t, e.c(), need(p, n, op, "p"), need(g, n, op, "g"), need(v, n, op, "v"), C.int64_t(n),
		lp, ints(counter, 1, op, "counter"), steps(lrs.Len(), 1), C.float(momentum), C.float(weightDecay), cbool(nesterov))
}

// CopyAt is dds_copy_at: src[:n] into dst[t·n : (t+1)·n], t = counter[0] read on the
// device; nothing when t is outside [0, dst.Len()/n).
func (e *Engine) CopyAt(dst, src engine.Buf, counter engine.Ints, n int) {
	const op = "CopyAt"
	if n < 0 || n > math.MaxInt32 {
		panic(fmt.Sprintf("cuda: CopyAt: n = %d", n))
	}
	dp := need(dst, n, op, "dst")
	C.go_copy_at(e.t, e.c(), dp, need(src, n, op, "src"), ints(counter, 1, op, "counter"), steps(dst.Len(), n), C.int(n))
}

// Count is dds_count: counter[0] += 1, on the device.
func (e *Engine) Count(counter engine.Ints) {
	C.go_count(e.t, e.c(), ints(counter, 1, "Count", "counter"))
}

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

func cbool(b bool) C.int {
	if b {
		return 1
	}
	return 0
}
