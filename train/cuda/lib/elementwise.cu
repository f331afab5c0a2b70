/*
 * elementwise.cu — ReLU, add, sigmoid (train/cpu/elementwise.go), the SE channel
 * scaling (se.go), global average pooling (pool.go), and the step-indexed copy and
 * step counter (dds_copy_at, dds_count).
 *
 * Elementwise kernels map one thread to one element in a grid-stride loop; aliasing
 * an output with an input is safe because each element is read and written by the
 * same thread. The per-image channel reductions (avgpool forward, scale backward) use
 * one block of 32×8 threads per image and 32-channel tile: lane tx owns a channel,
 * row ty sums the pixels ty, ty+8, ..., and the 8 partial sums are added in a fixed
 * tree, so results are reproducible.
 *
 * Every tensor argument of these operations except dds_copy_at's is an activation:
 * the kernels are templates on its type T (float, or __nv_bfloat16 in DDS_BF16),
 * read through ld and write through st (internal.cuh), computing in float.
 */
#include "internal.cuh"

#define EW_THREADS 256

#define GRID_STRIDE(i, n) \
	for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < (n); i += (int64_t)gridDim.x * blockDim.x)

/* relu_forward_kernel: y[i] = max(0, x[i]). */
template <typename T>
static __global__ void relu_forward_kernel(T *y, const T *x, int64_t n) {
	GRID_STRIDE(i, n) { st(y + i, relu_max(ld(x[i]))); }
}

/* relu_backward_kernel: dx[i] = dy[i] where y[i] > 0, else 0. */
template <typename T>
static __global__ void relu_backward_kernel(T *dx, const T *dy, const T *y, int64_t n) {
	GRID_STRIDE(i, n) { st(dx + i, mask_positive(ld(dy[i]), ld(y[i]))); }
}

/* add_kernel: y[i] = a[i] + b[i]. */
template <typename T>
static __global__ void add_kernel(T *y, const T *a, const T *b, int64_t n) {
	GRID_STRIDE(i, n) { st(y + i, ld(a[i]) + ld(b[i])); }
}

/* sigmoid_forward_kernel: y[i] = 1/(1 + exp(−x[i])), in float64 as the reference
 * (rounded to float, then to T). */
template <typename T>
static __global__ void sigmoid_forward_kernel(T *y, const T *x, int64_t n) {
	GRID_STRIDE(i, n) { st(y + i, (float)(1.0 / (1.0 + exp(-(double)ld(x[i]))))); }
}

/* sigmoid_backward_kernel: dx[i] = dy[i]·y[i]·(1 − y[i]). */
template <typename T>
static __global__ void sigmoid_backward_kernel(T *dx, const T *dy, const T *y, int64_t n) {
	GRID_STRIDE(i, n) {
		float s = ld(y[i]);
		st(dx + i, ld(dy[i]) * s * (1.f - s));
	}
}

/* EW_LAUNCH launches kernel<T> for the context's activation type over n elements
 * with the given pointer arguments, each cast to T (act<T>). */
#define EW_LAUNCH(ctx, kernel, n, ...)                                                                  \
	with_act(ctx, [&](auto tag) {                                                                       \
		using T = typename decltype(tag)::type;                                                         \
		DDS_LAUNCH(stride_blocks(n, EW_THREADS), EW_THREADS, 0, (ctx)->stream, kernel<T>)(__VA_ARGS__, n); \
	})

/* ew_args checks n >= 0 and the pointers of an elementwise operation; false when
 * there is nothing to do. */
static bool ew_args(dds_ctx *ctx, const char *fn, int64_t n, const char *n1, const void *p1, const char *n2,
                    const void *p2, const char *n3, const void *p3) {
	if (!begin(ctx, fn)) return false;
	if (n < 0) return arg_error(ctx, fn, "n = %lld, want >= 0", (long long)n);
	if (n == 0) return false;
	return need_ptr(ctx, fn, n1, p1) && need_ptr(ctx, fn, n2, p2) && (n3 == NULL || need_ptr(ctx, fn, n3, p3));
}

