/*
 * bn.cu — batch normalisation over x [m][c] (train/cpu/bn.go): statistics, running
 * statistics, apply (optionally + residual, ReLU) and the backward pass.
 *
 * Thread mapping: blocks of 32×8 threads over a tile of 32 channels; lane tx owns
 * channel 32·blockIdx.x + tx (consecutive lanes read consecutive addresses of a row),
 * row ty of the block walks the rows blockIdx.y·8 + ty, stepping by gridDim.y·8.
 *
 * The per-channel sums (statistics; dbeta and dgamma) accumulate in float64 as the
 * reference does, in two deterministic stages: bn_sums_kernel writes one pair of
 * partial sums per channel and row-block into the context's workspace, and
 * bn_finish_kernel adds them in a fixed order. The number of row-blocks P depends on
 * m and c only, so results are reproducible. When P = 1 the first kernel finishes
 * directly.
 *
 * The kernels are templates on the activation type T (float, or __nv_bfloat16 in
 * DDS_BF16: x, y, res, dx, dres and dy): they convert what they read to float
 * exactly, compute as in float, and round what they write (internal.cuh's ld, st);
 * the statistics, gamma, beta and their gradients are float either way.
 */
#include "internal.cuh"

enum { SUMS_STATS = 0, SUMS_GRAD = 1, SUMS_GRAD_RELU = 2 };

/* bn_partial_blocks returns P, the row-blocks of the first stage: about 16 rows per
 * thread, at most 256, and few enough that the 2·c·P partial sums fit the workspace
 * (1 when even c pairs do not: then the first stage finishes directly). */
static int bn_partial_blocks(int m, int c) {
	int64_t p = ((int64_t)m + 127) / 128;
	int64_t fit = (int64_t)(DDS_WS_DOUBLES / (2 * (size_t)c));
	if (p > 256) p = 256;
	if (p > fit) p = fit;
	return p < 1 ? 1 : (int)p;
}

/* bn_finish writes the outputs of one channel from its two float64 sums:
 * statistics: mean = s1/m, var = max(0, s2/m − mean²) (biased);
 * gradient:   dbeta = s1, dgamma = s2·istd with istd = 1/sqrt(var + eps). */
template <int MODE>
static __device__ void bn_finish(int ch, double s1, double s2, float *out1, float *out2, const float *var, int m,
                                 float eps) {
	if (MODE == SUMS_STATS) {
		double mu = s1 / m;
		double v = s2 / m - mu * mu;
		out1[ch] = (float)mu;
		out2[ch] = (float)(v > 0 ? v : 0);
	} else {
		double istd = 1.0 / sqrt((double)var[ch] + (double)eps);
		out1[ch] = (float)s1;
		out2[ch] = (float)(s2 * istd);
	}
}

/* bn_reduce8 adds the 8 rows of a block's partial sums in a fixed tree; row 0 ends
 * with the totals. */
static __device__ void bn_reduce8(double (*a)[32], double (*b)[32]) {
	__syncthreads();
	for (int h = 4; h > 0; h >>= 1) {
		if (threadIdx.y < h) {
			a[threadIdx.y][threadIdx.x] += a[threadIdx.y + h][threadIdx.x];
			b[threadIdx.y][threadIdx.x] += b[threadIdx.y + h][threadIdx.x];
		}
		__syncthreads();
	}
}

/* bn_sums_kernel: per channel ch, over the rows r of row-block blockIdx.y,
 *   SUMS_STATS:      s1 = Σ x[r,ch],  s2 = Σ x[r,ch]²
 *   SUMS_GRAD(_RELU): s1 = Σ dz[r,ch], s2 = Σ dz[r,ch]·(x[r,ch] − mean[ch])
 * with dz = dy, or dy masked by y > 0 for SUMS_GRAD_RELU; all in float64. The pair goes
 * to part[2·blockIdx.y][ch], part[2·blockIdx.y + 1][ch], or when part is NULL (one
 * row-block) straight to the outputs through bn_finish. */
