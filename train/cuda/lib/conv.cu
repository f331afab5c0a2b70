/*
 * conv.cu — 2-D convolutions over NHWC activations (train/cpu/conv.go): forward,
 * data gradient and weight gradient, square odd kernel k with zero padding k/2, any
 * stride, any groups. Shapes:
 *
 *   x [N][H][W][Cin]   y [N][OH][OW][Cout]   w [Cout][K][K][Cin/G]
 *   OH = (H + 2·(K/2) − K)/S + 1, OW likewise; group g = o/(Cout/G) reads input
 *   channels [g·Cin/G, (g+1)·Cin/G).
 *
 * Three paths, as the shape decides:
 *   GEMM          1×1, stride 1, dense: in NHWC the convolution is the row-major GEMM
 *                 Y[P][Cout] = X[P][Cin]·Wᵀ over the P = N·H·W pixels (cuBLAS).
 *   GEMM_STRIDED  1×1, stride > 1, dense: the subsampled input pixels are gathered into
 *                 the scratch [N·OH·OW][Cin] first (the data gradient is scattered
 *                 back from it), then the same GEMMs.
 *   DIRECT        everything else (3×3 dense and grouped, depthwise, the stem, grouped
 *                 1×1): one thread per output value, looping over the taps and the
 *                 group's channels; the weight gradient in two deterministic stages.
 *
 * In DDS_BF16 (x, y, dx, dy __nv_bfloat16; w, dw float) the paths are the same:
 *   GEMM, GEMM_STRIDED  cublasGemmEx on bfloat16 operands with float accumulation
 *                 (tensor cores): the forward pass and the data gradient multiply by a
 *                 bfloat16 copy of the weights that to_bf16 writes at the start of the
 *                 scratch, and write bfloat16 outputs; the weight gradient writes float.
 *                 The strided path gathers into (and scatters from) a bfloat16 buffer
 *                 in the scratch after the weight copy.
 *   DIRECT        the same kernels instantiated for bfloat16 activations, the weights
 *                 rounded to bfloat16 where they multiply them: the forward pass as it
 *                 transposes them into the scratch, the data gradient as it loads them.
 * The scratch stays counted in floats (scratch_len); the bfloat16 layout is
 * [weights, padded to 8 values][gathered input].
 */
#include "internal.cuh"

enum { PATH_GEMM, PATH_GEMM_STRIDED, PATH_DIRECT };

/* conv_dims is a checked dds_conv with the derived sizes, passed to the kernels. */
struct conv_dims {
	int n, h, w, cin, cout, k, stride, groups;
	int oh, ow, pad, cin_g, cout_g, kk;
	int wl; /* weight length Cout·K·K·Cin/G */
	int64_t m; /* output pixels N·OH·OW */
};

/* conv_dims_of fills d from s; it returns NULL when the shape is valid, else the
 * reason. */
static const char *conv_dims_of(const dds_conv *s, conv_dims *d) {
	if (s == NULL) return "shape is NULL";
	if (s->n < 0) return "n < 0";
	if (s->h < 1 || s->w < 1) return "h or w < 1";
	if (s->cin < 1 || s->cout < 1) return "cin or cout < 1";
	if (s->k < 1 || s->k % 2 == 0) return "k not odd and positive";
	if (s->stride < 1) return "stride < 1";
	if (s->groups < 1 || s->cin % s->groups != 0 || s->cout % s->groups != 0)
		return "groups < 1 or not dividing cin and cout";
	d->n = s->n, d->h = s->h, d->w = s->w, d->cin = s->cin, d->cout = s->cout;
	d->k = s->k, d->stride = s->stride, d->groups = s->groups;
	d->pad = s->k / 2;
	d->oh = (s->h + 2 * d->pad - s->k) / s->stride + 1;
	d->ow = (s->w + 2 * d->pad - s->k) / s->stride + 1;
	d->cin_g = s->cin / s->groups;
	d->cout_g = s->cout / s->groups;
	d->kk = s->k * s->k;
	d->m = (int64_t)s->n * d->oh * d->ow;
	int64_t wl = (int64_t)s->cout * d->kk * d->cin_g;
	if ((int64_t)s->n * s->h * s->w * s->cin > DDS_MAX_ELEMS) return "input too large";
	if (d->m * s->cout > DDS_MAX_ELEMS) return "output too large";
	if (wl > DDS_MAX_ELEMS) return "weight too large";
	if (d->m * s->cin > DDS_MAX_ELEMS) return "gathered input too large";
	d->wl = (int)wl;
	return NULL;
}

