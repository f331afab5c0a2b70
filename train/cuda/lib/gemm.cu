/*
 * gemm.cu — the row-major GEMM wrappers over cuBLAS (SGEMM; GemmEx on bfloat16
 * operands), the bfloat16 conversion of weights, and the fully connected layer
 * (train/cpu/linear.go).
 *
 * The linear layer in DDS_FP32 is cuBLAS SGEMM. In DDS_BF16 it is three small
 * kernels of its own instead (linear_*_bf16_kernel): the layers it serves (the head
 * and the SE block's two layers) are tiny next to the convolutions, and the
 * operations take no scratch in which cuBLAS could be given bfloat16 copies of the
 * weights, so the kernels round each weight to bfloat16 as they load it
 * (wround). Each output is one thread's float sum in a fixed order, so the results
 * are reproducible.
 */
#include "internal.cuh"

bool gemm_rm(dds_ctx *ctx, const char *fn, bool ta, bool tb, int M, int N, int K, float alpha,
             const float *A, int lda, const float *B, int ldb, float beta, float *C, int ldc) {
	/* Row-major C[M][N] is column-major Cᵀ [N][M]; Cᵀ = op(B)ᵀ·op(A)ᵀ. */
	cublasStatus_t s = cublasSgemm(ctx->blas, tb ? CUBLAS_OP_T : CUBLAS_OP_N, ta ? CUBLAS_OP_T : CUBLAS_OP_N, N, M,
	                               K, &alpha, B, ldb, A, lda, &beta, C, ldc);
	return blas_ok(ctx, s, fn, "cublasSgemm");
}

bool gemm_bf16_rm(dds_ctx *ctx, const char *fn, bool ta, bool tb, int M, int N, int K, const bf16 *A, int lda,
                  const bf16 *B, int ldb, void *C, bool c_float, int ldc) {
	float alpha = 1, beta = 0;
	cublasStatus_t s = cublasGemmEx(ctx->blas, tb ? CUBLAS_OP_T : CUBLAS_OP_N, ta ? CUBLAS_OP_T : CUBLAS_OP_N, N, M, K,
	                                &alpha, B, CUDA_R_16BF, ldb, A, CUDA_R_16BF, lda, &beta, C,
	                                c_float ? CUDA_R_32F : CUDA_R_16BF, ldc, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT);
	return blas_ok(ctx, s, fn, "cublasGemmEx");
}

/* to_bf16_kernel: dst[i] = bfloat16(src[i]), nearest, ties to even. */
static __global__ void to_bf16_kernel(bf16 *dst, const float *src, int64_t n) {
	for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x) {
		dst[i] = __float2bfloat16_rn(src[i]);
	}
}

bool to_bf16(dds_ctx *ctx, const char *fn, bf16 *dst, const float *src, int64_t n) {
	if (n == 0) return true;
	DDS_LAUNCH(stride_blocks(n, 256), 256, 0, ctx->stream, to_bf16_kernel)(dst, src, n);
	return launched(ctx, fn, "to_bf16_kernel");
}

/* fill_rows_kernel: y[b,o] = bias[o] for b < n, o < out (the GEMM then adds x·wᵀ).
 * One thread per element, grid-stride. */
static __global__ void fill_rows_kernel(float *y, const float *bias, int64_t total, int out) {
	for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < total; i += (int64_t)gridDim.x * blockDim.x) {
		y[i] = bias[i % out];
	}
}

/* column_sum_kernel: dbias[o] = Σ_b dy[b,o], in float32 as the reference (dy of
 * the activation type T).
 * Block (32, 8) over a tile of 32 columns: thread (tx, ty) sums rows ty, ty+8, ... of
 * column o = 32·blockIdx.x + tx, then the 8 partial sums are added in a fixed tree in
 * shared memory, so the result does not depend on timing. */