template <int MODE, typename T>
static __global__ void bn_sums_kernel(double *part, float *out1, float *out2, const T *x, const T *dy, const T *y,
                                      const float *mean, const float *var, int m, int c, float eps) {
	__shared__ double s1[8][32], s2[8][32];
	int ch = blockIdx.x * 32 + threadIdx.x;
	double a = 0, b = 0;
	if (ch < c) {
		float mu = MODE == SUMS_STATS ? 0.f : mean[ch];
		for (int r = blockIdx.y * 8 + threadIdx.y; r < m; r += gridDim.y * 8) {
			int64_t i = (int64_t)r * c + ch;
			if (MODE == SUMS_STATS) {
				double v = ld(x[i]);
				a += v;
				b += v * v;
			} else {
				float d = ld(dy[i]);
				if (MODE == SUMS_GRAD_RELU) d = mask_positive(d, ld(y[i]));
				a += (double)d;
				b += (double)d * (double)(ld(x[i]) - mu);
			}
		}
	}
	s1[threadIdx.y][threadIdx.x] = a;
	s2[threadIdx.y][threadIdx.x] = b;
	bn_reduce8(s1, s2);
	if (threadIdx.y != 0 || ch >= c) return;
	if (part != NULL) {
		part[(2 * (int64_t)blockIdx.y) * c + ch] = s1[0][threadIdx.x];
		part[(2 * (int64_t)blockIdx.y + 1) * c + ch] = s2[0][threadIdx.x];
	} else {
		bn_finish<MODE>(ch, s1[0][threadIdx.x], s2[0][threadIdx.x], out1, out2, var, m, eps);
	}
}

/* bn_finish_kernel: the second stage. Thread (tx, ty) adds the partial pairs of
 * row-blocks ty, ty+8, ... < nparts of its channel, then the fixed tree of
 * bn_reduce8, then bn_finish. Grid: ceil(c/32) blocks of 32×8. */
template <int MODE>
static __global__ void bn_finish_kernel(float *out1, float *out2, const double *part, int nparts, const float *var,
                                        int m, int c, float eps) {
	__shared__ double s1[8][32], s2[8][32];
	int ch = blockIdx.x * 32 + threadIdx.x;
	double a = 0, b = 0;
	if (ch < c) {
		for (int p = threadIdx.y; p < nparts; p += 8) {
			a += part[(2 * (int64_t)p) * c + ch];
			b += part[(2 * (int64_t)p + 1) * c + ch];
		}
	}
	s1[threadIdx.y][threadIdx.x] = a;
	s2[threadIdx.y][threadIdx.x] = b;
	bn_reduce8(s1, s2);
	if (threadIdx.y == 0 && ch < c) bn_finish<MODE>(ch, s1[0][threadIdx.x], s2[0][threadIdx.x], out1, out2, var, m, eps);
}

/* bn_sums runs both stages of the per-channel sums of MODE. */
template <int MODE, typename T>
static void bn_sums(dds_ctx *ctx, const char *fn, float *out1, float *out2, const T *x, const T *dy, const T *y,
                    const float *mean, const float *var, int m, int c, float eps) {
	int P = bn_partial_blocks(m, c);
	unsigned tiles = blocks_for(c, 32);
	double *part = P > 1 ? ctx->ws : NULL;
	DDS_LAUNCH(dim3(tiles, P), dim3(32, 8), 0, ctx->stream, bn_sums_kernel<MODE, T>)(
	    part, out1, out2, x, dy, y, mean, var, m, c, eps);
	if (!launched(ctx, fn, "bn_sums_kernel") || P == 1) return;
	DDS_LAUNCH(tiles, dim3(32, 8), 0, ctx->stream, bn_finish_kernel<MODE>)(out1, out2, part, P, var, m, c, eps);
	launched(ctx, fn, "bn_finish_kernel");
}

/* bn_row_blocks returns the grid height of the row-parallel kernels: at least 4 rows
 * per thread, at most 65535 row-blocks. */
static unsigned bn_row_blocks(int m) {
	int64_t r = ((int64_t)m + 31) / 32;
	return (unsigned)(r > 65535 ? 65535 : (r < 1 ? 1 : r));
}

/* bn_shape checks m >= 1, c >= 1 and m·c elements. */
static bool bn_shape(dds_ctx *ctx, const char *fn, int m, int c) {
	if (m < 1) return arg_error(ctx, fn, "m = %d, want >= 1", m);
	if (c < 1) return arg_error(ctx, fn, "c = %d, want >= 1", c);
	return need_elems(ctx, fn, "x [m][c]", (int64_t)m * c);
}