static int conv_path(const conv_dims &d) {
	if (d.k == 1 && d.groups == 1) return d.stride == 1 ? PATH_GEMM : PATH_GEMM_STRIDED;
	return PATH_DIRECT;
}

/* wgrad_parts returns the number of pixel ranges P the direct weight gradient splits
 * the reduction over: enough threads (P·WL of about 2^18), at least 64 pixels a
 * thread, at most 512. It depends on the shape only, so the summation order, and the
 * result, are the same on every run. */
static int wgrad_parts(const conv_dims &d) {
	int64_t p = (262144 + (int64_t)d.wl - 1) / d.wl;
	int64_t q = (d.m + 63) / 64;
	if (p > q) p = q;
	if (p > 512) p = 512;
	return p < 1 ? 1 : (int)p;
}

/* bf16_wcopy returns the bfloat16 values the weight copy of the GEMM paths takes
 * in the scratch (WL padded to 8 values: 16 bytes, so the gathered input after it is
 * as aligned as the scratch). */
static size_t bf16_wcopy(const conv_dims &d) { return ((size_t)d.wl + 7) / 8 * 8; }

/* scratch_len returns the scratch length (float32 values) of the three operations
 * for activations in precision prec. */
static size_t scratch_len(const conv_dims &d, int prec) {
	if (prec == DDS_BF16) {
		switch (conv_path(d)) {
		case PATH_GEMM: return bf16_wcopy(d) / 2;
		case PATH_GEMM_STRIDED: return (bf16_wcopy(d) + (size_t)d.m * d.cin + 1) / 2;
		}
	}
	switch (conv_path(d)) {
	case PATH_GEMM: return 0;
	case PATH_GEMM_STRIDED: return (size_t)d.m * d.cin;
	}
	/* DIRECT: the transposed weight of the forward pass; the partial weight
	 * gradients. */
	size_t need = (size_t)d.wl;
	int p = wgrad_parts(d);
	if (p > 1 && (size_t)p * d.wl > need) need = (size_t)p * d.wl;
	return need;
}

size_t dds_conv_scratch(const dds_conv *s) {
	conv_dims d;
	if (conv_dims_of(s, &d) != NULL) return 0;
	return scratch_len(d, DDS_FP32);
}

size_t dds_conv_scratch_ctx(dds_ctx *ctx, const dds_conv *s) {
	conv_dims d;
	if (conv_dims_of(s, &d) != NULL) return 0;
	return scratch_len(d, ctx == NULL ? DDS_FP32 : ctx->precision);
}

/* Which operation asks, for conv_begin's scratch check. */
enum { OP_FORWARD, OP_DATA, OP_WEIGHT };

/* op_needs_scratch says whether operation op uses the scratch for shape d in
 * precision prec. */
static bool op_needs_scratch(const conv_dims &d, int op, int prec) {
	switch (conv_path(d)) {
	case PATH_GEMM: return prec == DDS_BF16 && op != OP_WEIGHT;
	case PATH_GEMM_STRIDED: return true;
	}
	return op == OP_FORWARD || (op == OP_WEIGHT && wgrad_parts(d) > 1);
}

/* conv_begin starts a convolution operation: checks the context, the shape and the
 * scratch (required where the operation uses it). */