template <typename T>
static __global__ void column_sum_kernel(float *dbias, const T *dy, int n, int out) {
	__shared__ float part[8][32];
	int o = blockIdx.x * 32 + threadIdx.x;
	float s = 0;
	if (o < out) {
		for (int b = threadIdx.y; b < n; b += 8) {
			s += ld(dy[(int64_t)b * out + o]);
		}
	}
	part[threadIdx.y][threadIdx.x] = s;
	__syncthreads();
	for (int h = 4; h > 0; h >>= 1) {
		if (threadIdx.y < h) {
			part[threadIdx.y][threadIdx.x] += part[threadIdx.y + h][threadIdx.x];
		}
		__syncthreads();
	}
	if (threadIdx.y == 0 && o < out) {
		dbias[o] = part[0][threadIdx.x];
	}
}

/* linear_fwd_bf16_kernel: y[b,o] = bf16(Σ_i x[b,i]·bf16(w[o,i]) + bias[o]), the sum
 * in float in order i = 0, 1, ...; one thread per output, o fastest (the lanes of a
 * warp share x's row). */
static __global__ void linear_fwd_bf16_kernel(bf16 *y, const bf16 *x, const float *w, const float *bias, int n, int in,
                                              int out) {
	int64_t total = (int64_t)n * out;
	for (int64_t t = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; t < total; t += (int64_t)gridDim.x * blockDim.x) {
		int o = (int)(t % out);
		int64_t b = t / out;
		const bf16 *xr = x + b * in;
		const float *wr = w + (int64_t)o * in;
		float acc = 0.f;
		for (int i = 0; i < in; i++) acc = fmaf(ld(xr[i]), wround<bf16>(wr[i]), acc);
		if (bias != NULL) acc += bias[o];
		st(y + t, acc);
	}
}

/* linear_dx_bf16_kernel: dx[b,i] = bf16(Σ_o dy[b,o]·bf16(w[o,i])); one thread per
 * value, i fastest (coalesced weight reads). */
static __global__ void linear_dx_bf16_kernel(bf16 *dx, const bf16 *dy, const float *w, int n, int in, int out) {
	int64_t total = (int64_t)n * in;
	for (int64_t t = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; t < total; t += (int64_t)gridDim.x * blockDim.x) {
		int i = (int)(t % in);
		int64_t b = t / in;
		const bf16 *dyr = dy + b * out;
		float acc = 0.f;
		for (int o = 0; o < out; o++) acc = fmaf(ld(dyr[o]), wround<bf16>(w[(int64_t)o * in + i]), acc);
		st(dx + t, acc);
	}
}

/* linear_dw_bf16_kernel: dw[o,i] = Σ_b dy[b,o]·x[b,i] in float (not rounded: a weight
 * gradient); one thread per weight, i fastest (coalesced x reads). */
static __global__ void linear_dw_bf16_kernel(float *dw, const bf16 *dy, const bf16 *x, int n, int in, int out) {
	int64_t total = (int64_t)out * in;
	for (int64_t t = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; t < total; t += (int64_t)gridDim.x * blockDim.x) {
		int i = (int)(t % in);
		int o = (int)(t / in);
		float acc = 0.f;
		for (int b = 0; b < n; b++) acc = fmaf(ld(dy[(int64_t)b * out + o]), ld(x[(int64_t)b * in + i]), acc);
		dw[t] = acc;
	}
}

/* linear_shape checks n >= 0, in >= 1, out >= 1 and the tensor sizes. */
static bool linear_shape(dds_ctx *ctx, const char *fn, int n, int in, int out) {
	if (n < 0) return arg_error(ctx, fn, "n = %d, want >= 0", n);
	if (in < 1) return arg_error(ctx, fn, "in = %d, want >= 1", in);
	if (out < 1) return arg_error(ctx, fn, "out = %d, want >= 1", out);
	return need_elems(ctx, fn, "x [n][in]", (int64_t)n * in) && need_elems(ctx, fn, "y [n][out]", (int64_t)n * out) &&
	       need_elems(ctx, fn, "w [out][in]", (int64_t)out * in);
}

/* y[b,o] = Σ_i x[b,i]·w[o,i] + bias[o]: the row-major GEMM Y = X·Wᵀ on top of the
 * bias rows (beta = 1), or with beta = 0 when there is no bias; in DDS_BF16
 * linear_fwd_bf16_kernel. */