void dds_relu_forward(dds_ctx *ctx, float *y, const float *x, int64_t n) {
	static const char fn[] = "dds_relu_forward";
	if (!ew_args(ctx, fn, n, "y", y, "x", x, NULL, NULL)) return;
	EW_LAUNCH(ctx, relu_forward_kernel, n, act<T>(y), act<T>(x));
	launched(ctx, fn, "relu_forward_kernel");
}

void dds_relu_backward(dds_ctx *ctx, float *dx, const float *dy, const float *y, int64_t n) {
	static const char fn[] = "dds_relu_backward";
	if (!ew_args(ctx, fn, n, "dx", dx, "dy", dy, "y", y)) return;
	EW_LAUNCH(ctx, relu_backward_kernel, n, act<T>(dx), act<T>(dy), act<T>(y));
	launched(ctx, fn, "relu_backward_kernel");
}

void dds_add(dds_ctx *ctx, float *y, const float *a, const float *b, int64_t n) {
	static const char fn[] = "dds_add";
	if (!ew_args(ctx, fn, n, "y", y, "a", a, "b", b)) return;
	EW_LAUNCH(ctx, add_kernel, n, act<T>(y), act<T>(a), act<T>(b));
	launched(ctx, fn, "add_kernel");
}

void dds_sigmoid_forward(dds_ctx *ctx, float *y, const float *x, int64_t n) {
	static const char fn[] = "dds_sigmoid_forward";
	if (!ew_args(ctx, fn, n, "y", y, "x", x, NULL, NULL)) return;
	EW_LAUNCH(ctx, sigmoid_forward_kernel, n, act<T>(y), act<T>(x));
	launched(ctx, fn, "sigmoid_forward_kernel");
}

void dds_sigmoid_backward(dds_ctx *ctx, float *dx, const float *dy, const float *y, int64_t n) {
	static const char fn[] = "dds_sigmoid_backward";
	if (!ew_args(ctx, fn, n, "dx", dx, "dy", dy, "y", y)) return;
	EW_LAUNCH(ctx, sigmoid_backward_kernel, n, act<T>(dx), act<T>(dy), act<T>(y));
	launched(ctx, fn, "sigmoid_backward_kernel");
}

/* ---- SE scaling and average pooling over x [n][hw][c] ---- */

/* image_shape checks n >= 0, hw >= 1, c >= 1 and the sizes; false when there is
 * nothing to do. */
static bool image_shape(dds_ctx *ctx, const char *fn, int n, int hw, int c) {
	if (n < 0) return arg_error(ctx, fn, "n = %d, want >= 0", n);
	if (hw < 1) return arg_error(ctx, fn, "hw = %d, want >= 1", hw);
	if (c < 1) return arg_error(ctx, fn, "c = %d, want >= 1", c);
	return need_elems(ctx, fn, "x [n][hw][c]", (int64_t)n * hw * c) && n > 0;
}

/* scale_forward_kernel: y[b,p,ch] = x[b,p,ch]·s[b,ch]; element i = (b·hw + p)·c + ch. */
template <typename T>
static __global__ void scale_forward_kernel(T *y, const T *x, const T *s, int64_t total, int hw, int c) {
	GRID_STRIDE(i, total) {
		int k = (int)i;
		int ch = k % c;
		int b = k / c / hw;
		st(y + i, ld(x[i]) * ld(s[b * c + ch]));
	}
}

/* scale_backward_kernel: ds[b,ch] = Σ_p dy[b,p,ch]·x[b,p,ch] and dx[b,p,ch] =
 * dy[b,p,ch]·s[b,ch]. Block (32, 8) per (image b, channel tile): blockIdx.x =
 * b·tiles + tile. Each thread reads dy at an element before writing dx there, so dx
 * may be dy. */
