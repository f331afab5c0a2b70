/*
 * dds_cuda.h — the C ABI of dds's CUDA kernel library (libdds_cuda.so).
 *
 * The Go engine (package train/cuda) loads the library at run time with dlopen and
 * calls these functions; nothing else links against it. Every operation has the
 * semantics of the Go function of the same name in package train/cpu (the
 * reference): NHWC activations (float32, or bfloat16: dds_set_precision),
 * convolution weights [Cout][K][K][Cin/G], linear weights [out][in], outputs
 * overwritten. Pointers to tensors are device pointers obtained from dds_alloc (plus
 * offsets); sizes are element counts.
 *
 * A context is one model's share of the GPU: a CUDA stream, a cuBLAS handle and the
 * memory it allocated. Every operation is enqueued on the context's stream and
 * returns at once; nothing allocates or synchronises inside an operation, so a whole
 * training step can be captured in a CUDA graph. Errors are sticky: the first
 * failing call records its CUDA (or cuBLAS, or argument) error in the context,
 * later operations do nothing, and dds_status / dds_message report it. Only
 * dds_download and dds_sync wait for the stream.
 */
#ifndef DDS_CUDA_H
#define DDS_CUDA_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define DDS_ABI_VERSION 4

typedef struct dds_ctx dds_ctx;

/* Status codes beyond CUDA's own (which are returned as they are, > 0). */
#define DDS_OK 0
#define DDS_ERR_OOM -1      /* device memory exhausted (dds_alloc) */
#define DDS_ERR_ARG -2      /* an argument out of range */
#define DDS_ERR_CUBLAS -3   /* a cuBLAS call failed; the message names it */

/* dds_abi_version returns DDS_ABI_VERSION of the library. */
int dds_abi_version(void);

/* dds_probe reports the GPUs: the number of devices into *count, the driver's and
 * the runtime's CUDA versions (e.g. 13000) into *driver and *runtime. It returns a
 * CUDA error code (0 when it could ask) and writes its text into msg. */
int dds_probe(int *count, int *driver, int *runtime, char *msg, size_t msglen);

/* dds_mem_info reports device's free and total memory in bytes (cudaMemGetInfo).
 * It returns a CUDA error code (0 on success) and writes its text into msg. */
int dds_mem_info(int device, size_t *free_bytes, size_t *total_bytes, char *msg, size_t msglen);

/* dds_create makes a context on device, or returns NULL with the reason in msg. */
dds_ctx *dds_create(int device, char *msg, size_t msglen);
/* Activation precision of a context (dds_set_precision). */
#define DDS_FP32 0
#define DDS_BF16 1

/* dds_set_precision sets how the context's operations store activations: DDS_FP32
 * (float, the default) or DDS_BF16 (__nv_bfloat16, 2 bytes, values rounded to nearest
 * even when written). It must be called before the context's first dds_alloc (so
 * before any operation on its memory) and not while capturing; otherwise, or for
 * another value, it records DDS_ERR_ARG. dds_precision returns the context's
 * precision (DDS_ERR_ARG for a NULL context). The activation arguments of each operation are named in
 * train/engine's Engine documentation and listed here per operation as "act:";
 * in DDS_BF16 they point to __nv_bfloat16 values although the prototypes say float.
 * Everything else (weights, their gradients, momentum, BN statistics, the loss
 * statistics, learning rates) stays float, and every operation computes in float.
 * In DDS_BF16, convolution and linear weights are rounded to bfloat16 where they
 * multiply activations (forward, data gradient), which lets GEMMs run on tensor
 * cores; weight gradients are accumulated in float and written as float. */
void dds_set_precision(dds_ctx *ctx, int precision);
int dds_precision(dds_ctx *ctx);

/* dds_destroy waits for the stream and frees everything the context allocated. */
void dds_destroy(dds_ctx *ctx);

/* dds_status returns the context's first error (DDS_OK when none); dds_message its
 * text, valid until the context is destroyed. */
int dds_status(dds_ctx *ctx);
const char *dds_message(dds_ctx *ctx);

/* dds_alloc returns bytes of zeroed device memory owned by the context, or NULL
 * with the context's error set (DDS_ERR_OOM when memory ran out). Memory is freed
 * only by dds_destroy. */
void *dds_alloc(dds_ctx *ctx, size_t bytes);
/* dds_mem_used returns the bytes the context has allocated. */
size_t dds_mem_used(dds_ctx *ctx);

/* Copies between host and device. dds_upload enqueues the copy and waits for it
 * (the host buffer may be reused at once); dds_download waits for the stream,
 * copies and returns the context's status. */
void dds_upload(dds_ctx *ctx, void *dst, const void *src, size_t bytes);
int dds_download(dds_ctx *ctx, void *dst, const void *src, size_t bytes);
/* dds_sync waits for the stream and returns the context's status. */
int dds_sync(dds_ctx *ctx);

