//go:build cgo

package cuda

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/ddstools/dds/train/cpu"
	"github.com/ddstools/dds/train/engine"
	"github.com/ddstools/dds/train/engine/enginetest"
)

// fakeSource is a stand-in for libdds_cuda.so that runs on the host: "device"
// memory is calloc'ed host memory, so Go can read the addresses the binding passes.
// It implements the ABI's bookkeeping (contexts, sticky errors, allocation with a
// limit of FAKE_MEM bytes per context, copies, dds_mem_info: FAKE_MEM bytes less what
// the live contexts hold, the precision: settable before the first dds_alloc, and
// its scratch lengths FAKE_SCRATCH and FAKE_SCRATCH_BF16) and a few operations (ReLU
// forward, Add, SGD, Batch, and the step-indexed BatchAt, ResizedBatchAt, SGDStepAt,
// CopyAt and Count) with the CPU engine's semantics, the activations of ReLU, Add and Batch
// stored as bfloat16 bits (uint16, rounded to nearest even) in DDS_BF16; every other operation fails with DDS_ERR_ARG naming itself, and so does
// dds_capture_begin: the fake cannot record, which it says rather than pretending to
// (dds_capture_end then returns NULL). Its probe answers as the FAKE_* macros say. The tests
// compile it with the C compiler cgo uses, so they check the binding — loading, error
// messages, argument order and staging — on machines without a GPU.
const fakeSource = `
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "dds_cuda.h"

#ifndef FAKE_ABI
#define FAKE_ABI DDS_ABI_VERSION
#endif
#ifndef FAKE_COUNT
#define FAKE_COUNT 1
#endif
#ifndef FAKE_DRIVER
#define FAKE_DRIVER 13000
#endif
#ifndef FAKE_RUNTIME
#define FAKE_RUNTIME 13000
#endif
#ifndef FAKE_PROBE_RC
#define FAKE_PROBE_RC 0
#endif
#ifndef FAKE_PROBE_MSG
#define FAKE_PROBE_MSG ""
#endif
#ifndef FAKE_MEM
#define FAKE_MEM (64 << 20)
#endif
#define FAKE_SCRATCH 7
#define FAKE_SCRATCH_BF16 9

static size_t fake_held; /* bytes held by all live contexts, for dds_mem_info */

struct dds_ctx {
	int status, prec;
	char msg[256];
	size_t used, nblocks;
	void *blocks[4096];
};

static void fail(dds_ctx *c, int st, const char *m) {
	if (c->status == 0) {
		c->status = st;
		snprintf(c->msg, sizeof c->msg, "%s", m);
	}
}

int dds_abi_version(void) { return FAKE_ABI; }
int dds_probe(int *count, int *driver, int *runtime, char *msg, size_t len) {
	*count = FAKE_COUNT;
	*driver = FAKE_DRIVER;
	*runtime = FAKE_RUNTIME;
	snprintf(msg, len, "%s", FAKE_PROBE_MSG);
	return FAKE_PROBE_RC;
}
dds_ctx *dds_create(int device, char *msg, size_t len) {
#ifdef FAKE_CREATE_FAILS
	snprintf(msg, len, "fake: no context on device %d", device);
	return NULL;
#else
	return calloc(1, sizeof(dds_ctx));
#endif
}
void dds_destroy(dds_ctx *c) {
	for (size_t i = 0; i < c->nblocks; i++) free(c->blocks[i]);
	fake_held -= c->used;
	free(c);
}
int dds_mem_info(int device, size_t *free_bytes, size_t *total_bytes, char *msg, size_t len) {
#ifdef FAKE_MEMINFO_FAILS
	snprintf(msg, len, "fake: dds_mem_info fails on device %d", device);
	return 2;
#else
	*total_bytes = FAKE_MEM;
	*free_bytes = fake_held < FAKE_MEM ? FAKE_MEM - fake_held : 0;
	snprintf(msg, len, "%s", "");
	return 0;
#endif
}
void dds_set_precision(dds_ctx *c, int p) {
#ifdef FAKE_PRECISION_FAILS
	fail(c, DDS_ERR_ARG, "fake: dds_set_precision refused");
	return;
#endif
	if (c->status) return;
	if (c->nblocks > 0 || (p != DDS_FP32 && p != DDS_BF16)) {
		fail(c, DDS_ERR_ARG, "dds_set_precision: after dds_alloc or not a precision");
		return;
	}
	c->prec = p;
}
int dds_precision(dds_ctx *c) { return c->prec; }

/* Activations: float, or bfloat16 bits in DDS_BF16 (ld converts exactly, st rounds
 * to nearest even, NaN stays NaN). */
static float bf2f(uint16_t h) {
	uint32_t b = (uint32_t)h << 16;
	float f;
	memcpy(&f, &b, 4);
	return f;
}
static uint16_t f2bf(float f) {
	uint32_t b;
	memcpy(&b, &f, 4);
	if ((b & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((b | 0x00400000u) >> 16);
	b += 0x7fffu + ((b >> 16) & 1u);
	return (uint16_t)(b >> 16);
}
static float ld(const dds_ctx *c, const float *p, int64_t i) {
	return c->prec == DDS_BF16 ? bf2f(((const uint16_t *)p)[i]) : p[i];
}
static void st(const dds_ctx *c, float *p, int64_t i, float v) {
	if (c->prec == DDS_BF16) ((uint16_t *)p)[i] = f2bf(v);
	else p[i] = v;
}

int dds_status(dds_ctx *c) { return c->status; }
const char *dds_message(dds_ctx *c) { return c->msg; }
void *dds_alloc(dds_ctx *c, size_t bytes) {
	if (c->status) return NULL;
	if (bytes == 0) {
		fail(c, DDS_ERR_ARG, "dds_alloc: 0 bytes");
		return NULL;
	}
	if (c->used + bytes > FAKE_MEM || c->nblocks == 4096) {
		char m[128];
		snprintf(m, sizeof m, "out of memory allocating %zu bytes (%zu in use)", bytes, c->used);
		fail(c, DDS_ERR_OOM, m);
		return NULL;
	}
	void *p = calloc(1, bytes);
	c->blocks[c->nblocks++] = p;
	c->used += bytes;
	fake_held += bytes;
	return p;
}
size_t dds_mem_used(dds_ctx *c) { return c->used; }
void dds_upload(dds_ctx *c, void *dst, const void *src, size_t bytes) {
	if (c->status) return;
	if (dst == NULL || src == NULL) fail(c, DDS_ERR_ARG, "dds_upload: NULL");
	else memcpy(dst, src, bytes);
}
int dds_download(dds_ctx *c, void *dst, const void *src, size_t bytes) {
	if (c->status) return c->status;
	if (dst == NULL || src == NULL) fail(c, DDS_ERR_ARG, "dds_download: NULL");
	else memcpy(dst, src, bytes);
	return c->status;
}
int dds_sync(dds_ctx *c) { return c->status; }
size_t dds_conv_scratch(const dds_conv *s) { return FAKE_SCRATCH; }
size_t dds_conv_scratch_ctx(dds_ctx *c, const dds_conv *s) { return c->prec == DDS_BF16 ? FAKE_SCRATCH_BF16 : FAKE_SCRATCH; }

#define UNIMPLEMENTED(name) fail(ctx, DDS_ERR_ARG, #name ": not in the fake library")
void dds_conv_forward(dds_ctx *ctx, float *y, const float *x, const float *w, const dds_conv *s, float *scratch) {
	UNIMPLEMENTED(dds_conv_forward);
}
void dds_conv_backward_data(dds_ctx *ctx, float *dx, const float *dy, const float *w, const dds_conv *s, float *scratch) {
	UNIMPLEMENTED(dds_conv_backward_data);
}
void dds_conv_backward_weight(dds_ctx *ctx, float *dw, const float *dy, const float *x, const dds_conv *s, float *scratch) {
	UNIMPLEMENTED(dds_conv_backward_weight);
}
void dds_bn_stats(dds_ctx *ctx, float *mean, float *var, const float *x, int m, int c) { UNIMPLEMENTED(dds_bn_stats); }
void dds_bn_update_running(dds_ctx *ctx, float *run_mean, float *run_var, const float *mean, const float *var,
                           int m, int c, float momentum) { UNIMPLEMENTED(dds_bn_update_running); }
void dds_bn_apply(dds_ctx *ctx, float *y, const float *x, const float *res, const float *gamma, const float *beta,
                  const float *mean, const float *var, int m, int c, float eps, int relu) { UNIMPLEMENTED(dds_bn_apply); }
void dds_bn_backward(dds_ctx *ctx, float *dx, float *dres, float *dgamma, float *dbeta, const float *dy,
                     const float *y, const float *x, const float *gamma, const float *mean, const float *var,
                     int m, int c, float eps, int relu) { UNIMPLEMENTED(dds_bn_backward); }
void dds_relu_forward(dds_ctx *ctx, float *y, const float *x, int64_t n) {
	if (ctx->status) return;
	for (int64_t i = 0; i < n; i++) {
		float v = ld(ctx, x, i);
		st(ctx, y, i, (v > 0 || v != v) ? v : 0);
	}
}
void dds_relu_backward(dds_ctx *ctx, float *dx, const float *dy, const float *y, int64_t n) { UNIMPLEMENTED(dds_relu_backward); }
void dds_add(dds_ctx *ctx, float *y, const float *a, const float *b, int64_t n) {
	if (ctx->status) return;
	for (int64_t i = 0; i < n; i++) st(ctx, y, i, ld(ctx, a, i) + ld(ctx, b, i));
}
void dds_sigmoid_forward(dds_ctx *ctx, float *y, const float *x, int64_t n) { UNIMPLEMENTED(dds_sigmoid_forward); }
void dds_sigmoid_backward(dds_ctx *ctx, float *dx, const float *dy, const float *y, int64_t n) { UNIMPLEMENTED(dds_sigmoid_backward); }
void dds_scale_forward(dds_ctx *ctx, float *y, const float *x, const float *s, int n, int hw, int c) { UNIMPLEMENTED(dds_scale_forward); }
void dds_scale_backward(dds_ctx *ctx, float *dx, float *ds, const float *dy, const float *x, const float *s,
                        int n, int hw, int c) { UNIMPLEMENTED(dds_scale_backward); }
void dds_avgpool_forward(dds_ctx *ctx, float *y, const float *x, int n, int hw, int c) { UNIMPLEMENTED(dds_avgpool_forward); }
void dds_avgpool_backward(dds_ctx *ctx, float *dx, const float *dy, int n, int hw, int c) { UNIMPLEMENTED(dds_avgpool_backward); }
void dds_linear_forward(dds_ctx *ctx, float *y, const float *x, const float *w, const float *bias, int n, int in, int out) {
	UNIMPLEMENTED(dds_linear_forward);
}
void dds_linear_backward(dds_ctx *ctx, float *dx, float *dw, float *dbias, const float *dy, const float *x,
                         const float *w, int n, int in, int out) { UNIMPLEMENTED(dds_linear_backward); }
void dds_softmax_xent(dds_ctx *ctx, float *dlogits, const float *logits, const int32_t *labels, int n, int c,
                      float smoothing, float *stats) { UNIMPLEMENTED(dds_softmax_xent); }
void dds_sgd_step(dds_ctx *ctx, float *p, const float *g, float *v, int64_t n, float lr, float momentum,
                  float weight_decay, int nesterov) {
	if (ctx->status) return;
	for (int64_t i = 0; i < n; i++) {
		float d = g[i] + weight_decay * p[i];
		float vi = momentum * v[i] + d;
		v[i] = vi;
		if (nesterov) d += momentum * vi; else d = vi;
		p[i] -= lr * d;
	}
}
void dds_batch(dds_ctx *ctx, float *x, int32_t *y, const uint8_t *images, const int32_t *labels,
               const int32_t *idx, const int8_t *crops, int n, int h, int w, int c, int pad,
               const float *mean, const float *std) {
	if (ctx->status) return;
	if (c > 16) { fail(ctx, DDS_ERR_ARG, "dds_batch: more than 16 channels"); return; }
	for (int i = 0; i < n; i++) {
		const uint8_t *src = images + (size_t)idx[i] * h * w * c;
		int64_t dst = (int64_t)i * h * w * c;
		int oy = 0, ox = 0, flip = 0;
		if (crops) { oy = crops[3*i] - pad; ox = crops[3*i+1] - pad; flip = crops[3*i+2] != 0; }
		for (int r = 0; r < h; r++)
			for (int q = 0; q < w; q++)
				for (int ch = 0; ch < c; ch++) {
					int sy = r + oy, sx = q + ox;
					float v = 0;
					if (sy >= 0 && sy < h && sx >= 0 && sx < w) {
						if (flip) sx = w - 1 - sx;
						v = ((float)src[((size_t)sy * w + sx) * c + ch] / 255 - mean[ch]) / std[ch];
					}
					st(ctx, x, dst + ((int64_t)r * w + q) * c + ch, v);
				}
		y[i] = labels[idx[i]];
	}
}

/* The step-indexed operations, by the plain ones on step t's inputs. */
static int fake_step(const int32_t *counter, int steps, int *t) {
	*t = *counter;
	return *t >= 0 && *t < steps;
}
void dds_batch_at(dds_ctx *ctx, float *x, int32_t *y, const uint8_t *images, const int32_t *labels,
                  const int32_t *idxs, const int32_t *crops, const int32_t *counter, int steps, int n, int h,
                  int w, int c, int pad, const float *mean, const float *std) {
	int t;
	if (ctx->status || !fake_step(counter, steps, &t)) return;
	int8_t *c8 = NULL;
	if (crops) {
		c8 = malloc(3 * (size_t)n + 1);
		for (int i = 0; i < 3 * n; i++) c8[i] = (int8_t)crops[(size_t)3 * t * n + i];
	}
	dds_batch(ctx, x, y, images, labels, idxs + (size_t)t * n, c8, n, h, w, c, pad, mean, std);
	free(c8);
}
/* Random-resized crops, in data.Set.ResizedBatch's arithmetic. */
static void fake_tap(int off, int len, int out, int j, int *lo, int *hi, float *frac) {
	double p = ((double)j + 0.5) * ((double)len / (double)out) - 0.5;
	if (p < 0) p = 0;
	if (p > len - 1) p = len - 1;
	int i = (int)p;
	*lo = off + i;
	*hi = off + (i + 1 < len - 1 ? i + 1 : len - 1);
	*frac = (float)(p - i);
}
void dds_resized_batch_at(dds_ctx *ctx, float *x, int32_t *y, const uint8_t *images, const int32_t *labels,
                          const int32_t *idxs, const int32_t *boxes, const int32_t *counter, int steps, int n, int h,
                          int w, int c, const float *mean, const float *std) {
	int t;
	if (ctx->status || !fake_step(counter, steps, &t)) return;
	if (c > 16) { fail(ctx, DDS_ERR_ARG, "dds_resized_batch_at: more than 16 channels"); return; }
	for (int i = 0; i < n; i++) {
		int64_t k = (int64_t)t * n + i;
		const int32_t *b = boxes + 5 * k;
		if (b[0] < 0 || b[1] < 0 || b[2] < 1 || b[3] < 1 || b[0] + b[2] > h || b[1] + b[3] > w) {
			fail(ctx, DDS_ERR_ARG, "dds_resized_batch_at: a box outside the image");
			return;
		}
		const uint8_t *src = images + (size_t)idxs[k] * h * w * c;
		for (int r = 0; r < h; r++) {
			int r0, r1, a0, a1;
			float fy, fx;
			fake_tap(b[0], b[2], h, r, &r0, &r1, &fy);
			for (int q = 0; q < w; q++) {
				fake_tap(b[1], b[3], w, q, &a0, &a1, &fx);
				int oq = b[4] ? w - 1 - q : q;
				for (int ch = 0; ch < c; ch++) {
					float v00 = src[((size_t)r0 * w + a0) * c + ch], v01 = src[((size_t)r0 * w + a1) * c + ch];
					float v10 = src[((size_t)r1 * w + a0) * c + ch], v11 = src[((size_t)r1 * w + a1) * c + ch];
					float top = v00 + fx * (v01 - v00), bot = v10 + fx * (v11 - v10);
					float v = top + fy * (bot - top);
					float scale = 1.f / (255.f * std[ch]), shift = mean[ch] / std[ch];
					st(ctx, x, (int64_t)i * h * w * c + ((int64_t)r * w + oq) * c + ch, v * scale - shift);
				}
			}
		}
		if (y) y[i] = labels[idxs[k]];
	}
}
void dds_sgd_step_at(dds_ctx *ctx, float *p, const float *g, float *v, int64_t n, const float *lrs,
                     const int32_t *counter, int steps, float momentum, float weight_decay, int nesterov) {
	int t;
	if (ctx->status || !fake_step(counter, steps, &t)) return;
	dds_sgd_step(ctx, p, g, v, n, lrs[t], momentum, weight_decay, nesterov);
}
void dds_copy_at(dds_ctx *ctx, float *dst, const float *src, const int32_t *counter, int steps, int n) {
	int t;
	if (ctx->status || !fake_step(counter, steps, &t)) return;
	memcpy(dst + (size_t)t * n, src, (size_t)n * sizeof(float));
}
void dds_count(dds_ctx *ctx, int32_t *counter) {
	if (ctx->status) return;
	(*counter)++;
}
void dds_capture_begin(dds_ctx *ctx) { UNIMPLEMENTED(dds_capture_begin); }
dds_graph *dds_capture_end(dds_ctx *ctx) { return NULL; }
void dds_graph_launch(dds_ctx *ctx, dds_graph *g) { UNIMPLEMENTED(dds_graph_launch); }
void dds_graph_destroy(dds_ctx *ctx, dds_graph *g) { UNIMPLEMENTED(dds_graph_destroy); }
`