void dds_bn_stats(dds_ctx *ctx, float *mean, float *var, const float *x, int m, int c) {
	static const char fn[] = "dds_bn_stats";
	if (!begin(ctx, fn) || !bn_shape(ctx, fn, m, c) || !need_ptr(ctx, fn, "mean", mean) ||
	    !need_ptr(ctx, fn, "var", var) || !need_ptr(ctx, fn, "x", x)) {
		return;
	}
	with_act(ctx, [&](auto tag) {
		using T = typename decltype(tag)::type;
		bn_sums<SUMS_STATS, T>(ctx, fn, mean, var, act<T>(x), (const T *)NULL, (const T *)NULL, NULL, NULL, m, c, 0.f);
	});
}

/* bn_update_running_kernel, one thread per channel, in float64 as the reference:
 *   run_mean = (1 − momentum)·run_mean + momentum·mean
 *   run_var  = (1 − momentum)·run_var  + momentum·var·unbias,  unbias = m/(m − 1) (1 when m = 1) */
static __global__ void bn_update_running_kernel(float *run_mean, float *run_var, const float *mean, const float *var,
                                                int c, double momentum, double unbias) {
	int ch = blockIdx.x * blockDim.x + threadIdx.x;
	if (ch >= c) return;
	run_mean[ch] = (float)((1 - momentum) * (double)run_mean[ch] + momentum * (double)mean[ch]);
	run_var[ch] = (float)((1 - momentum) * (double)run_var[ch] + momentum * (double)var[ch] * unbias);
}

void dds_bn_update_running(dds_ctx *ctx, float *run_mean, float *run_var, const float *mean, const float *var, int m,
                           int c, float momentum) {
	static const char fn[] = "dds_bn_update_running";
	if (!begin(ctx, fn) || !bn_shape(ctx, fn, m, c) || !need_ptr(ctx, fn, "run_mean", run_mean) ||
	    !need_ptr(ctx, fn, "run_var", run_var) || !need_ptr(ctx, fn, "mean", mean) || !need_ptr(ctx, fn, "var", var)) {
		return;
	}
	double unbias = m > 1 ? (double)m / (double)(m - 1) : 1.0;
	DDS_LAUNCH(blocks_for(c, 256), 256, 0, ctx->stream, bn_update_running_kernel)(
	    run_mean, run_var, mean, var, c, (double)momentum, unbias);
	launched(ctx, fn, "bn_update_running_kernel");
}

/* bn_apply_kernel: y[r,ch] = (x[r,ch] − mean[ch])·scale[ch] + beta[ch] (+ res[r,ch]),
 * then max(0, ·) when relu, with scale = float32(gamma·(1/sqrt(var + eps))) computed in
 * float64 by each thread for its channel. Grid (ceil(c/32), row-blocks) of 32×8;
 * each element is read and written by one thread, so y may be x or res. */
template <typename T>
static __global__ void bn_apply_kernel(T *y, const T *x, const T *res, const float *gamma, const float *beta,
                                       const float *mean, const float *var, int m, int c, float eps, int relu) {
	int ch = blockIdx.x * 32 + threadIdx.x;
	if (ch >= c) return;
	float sc = (float)((double)gamma[ch] * (1.0 / sqrt((double)var[ch] + (double)eps)));
	float sh = beta[ch], mu = mean[ch];
	for (int r = blockIdx.y * 8 + threadIdx.y; r < m; r += gridDim.y * 8) {
		int64_t i = (int64_t)r * c + ch;
		float v = (ld(x[i]) - mu) * sc + sh;
		if (res != NULL) v += ld(res[i]);
		st(y + i, relu ? relu_max(v) : v);
	}
}

void dds_bn_apply(dds_ctx *ctx, float *y, const float *x, const float *res, const float *gamma, const float *beta,
                  const float *mean, const float *var, int m, int c, float eps, int relu) {
	static const char fn[] = "dds_bn_apply";
	if (!begin(ctx, fn) || !bn_shape(ctx, fn, m, c) || !need_ptr(ctx, fn, "y", y) || !need_ptr(ctx, fn, "x", x) ||
	    !need_ptr(ctx, fn, "gamma", gamma) || !need_ptr(ctx, fn, "beta", beta) || !need_ptr(ctx, fn, "mean", mean) ||
	    !need_ptr(ctx, fn, "var", var)) {
		return;
	}
	with_act(ctx, [&](auto tag) {
		using T = typename decltype(tag)::type;
		DDS_LAUNCH(dim3(blocks_for(c, 32), bn_row_blocks(m)), dim3(32, 8), 0, ctx->stream, bn_apply_kernel<T>)(
		    act<T>(y), act<T>(x), act<T>(res), gamma, beta, mean, var, m, c, eps, relu != 0);
	});
	launched(ctx, fn, "bn_apply_kernel");
}