/* Convolution shape: batch n, input h×w×cin, output channels cout, square kernel
 * k (odd) with zero padding k/2, stride, groups (cin and cout divisible by it). */
typedef struct {
	int n, h, w, cin, cout, k, stride, groups;
} dds_conv;

/* dds_conv_scratch returns the float32 scratch length the convolution operations
 * need for shape s (0 when they need none). */
size_t dds_conv_scratch(const dds_conv *s);
/* dds_conv_scratch_ctx is dds_conv_scratch for the context's precision: the scratch
 * is counted in float values either way (a float buffer from dds_alloc), and in
 * DDS_BF16 the 1×1 convolutions need it for a bfloat16 copy of the weights (and the
 * strided ones for their bfloat16 gathered input), the others as in DDS_FP32. The
 * operations of a DDS_BF16 context need this length, not dds_conv_scratch's. With
 * ctx NULL it is dds_conv_scratch. */
size_t dds_conv_scratch_ctx(dds_ctx *ctx, const dds_conv *s);
/* act: y, x (forward); dx, dy (backward_data); dy, x (backward_weight). */
void dds_conv_forward(dds_ctx *ctx, float *y, const float *x, const float *w, const dds_conv *s, float *scratch);
void dds_conv_backward_data(dds_ctx *ctx, float *dx, const float *dy, const float *w, const dds_conv *s, float *scratch);
void dds_conv_backward_weight(dds_ctx *ctx, float *dw, const float *dy, const float *x, const dds_conv *s, float *scratch);

/* Batch normalisation over x [m][c] (statistics per channel over the m rows).
 * act: x (stats); y, x, res (apply); dx, dres, dy, y, x (backward). */
void dds_bn_stats(dds_ctx *ctx, float *mean, float *var, const float *x, int m, int c);
void dds_bn_update_running(dds_ctx *ctx, float *run_mean, float *run_var, const float *mean, const float *var,
                           int m, int c, float momentum);
/* y = BN(x) (+ res when res != NULL), then ReLU when relu != 0. */
void dds_bn_apply(dds_ctx *ctx, float *y, const float *x, const float *res, const float *gamma, const float *beta,
                  const float *mean, const float *var, int m, int c, float eps, int relu);
/* Backward of dds_bn_apply with batch statistics: with relu, the gradient reaching
 * the sum is dy masked by y > 0 and dres (when not NULL) receives it; without relu,
 * y and dres are unused. dx may be dy. */
void dds_bn_backward(dds_ctx *ctx, float *dx, float *dres, float *dgamma, float *dbeta, const float *dy,
                     const float *y, const float *x, const float *gamma, const float *mean, const float *var,
                     int m, int c, float eps, int relu);

/* act: every tensor argument of relu, add, sigmoid, scale and avgpool. */
void dds_relu_forward(dds_ctx *ctx, float *y, const float *x, int64_t n);
void dds_relu_backward(dds_ctx *ctx, float *dx, const float *dy, const float *y, int64_t n);
void dds_add(dds_ctx *ctx, float *y, const float *a, const float *b, int64_t n);
void dds_sigmoid_forward(dds_ctx *ctx, float *y, const float *x, int64_t n);
void dds_sigmoid_backward(dds_ctx *ctx, float *dx, const float *dy, const float *y, int64_t n);
/* SE gate: y[b,p,ch] = x[b,p,ch]·s[b,ch] over n images of hw pixels and c channels. */
void dds_scale_forward(dds_ctx *ctx, float *y, const float *x, const float *s, int n, int hw, int c);
void dds_scale_backward(dds_ctx *ctx, float *dx, float *ds, const float *dy, const float *x, const float *s,
                        int n, int hw, int c);
void dds_avgpool_forward(dds_ctx *ctx, float *y, const float *x, int n, int hw, int c);
void dds_avgpool_backward(dds_ctx *ctx, float *dx, const float *dy, int n, int hw, int c);
/* y = x·wᵀ + bias (bias may be NULL); backward writes dx (may be NULL), dw, dbias
 * (may be NULL). act: y, x (forward); dx, dy, x (backward). In DDS_BF16 these are
 * kernels of the library's own, not cuBLAS (the layers are small and take no scratch
 * for a bfloat16 copy of w): they round each weight to bfloat16 as they load it. */
void dds_linear_forward(dds_ctx *ctx, float *y, const float *x, const float *w, const float *bias, int n, int in, int out);
void dds_linear_backward(dds_ctx *ctx, float *dx, float *dw, float *dbias, const float *dy, const float *x,
                         const float *w, int n, int in, int out);
/* Soft cross-entropy with label smoothing: dlogits (may be NULL) and stats[0] =
 * mean loss, stats[1] = rows whose argmax is the label, stats[2] = labels outside
 * [0, c) (when > 0 the rest is unspecified). act: dlogits, logits. */
void dds_softmax_xent(dds_ctx *ctx, float *dlogits, const float *logits, const int32_t *labels, int n, int c,
                      float smoothing, float *stats);