template <typename T>
static __global__ void scale_backward_kernel(T *dx, T *ds, const T *dy, const T *x, const T *s, int hw, int c) {
	__shared__ float part[8][32];
	int tiles = (c + 31) / 32;
	int b = blockIdx.x / tiles;
	int ch = (blockIdx.x % tiles) * 32 + threadIdx.x;
	float acc = 0;
	if (ch < c) {
		float sv = ld(s[b * c + ch]);
		for (int p = threadIdx.y; p < hw; p += 8) {
			int64_t i = ((int64_t)b * hw + p) * c + ch;
			float g = ld(dy[i]);
			acc += g * ld(x[i]);
			st(dx + i, g * sv);
		}
	}
	part[threadIdx.y][threadIdx.x] = acc;
	__syncthreads();
	for (int h = 4; h > 0; h >>= 1) {
		if (threadIdx.y < h) part[threadIdx.y][threadIdx.x] += part[threadIdx.y + h][threadIdx.x];
		__syncthreads();
	}
	if (threadIdx.y == 0 && ch < c) st(ds + b * c + ch, part[0][threadIdx.x]);
}

/* avgpool_forward_kernel: y[b,ch] = (Σ_p x[b,p,ch])·(1/hw), the same block mapping as
 * scale_backward_kernel. */
template <typename T>
static __global__ void avgpool_forward_kernel(T *y, const T *x, int hw, int c, float inv) {
	__shared__ float part[8][32];
	int tiles = (c + 31) / 32;
	int b = blockIdx.x / tiles;
	int ch = (blockIdx.x % tiles) * 32 + threadIdx.x;
	float acc = 0;
	if (ch < c) {
		for (int p = threadIdx.y; p < hw; p += 8) acc += ld(x[((int64_t)b * hw + p) * c + ch]);
	}
	part[threadIdx.y][threadIdx.x] = acc;
	__syncthreads();
	for (int h = 4; h > 0; h >>= 1) {
		if (threadIdx.y < h) part[threadIdx.y][threadIdx.x] += part[threadIdx.y + h][threadIdx.x];
		__syncthreads();
	}
	if (threadIdx.y == 0 && ch < c) st(y + b * c + ch, part[0][threadIdx.x] * inv);
}

/* avgpool_backward_kernel: dx[b,p,ch] = dy[b,ch]·(1/hw), one thread per element of dx. */
template <typename T>
static __global__ void avgpool_backward_kernel(T *dx, const T *dy, int64_t total, int hw, int c, float inv) {
	GRID_STRIDE(i, total) {
		int k = (int)i;
		int ch = k % c;
		int b = k / c / hw;
		st(dx + i, ld(dy[b * c + ch]) * inv);
	}
}

/* per_image_blocks returns n·ceil(c/32), the grid of the per-image reductions, or 0
 * (after recording DDS_ERR_ARG) when it does not fit a grid. */
static unsigned per_image_blocks(dds_ctx *ctx, const char *fn, int n, int c) {
	int64_t b = (int64_t)n * ((c + 31) / 32);
	if (b > INT32_MAX) {
		arg_error(ctx, fn, "n = %d, c = %d: too many images and channels", n, c);
		return 0;
	}
	return (unsigned)b;
}

void dds_scale_forward(dds_ctx *ctx, float *y, const float *x, const float *s, int n, int hw, int c) {
	static const char fn[] = "dds_scale_forward";
	if (!begin(ctx, fn) || !image_shape(ctx, fn, n, hw, c) || !need_ptr(ctx, fn, "y", y) ||
	    !need_ptr(ctx, fn, "x", x) || !need_ptr(ctx, fn, "s", s)) {
		return;
	}
	int64_t total = (int64_t)n * hw * c;
	with_act(ctx, [&](auto tag) {
		using T = typename decltype(tag)::type;
		DDS_LAUNCH(stride_blocks(total, EW_THREADS), EW_THREADS, 0, ctx->stream, scale_forward_kernel<T>)(
		    act<T>(y), act<T>(x), act<T>(s), total, hw, c);
	});
	launched(ctx, fn, "scale_forward_kernel");
}