/* bn_backward_data_kernel, the second pass of the backward: per channel, in float64
 * and rounded to float32 as the reference,
 *   a = gamma·istd,  b = −a·istd·dgamma/m,  d = −a·dbeta/m      (istd = 1/sqrt(var + eps))
 * and per element dz = dy (masked by y > 0 when relu; into dres when dres != NULL),
 *   dx = a·dz + b·(x − mean) + d.
 * dgamma and dbeta are the float32 results of the first pass. Mapping as
 * bn_apply_kernel; each thread reads dy at an element before writing dx and dres
 * there, so dx may be dy. */
template <typename T>
static __global__ void bn_backward_data_kernel(T *dx, T *dres, const T *dy, const T *y, const T *x, const float *gamma,
                                               const float *mean, const float *var, const float *dgamma,
                                               const float *dbeta, int m, int c, float eps, int relu) {
	int ch = blockIdx.x * 32 + threadIdx.x;
	if (ch >= c) return;
	double istd = 1.0 / sqrt((double)var[ch] + (double)eps);
	double ak = (double)gamma[ch] * istd;
	float a = (float)ak;
	float b = (float)(-ak * istd * (double)dgamma[ch] / (double)m);
	float d = (float)(-ak * (double)dbeta[ch] / (double)m);
	float mu = mean[ch];
	for (int r = blockIdx.y * 8 + threadIdx.y; r < m; r += gridDim.y * 8) {
		int64_t i = (int64_t)r * c + ch;
		float g = ld(dy[i]);
		if (relu) {
			g = mask_positive(g, ld(y[i]));
			if (dres != NULL) st(dres + i, g);
		}
		st(dx + i, a * g + b * (ld(x[i]) - mu) + d);
	}
}

void dds_bn_backward(dds_ctx *ctx, float *dx, float *dres, float *dgamma, float *dbeta, const float *dy,
                     const float *y, const float *x, const float *gamma, const float *mean, const float *var, int m,
                     int c, float eps, int relu) {
	static const char fn[] = "dds_bn_backward";
	if (!begin(ctx, fn) || !bn_shape(ctx, fn, m, c) || !need_ptr(ctx, fn, "dx", dx) ||
	    !need_ptr(ctx, fn, "dgamma", dgamma) || !need_ptr(ctx, fn, "dbeta", dbeta) || !need_ptr(ctx, fn, "dy", dy) ||
	    !need_ptr(ctx, fn, "x", x) || !need_ptr(ctx, fn, "gamma", gamma) || !need_ptr(ctx, fn, "mean", mean) ||
	    !need_ptr(ctx, fn, "var", var) || (relu && !need_ptr(ctx, fn, "y (relu != 0)", y))) {
		return;
	}
	with_act(ctx, [&](auto tag) {
		using T = typename decltype(tag)::type;
		if (relu) {
			bn_sums<SUMS_GRAD_RELU, T>(ctx, fn, dbeta, dgamma, act<T>(x), act<T>(dy), act<T>(y), mean, var, m, c, eps);
		} else {
			bn_sums<SUMS_GRAD, T>(ctx, fn, dbeta, dgamma, act<T>(x), act<T>(dy), (const T *)NULL, mean, var, m, c, eps);
		}
		if (ctx->status != DDS_OK) return;
		DDS_LAUNCH(dim3(blocks_for(c, 32), bn_row_blocks(m)), dim3(32, 8), 0, ctx->stream, bn_backward_data_kernel<T>)(
		    act<T>(dx), relu ? act<T>(dres) : NULL, act<T>(dy), act<T>(y), act<T>(x), gamma, mean, var, dgamma, dbeta,
		    m, c, eps, relu != 0);
		launched(ctx, fn, "bn_backward_data_kernel");
	});
}