var fakeLibs sync.Map // defines → path of the built library

// fakeLibrary compiles fakeSource with the given -D definitions into a shared
// library and returns its path; it skips the test where there is no C compiler or no
// lib/dds_cuda.h beside the test (the test runs in the package directory).
func fakeLibrary(t testing.TB, defines ...string) string {
	t.Helper()
	key := strings.Join(defines, " ")
	if p, ok := fakeLibs.Load(key); ok {
		return p.(string)
	}
	hdr, err := filepath.Abs(filepath.Join("lib", "dds_cuda.h"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(hdr); err != nil {
		t.Skipf("no %s to build the fake library with: %v", hdr, err)
	}
	cc := "cc"
	if v := os.Getenv("CC"); v != "" {
		cc = v
	}
	if _, err := exec.LookPath(cc); err != nil {
		t.Skipf("no C compiler (%s) to build the fake library with", cc)
	}
	dir, err := os.MkdirTemp("", "dds-fake-cuda-")
	if err != nil {
		t.Fatal(err)
	}
	// The directory outlives the test: the library stays loaded for the process.
	src, lib := filepath.Join(dir, "fake.c"), filepath.Join(dir, "libdds_cuda.so")
	if err := os.WriteFile(src, []byte(fakeSource), 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{"-shared", "-fPIC", "-O1", "-I", filepath.Dir(hdr), "-o", lib, src}
	for _, d := range defines {
		args = append(args, "-D"+d)
	}
	if out, err := exec.Command(cc, args...).CombinedOutput(); err != nil {
		t.Fatalf("%s %s: %v\n%s", cc, strings.Join(args, " "), err, out)
	}
	fakeLibs.Store(key, lib)
	return lib
}

func wantErr(t *testing.T, err error, want string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want %q", want)
	}
	if !strings.Contains(err.Error(), want) {
		t.Fatalf("error %q, want it to contain %q", err, want)
	}
	if strings.Contains(err.Error(), "\n") {
		t.Errorf("error %q spans lines", err)
	}
}

func TestOpenFakeMessages(t *testing.T) {
	for _, c := range []struct {
		defines []string
		want    string
	}{
		{[]string{"FAKE_ABI=99"}, fmt.Sprintf("has ABI version 99, this binary needs %d; rebuild it with make cuda", ABIVersion)},
		{[]string{"FAKE_COUNT=0", "FAKE_PROBE_RC=100", `FAKE_PROBE_MSG="no CUDA-capable device is detected"`},
			"no CUDA GPU visible (no CUDA-capable device is detected)"},
		{[]string{"FAKE_COUNT=0"}, "no CUDA GPU visible (0 devices)"},
		{[]string{"FAKE_COUNT=0", "FAKE_DRIVER=12040", "FAKE_PROBE_RC=35"}, "the NVIDIA driver supports CUDA 12.4 but the library needs 13.0"},
	} {
		t.Run(strings.Join(c.defines, ","), func(t *testing.T) {
			p := fakeLibrary(t, c.defines...)
			_, err := Open(p)
			wantErr(t, err, c.want)
		})
	}
}

func TestFakeCreateFails(t *testing.T) {
	lib, err := Open(fakeLibrary(t, "FAKE_CREATE_FAILS"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = lib.NewEngine(0)
	wantErr(t, err, "CUDA device 0: fake: no context on device 0")
	_, err = lib.NewEngine(1)
	wantErr(t, err, "CUDA device 1: the library sees devices 0 to 0")
}

// panicCase is a call that must panic with a message containing want.
type panicCase struct {
	name string
	f    func()
	want string
}

// wantPanics runs each case as a subtest, and then checks that none of the rejected
// calls reached e's library.
func wantPanics(t *testing.T, e *Engine, cases []panicCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			defer func() {
				r := recover()
				if s, _ := r.(string); !strings.Contains(s, c.want) {
					t.Errorf("panic %v, want %q", r, c.want)
				}
			}()
			c.f()
		})
	}
	if err := e.Err(); err != nil {
		t.Errorf("a rejected call reached the library: %v", err)
	}
}

// fakeEngine returns an engine of the fake library (FAKE_MEM bytes of memory).
func fakeEngine(t *testing.T) *Engine { return fakeEngineWith(t, engine.FP32) }

// fakeEngineWith returns an engine of the fake library in precision p.
func fakeEngineWith(t *testing.T, p engine.Precision) *Engine {
	t.Helper()
	lib, err := Open(fakeLibrary(t))
	if err != nil {
		t.Fatal(err)
	}
	if lib.Devices() != 1 || lib.Path() == "" {
		t.Errorf("Devices() = %d, Path() = %q", lib.Devices(), lib.Path())
	}
	if d, r := lib.Versions(); d != 13000 || r != 13000 {
		t.Errorf("Versions() = %d, %d", d, r)
	}
	e, err := lib.NewEngineWith(0, p)
	if err != nil {
		t.Fatal(err)
	}
	if e.Precision() != p {
		t.Fatalf("Precision() = %v, want %v", e.Precision(), p)
	}
	t.Cleanup(e.Close)
	return e
}

// TestFakeConformance runs the conformance suite's case families of the operations
// the fake implements (ReLU forward, Add, SGD, Batch, the step-indexed operations,
// random-resized crops)
// through the binding against the CPU engine, in both precisions, which checks the
// trampolines' argument order, the steps the binding derives from the buffers'
// lengths, and in BF16 that activations are allocated, uploaded and downloaded as
// bfloat16.
func TestFakeConformance(t *testing.T) {
	lib, err := Open(fakeLibrary(t))
	if err != nil {
		t.Fatal(err)
	}
	families := []string{"relu_forward", "add", "sgd", "batch", "step_ops", "resized_batch"}
	sum := enginetest.Run(t, librarySubject(lib), cpuSubject, families...)
	for _, p := range precisions {
		for _, f := range families {
			if sum.Cases(f, p) == 0 {
				t.Errorf("no %s %s cases ran", f, p)
			}
		}
	}
}

// TestFakeBatchStaging checks the reuse of Batch's staging buffers on the fake.
func TestFakeBatchStaging(t *testing.T) { checkBatchStaging(t, fakeEngine(t)) }

// bf16Bits returns the bfloat16 of f, nearest with ties to even, computed
// differently from the binding's toBF16 (on float64, rounding the significand), so
// that the tests do not check the conversion against itself. NaN gives a quiet NaN.
func bf16Bits(f float32) uint16 {
	b := math.Float32bits(f)
	if f != f {
		return uint16(b>>16) | 0x0040
	}
	if math.IsInf(float64(f), 0) || f == 0 {
		return uint16(b >> 16)
	}
	// The bfloat16 values around |f| are multiples of ulp = 2^(e−7), e = the binary
	// exponent of |f| (clamped to the subnormal range); round |f|/ulp half to even.
	a := math.Abs(float64(f))
	_, e := math.Frexp(a) // a = m·2^e, m in [0.5, 1)
	e = max(e-1, -126)
	ulp := math.Ldexp(1, e-7)
	r := math.RoundToEven(a/ulp) * ulp
	v := float32(r) // exact: r has at most 8 significant bits (or is 2^128, +Inf)
	if math.IsInf(r, 0) || r > math.MaxFloat32 {
		v = float32(math.Inf(1))
	}
	return uint16(math.Float32bits(v)>>16) | uint16(b>>16)&0x8000
}

// TestFakeBF16Convert checks Upload's rounding and Download's conversion of bfloat16
// activations: ties to even, NaN and infinities, and random values against
// bf16Bits, through the raw bits the fake's memory holds (read back through a
// float32 view of the same memory: value 2i in the low half of float i).
func TestFakeBF16Convert(t *testing.T) {
	e := fakeEngineWith(t, engine.BF16)
	f := math.Float32frombits
	cases := []struct {
		in   uint32
		want uint16
	}{
		{0x3f800000, 0x3f80}, // 1
		{0x3f808000, 0x3f80}, // 1 + 2^-8: a tie, to the even 1
		{0x3f818000, 0x3f82}, // 1 + 3·2^-8: a tie, to the even 1 + 2^-6
		{0x3f808001, 0x3f81}, // just above the tie: up
		{0x3f807fff, 0x3f80}, // just below: down
		{0xbf818000, 0xbf82}, // negative tie
		{0x80000000, 0x8000}, // −0
		{0x7f800000, 0x7f80}, // +Inf
		{0xff800000, 0xff80}, // −Inf
		{0x7f7fffff, 0x7f80}, // the largest float32 rounds to +Inf
		{0x00000001, 0x0000}, // the smallest subnormal rounds to 0
		{0x00018000, 0x0002}, // a subnormal tie, to even
		{0x7fc00000, 0x7fc0}, // NaN
		{0x7f800001, 0x7fc0}, // a signalling NaN whose payload is in the low half: still NaN
		{0xffa00001, 0xffe0}, // a negative NaN
	}
	r := rand.New(rand.NewPCG(1, 2))
	var in []float32
	var want []uint16
	for _, c := range cases {
		in, want = append(in, f(c.in)), append(want, c.want)
		if got := bf16Bits(f(c.in)); got != c.want {
			t.Errorf("the test's bf16Bits(%#08x) = %#04x, want %#04x", c.in, got, c.want)
		}
	}
	for range 1001 {
		v := float32(r.NormFloat64() * math.Pow(2, float64(r.IntN(60)-30)))
		in, want = append(in, v), append(want, bf16Bits(v))
	}
	if len(in)%2 != 0 {
		in, want = append(in, 0), append(want, 0)
	}
	b := e.AllocAct(len(in)).(Buf)
	if !b.BF16() || e.MemUsed() != int64(2*len(in)) {
		t.Fatalf("AllocAct(%d): BF16() = %v, MemUsed() = %d, want true and %d", len(in), b.BF16(), e.MemUsed(), 2*len(in))
	}
	e.Upload(b, in)
	raw := make([]float32, len(in)/2)
	e.Download(raw, Buf{ptr: b.ptr, n: len(in) / 2}) // the same memory as float32
	for i, w := range want {
		got := uint16(math.Float32bits(raw[i/2]) >> (16 * (i % 2)))
		if got != w {
			t.Errorf("Upload(%g = %#08x) stored %#04x, want %#04x", in[i], math.Float32bits(in[i]), got, w)
		}
	}
	back := make([]float32, len(in))
	e.Download(back, b)
	for i, w := range want {
		if g := math.Float32bits(back[i]); g != uint32(w)<<16 {
			t.Errorf("Download of %#04x gave %#08x, want %#08x", w, g, uint32(w)<<16)
		}
		if math.IsNaN(float64(in[i])) != math.IsNaN(float64(back[i])) {
			t.Errorf("value %d: %g came back as %g", i, in[i], back[i])
		}
	}
	// A download into a shorter slice, and one after a failure, as for float32.
	part := make([]float32, 3)
	e.Download(part, e.Slice(b, 1, 3))
	if !sameBits(part, back[1:4]) {
		t.Errorf("Download of a slice: %v, want %v", part, back[1:4])
	}
	if err := e.Err(); err != nil {
		t.Fatal(err)
	}
}

// TestFakeBF16Buffers checks AllocAct's sizes in both precisions and slices of
// bfloat16 buffers (offsets in 2-byte values), and that ConvScratch asks the library
// for the context's precision.
func TestFakeBF16Buffers(t *testing.T) {
	conv := engine.Conv{N: 1, H: 2, W: 2, Cin: 2, Cout: 2, K: 1, Stride: 1, Groups: 1}
	f := fakeEngine(t)
	a := f.AllocAct(10)
	if d := a.(Buf); d.BF16() || a.Len() != 10 || f.MemUsed() != 40 || f.ConvScratch(conv) != 7 {
		t.Errorf("FP32: AllocAct(10): BF16() %v, Len() %d, MemUsed() %d, ConvScratch %d; want false, 10, 40, 7",
			d.BF16(), a.Len(), f.MemUsed(), f.ConvScratch(conv))
	}
	e := fakeEngineWith(t, engine.BF16)
	if e.AllocAct(0).Len() != 0 || e.MemUsed() != 0 {
		t.Errorf("AllocAct(0): MemUsed() = %d", e.MemUsed())
	}
	b := e.AllocAct(10)
	if b.Len() != 10 || e.MemUsed() != 20 {
		t.Errorf("BF16: AllocAct(10): Len() %d, MemUsed() %d; want 10, 20", b.Len(), e.MemUsed())
	}
	e.Alloc(10)
	if e.MemUsed() != 60 {
		t.Errorf("BF16: Alloc(10) after AllocAct(10): MemUsed() %d, want 60", e.MemUsed())
	}
	if n := e.ConvScratch(conv); n != 9 {
		t.Errorf("BF16: ConvScratch = %d, want the fake's FAKE_SCRATCH_BF16 = 9", n)
	}
	e.Upload(e.Slice(b, 3, 4), []float32{1, 2, 3, 4})
	e.Upload(e.Slice(b, 9, 1), []float32{9})
	got := make([]float32, 10)
	e.Download(got, b)
	if want := []float32{0, 0, 0, 1, 2, 3, 4, 0, 0, 9}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("after uploads into slices: %v, want %v", got, want)
	}
	s := e.Slice(e.Slice(b, 2, 6), 2, 3)
	if !s.(Buf).BF16() || s.(Buf).ptr != b.(Buf).ptr+8 {
		t.Errorf("slice [2:][2:] of a bfloat16 buffer: %+v, want bf16 at %#x", s, b.(Buf).ptr+8)
	}
	part := make([]float32, 2)
	e.Download(part, s)
	if part[0] != 2 || part[1] != 3 {
		t.Errorf("slice of a slice: %v, want [2 3]", part)
	}
	e.Upload(s, []float32{1.00390625}) // 1 + 2^-8: a tie, rounds to 1
	e.Download(part, s)
	if part[0] != 1 {
		t.Errorf("Upload into a slice did not round: %v", part[0])
	}
	if err := e.Err(); err != nil {
		t.Fatal(err)
	}
}

