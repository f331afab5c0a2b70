/*
 * loss_sgd.cu — soft-target cross-entropy with label smoothing (train/cpu/loss.go)
 * and the SGD step (sgd.go), also with the learning rate of step t = *counter read on
 * the device (dds_sgd_step_at).
 */
#include "internal.cuh"

#define XENT_WARPS 8   /* warps per block of xent_rows_kernel */
#define XENT_BLOCKS 256 /* at most this many blocks, so one thread adds their sums */

/* warp_sum adds v over the 32 lanes with a butterfly; every lane gets the same total,
 * formed in the same order on every run. */
static __device__ double warp_sum(double v) {
	for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
	return v;
}

/* xent_rows_kernel: one warp per row b (warp gw = blockIdx.x·8 + warp takes rows gw,
 * gw + 8·gridDim.x, ...). With y = labels[b], off = eps/c, on = 1 − eps + off and
 * q[j] = on if j == y else off:
 *   arg   = argmax_j z[j] (first index on ties)
 *   lse   = z[arg] + log Σ_j exp(z[j] − z[arg])
 *   loss  = lse − Σ_j q[j]·z[j]
 *   dlogits[b,j] = (exp(z[j] − lse) − q[j])/n
 * all in float64. A label outside [0, c) is counted and its row adds nothing to the
 * loss or the correct count (it is never used as an index). Each block writes its
 * (loss, correct, bad) sums, added over its warps in order, to part[3·blockIdx.x]; with
 * one block it writes the final stats instead. logits and dlogits are activations of
 * type T (dlogits rounded to float, then to T). */
template <typename T>
static __global__ void xent_rows_kernel(double *part, float *stats, T *dlogits, const T *logits, const int32_t *labels,
                                        int n, int c, double off, double on) {
	__shared__ double acc[XENT_WARPS][3];
	int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
	double loss = 0, correct = 0, bad = 0;
	double inv_n = 1.0 / (double)n;
	for (int b = blockIdx.x * XENT_WARPS + warp; b < n; b += gridDim.x * XENT_WARPS) {
		const T *z = logits + (int64_t)b * c;
		int y = labels[b];
		bool ok = y >= 0 && y < c;
		/* argmax: each lane scans its columns, then the warp keeps the larger value,
		 * the smaller index on ties. */
		float best = -INFINITY;
		int arg = INT32_MAX;
		for (int j = lane; j < c; j += 32) {
			float v = ld(z[j]);
			if (arg == INT32_MAX || v > best) {
				best = v;
				arg = j;
			}
		}
		for (int o = 16; o > 0; o >>= 1) {
			float ob = __shfl_xor_sync(0xffffffffu, best, o);
			int oa = __shfl_xor_sync(0xffffffffu, arg, o);
			if (oa != INT32_MAX && (arg == INT32_MAX || ob > best || (ob == best && oa < arg))) {
				best = ob;
				arg = oa;
			}
		}
		double zmax = (double)best;
		double se = 0, qz = 0;
		for (int j = lane; j < c; j += 32) {
			double v = (double)ld(z[j]);
			se += exp(v - zmax);
			qz += (j == y ? on : off) * v;
		}
		se = warp_sum(se);
		qz = warp_sum(qz);
		double lse = zmax + log(se);
		if (dlogits != NULL) {
			T *d = dlogits + (int64_t)b * c;
			for (int j = lane; j < c; j += 32) {
				st(d + j, (float)((exp((double)ld(z[j]) - lse) - (j == y ? on : off)) * inv_n));
			}
		}
		if (ok) {
			loss += lse - qz;
			correct += arg == y ? 1 : 0;
		} else {
			bad += 1;
		}
	}
	if (lane == 0) {
		acc[warp][0] = loss;
		acc[warp][1] = correct;
		acc[warp][2] = bad;
	}
	__syncthreads();
	if (threadIdx.x != 0) return;
	loss = acc[0][0];
	correct = acc[0][1];
	bad = acc[0][2];
	for (int w = 1; w < XENT_WARPS; w++) {
		loss += acc[w][0];
		correct += acc[w][1];
		bad += acc[w][2];
	}
	if (part != NULL) {
		part[3 * blockIdx.x] = loss;
		part[3 * blockIdx.x + 1] = correct;
		part[3 * blockIdx.x + 2] = bad;
	} else {
		stats[0] = (float)(loss * inv_n);
		stats[1] = (float)correct;
		stats[2] = (float)bad;
	}
}

/* xent_finish_kernel: one thread adds the nparts block sums in order and writes
 * stats = (loss/n, correct, bad). */
static __global__ void xent_finish_kernel(float *stats, const double *part, int nparts, int n) {
	double loss = 0, correct = 0, bad = 0;
	for (int p = 0; p < nparts; p++) {
		loss += part[3 * p];
		correct += part[3 * p + 1];
		bad += part[3 * p + 2];
	}
	stats[0] = (float)(loss * (1.0 / (double)n));
	stats[1] = (float)correct;
	stats[2] = (float)bad;
}