void dds_scale_backward(dds_ctx *ctx, float *dx, float *ds, const float *dy, const float *x, const float *s, int n,
                        int hw, int c) {
	static const char fn[] = "dds_scale_backward";
	if (!begin(ctx, fn) || !image_shape(ctx, fn, n, hw, c) || !need_ptr(ctx, fn, "dx", dx) ||
	    !need_ptr(ctx, fn, "ds", ds) || !need_ptr(ctx, fn, "dy", dy) || !need_ptr(ctx, fn, "x", x) ||
	    !need_ptr(ctx, fn, "s", s)) {
		return;
	}
	unsigned blocks = per_image_blocks(ctx, fn, n, c);
	if (blocks == 0) return;
	with_act(ctx, [&](auto tag) {
		using T = typename decltype(tag)::type;
		DDS_LAUNCH(blocks, dim3(32, 8), 0, ctx->stream, scale_backward_kernel<T>)(
		    act<T>(dx), act<T>(ds), act<T>(dy), act<T>(x), act<T>(s), hw, c);
	});
	launched(ctx, fn, "scale_backward_kernel");
}

void dds_avgpool_forward(dds_ctx *ctx, float *y, const float *x, int n, int hw, int c) {
	static const char fn[] = "dds_avgpool_forward";
	if (!begin(ctx, fn) || !image_shape(ctx, fn, n, hw, c) || !need_ptr(ctx, fn, "y", y) ||
	    !need_ptr(ctx, fn, "x", x)) {
		return;
	}
	unsigned blocks = per_image_blocks(ctx, fn, n, c);
	if (blocks == 0) return;
	with_act(ctx, [&](auto tag) {
		using T = typename decltype(tag)::type;
		DDS_LAUNCH(blocks, dim3(32, 8), 0, ctx->stream, avgpool_forward_kernel<T>)(
		    act<T>(y), act<T>(x), hw, c, 1.f / (float)hw);
	});
	launched(ctx, fn, "avgpool_forward_kernel");
}

void dds_avgpool_backward(dds_ctx *ctx, float *dx, const float *dy, int n, int hw, int c) {
	static const char fn[] = "dds_avgpool_backward";
	if (!begin(ctx, fn) || !image_shape(ctx, fn, n, hw, c) || !need_ptr(ctx, fn, "dx", dx) ||
	    !need_ptr(ctx, fn, "dy", dy)) {
		return;
	}
	int64_t total = (int64_t)n * hw * c;
	with_act(ctx, [&](auto tag) {
		using T = typename decltype(tag)::type;
		DDS_LAUNCH(stride_blocks(total, EW_THREADS), EW_THREADS, 0, ctx->stream, avgpool_backward_kernel<T>)(
		    act<T>(dx), act<T>(dy), total, hw, c, 1.f / (float)hw);
	});
	launched(ctx, fn, "avgpool_backward_kernel");
}

/* ---- step-indexed copy and the step counter ---- */

/* copy_at_kernel: dst[t·n + i] = src[i] for i < n, t = *counter; nothing when t is
 * outside [0, steps). */
static __global__ void copy_at_kernel(float *dst, const float *src, const int32_t *counter, int steps, int n) {
	int t;
	if (!step_of(counter, steps, &t)) return;
	dst += (int64_t)t * n;
	GRID_STRIDE(i, n) { dst[i] = src[i]; }
}

/* count_kernel: *counter += 1 (one thread). */
static __global__ void count_kernel(int32_t *counter) { *counter += 1; }

void dds_copy_at(dds_ctx *ctx, float *dst, const float *src, const int32_t *counter, int steps, int n) {
	static const char fn[] = "dds_copy_at";
	if (!begin(ctx, fn)) return;
	if (n < 0 || steps < 0) {
		arg_error(ctx, fn, "n = %d, steps = %d, want both >= 0", n, steps);
		return;
	}
	if (n == 0 || steps == 0 || !need_ptr(ctx, fn, "dst", dst) || !need_ptr(ctx, fn, "src", src) ||
	    !need_ptr(ctx, fn, "counter", counter)) {
		return;
	}
	DDS_LAUNCH(stride_blocks(n, EW_THREADS), EW_THREADS, 0, ctx->stream, copy_at_kernel)(dst, src, counter, steps, n);
	launched(ctx, fn, "copy_at_kernel");
}

void dds_count(dds_ctx *ctx, int32_t *counter) {
	static const char fn[] = "dds_count";
	if (!begin(ctx, fn) || !need_ptr(ctx, fn, "counter", counter)) return;
	DDS_LAUNCH(1, 1, 0, ctx->stream, count_kernel)(counter);
	launched(ctx, fn, "count_kernel");
}