static bool conv_begin(dds_ctx *ctx, const char *fn, const dds_conv *s, conv_dims *d, const float *scratch, int op) {
	if (!begin(ctx, fn)) return false;
	const char *why = conv_dims_of(s, d);
	if (why != NULL) {
		if (s == NULL) return arg_error(ctx, fn, "s: %s", why);
		return arg_error(ctx, fn, "s = {n %d, h %d, w %d, cin %d, cout %d, k %d, stride %d, groups %d}: %s", s->n, s->h,
		                 s->w, s->cin, s->cout, s->k, s->stride, s->groups, why);
	}
	if (scratch == NULL && op_needs_scratch(*d, op, ctx->precision)) {
		return arg_error(ctx, fn, "scratch is NULL, want dds_conv_scratch_ctx(ctx, s) = %zu floats",
		                 scratch_len(*d, ctx->precision));
	}
	return true;
}

#define CONV_THREADS 256

#define GRID_STRIDE(t, total) \
	for (int64_t t = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; t < (total); t += (int64_t)gridDim.x * blockDim.x)

/* ---- 1×1 strided: gather and scatter ---- */

/* gather_kernel: xs[(n·OH + oy)·OW + ox][c] = x[n][oy·S][ox·S][c], one thread per value. */
template <typename T>
static __global__ void gather_kernel(T *xs, const T *x, conv_dims d) {
	GRID_STRIDE(t, d.m * d.cin) {
		int k = (int)t;
		int c = k % d.cin;
		int p = k / d.cin;
		int ox = p % d.ow;
		int q = p / d.ow;
		int oy = q % d.oh;
		int n = q / d.oh;
		xs[t] = x[(((int64_t)n * d.h + oy * d.stride) * d.w + ox * d.stride) * d.cin + c];
	}
}

/* scatter_kernel: dx[n][iy][ix][c] = dxs[(n·OH + iy/S)·OW + ix/S][c] where S divides iy
 * and ix, else 0; one thread per value of dx. */
template <typename T>
static __global__ void scatter_kernel(T *dx, const T *dxs, conv_dims d) {
	GRID_STRIDE(t, (int64_t)d.n * d.h * d.w * d.cin) {
		int k = (int)t;
		int c = k % d.cin;
		int q = k / d.cin;
		int ix = q % d.w;
		q /= d.w;
		int iy = q % d.h;
		int n = q / d.h;
		T v = T(0.f);
		if (iy % d.stride == 0 && ix % d.stride == 0) {
			v = dxs[(((int64_t)n * d.oh + iy / d.stride) * d.ow + ix / d.stride) * d.cin + c];
		}
		dx[t] = v;
	}
}

/* ---- direct kernels ---- */

/* transpose_weight_kernel: wt[j][o] = w[o][j] for j < K·K·Cin/G, o < Cout, so that
 * the forward kernel's lanes (consecutive o) read consecutive weights; rounded to
 * bfloat16 (wround) for T = bfloat16. */
template <typename T>
static __global__ void transpose_weight_kernel(float *wt, const float *w, int cout, int j_len) {
	GRID_STRIDE(t, (int64_t)cout * j_len) {
		int k = (int)t;
		int o = k % cout;
		int j = k / cout;
		wt[t] = wround<T>(w[(int64_t)o * j_len + j]);
	}
}

/* conv_forward_kernel: one thread per output value t = ((n·OH + oy)·OW + ox)·Cout + o,
 *   y[n,oy,ox,o] = Σ_{i,j<K} Σ_{c<Cin/G} w[o,i,j,c] · x[n, oy·S+i−K/2, ox·S+j−K/2, g·Cin/G + c]
 * with g = o/(Cout/G), taps outside the image skipped (zero padding). wt is the
 * weight transposed to [K·K·Cin/G][Cout]. Lanes of a warp share the pixel: their x
 * reads coincide within a group and their weight reads are consecutive. */