// TestFakeBF16Ops runs ReLU, Add and Batch on bfloat16 activations through the
// binding and compares them with the host computation: the operation in float32 on
// the rounded inputs, rounded (bf16Bits).
func TestFakeBF16Ops(t *testing.T) {
	e := fakeEngineWith(t, engine.BF16)
	r := rand.New(rand.NewPCG(3, 4))
	const n = 1001
	a0, b0 := normals(r, n), normals(r, n)
	a0[0], a0[1], a0[2] = float32(math.NaN()), float32(math.Inf(-1)), 1.00390625
	b0[2] = 0.0009765625 // 2^-10: 1 + 2^-10 rounds to 1, but a0[2] + b0[2] must be computed from the rounded a0[2]
	round := func(v float32) float32 { return math.Float32frombits(uint32(bf16Bits(v)) << 16) }
	a, b, y := e.AllocAct(n), e.AllocAct(n), e.AllocAct(n)
	e.Upload(a, a0)
	e.Upload(b, b0)
	got := make([]float32, n)
	e.ReLUForward(y, a, n)
	e.Download(got, y)
	for i := range n {
		want := max(round(a0[i]), 0)
		if math.IsNaN(float64(a0[i])) {
			want = round(a0[i])
		}
		if math.Float32bits(got[i]) != math.Float32bits(want) && !(math.IsNaN(float64(got[i])) && math.IsNaN(float64(want))) {
			t.Errorf("ReLU[%d] of %g: %g, want %g", i, a0[i], got[i], want)
			break
		}
	}
	e.Add(y, a, b, n)
	e.Download(got, y)
	for i := range n {
		want := round(round(a0[i]) + round(b0[i]))
		if math.Float32bits(got[i]) != math.Float32bits(want) && !(math.IsNaN(float64(got[i])) && math.IsNaN(float64(want))) {
			t.Errorf("Add[%d] of %g, %g: %g, want %g", i, a0[i], b0[i], got[i], want)
			break
		}
	}
	if got[2] != 1 {
		t.Errorf("Add of 1 + 2^-8 and 2^-10: %g, want 1 (from the rounded 1; 1.0048828125 unrounded rounds up)", got[2])
	}

	// Batch: the normalised pixels, rounded.
	const h, w, c = 3, 2, 3
	images := make([]uint8, 2*h*w*c)
	for i := range images {
		images[i] = uint8(r.IntN(256))
	}
	mean, std := []float32{0.4, 0.5, 0.6}, []float32{0.2, 0.3, 0.7}
	set := e.UploadImages(images, []int32{4, 5}, h, w, c)
	x, yl := e.AllocAct(2*h*w*c), e.AllocInts(2)
	e.Batch(x, yl, set, []int32{1, 0}, nil, 0, mean, std)
	gx := make([]float32, 2*h*w*c)
	e.Download(gx, x)
	for i := range gx {
		img := 1 - i/(h*w*c)
		ch := i % c
		want := round((float32(images[img*h*w*c+i%(h*w*c)])/255 - mean[ch]) / std[ch])
		if gx[i] != want {
			t.Errorf("Batch value %d: %g, want %g", i, gx[i], want)
			break
		}
	}
	if err := e.Err(); err != nil {
		t.Fatal(err)
	}
}