void dds_linear_forward(dds_ctx *ctx, float *y, const float *x, const float *w, const float *bias, int n, int in,
                        int out) {
	static const char fn[] = "dds_linear_forward";
	if (!begin(ctx, fn) || !linear_shape(ctx, fn, n, in, out) || !need_ptr(ctx, fn, "y", y) ||
	    !need_ptr(ctx, fn, "x", x) || !need_ptr(ctx, fn, "w", w) || n == 0) {
		return;
	}
	if (is_bf16(ctx)) {
		int64_t total = (int64_t)n * out;
		DDS_LAUNCH(stride_blocks(total, 256), 256, 0, ctx->stream, linear_fwd_bf16_kernel)(
		    act<bf16>(y), act<bf16>(x), w, bias, n, in, out);
		launched(ctx, fn, "linear_fwd_bf16_kernel");
		return;
	}
	float beta = 0;
	if (bias != NULL) {
		int64_t total = (int64_t)n * out;
		DDS_LAUNCH(stride_blocks(total, 256), 256, 0, ctx->stream, fill_rows_kernel)(y, bias, total, out);
		if (!launched(ctx, fn, "fill_rows_kernel")) return;
		beta = 1;
	}
	gemm_rm(ctx, fn, false, true, n, out, in, 1, x, in, w, in, beta, y, out);
}

/* dx = dY·W [n][in], dW = dYᵀ·X [out][in], dbias = column sums of dY; dx and dbias
 * skipped when NULL. With n = 0, dw and dbias are zero. In DDS_BF16, dx uses the
 * weights rounded to bfloat16 and is rounded; dw and dbias are float sums of the
 * bfloat16 activations. */
void dds_linear_backward(dds_ctx *ctx, float *dx, float *dw, float *dbias, const float *dy, const float *x,
                         const float *w, int n, int in, int out) {
	static const char fn[] = "dds_linear_backward";
	if (!begin(ctx, fn) || !linear_shape(ctx, fn, n, in, out) || !need_ptr(ctx, fn, "dw", dw)) {
		return;
	}
	if (n == 0) {
		if (cuda_ok(ctx, cudaMemsetAsync(dw, 0, (size_t)out * in * sizeof(float), ctx->stream), fn, "cudaMemsetAsync") &&
		    dbias != NULL) {
			cuda_ok(ctx, cudaMemsetAsync(dbias, 0, (size_t)out * sizeof(float), ctx->stream), fn, "cudaMemsetAsync");
		}
		return;
	}
	if (!need_ptr(ctx, fn, "dy", dy) || !need_ptr(ctx, fn, "x", x) || (dx != NULL && !need_ptr(ctx, fn, "w", w))) {
		return;
	}
	if (is_bf16(ctx)) {
		if (dx != NULL) {
			int64_t nx = (int64_t)n * in;
			DDS_LAUNCH(stride_blocks(nx, 256), 256, 0, ctx->stream, linear_dx_bf16_kernel)(
			    act<bf16>(dx), act<bf16>(dy), w, n, in, out);
			if (!launched(ctx, fn, "linear_dx_bf16_kernel")) return;
		}
		int64_t nw = (int64_t)out * in;
		DDS_LAUNCH(stride_blocks(nw, 256), 256, 0, ctx->stream, linear_dw_bf16_kernel)(
		    dw, act<bf16>(dy), act<bf16>(x), n, in, out);
		if (!launched(ctx, fn, "linear_dw_bf16_kernel")) return;
	} else {
		if (dx != NULL && !gemm_rm(ctx, fn, false, false, n, in, out, 1, dy, out, w, in, 0, dx, in)) {
			return;
		}
		if (!gemm_rm(ctx, fn, true, false, out, in, n, 1, dy, out, x, in, 0, dw, in)) {
			return;
		}
	}
	if (dbias != NULL) {
		with_act(ctx, [&](auto tag) {
			using T = typename decltype(tag)::type;
			DDS_LAUNCH(blocks_for(out, 32), dim3(32, 8), 0, ctx->stream, column_sum_kernel<T>)(
			    dbias, act<T>(dy), n, out);
		});
		launched(ctx, fn, "column_sum_kernel");
	}
}
