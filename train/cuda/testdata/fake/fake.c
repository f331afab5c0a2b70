/* A stand-in for libdds_cuda.so that runs on the host, for the binding's tests
 * (fake_test.go compiles it with the C compiler cgo uses, with -I lib (dds_cuda.h) and the
 * -D definitions a test asks for), so they check the binding — loading, error
 * messages, argument order and staging — on machines without a GPU.
 *
 * "Device" memory is calloc'ed host memory, so Go can read the addresses the binding
 * passes. It implements the ABI's bookkeeping (contexts, sticky errors, allocation
 * with a limit of FAKE_MEM bytes per context, copies, dds_mem_info: FAKE_MEM bytes
 * less what the live contexts hold, the precision: settable before the first
 * dds_alloc, and its scratch lengths FAKE_SCRATCH and FAKE_SCRATCH_BF16) and a few
 * operations (ReLU forward, Add, SGD, Batch, and the step-indexed BatchAt,
 * ResizedBatchAt, SGDStepAt, CopyAt and Count) with the CPU engine's semantics, the
 * activations of ReLU, Add and Batch stored as bfloat16 bits (uint16, rounded to
 * nearest even) in DDS_BF16; every other operation fails with DDS_ERR_ARG naming
 * itself, and so does dds_capture_begin: the fake cannot record, which it says rather
 * than pretending to (dds_capture_end then returns NULL). Its probe answers as the
 * FAKE_* macros say. */
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