template <typename T>
static __global__ void conv_forward_kernel(T *y, const T *x, const float *wt, conv_dims d) {
	GRID_STRIDE(t, d.m * d.cout) {
		int k = (int)t;
		int o = k % d.cout;
		int p = k / d.cout;
		int ox = p % d.ow;
		int q = p / d.ow;
		int oy = q % d.oh;
		int n = q / d.oh;
		int g = o / d.cout_g;
		const T *xb = x + (int64_t)n * d.h * d.w * d.cin + g * d.cin_g;
		int iy0 = oy * d.stride - d.pad, ix0 = ox * d.stride - d.pad;
		float acc = 0.f;
		for (int i = 0; i < d.k; i++) {
			int iy = iy0 + i;
			if (iy < 0 || iy >= d.h) continue;
			for (int j = 0; j < d.k; j++) {
				int ix = ix0 + j;
				if (ix < 0 || ix >= d.w) continue;
				const T *xp = xb + ((int64_t)iy * d.w + ix) * d.cin;
				const float *wp = wt + (int64_t)(i * d.k + j) * d.cin_g * d.cout + o;
				for (int c = 0; c < d.cin_g; c++) acc = fmaf(ld(xp[c]), wp[(int64_t)c * d.cout], acc);
			}
		}
		st(y + t, acc);
	}
}

/* conv_backward_data_kernel: one thread per input value t = ((n·H + iy)·W + ix)·Cin + c',
 *   dx[n,iy,ix,c'] = Σ_{i,j : oy·S+i−K/2 = iy, ox·S+j−K/2 = ix, 0 <= oy < OH, 0 <= ox < OW}
 *                    Σ_{o in group g of c'} w[o,i,j,c' − g·Cin/G] · dy[n,oy,ox,o]
 * a gather over the taps (no atomics). Lanes of a warp share the pixel: their dy reads
 * coincide within a group and their weight reads are consecutive in c'. The weights
 * are rounded as loaded (wround). */
template <typename T>
static __global__ void conv_backward_data_kernel(T *dx, const T *dy, const float *w, conv_dims d) {
	GRID_STRIDE(t, (int64_t)d.n * d.h * d.w * d.cin) {
		int k = (int)t;
		int c = k % d.cin;
		int q = k / d.cin;
		int ix = q % d.w;
		q /= d.w;
		int iy = q % d.h;
		int n = q / d.h;
		int g = c / d.cin_g;
		int cl = c - g * d.cin_g;
		int o0 = g * d.cout_g;
		int64_t wstride = (int64_t)d.kk * d.cin_g; /* from one output channel's weights to the next */
		float acc = 0.f;
		for (int i = 0; i < d.k; i++) {
			int ty = iy + d.pad - i;
			if (ty < 0 || ty % d.stride != 0) continue;
			int oy = ty / d.stride;
			if (oy >= d.oh) continue;
			for (int j = 0; j < d.k; j++) {
				int tx = ix + d.pad - j;
				if (tx < 0 || tx % d.stride != 0) continue;
				int ox = tx / d.stride;
				if (ox >= d.ow) continue;
				const T *dyp = dy + (((int64_t)n * d.oh + oy) * d.ow + ox) * d.cout + o0;
				const float *wp = w + ((int64_t)o0 * d.kk + i * d.k + j) * d.cin_g + cl;
				for (int o = 0; o < d.cout_g; o++) acc = fmaf(ld(dyp[o]), wround<T>(wp[o * wstride]), acc);
			}
		}
		st(dx + t, acc);
	}
}

/* conv_wgrad_kernel, the first stage of the weight gradient: one thread per
 * (pixel range r < P, weight index widx = ((o·K + i)·K + j)·Cin/G + c), widx fastest,
 *   out[r·WL + widx] = Σ_{p in range r} dy[p, o] · x[n, oy·S+i−K/2, ox·S+j−K/2, g·Cin/G + c]
 * over the output pixels p = (n·OH + oy)·OW + ox of range r = [r·M/P, (r+1)·M/P).
 * out is dw itself when P = 1, else the partial sums in the scratch. */
