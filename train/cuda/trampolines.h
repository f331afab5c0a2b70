// The C side of the binding (trampolines.c): the function table of a loaded
// libdds_cuda.so, the loader that fills it, and the trampolines the Go files call,
// one per operation, each one cgo call through the table. Device addresses travel as
// uintptr_t (Go keeps them as uintptr, which the garbage collector ignores) and are
// cast to the header's pointer types in the trampolines; 0 is NULL.
#ifndef DDS_TRAMPOLINES_H
#define DDS_TRAMPOLINES_H

#include <stddef.h>
#include <stdint.h>

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
int go_load(const char *path, dds_fns **out, char *err, size_t errlen);

// The context, memory and transfers.
int go_abi_version(const dds_fns *t);
int go_probe(const dds_fns *t, int *count, int *driver, int *runtime, char *msg, size_t len);
dds_ctx *go_create(const dds_fns *t, int device, char *msg, size_t len);
void go_destroy(const dds_fns *t, dds_ctx *c);
int go_status(const dds_fns *t, dds_ctx *c);
const char *go_message(const dds_fns *t, dds_ctx *c);
uintptr_t go_alloc(const dds_fns *t, dds_ctx *c, size_t bytes);
size_t go_mem_used(const dds_fns *t, dds_ctx *c);
void go_upload(const dds_fns *t, dds_ctx *c, uintptr_t dst, const void *src, size_t bytes);
int go_download(const dds_fns *t, dds_ctx *c, void *dst, uintptr_t src, size_t bytes);
int go_sync(const dds_fns *t, dds_ctx *c);
void go_set_precision(const dds_fns *t, dds_ctx *c, int p);
int go_precision(const dds_fns *t, dds_ctx *c);
int go_mem_info(const dds_fns *t, int device, size_t *free_bytes, size_t *total_bytes, char *msg, size_t len);

// The convolutions: go_conv runs pass (a go_conv_pass) on shape s, with the
// arguments in the order of its dds_ function: out is y, dx or dw; a and b are x and
// w, dy and w, or dy and x. It checks the scratch length (scratchLen values) against
// dds_conv_scratch_ctx (the context's precision) in the same call and returns the
// length needed when it is short, launching nothing; else it returns 0.
typedef enum { GO_CONV_FORWARD, GO_CONV_BACKWARD_DATA, GO_CONV_BACKWARD_WEIGHT } go_conv_pass;
size_t go_conv_scratch(const dds_fns *t, dds_ctx *c, dds_conv s);
size_t go_conv(const dds_fns *t, dds_ctx *c, int pass, uintptr_t out, uintptr_t a, uintptr_t b, dds_conv s,
               uintptr_t scratch, size_t scratchLen);

// Batch normalization.
void go_bn_stats(const dds_fns *t, dds_ctx *c, uintptr_t mean, uintptr_t var, uintptr_t x, int m, int ch);
void go_bn_update_running(const dds_fns *t, dds_ctx *c, uintptr_t rm, uintptr_t rv, uintptr_t mean, uintptr_t var,
                          int m, int ch, float momentum);
void go_bn_apply(const dds_fns *t, dds_ctx *c, uintptr_t y, uintptr_t x, uintptr_t res, uintptr_t gamma,
                 uintptr_t beta, uintptr_t mean, uintptr_t var, int m, int ch, float eps, int relu);
void go_bn_backward(const dds_fns *t, dds_ctx *c, uintptr_t dx, uintptr_t dres, uintptr_t dgamma, uintptr_t dbeta,
                    uintptr_t dy, uintptr_t y, uintptr_t x, uintptr_t gamma, uintptr_t mean, uintptr_t var, int m,
                    int ch, float eps, int relu);