/* SGD with momentum, weight decay and optional Nesterov over n values, as
 * torch.optim.SGD with dampening 0 (v starts at zero). */
void dds_sgd_step(dds_ctx *ctx, float *p, const float *g, float *v, int64_t n, float lr, float momentum,
                  float weight_decay, int nesterov);

/* Batch assembly from a uint8 image set in device memory (images [N][h][w][c],
 * labels [N]): for i < n, example idx[i] (device int32 array), mirrored when
 * crops[3i+2] != 0, zero-padded by pad and cropped at offsets crops[3i], crops[3i+1]
 * in [0, 2·pad] (crops is a device int8 array, or NULL for no augmentation), each
 * value v becoming (v/255 − mean[ch])/std[ch] (padding is 0 after normalisation),
 * into x [n][h][w][c]; labels[idx[i]] into y. mean and std are host arrays of c
 * values (at most 16 channels). act: x (here and in dds_batch_at). */
void dds_batch(dds_ctx *ctx, float *x, int32_t *y, const uint8_t *images, const int32_t *labels,
               const int32_t *idx, const int8_t *crops, int n, int h, int w, int c, int pad,
               const float *mean, const float *std);

/* Step-indexed operations. A training step whose per-step inputs (batch indices,
 * crops, learning rate) live in device memory is the same launches every step, so it
 * can be captured once in a CUDA graph and replayed. counter is a device int32 whose
 * value t is the step within a run of `steps` steps; an operation whose t is outside
 * [0, steps) does nothing (the host resets the counter with dds_upload).
 *
 * dds_batch_at is dds_batch with idx = idxs + t·n and crops = crops + 3·t·n (int32
 * values here; crops NULL for none), idxs holding steps·n indices. */
void dds_batch_at(dds_ctx *ctx, float *x, int32_t *y, const uint8_t *images, const int32_t *labels,
                  const int32_t *idxs, const int32_t *crops, const int32_t *counter, int steps, int n, int h,
                  int w, int c, int pad, const float *mean, const float *std);
/* dds_resized_batch_at assembles step t's batch of random-resized crops
 * (data.Set.ResizedBatch): for i < n and k = t·n + i, image idxs[k] cut to the window
 * of the int32 box boxes[5k .. 5k+5) (top, left, height, width, and flip != 0 to
 * mirror left-right; boxes holding steps·n boxes), resized to h×w by bilinear
 * interpolation with half-pixel centres (output sample j of an axis of a window of
 * len samples at position (j + ½)·len/h − ½, clamped to [0, len − 1], in float64),
 * mirrored, each value v becoming v/(255·std[ch]) − mean[ch]/std[ch] in float32 with
 * the reference's order of operations, into x [n][h][w][c]; labels[idxs[k]] into y
 * (unless NULL). A box outside the image reads its clamped pixels (no read leaves the
 * image); an index outside the set is not checked. mean and std are host arrays of c
 * values (at most 16 channels). act: x. */
void dds_resized_batch_at(dds_ctx *ctx, float *x, int32_t *y, const uint8_t *images, const int32_t *labels,
                          const int32_t *idxs, const int32_t *boxes, const int32_t *counter, int steps, int n, int h,
                          int w, int c, const float *mean, const float *std);
/* dds_sgd_step_at is dds_sgd_step with lr = lrs[t], lrs holding steps values. */
void dds_sgd_step_at(dds_ctx *ctx, float *p, const float *g, float *v, int64_t n, const float *lrs,
                     const int32_t *counter, int steps, float momentum, float weight_decay, int nesterov);
/* dds_copy_at copies src[0..n) to dst[t·n .. (t+1)·n), dst holding steps·n values. */
void dds_copy_at(dds_ctx *ctx, float *dst, const float *src, const int32_t *counter, int steps, int n);
/* dds_count adds one to *counter. */
void dds_count(dds_ctx *ctx, int32_t *counter);

/* CUDA graphs. dds_capture_begin starts capturing the context's stream: the
 * operations that follow are recorded, not run, until dds_capture_end, which returns
 * the instantiated graph (NULL with the context's error set if capture or
 * instantiation failed; the stream is then no longer capturing). Allocation and
 * transfers (dds_alloc, dds_upload, dds_download, dds_sync) fail with DDS_ERR_ARG
 * while capturing. A graph
 * belongs to its context: dds_graph_launch enqueues it on the context's stream, and
 * dds_graph_destroy (or dds_destroy) frees it. */
typedef struct dds_graph dds_graph;
void dds_capture_begin(dds_ctx *ctx);
dds_graph *dds_capture_end(dds_ctx *ctx);
void dds_graph_launch(dds_ctx *ctx, dds_graph *g);
void dds_graph_destroy(dds_ctx *ctx, dds_graph *g);

#ifdef __cplusplus
}
#endif

#endif /* DDS_CUDA_H */