template <typename T>
static __global__ void conv_wgrad_kernel(float *out, const T *dy, const T *x, conv_dims d, int nparts) {
	GRID_STRIDE(t, (int64_t)nparts * d.wl) {
		int r = (int)(t / d.wl);
		int widx = (int)(t % d.wl);
		int c = widx % d.cin_g;
		int q = widx / d.cin_g;
		int j = q % d.k;
		q /= d.k;
		int i = q % d.k;
		int o = q / d.k;
		int cin_off = (o / d.cout_g) * d.cin_g + c;
		int64_t lo = d.m * r / nparts, hi = d.m * (r + 1) / nparts;
		int ox = (int)(lo % d.ow);
		int64_t pq = lo / d.ow;
		int oy = (int)(pq % d.oh);
		int n = (int)(pq / d.oh);
		float acc = 0.f;
		for (int64_t p = lo; p < hi; p++) {
			int iy = oy * d.stride + i - d.pad;
			int ix = ox * d.stride + j - d.pad;
			if (iy >= 0 && iy < d.h && ix >= 0 && ix < d.w) {
				acc = fmaf(ld(dy[p * d.cout + o]), ld(x[(((int64_t)n * d.h + iy) * d.w + ix) * d.cin + cin_off]), acc);
			}
			if (++ox == d.ow) {
				ox = 0;
				if (++oy == d.oh) {
					oy = 0;
					n++;
				}
			}
		}
		out[t] = acc;
	}
}

/* sum_parts_kernel, the second stage: dw[widx] = Σ_{r<P} part[r·WL + widx], added in
 * order r = 0, 1, ...; one thread per weight. */
static __global__ void sum_parts_kernel(float *dw, const float *part, int wl, int nparts) {
	GRID_STRIDE(t, wl) {
		float s = 0.f;
		for (int r = 0; r < nparts; r++) s += part[(int64_t)r * wl + t];
		dw[t] = s;
	}
}

/* ---- the operations ---- */

/* The bfloat16 GEMM paths' parts of the scratch: the weight copy, then the gathered
 * (or to be scattered) input. */
static bf16 *scratch_w(float *scratch) { return reinterpret_cast<bf16 *>(scratch); }
static bf16 *scratch_x(float *scratch, const conv_dims &d) { return reinterpret_cast<bf16 *>(scratch) + bf16_wcopy(d); }

/* conv_forward_bf16_gemm is the forward pass of the GEMM paths in DDS_BF16. */
static void conv_forward_bf16_gemm(dds_ctx *ctx, const char *fn, bf16 *y, const bf16 *x, const float *w,
                                   const conv_dims &d, float *scratch) {
	bf16 *wb = scratch_w(scratch);
	if (!to_bf16(ctx, fn, wb, w, d.wl)) return;
	if (conv_path(d) == PATH_GEMM_STRIDED) {
		bf16 *xs = scratch_x(scratch, d);
		DDS_LAUNCH(stride_blocks(d.m * d.cin, CONV_THREADS), CONV_THREADS, 0, ctx->stream, gather_kernel<bf16>)(
		    xs, x, d);
		if (!launched(ctx, fn, "gather_kernel")) return;
		x = xs;
	}
	gemm_bf16_rm(ctx, fn, false, true, (int)d.m, d.cout, d.cin, x, d.cin, wb, d.cin, y, false, d.cout);
}