// TestFakeBF16Kinds checks that in BF16 an activation argument must be a bfloat16
// buffer and a float32 argument must not be one, that an FP32 engine refuses
// bfloat16 activations, and that NewEngineWith reports a context that refuses the
// precision.
func TestFakeBF16Kinds(t *testing.T) {
	e := fakeEngineWith(t, engine.BF16)
	act, fl := e.AllocAct(8), e.Alloc(8)
	conv := engine.Conv{N: 1, H: 2, W: 2, Cin: 2, Cout: 2, K: 1, Stride: 1, Groups: 1}
	set := e.UploadImages(make([]uint8, 2*4), []int32{0, 1}, 2, 2, 1)
	one := []float32{1}
	counter := e.AllocInts(1)
	f32 := e.Alloc(16)
	fp := fakeEngine(t)
	wantPanics(t, e, []panicCase{
		{"relu x float", func() { e.ReLUForward(act, fl, 4) }, "cuda: ReLUForward: x is a float32 buffer (Alloc), want a bfloat16 activation buffer (AllocAct) in bf16"},
		{"add y float", func() { e.Add(fl, act, act, 4) }, "cuda: Add: y is a float32 buffer (Alloc)"},
		{"sgd p act", func() { e.SGDStep(act, fl, fl, 8, 0.1, 0.9, 0, false) }, "cuda: SGDStep: p is a bfloat16 activation buffer (AllocAct), want a float32 buffer (Alloc)"},
		{"conv w act", func() { e.ConvForward(act, act, act, conv, f32) }, "cuda: ConvForward: w is a bfloat16 activation buffer (AllocAct)"},
		{"conv x float", func() { e.ConvForward(act, fl, fl, conv, f32) }, "cuda: ConvForward: x is a float32 buffer (Alloc)"},
		{"conv scratch act", func() { e.ConvForward(act, act, fl, conv, e.AllocAct(16)) }, "cuda: ConvForward: scratch is a bfloat16 activation buffer"},
		{"conv scratch short", func() { e.ConvForward(act, act, fl, conv, e.Alloc(8)) }, "cuda: ConvForward: len(scratch) = 8, want at least 9 (ConvScratch)"},
		{"bn mean act", func() { e.BatchNormStats(act, fl, act, 4, 2) }, "cuda: BatchNormStats: mean is a bfloat16 activation buffer"},
		{"bn res float", func() { e.BatchNormApply(act, act, fl, fl, fl, fl, fl, 4, 2, 1e-5, true) }, "cuda: BatchNormApply: res is a float32 buffer"},
		{"linear dw act", func() { e.LinearBackward(act, act, nil, act, act, fl, 2, 2, 2) }, "cuda: LinearBackward: dw is a bfloat16 activation buffer"},
		{"linear dx float", func() { e.LinearBackward(fl, fl, nil, act, act, fl, 2, 2, 2) }, "cuda: LinearBackward: dx is a float32 buffer"},
		{"xent stats act", func() { e.SoftmaxCrossEntropy(nil, act, counter, 1, 3, 0, act) }, "cuda: SoftmaxCrossEntropy: stats is a bfloat16 activation buffer"},
		{"scale s float", func() { e.ScaleForward(act, act, fl, 1, 4, 2) }, "cuda: ScaleForward: s is a float32 buffer"},
		{"batch x float", func() { e.Batch(fl, e.AllocInts(1), set, []int32{1}, nil, 0, one, one) }, "cuda: Batch: x is a float32 buffer"},
		{"batchAt x float", func() { e.BatchAt(fl, e.AllocInts(1), set, e.AllocInts(1), nil, counter, 1, 0, one, one) }, "cuda: BatchAt: x is a float32 buffer"},
		{"copyAt act", func() { e.CopyAt(act, fl, counter, 4) }, "cuda: CopyAt: dst is a bfloat16 activation buffer"},
		{"fp32 engine, bf16 buffer", func() { fp.ReLUForward(fp.AllocAct(4), act, 4) }, "cuda: ReLUForward: x is a bfloat16 activation buffer, but the engine's activations are float32"},
	})
	// In FP32, AllocAct buffers are float32 buffers: any argument takes them.
	b := fp.AllocAct(8)
	fp.SGDStep(b, fp.AllocAct(8), fp.Alloc(8), 8, 0.1, 0.9, 0, false)
	fp.ReLUForward(fp.Alloc(8), b, 8)
	if err := fp.Err(); err != nil {
		t.Fatal(err)
	}

	lib, err := Open(fakeLibrary(t))
	if err != nil {
		t.Fatal(err)
	}
	_, err = lib.NewEngineWith(0, engine.Precision(7))
	wantErr(t, err, "CUDA device 0: precision 7: want fp32 or bf16")
	lib, err = Open(fakeLibrary(t, "FAKE_PRECISION_FAILS"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = lib.NewEngineWith(0, engine.BF16)
	wantErr(t, err, "CUDA device 0: precision bf16: fake: dds_set_precision refused")
	if e, err := lib.NewEngine(0); err != nil || e.Precision() != engine.FP32 {
		t.Errorf("NewEngine with a library that refuses precisions: %v, %v; want an FP32 engine (FP32 is not set)", e, err)
	}
}

// TestFakeRecord checks Record where the library cannot capture: the error is
// returned and is the engine's, f's operations do not run, an engine that has failed
// records nothing without calling f, and a panic in f goes on.
func TestFakeRecord(t *testing.T) {
	e := fakeEngine(t)
	counter := e.AllocInts(1)
	rep, err := e.Record(func() { e.Count(counter) })
	wantErr(t, err, "CUDA: dds_capture_begin: not in the fake library")
	if rep != nil || e.Err() != err {
		t.Errorf("Record: replay %v, Err() = %v, want nil and the returned error", rep, e.Err())
	}
	if c := e.download(t, counter); c != 0 {
		t.Errorf("counter %d after a failed recording, want 0", c)
	}
	called := false
	if _, err2 := e.Record(func() { called = true }); err2 != err || called {
		t.Errorf("Record on a failed engine: %v, f called %v; want the first error, f not called", err2, called)
	}

	e = fakeEngine(t)
	func() {
		defer func() {
			if r := recover(); r != "boom" {
				t.Errorf("panic in f: recovered %v, want boom", r)
			}
		}()
		e.Record(func() { panic("boom") })
		t.Error("Record returned after f panicked")
	}()
}

// download returns counter[0] (DownloadInts), for the fake tests.
func (e *Engine) download(t *testing.T, counter engine.Ints) int32 {
	t.Helper()
	v := make([]int32, 1)
	e.DownloadInts(v, counter)
	return v[0]
}

func TestFakeMemInfo(t *testing.T) {
	lib, err := Open(fakeLibrary(t))
	if err != nil {
		t.Fatal(err)
	}
	free0, total, err := lib.MemInfo(0)
	if err != nil || total != 64<<20 || free0 > total {
		t.Fatalf("MemInfo(0) = %d, %d, %v; want at most 64 MiB free of 64 MiB", free0, total, err)
	}
	e, err := lib.NewEngine(0)
	if err != nil {
		t.Fatal(err)
	}
	e.Alloc(1000)
	free1, _, err := lib.MemInfo(0)
	if err != nil || free1 != free0-4000 {
		t.Errorf("after Alloc(1000): MemInfo(0) free = %d, %v; want %d", free1, err, free0-4000)
	}
	e.Close()
	if free2, _, _ := lib.MemInfo(0); free2 != free0 {
		t.Errorf("after Close: MemInfo(0) free = %d, want %d", free2, free0)
	}
	_, _, err = lib.MemInfo(1)
	wantErr(t, err, "CUDA device 1: the library sees devices 0 to 0")
	lib, err = Open(fakeLibrary(t, "FAKE_MEMINFO_FAILS"))
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = lib.MemInfo(0)
	wantErr(t, err, "CUDA device 0: fake: dds_mem_info fails on device 0")
}

func TestFakeBuffers(t *testing.T) {
	e := fakeEngine(t)
	if e.Name() != "cuda" || e.Device() != 0 {
		t.Errorf("Name() = %q, Device() = %d", e.Name(), e.Device())
	}
	empty := e.Alloc(0)
	if empty.Len() != 0 || e.MemUsed() != 0 {
		t.Errorf("Alloc(0): Len() = %d, MemUsed() = %d", empty.Len(), e.MemUsed())
	}
	e.Upload(empty, nil)
	e.Download(nil, empty)
	e.Upload(e.Slice(empty, 0, 0), []float32{})
	if l := e.AllocInts(0); l.Len() != 0 {
		t.Errorf("AllocInts(0).Len() = %d", l.Len())
	}
	b := e.Alloc(10)
	if e.MemUsed() != 40 {
		t.Errorf("MemUsed() = %d after Alloc(10), want 40", e.MemUsed())
	}
	e.Upload(e.Slice(b, 3, 4), []float32{1, 2, 3, 4})
	e.Upload(e.Slice(b, 9, 1), []float32{9})
	got := make([]float32, 10)
	e.Download(got, b)
	if want := []float32{0, 0, 0, 1, 2, 3, 4, 0, 0, 9}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("after uploads into slices: %v, want %v", got, want)
	}
	part := make([]float32, 2)
	e.Download(part, e.Slice(e.Slice(b, 2, 6), 2, 3))
	if part[0] != 2 || part[1] != 3 {
		t.Errorf("slice of a slice: %v, want [2 3]", part)
	}
	if e.Slice(b, 10, 0).Len() != 0 {
		t.Error("empty slice at the end")
	}
	if err := e.Sync(); err != nil {
		t.Fatal(err)
	}
}

func TestFakeErrors(t *testing.T) {
	e := fakeEngine(t)
	b := e.Alloc(4)
	e.ConvForward(b, b, b, engine.Conv{N: 1, H: 1, W: 1, Cin: 1, Cout: 1, K: 1, Stride: 1, Groups: 1}, e.Alloc(7))
	err := e.Err()
	wantErr(t, err, "CUDA: dds_conv_forward: not in the fake library")
	var ce *Error
	if !errors.As(err, &ce) || ce.Code != StatusArg || errors.Is(err, ErrOutOfMemory) {
		t.Errorf("error %#v: want an *Error with code %d, not ErrOutOfMemory", err, StatusArg)
	}
	e.ReLUForward(b, b, 4) // a no-op after the failure
	e.Close()
	e.Close()
	if e.Err() != err || e.MemUsed() != 0 {
		t.Errorf("after Close: Err() = %v, MemUsed() = %d", e.Err(), e.MemUsed())
	}
}

func TestFakeOutOfMemory(t *testing.T) {
	e := fakeEngine(t)
	b := e.Alloc(1 << 20)
	if err := e.Err(); err != nil {
		t.Fatal(err)
	}
	e.Alloc(16 << 20) // 64 MiB more than FAKE_MEM allows
	err := e.Err()
	wantErr(t, err, "CUDA: out of memory allocating 67108864 bytes")
	if !errors.Is(err, ErrOutOfMemory) {
		t.Errorf("errors.Is(%v, ErrOutOfMemory) = false", err)
	}
	// Later operations are no-ops and Download leaves its destination alone.
	e.Upload(b, []float32{1})
	v := []float32{5}
	e.Download(v, b)
	if v[0] != 5 || e.Err() != err {
		t.Errorf("after the failure: Download gave %v, Err() = %v", v, e.Err())
	}
}

// TestFakePanics checks the arguments the binding rejects before calling the library.
func TestFakePanics(t *testing.T) {
	e := fakeEngine(t)
	b, short := e.Alloc(8), e.Alloc(3)
	conv := engine.Conv{N: 1, H: 2, W: 2, Cin: 2, Cout: 2, K: 1, Stride: 1, Groups: 1}
	set := e.UploadImages(make([]uint8, 2*4), []int32{0, 1}, 2, 2, 1)
	one := []float32{1}
	idxs, counter, y1 := e.AllocInts(6), e.AllocInts(1), e.AllocInts(1)
	wantPanics(t, e, []panicCase{
		{"short", func() { e.ReLUForward(b, short, 4) }, "cuda: ReLUForward: len(x) = 3, want at least 4"},
		{"nil", func() { e.Add(b, nil, b, 4) }, "cuda: Add: a is nil"},
		{"cpu buffer", func() { e.ReLUForward(cpu.Floats(make([]float32, 8)), b, 4) }, "cuda: ReLUForward: y is cpu.Floats, not a CUDA engine buffer"},
		{"upload", func() { e.Upload(short, make([]float32, 4)) }, "cuda: Upload: len(dst) = 3, want at least 4"},
		{"slice", func() { e.Slice(b, 6, 3) }, "cuda: Slice [6:9] of a buffer of 8 values"},
		{"scratch", func() { e.ConvForward(b, b, b, conv, short) }, "cuda: ConvForward: len(scratch) = 3, want at least 7 (ConvScratch)"},
		{"groups", func() {
			e.ConvForward(b, b, b, engine.Conv{N: 1, H: 1, W: 1, Cin: 3, Cout: 2, K: 1, Stride: 1, Groups: 2}, b)
		}, "want K, Stride, Groups >= 1 dividing Cin and Cout"},
		{"batch index", func() { e.Batch(b, e.AllocInts(2), set, []int32{1, 2}, nil, 0, one, one) }, "cuda: Batch: idx[1] = 2, want [0, 2)"},
		{"batch crop", func() { e.Batch(b, e.AllocInts(1), set, []int32{1}, []int8{0, 3, 0}, 1, one, one) }, "cuda: Batch: crops[0] = {DY:0 DX:3}, want DY, DX in [0, 2]"},
		{"batch mean", func() { e.Batch(b, e.AllocInts(1), set, []int32{1}, nil, 0, nil, one) }, "len(mean) = 0, len(std) = 1, want at least C = 1"},
		{"images", func() { e.UploadImages(make([]uint8, 7), []int32{0, 1}, 2, 2, 1) }, "cuda: UploadImages: 7 bytes for 2 images of 2x2x1"},
		{"batchAt idxs", func() { e.BatchAt(b, e.AllocInts(2), set, idxs, nil, counter, 7, 0, one, one) }, "cuda: BatchAt: len(idxs) = 6, want at least 7"},
		{"batchAt crops", func() { e.BatchAt(b, e.AllocInts(2), set, idxs, e.AllocInts(17), counter, 2, 1, one, one) }, "cuda: BatchAt: len(crops) = 17, want at least 18"},
		{"batchAt counter", func() { e.BatchAt(b, y1, set, idxs, nil, nil, 1, 0, one, one) }, "cuda: BatchAt: counter is nil"},
		{"batchAt x", func() { e.BatchAt(short, y1, set, idxs, nil, counter, 1, 0, one, one) }, "cuda: BatchAt: len(x) = 3, want at least 4"},
		{"batchAt set", func() { e.BatchAt(b, y1, nil, idxs, nil, counter, 1, 0, one, one) }, "cuda: BatchAt: set is <nil>, not a CUDA engine image set"},
		{"batchAt pad", func() { e.BatchAt(b, y1, set, idxs, e.AllocInts(18), counter, 1, 64, one, one) }, "cuda: BatchAt: pad = 64, want [0, 63]"},
		{"sgdAt lrs", func() { e.SGDStepAt(b, b, b, 8, nil, counter, 0.9, 0, false) }, "cuda: SGDStepAt: lrs is nil"},
		{"sgdAt v", func() { e.SGDStepAt(b, b, short, 8, b, counter, 0.9, 0, false) }, "cuda: SGDStepAt: len(v) = 3, want at least 8"},
		{"sgdAt counter", func() { e.SGDStepAt(b, b, b, 8, b, e.AllocInts(0), 0.9, 0, false) }, "cuda: SGDStepAt: len(counter) = 0, want at least 1"},
		{"copyAt src", func() { e.CopyAt(b, short, counter, 4) }, "cuda: CopyAt: len(src) = 3, want at least 4"},
		{"copyAt dst", func() { e.CopyAt(short, b, counter, 4) }, "cuda: CopyAt: len(dst) = 3, want at least 4"},
		{"count", func() { e.Count(cpu.Int32s{0}) }, "cuda: Count: counter is cpu.Int32s, not a CUDA engine buffer"},
	})
	e.Close()
	defer func() {
		if r := recover(); r != "cuda: engine used after Close" {
			t.Errorf("use after Close: panic %v", r)
		}
	}()
	e.ReLUForward(b, b, 1)
}

// BenchmarkFakeCall measures what one engine operation costs on the host: the
// argument checks, the cgo call and the trampoline, around a one-value Add in the
// fake library.
func BenchmarkFakeCall(b *testing.B) {
	lib, err := Open(fakeLibrary(b))
	if err != nil {
		b.Fatal(err)
	}
	e, err := lib.NewEngine(0)
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close()
	x := e.Alloc(1)
	b.ReportAllocs()
	for b.Loop() {
		e.Add(x, x, x, 1)
	}
}

// TestFakeNoAllocs checks that operations allocate no Go memory (one cgo call each,
// arguments by value).
func TestFakeNoAllocs(t *testing.T) {
	e := fakeEngine(t)
	b, s := e.Alloc(64), e.Alloc(7)
	conv := engine.Conv{N: 1, H: 2, W: 2, Cin: 2, Cout: 2, K: 3, Stride: 1, Groups: 1}
	set := e.UploadImages(make([]uint8, 4*2*2*3), []int32{0, 1, 2, 3}, 2, 2, 3)
	y := e.AllocInts(4)
	idx, crops, ms := []int32{3, 1, 0, 2}, []int8{0, 1, 1, 2, 2, 0, 1, 1, 0, 0, 0, 1}, []float32{0.5, 0.5, 0.5}
	idxs, crops32, counter := e.AllocInts(8), e.AllocInts(24), e.AllocInts(1)
	for name, f := range map[string]func(){
		"BatchAt":        func() { e.BatchAt(b, y, set, idxs, crops32, counter, 4, 1, ms, ms) },
		"SGDStepAt":      func() { e.SGDStepAt(b, b, b, 64, s, counter, 0.9, 5e-4, true) },
		"CopyAt":         func() { e.CopyAt(b, s, counter, 3) },
		"Count":          func() { e.Count(counter) },
		"Batch":          func() { e.Batch(b, y, set, idx, crops, 1, ms, ms) },
		"SGDStep":        func() { e.SGDStep(b, b, b, 64, 0.1, 0.9, 5e-4, true) },
		"ConvForward":    func() { e.ConvForward(b, b, b, conv, s) },
		"BatchNormApply": func() { e.BatchNormApply(b, b, nil, b, b, b, b, 8, 8, 1e-5, true) },
		"Download":       func() { e.Download(ms, b) },
	} {
		if n := testing.AllocsPerRun(10, f); n != 0 {
			t.Errorf("%s: %v allocations", name, n)
		}
	}
	// In BF16, the transfers of activations convert through the engine's staging
	// slice, allocated once (AllocsPerRun's warm-up run) and reused; the operations
	// allocate nothing either.
	h := fakeEngineWith(t, engine.BF16)
	a, hs, hw := h.AllocAct(64), h.Alloc(9), h.Alloc(36)
	v := make([]float32, 64)
	for name, f := range map[string]func(){
		"Upload":      func() { h.Upload(a, v) },
		"Download":    func() { h.Download(v, a) },
		"ReLUForward": func() { h.ReLUForward(a, a, 64) },
		"ConvForward": func() { h.ConvForward(a, a, hw, conv, hs) },
	} {
		if n := testing.AllocsPerRun(10, f); n != 0 {
			t.Errorf("BF16 %s: %v allocations", name, n)
		}
	}
}
