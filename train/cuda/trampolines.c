//go:build cgo

// The binding's C side, declared and documented in trampolines.h. cgo compiles it
// with the package's flags (-I lib) wherever the package is built with cgo.

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trampolines.h"

int go_load(const char *path, dds_fns **out, char *err, size_t errlen) {
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

#define F(p) ((float *)(p))
#define CF(p) ((const float *)(p))
#define CI(p) ((const int32_t *)(p))

int go_abi_version(const dds_fns *t) { return t->abi_version(); }
int go_probe(const dds_fns *t, int *count, int *driver, int *runtime, char *msg, size_t len) {
	return t->probe(count, driver, runtime, msg, len);
}
dds_ctx *go_create(const dds_fns *t, int device, char *msg, size_t len) { return t->create(device, msg, len); }
void go_destroy(const dds_fns *t, dds_ctx *c) { t->destroy(c); }
int go_status(const dds_fns *t, dds_ctx *c) { return t->status(c); }
const char *go_message(const dds_fns *t, dds_ctx *c) { return t->message(c); }
uintptr_t go_alloc(const dds_fns *t, dds_ctx *c, size_t bytes) { return (uintptr_t)t->alloc(c, bytes); }
size_t go_mem_used(const dds_fns *t, dds_ctx *c) { return t->mem_used(c); }
void go_upload(const dds_fns *t, dds_ctx *c, uintptr_t dst, const void *src, size_t bytes) {
	t->upload(c, (void *)dst, src, bytes);
}
int go_download(const dds_fns *t, dds_ctx *c, void *dst, uintptr_t src, size_t bytes) {
	return t->download(c, dst, (const void *)src, bytes);
}
int go_sync(const dds_fns *t, dds_ctx *c) { return t->sync(c); }
void go_set_precision(const dds_fns *t, dds_ctx *c, int p) { t->set_precision(c, p); }
int go_precision(const dds_fns *t, dds_ctx *c) { return t->precision(c); }
int go_mem_info(const dds_fns *t, int device, size_t *free_bytes, size_t *total_bytes, char *msg, size_t len) {
	return t->mem_info(device, free_bytes, total_bytes, msg, len);
}

size_t go_conv_scratch(const dds_fns *t, dds_ctx *c, dds_conv s) { return t->conv_scratch_ctx(c, &s); }
size_t go_conv(const dds_fns *t, dds_ctx *c, int pass, uintptr_t out, uintptr_t a, uintptr_t b, dds_conv s,
               uintptr_t scratch, size_t scratchLen) {
	size_t need = t->conv_scratch_ctx(c, &s);
	if (need > scratchLen) return need;
	switch (pass) {
	case GO_CONV_FORWARD: t->conv_forward(c, F(out), CF(a), CF(b), &s, F(scratch)); break;
	case GO_CONV_BACKWARD_DATA: t->conv_backward_data(c, F(out), CF(a), CF(b), &s, F(scratch)); break;
	case GO_CONV_BACKWARD_WEIGHT: t->conv_backward_weight(c, F(out), CF(a), CF(b), &s, F(scratch)); break;
	}
	return 0;
}

void go_bn_stats(const dds_fns *t, dds_ctx *c, uintptr_t mean, uintptr_t var, uintptr_t x, int m, int ch) {
	t->bn_stats(c, F(mean), F(var), CF(x), m, ch);
}
void go_bn_update_running(const dds_fns *t, dds_ctx *c, uintptr_t rm, uintptr_t rv, uintptr_t mean, uintptr_t var,
                          int m, int ch, float momentum) {
	t->bn_update_running(c, F(rm), F(rv), CF(mean), CF(var), m, ch, momentum);
}
void go_bn_apply(const dds_fns *t, dds_ctx *c, uintptr_t y, uintptr_t x, uintptr_t res, uintptr_t gamma,
                 uintptr_t beta, uintptr_t mean, uintptr_t var, int m, int ch, float eps, int relu) {
	t->bn_apply(c, F(y), CF(x), CF(res), CF(gamma), CF(beta), CF(mean), CF(var), m, ch, eps, relu);
}
void go_bn_backward(const dds_fns *t, dds_ctx *c, uintptr_t dx, uintptr_t dres, uintptr_t dgamma, uintptr_t dbeta,
                    uintptr_t dy, uintptr_t y, uintptr_t x, uintptr_t gamma, uintptr_t mean, uintptr_t var, int m,
                    int ch, float eps, int relu) {
	t->bn_backward(c, F(dx), F(dres), F(dgamma), F(dbeta), CF(dy), CF(y), CF(x), CF(gamma), CF(mean), CF(var), m, ch,
	               eps, relu);
}

void go_relu_forward(const dds_fns *t, dds_ctx *c, uintptr_t y, uintptr_t x, int64_t n) {
	t->relu_forward(c, F(y), CF(x), n);
}
void go_relu_backward(const dds_fns *t, dds_ctx *c, uintptr_t dx, uintptr_t dy, uintptr_t y, int64_t n) {
	t->relu_backward(c, F(dx), CF(dy), CF(y), n);
}
void go_add(const dds_fns *t, dds_ctx *c, uintptr_t y, uintptr_t a, uintptr_t b, int64_t n) {
	t->add(c, F(y), CF(a), CF(b), n);
}
void go_sigmoid_forward(const dds_fns *t, dds_ctx *c, uintptr_t y, uintptr_t x, int64_t n) {
	t->sigmoid_forward(c, F(y), CF(x), n);
}
void go_sigmoid_backward(const dds_fns *t, dds_ctx *c, uintptr_t dx, uintptr_t dy, uintptr_t y, int64_t n) {
	t->sigmoid_backward(c, F(dx), CF(dy), CF(y), n);
}
void go_scale_forward(const dds_fns *t, dds_ctx *c, uintptr_t y, uintptr_t x, uintptr_t s, int n, int hw, int ch) {
	t->scale_forward(c, F(y), CF(x), CF(s), n, hw, ch);
}
void go_scale_backward(const dds_fns *t, dds_ctx *c, uintptr_t dx, uintptr_t ds, uintptr_t dy, uintptr_t x,
                       uintptr_t s, int n, int hw, int ch) {
	t->scale_backward(c, F(dx), F(ds), CF(dy), CF(x), CF(s), n, hw, ch);
}
void go_avgpool_forward(const dds_fns *t, dds_ctx *c, uintptr_t y, uintptr_t x, int n, int hw, int ch) {
	t->avgpool_forward(c, F(y), CF(x), n, hw, ch);
}
void go_avgpool_backward(const dds_fns *t, dds_ctx *c, uintptr_t dx, uintptr_t dy, int n, int hw, int ch) {
	t->avgpool_backward(c, F(dx), CF(dy), n, hw, ch);
}
void go_linear_forward(const dds_fns *t, dds_ctx *c, uintptr_t y, uintptr_t x, uintptr_t w, uintptr_t bias, int n,
                       int in, int out) {
	t->linear_forward(c, F(y), CF(x), CF(w), CF(bias), n, in, out);
}
void go_linear_backward(const dds_fns *t, dds_ctx *c, uintptr_t dx, uintptr_t dw, uintptr_t dbias, uintptr_t dy,
                        uintptr_t x, uintptr_t w, int n, int in, int out) {
	t->linear_backward(c, F(dx), F(dw), F(dbias), CF(dy), CF(x), CF(w), n, in, out);
}
void go_softmax_xent(const dds_fns *t, dds_ctx *c, uintptr_t dlogits, uintptr_t logits, uintptr_t labels, int n,
                     int ch, float smoothing, uintptr_t stats) {
	t->softmax_xent(c, F(dlogits), CF(logits), CI(labels), n, ch, smoothing, F(stats));
}
void go_sgd_step(const dds_fns *t, dds_ctx *c, uintptr_t p, uintptr_t g, uintptr_t v, int64_t n, float lr,
                 float momentum, float wd, int nesterov) {
	t->sgd_step(c, F(p), CF(g), F(v), n, lr, momentum, wd, nesterov);
}

void go_batch(const dds_fns *t, dds_ctx *c, uintptr_t x, uintptr_t y, uintptr_t images, uintptr_t labels,
              uintptr_t idxDev, const int32_t *idx, uintptr_t cropsDev, const int8_t *crops, int n, int h, int w,
              int ch, int pad, const float *mean, const float *std) {
	t->upload(c, (void *)idxDev, idx, (size_t)n * sizeof(int32_t));
	if (crops != NULL) t->upload(c, (void *)cropsDev, crops, (size_t)n * 3);
	t->batch(c, F(x), (int32_t *)y, (const uint8_t *)images, CI(labels), CI(idxDev),
	         crops != NULL ? (const int8_t *)cropsDev : NULL, n, h, w, ch, pad, mean, std);
}

void go_batch_at(const dds_fns *t, dds_ctx *c, uintptr_t x, uintptr_t y, uintptr_t images, uintptr_t labels,
                 uintptr_t idxs, uintptr_t crops, uintptr_t counter, int steps, int n, int h, int w, int ch, int pad,
                 const float *mean, const float *std) {
	t->batch_at(c, F(x), (int32_t *)y, (const uint8_t *)images, CI(labels), CI(idxs), CI(crops), CI(counter), steps, n,
	            h, w, ch, pad, mean, std);
}
void go_resized_batch_at(const dds_fns *t, dds_ctx *c, uintptr_t x, uintptr_t y, uintptr_t images, uintptr_t labels,
                         uintptr_t idxs, uintptr_t boxes, uintptr_t counter, int steps, int n, int h, int w, int ch,
                         const float *mean, const float *std) {
	t->resized_batch_at(c, F(x), (int32_t *)y, (const uint8_t *)images, CI(labels), CI(idxs), CI(boxes), CI(counter),
	                    steps, n, h, w, ch, mean, std);
}
void go_sgd_step_at(const dds_fns *t, dds_ctx *c, uintptr_t p, uintptr_t g, uintptr_t v, int64_t n, uintptr_t lrs,
                    uintptr_t counter, int steps, float momentum, float wd, int nesterov) {
	t->sgd_step_at(c, F(p), CF(g), F(v), n, CF(lrs), CI(counter), steps, momentum, wd, nesterov);
}
void go_copy_at(const dds_fns *t, dds_ctx *c, uintptr_t dst, uintptr_t src, uintptr_t counter, int steps, int n) {
	t->copy_at(c, F(dst), CF(src), CI(counter), steps, n);
}
void go_count(const dds_fns *t, dds_ctx *c, uintptr_t counter) { t->count(c, (int32_t *)counter); }

void go_capture_begin(const dds_fns *t, dds_ctx *c) { t->capture_begin(c); }
dds_graph *go_capture_end(const dds_fns *t, dds_ctx *c) { return t->capture_end(c); }
void go_graph_launch(const dds_fns *t, dds_ctx *c, dds_graph *g) { t->graph_launch(c, g); }
void go_graph_destroy(const dds_fns *t, dds_ctx *c, dds_graph *g) { t->graph_destroy(c, g); }