void dds_conv_forward(dds_ctx *ctx, float *y, const float *x, const float *w, const dds_conv *s, float *scratch) {
	static const char fn[] = "dds_conv_forward";
	conv_dims d;
	if (!conv_begin(ctx, fn, s, &d, scratch, OP_FORWARD) || d.m == 0) return;
	if (!need_ptr(ctx, fn, "y", y) || !need_ptr(ctx, fn, "x", x) || !need_ptr(ctx, fn, "w", w)) return;
	int path = conv_path(d);
	if (is_bf16(ctx) && path != PATH_DIRECT) {
		conv_forward_bf16_gemm(ctx, fn, act<bf16>(y), act<bf16>(x), w, d, scratch);
		return;
	}
	switch (path) {
	case PATH_GEMM:
		/* y[p,o] = Σ_c x[p,c]·w[o,c]: Y = X·Wᵀ. */
		gemm_rm(ctx, fn, false, true, (int)d.m, d.cout, d.cin, 1, x, d.cin, w, d.cin, 0, y, d.cout);
		return;
	case PATH_GEMM_STRIDED:
		DDS_LAUNCH(stride_blocks(d.m * d.cin, CONV_THREADS), CONV_THREADS, 0, ctx->stream, gather_kernel<float>)(
		    scratch, x, d);
		if (!launched(ctx, fn, "gather_kernel")) return;
		gemm_rm(ctx, fn, false, true, (int)d.m, d.cout, d.cin, 1, scratch, d.cin, w, d.cin, 0, y, d.cout);
		return;
	}
	int j_len = d.kk * d.cin_g;
	with_act(ctx, [&](auto tag) {
		using T = typename decltype(tag)::type;
		DDS_LAUNCH(stride_blocks(d.wl, CONV_THREADS), CONV_THREADS, 0, ctx->stream, transpose_weight_kernel<T>)(
		    scratch, w, d.cout, j_len);
		if (!launched(ctx, fn, "transpose_weight_kernel")) return;
		DDS_LAUNCH(stride_blocks(d.m * d.cout, CONV_THREADS), CONV_THREADS, 0, ctx->stream, conv_forward_kernel<T>)(
		    act<T>(y), act<T>(x), scratch, d);
		launched(ctx, fn, "conv_forward_kernel");
	});
}

/* conv_backward_data_bf16_gemm is the data gradient of the GEMM paths in DDS_BF16. */
static void conv_backward_data_bf16_gemm(dds_ctx *ctx, const char *fn, bf16 *dx, const bf16 *dy, const float *w,
                                         const conv_dims &d, float *scratch) {
	bf16 *wb = scratch_w(scratch);
	if (!to_bf16(ctx, fn, wb, w, d.wl)) return;
	if (conv_path(d) == PATH_GEMM) {
		gemm_bf16_rm(ctx, fn, false, false, (int)d.m, d.cin, d.cout, dy, d.cout, wb, d.cin, dx, false, d.cin);
		return;
	}
	bf16 *dxs = scratch_x(scratch, d);
	if (!gemm_bf16_rm(ctx, fn, false, false, (int)d.m, d.cin, d.cout, dy, d.cout, wb, d.cin, dxs, false, d.cin)) return;
	DDS_LAUNCH(stride_blocks((int64_t)d.n * d.h * d.w * d.cin, CONV_THREADS), CONV_THREADS, 0, ctx->stream,
	           scatter_kernel<bf16>)(dx, dxs, d);
	launched(ctx, fn, "scatter_kernel");
}

void dds_conv_backward_data(dds_ctx *ctx, float *dx, const float *dy, const float *w, const dds_conv *s,
                            float *scratch) {
	static const char fn[] = "dds_conv_backward_data";
	conv_dims d;
	if (!conv_begin(ctx, fn, s, &d, scratch, OP_DATA) || d.n == 0) return;
	if (!need_ptr(ctx, fn, "dx", dx) || !need_ptr(ctx, fn, "dy", dy) || !need_ptr(ctx, fn, "w", w)) return;
	int path = conv_path(d);
	if (is_bf16(ctx) && path != PATH_DIRECT) {
		conv_backward_data_bf16_gemm(ctx, fn, act<bf16>(dx), act<bf16>(dy), w, d, scratch);
		return;
	}
	switch (path) {
	case PATH_GEMM:
		/* dx[p,c] = Σ_o dy[p,o]·w[o,c]: dX = dY·W. */
		gemm_rm(ctx, fn, false, false, (int)d.m, d.cin, d.cout, 1, dy, d.cout, w, d.cin, 0, dx, d.cin);
		return;
	case PATH_GEMM_STRIDED:
		if (!gemm_rm(ctx, fn, false, false, (int)d.m, d.cin, d.cout, 1, dy, d.cout, w, d.cin, 0, scratch, d.cin)) return;
		DDS_LAUNCH(stride_blocks((int64_t)d.n * d.h * d.w * d.cin, CONV_THREADS), CONV_THREADS, 0, ctx->stream,
		           scatter_kernel<float>)(dx, scratch, d);
		launched(ctx, fn, "scatter_kernel");
		return;
	}
	with_act(ctx, [&](auto tag) {
		using T = typename decltype(tag)::type;
		DDS_LAUNCH(stride_blocks((int64_t)d.n * d.h * d.w * d.cin, CONV_THREADS), CONV_THREADS, 0, ctx->stream,
		           conv_backward_data_kernel<T>)(act<T>(dx), act<T>(dy), w, d);
	});
	launched(ctx, fn, "conv_backward_data_kernel");
}