// The elementwise operations, pooling, the linear layer, the loss and SGD.
void go_relu_forward(const dds_fns *t, dds_ctx *c, uintptr_t y, uintptr_t x, int64_t n);
void go_relu_backward(const dds_fns *t, dds_ctx *c, uintptr_t dx, uintptr_t dy, uintptr_t y, int64_t n);
void go_add(const dds_fns *t, dds_ctx *c, uintptr_t y, uintptr_t a, uintptr_t b, int64_t n);
void go_sigmoid_forward(const dds_fns *t, dds_ctx *c, uintptr_t y, uintptr_t x, int64_t n);
void go_sigmoid_backward(const dds_fns *t, dds_ctx *c, uintptr_t dx, uintptr_t dy, uintptr_t y, int64_t n);
void go_scale_forward(const dds_fns *t, dds_ctx *c, uintptr_t y, uintptr_t x, uintptr_t s, int n, int hw, int ch);
void go_scale_backward(const dds_fns *t, dds_ctx *c, uintptr_t dx, uintptr_t ds, uintptr_t dy, uintptr_t x,
                       uintptr_t s, int n, int hw, int ch);
void go_avgpool_forward(const dds_fns *t, dds_ctx *c, uintptr_t y, uintptr_t x, int n, int hw, int ch);
void go_avgpool_backward(const dds_fns *t, dds_ctx *c, uintptr_t dx, uintptr_t dy, int n, int hw, int ch);
void go_linear_forward(const dds_fns *t, dds_ctx *c, uintptr_t y, uintptr_t x, uintptr_t w, uintptr_t bias, int n,
                       int in, int out);
void go_linear_backward(const dds_fns *t, dds_ctx *c, uintptr_t dx, uintptr_t dw, uintptr_t dbias, uintptr_t dy,
                        uintptr_t x, uintptr_t w, int n, int in, int out);
void go_softmax_xent(const dds_fns *t, dds_ctx *c, uintptr_t dlogits, uintptr_t logits, uintptr_t labels, int n,
                     int ch, float smoothing, uintptr_t stats);
void go_sgd_step(const dds_fns *t, dds_ctx *c, uintptr_t p, uintptr_t g, uintptr_t v, int64_t n, float lr,
                 float momentum, float wd, int nesterov);

// go_batch uploads the n indices (and 3n crop bytes when crops is not NULL) from host
// memory into the engine's staging buffers idxDev and cropsDev, then runs dds_batch
// on them: one cgo call per batch.
void go_batch(const dds_fns *t, dds_ctx *c, uintptr_t x, uintptr_t y, uintptr_t images, uintptr_t labels,
              uintptr_t idxDev, const int32_t *idx, uintptr_t cropsDev, const int8_t *crops, int n, int h, int w,
              int ch, int pad, const float *mean, const float *std);

// The step-indexed operations: labels, indices, crops and the counter are int32
// device arrays (0 is NULL).
void go_batch_at(const dds_fns *t, dds_ctx *c, uintptr_t x, uintptr_t y, uintptr_t images, uintptr_t labels,
                 uintptr_t idxs, uintptr_t crops, uintptr_t counter, int steps, int n, int h, int w, int ch, int pad,
                 const float *mean, const float *std);
void go_resized_batch_at(const dds_fns *t, dds_ctx *c, uintptr_t x, uintptr_t y, uintptr_t images, uintptr_t labels,
                         uintptr_t idxs, uintptr_t boxes, uintptr_t counter, int steps, int n, int h, int w, int ch,
                         const float *mean, const float *std);
void go_sgd_step_at(const dds_fns *t, dds_ctx *c, uintptr_t p, uintptr_t g, uintptr_t v, int64_t n, uintptr_t lrs,
                    uintptr_t counter, int steps, float momentum, float wd, int nesterov);
void go_copy_at(const dds_fns *t, dds_ctx *c, uintptr_t dst, uintptr_t src, uintptr_t counter, int steps, int n);
void go_count(const dds_fns *t, dds_ctx *c, uintptr_t counter);

// Graphs: a dds_graph is host memory of the library; Go keeps its address.
void go_capture_begin(const dds_fns *t, dds_ctx *c);
dds_graph *go_capture_end(const dds_fns *t, dds_ctx *c);
void go_graph_launch(const dds_fns *t, dds_ctx *c, dds_graph *g);
void go_graph_destroy(const dds_fns *t, dds_ctx *c, dds_graph *g);

#endif