void dds_softmax_xent(dds_ctx *ctx, float *dlogits, const float *logits, const int32_t *labels, int n, int c,
                      float smoothing, float *stats) {
	static const char fn[] = "dds_softmax_xent";
	if (!begin(ctx, fn)) return;
	if (n < 1) {
		arg_error(ctx, fn, "n = %d, want >= 1", n);
		return;
	}
	if (c < 1) {
		arg_error(ctx, fn, "c = %d, want >= 1", c);
		return;
	}
	if (!need_elems(ctx, fn, "logits [n][c]", (int64_t)n * c) || !need_ptr(ctx, fn, "logits", logits) ||
	    !need_ptr(ctx, fn, "labels", labels) || !need_ptr(ctx, fn, "stats", stats)) {
		return;
	}
	int blocks = (n + XENT_WARPS - 1) / XENT_WARPS;
	if (blocks > XENT_BLOCKS) blocks = XENT_BLOCKS;
	double off = (double)smoothing / (double)c;
	double on = 1.0 - (double)smoothing + off;
	double *part = blocks > 1 ? ctx->ws : NULL;
	with_act(ctx, [&](auto tag) {
		using T = typename decltype(tag)::type;
		DDS_LAUNCH(blocks, 32 * XENT_WARPS, 0, ctx->stream, xent_rows_kernel<T>)(
		    part, stats, act<T>(dlogits), act<T>(logits), labels, n, c, off, on);
	});
	if (!launched(ctx, fn, "xent_rows_kernel") || blocks == 1) return;
	DDS_LAUNCH(1, 1, 0, ctx->stream, xent_finish_kernel)(stats, part, blocks, n);
	launched(ctx, fn, "xent_finish_kernel");
}

/* sgd_update updates value i as torch.optim.SGD with dampening 0:
 *   d = g + weight_decay·p;  v = momentum·v + d;  step = nesterov ? d + momentum·v : v;
 *   p = p − lr·step
 * (shared by sgd_kernel and sgd_at_kernel, so that both round alike). */
static __device__ __forceinline__ void sgd_update(float *p, const float *g, float *v, int64_t i, float lr,
                                                  float momentum, float weight_decay, int nesterov) {
	float pi = p[i];
	float d = g[i] + weight_decay * pi;
	float vi = momentum * v[i] + d;
	v[i] = vi;
	d = nesterov ? d + momentum * vi : vi;
	p[i] = pi - lr * d;
}

/* sgd_kernel, one thread per value (grid-stride). */
static __global__ void sgd_kernel(float *p, const float *g, float *v, int64_t n, float lr, float momentum,
                                  float weight_decay, int nesterov) {
	for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x) {
		sgd_update(p, g, v, i, lr, momentum, weight_decay, nesterov);
	}
}

/* sgd_at_kernel is sgd_kernel with lr = lrs[t], t = *counter; nothing when t is
 * outside [0, steps). */
static __global__ void sgd_at_kernel(float *p, const float *g, float *v, int64_t n, const float *lrs,
                                     const int32_t *counter, int steps, float momentum, float weight_decay,
                                     int nesterov) {
	int t;
	if (!step_of(counter, steps, &t)) return;
	float lr = lrs[t];
	for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x) {
		sgd_update(p, g, v, i, lr, momentum, weight_decay, nesterov);
	}
}

void dds_sgd_step(dds_ctx *ctx, float *p, const float *g, float *v, int64_t n, float lr, float momentum,
                  float weight_decay, int nesterov) {
	static const char fn[] = "dds_sgd_step";
	if (!begin(ctx, fn)) return;
	if (n < 0) {
		arg_error(ctx, fn, "n = %lld, want >= 0", (long long)n);
		return;
	}
	if (n == 0 || !need_ptr(ctx, fn, "p", p) || !need_ptr(ctx, fn, "g", g) || !need_ptr(ctx, fn, "v", v)) return;
	DDS_LAUNCH(stride_blocks(n, 256), 256, 0, ctx->stream, sgd_kernel)(
	    p, g, v, n, lr, momentum, weight_decay, nesterov != 0);
	launched(ctx, fn, "sgd_kernel");
}

void dds_sgd_step_at(dds_ctx *ctx, float *p, const float *g, float *v, int64_t n, const float *lrs,
                     const int32_t *counter, int steps, float momentum, float weight_decay, int nesterov) {
	static const char fn[] = "dds_sgd_step_at";
	if (!begin(ctx, fn)) return;
	if (n < 0) {
		arg_error(ctx, fn, "n = %lld, want >= 0", (long long)n);
		return;
	}
	if (steps < 0) {
		arg_error(ctx, fn, "steps = %d, want >= 0", steps);
		return;
	}
	if (n == 0 || steps == 0 || !need_ptr(ctx, fn, "p", p) || !need_ptr(ctx, fn, "g", g) || !need_ptr(ctx, fn, "v", v) ||
	    !need_ptr(ctx, fn, "lrs", lrs) || !need_ptr(ctx, fn, "counter", counter)) {
		return;
	}
	DDS_LAUNCH(stride_blocks(n, 256), 256, 0, ctx->stream, sgd_at_kernel)(
	    p, g, v, n, lrs, counter, steps, momentum, weight_decay, nesterov != 0);
	launched(ctx, fn, "sgd_at_kernel");
}