/* conv_backward_weight_bf16_gemm is the weight gradient of the GEMM paths in
 * DDS_BF16: bfloat16 operands, float dw. */
static void conv_backward_weight_bf16_gemm(dds_ctx *ctx, const char *fn, float *dw, const bf16 *dy, const bf16 *x,
                                           const conv_dims &d, float *scratch) {
	if (conv_path(d) == PATH_GEMM_STRIDED) {
		bf16 *xs = scratch_x(scratch, d);
		DDS_LAUNCH(stride_blocks(d.m * d.cin, CONV_THREADS), CONV_THREADS, 0, ctx->stream, gather_kernel<bf16>)(
		    xs, x, d);
		if (!launched(ctx, fn, "gather_kernel")) return;
		x = xs;
	}
	gemm_bf16_rm(ctx, fn, true, false, d.cout, d.cin, (int)d.m, dy, d.cout, x, d.cin, dw, true, d.cin);
}

void dds_conv_backward_weight(dds_ctx *ctx, float *dw, const float *dy, const float *x, const dds_conv *s,
                              float *scratch) {
	static const char fn[] = "dds_conv_backward_weight";
	conv_dims d;
	if (!conv_begin(ctx, fn, s, &d, scratch, OP_WEIGHT) || !need_ptr(ctx, fn, "dw", dw)) return;
	if (d.m == 0) {
		/* No pixels: the gradient is zero (outputs are overwritten, never kept). */
		cuda_ok(ctx, cudaMemsetAsync(dw, 0, (size_t)d.wl * sizeof(float), ctx->stream), fn, "cudaMemsetAsync");
		return;
	}
	if (!need_ptr(ctx, fn, "dy", dy) || !need_ptr(ctx, fn, "x", x)) return;
	int path = conv_path(d);
	if (is_bf16(ctx) && path != PATH_DIRECT) {
		conv_backward_weight_bf16_gemm(ctx, fn, dw, act<bf16>(dy), act<bf16>(x), d, scratch);
		return;
	}
	switch (path) {
	case PATH_GEMM:
		/* dw[o,c] = Σ_p dy[p,o]·x[p,c]: dW = dYᵀ·X. */
		gemm_rm(ctx, fn, true, false, d.cout, d.cin, (int)d.m, 1, dy, d.cout, x, d.cin, 0, dw, d.cin);
		return;
	case PATH_GEMM_STRIDED:
		DDS_LAUNCH(stride_blocks(d.m * d.cin, CONV_THREADS), CONV_THREADS, 0, ctx->stream, gather_kernel<float>)(
		    scratch, x, d);
		if (!launched(ctx, fn, "gather_kernel")) return;
		gemm_rm(ctx, fn, true, false, d.cout, d.cin, (int)d.m, 1, dy, d.cout, scratch, d.cin, 0, dw, d.cin);
		return;
	}
	int parts = wgrad_parts(d);
	float *out = parts > 1 ? scratch : dw;
	with_act(ctx, [&](auto tag) {
		using T = typename decltype(tag)::type;
		DDS_LAUNCH(stride_blocks((int64_t)parts * d.wl, CONV_THREADS), CONV_THREADS, 0, ctx->stream,
		           conv_wgrad_kernel<T>)(out, act<T>(dy), act<T>(x), d, parts);
	});
	if (!launched(ctx, fn, "conv_wgrad_kernel") || parts == 1) return;
	DDS_LAUNCH(stride_blocks(d.wl, CONV_THREADS), CONV_THREADS, 0, ctx->stream, sum_parts_kernel)(
	    dw, scratch, d.wl, parts);
	launched(ctx, fn, "sum_parts_kernel");
}
