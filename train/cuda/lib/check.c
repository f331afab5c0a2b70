/*
 * check.c — a self-contained check of libdds_cuda.so on a GPU (make check): every
 * operation of dds_cuda.h against a naive float64 implementation written from the
 * formulas in train/cpu, on small random shapes chosen to hit every path (odd
 * sizes, strides 1 and 2, dense, grouped and depthwise convolutions, 1×1 GEMM and
 * strided GEMM, the two-stage reductions), plus guard values after every output,
 * bitwise reproducibility of the reductions, the step-indexed operations against
 * their plain forms, random-resized crops against a float64 bilinear reference (and
 * boxes outside the image read only inside it), a captured CUDA graph replayed against the same operations run
 * directly (bit for bit), dds_mem_info, and the error paths. It prints one line
 * per tensor with the largest error and exits 1 when any exceeds
 * atol + rtol·|reference| (fp32 arithmetic against float64: atol 1e-4 and rtol 1e-3
 * leave room for sums of a few thousand O(1) terms in a different order) or any other
 * check fails. The Go engine tests compare against the CPU engine itself; this
 * checks the library alone, without Go.
 *
 * A second part (check_bf16) runs a DDS_BF16 context: a few operations on every
 * kind of kernel (elementwise, batch norm, the three convolution paths, linear) on
 * bfloat16 activations, against the float64 reference computed from the same
 * bfloat16 inputs and bfloat16-rounded weights and rounded to bfloat16 like the
 * library: activation outputs must lie within 1/64 relative (one bfloat16 ulp and
 * the rounding) plus 1e-4, and at least 95% of them must be exactly the rounded
 * reference (which a weight left unrounded, a wrong element size or a truncating
 * conversion would break); float outputs (weight gradients, statistics) have the
 * float tolerances.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dds_cuda.h"

static int failures;
static dds_ctx *ctx;

#define GUARD 64
#define SENTINEL 12345.f

/* ---- random numbers and buffers ---- */

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static double rnd(void) { /* uniform in [-1, 1) */
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (double)(rng_state >> 11) / (double)(1ull << 52) - 1.0;
}
static float *rand_floats(size_t n, double scale) {
	float *a = malloc(n * sizeof *a);
	for (size_t i = 0; i < n; i++) a[i] = (float)(rnd() * scale);
	return a;
}
static double *zeros(size_t n) { return calloc(n ? n : 1, sizeof(double)); }

/* dev allocates n floats (+ GUARD sentinels) on the device and uploads h (or
 * sentinels everywhere when h is NULL, so unwritten outputs show). */
static float *dev(const float *h, size_t n) {
	float *d = dds_alloc(ctx, (n + GUARD) * sizeof(float));
	float *tmp = malloc((n + GUARD) * sizeof(float));
	for (size_t i = 0; i < n + GUARD; i++) tmp[i] = (h != NULL && i < n) ? h[i] : SENTINEL;
	dds_upload(ctx, d, tmp, (n + GUARD) * sizeof(float));
	free(tmp);
	return d;
}

/* get downloads n floats of d, checking that its GUARD sentinels are intact. */
static float *get(const char *name, const float *d, size_t n) {
	float *h = malloc((n + GUARD) * sizeof(float));
	int st = dds_download(ctx, h, d, (n + GUARD) * sizeof(float));
	if (st != DDS_OK) {
		printf("FAIL %s: status %d: %s\n", name, st, dds_message(ctx));
		failures++;
		exit(1);
	}
	for (size_t i = n; i < n + GUARD; i++) {
		if (h[i] != SENTINEL) {
			printf("FAIL %s: wrote past its end (element %zu = %g)\n", name, i, h[i]);
			failures++;
			break;
		}
	}
	return h;
}

/* compare checks got against want within atol + rtol·|want|. */
static void compare(const char *name, const float *got, const double *want, size_t n, double atol, double rtol) {
	double maxabs = 0, maxrel = 0;
	size_t bad = 0, first = 0;
	for (size_t i = 0; i < n; i++) {
		double e = fabs((double)got[i] - want[i]);
		if (!(e <= atol + rtol * fabs(want[i]))) {
			if (bad++ == 0) first = i;
		}
		if (e > maxabs || e != e) maxabs = e;
		double r = e / (fabs(want[i]) + 1e-30);
		if (fabs(want[i]) > atol && r > maxrel) maxrel = r;
	}
	printf("%s %-44s n=%-7zu max abs %.3g  max rel %.3g\n", bad ? "FAIL" : "ok  ", name, n, maxabs, maxrel);
	if (bad) {
		printf("     %zu bad; first at %zu: got %.9g want %.9g\n", bad, first, got[first], want[first]);
		failures++;
	}
}

static void check_dev(const char *name, const float *d, const double *want, size_t n) {
	float *h = get(name, d, n);
	compare(name, h, want, n, 1e-4, 1e-3);
	free(h);
}

static void expect(int cond, const char *what) {
	printf("%s %s\n", cond ? "ok  " : "FAIL", what);
	if (!cond) failures++;
}

/* ---- convolution ---- */

static void conv_ref(const dds_conv *s, const float *x, const float *w, const float *dy, double *y, double *dx,
                     double *dw) {
	int pad = s->k / 2, oh = (s->h + 2 * pad - s->k) / s->stride + 1, ow = (s->w + 2 * pad - s->k) / s->stride + 1;
	int cg = s->cin / s->groups, og = s->cout / s->groups;
	for (int n = 0; n < s->n; n++)
		for (int oy = 0; oy < oh; oy++)
			for (int ox = 0; ox < ow; ox++)
				for (int o = 0; o < s->cout; o++) {
					int g = o / og;
					double acc = 0;
					size_t yi = (((size_t)n * oh + oy) * ow + ox) * s->cout + o;
					for (int i = 0; i < s->k; i++)
						for (int j = 0; j < s->k; j++) {
							int iy = oy * s->stride + i - pad, ix = ox * s->stride + j - pad;
							if (iy < 0 || iy >= s->h || ix < 0 || ix >= s->w) continue;
							for (int c = 0; c < cg; c++) {
								size_t xi = (((size_t)n * s->h + iy) * s->w + ix) * s->cin + g * cg + c;
								size_t wi = (((size_t)o * s->k + i) * s->k + j) * cg + c;
								acc += (double)w[wi] * x[xi];
								dx[xi] += (double)w[wi] * dy[yi];
								dw[wi] += (double)dy[yi] * x[xi];
							}
						}
					y[yi] = acc;
				}
}

static void check_conv(dds_conv s) {
	char name[160];
	int pad = s.k / 2, oh = (s.h + 2 * pad - s.k) / s.stride + 1, ow = (s.w + 2 * pad - s.k) / s.stride + 1;
	size_t in = (size_t)s.n * s.h * s.w * s.cin, out = (size_t)s.n * oh * ow * s.cout;
	size_t wl = (size_t)s.cout * s.k * s.k * (s.cin / s.groups);
	float *x = rand_floats(in, 1), *w = rand_floats(wl, 1), *dy = rand_floats(out, 1);
	double *y = zeros(out), *dx = zeros(in), *dw = zeros(wl);
	conv_ref(&s, x, w, dy, y, dx, dw);
	size_t sl = dds_conv_scratch(&s);
	float *dx_ = dev(x, in), *dw_ = dev(w, wl), *ddy = dev(dy, out);
	float *dyo = dev(NULL, out), *ddx = dev(NULL, in), *ddw = dev(NULL, wl), *scr = sl ? dev(NULL, sl) : NULL;
	dds_conv_forward(ctx, dyo, dx_, dw_, &s, scr);
	dds_conv_backward_data(ctx, ddx, ddy, dw_, &s, scr);
	dds_conv_backward_weight(ctx, ddw, ddy, dx_, &s, scr);
	const char *fmt = "conv n%d %dx%d %d->%d k%d s%d g%d %s";
	snprintf(name, sizeof name, fmt, s.n, s.h, s.w, s.cin, s.cout, s.k, s.stride, s.groups, "y");
	check_dev(name, dyo, y, out);
	snprintf(name, sizeof name, fmt, s.n, s.h, s.w, s.cin, s.cout, s.k, s.stride, s.groups, "dx");
	check_dev(name, ddx, dx, in);
	snprintf(name, sizeof name, fmt, s.n, s.h, s.w, s.cin, s.cout, s.k, s.stride, s.groups, "dw");
	check_dev(name, ddw, dw, wl);
	/* The weight gradient is reproducible bit for bit. */
	float *a = get(name, ddw, wl);
	dds_conv_backward_weight(ctx, ddw, ddy, dx_, &s, scr);
	float *b = get(name, ddw, wl);
	snprintf(name, sizeof name, fmt, s.n, s.h, s.w, s.cin, s.cout, s.k, s.stride, s.groups, "dw reproducible");
	expect(memcmp(a, b, wl * sizeof(float)) == 0, name);
	free(a), free(b), free(x), free(w), free(dy), free(y), free(dx), free(dw);
}

/* ---- batch normalisation ---- */

static void check_bn(int m, int c, int use_res, int relu) {
	char name[160];
	size_t mc = (size_t)m * c;
	float *x = rand_floats(mc, 2), *res = rand_floats(mc, 1), *dy = rand_floats(mc, 1);
	for (size_t i = 0; i < mc; i++) x[i] += (float)(i % c) * 0.5f; /* channel offsets */
	float *gamma = rand_floats(c, 1), *beta = rand_floats(c, 1), *rm = rand_floats(c, 1), *rv = rand_floats(c, 1);
	for (int k = 0; k < c; k++) rv[k] = fabsf(rv[k]) + 0.5f;
	const float eps = 1e-5f, mom = 0.1f;
	double *mean = zeros(c), *var = zeros(c), *y = zeros(mc), *dx = zeros(mc), *dres = zeros(mc);
	double *dgamma = zeros(c), *dbeta = zeros(c), *rm2 = zeros(c), *rv2 = zeros(c);
	for (int k = 0; k < c; k++) {
		double s = 0, q = 0;
		for (int r = 0; r < m; r++) s += x[(size_t)r * c + k];
		mean[k] = s / m;
		for (int r = 0; r < m; r++) q += pow(x[(size_t)r * c + k] - mean[k], 2);
		var[k] = q / m;
		rm2[k] = (1 - mom) * rm[k] + mom * mean[k];
		rv2[k] = (1 - mom) * rv[k] + mom * var[k] * (m > 1 ? (double)m / (m - 1) : 1.0);
	}
	/* y from the float32 statistics, as the library uses them. */
	float *fmean = malloc(c * sizeof(float)), *fvar = malloc(c * sizeof(float));
	for (int k = 0; k < c; k++) fmean[k] = (float)mean[k], fvar[k] = (float)var[k];
	float *fy = malloc(mc * sizeof(float));
	for (int k = 0; k < c; k++) {
		double istd = 1 / sqrt((double)fvar[k] + eps), sd = 0, sdx = 0;
		for (int r = 0; r < m; r++) {
			size_t i = (size_t)r * c + k;
			double v = gamma[k] * (x[i] - fmean[k]) * istd + beta[k] + (use_res ? res[i] : 0);
			if (relu && v < 0) v = 0;
			y[i] = v;
			fy[i] = (float)v;
		}
		for (int r = 0; r < m; r++) {
			size_t i = (size_t)r * c + k;
			double g = relu ? (fy[i] > 0 ? dy[i] : 0) : dy[i];
			dres[i] = g;
			sd += g;
			sdx += g * (x[i] - fmean[k]) * istd;
		}
		dbeta[k] = sd, dgamma[k] = sdx;
		for (int r = 0; r < m; r++) {
			size_t i = (size_t)r * c + k;
			double xhat = (x[i] - fmean[k]) * istd;
			dx[i] = gamma[k] * istd / m * (m * dres[i] - sd - xhat * sdx);
		}
	}
	float *d_x = dev(x, mc), *d_res = dev(res, mc), *d_dy = dev(dy, mc), *d_g = dev(gamma, c), *d_b = dev(beta, c);
	float *d_rm = dev(rm, c), *d_rv = dev(rv, c), *d_mean = dev(NULL, c), *d_var = dev(NULL, c);
	float *d_y = dev(NULL, mc), *d_dx = dev(NULL, mc), *d_dres = dev(NULL, mc), *d_dg = dev(NULL, c),
	      *d_db = dev(NULL, c);
	dds_bn_stats(ctx, d_mean, d_var, d_x, m, c);
	dds_bn_update_running(ctx, d_rm, d_rv, d_mean, d_var, m, c, mom);
	dds_upload(ctx, d_mean, fmean, c * sizeof(float)); /* continue from the reference statistics */
	dds_upload(ctx, d_var, fvar, c * sizeof(float));
	dds_bn_apply(ctx, d_y, d_x, use_res ? d_res : NULL, d_g, d_b, d_mean, d_var, m, c, eps, relu);
	dds_upload(ctx, d_y, fy, mc * sizeof(float));
	dds_bn_backward(ctx, d_dx, relu && use_res ? d_dres : NULL, d_dg, d_db, d_dy, relu ? d_y : NULL, d_x, d_g, d_mean,
	                d_var, m, c, eps, relu);
#define BN_NAME(t) (snprintf(name, sizeof name, "bn m%d c%d res%d relu%d %s", m, c, use_res, relu, t), name)
	if (!use_res && !relu) {
		dds_bn_stats(ctx, d_mean, d_var, d_x, m, c);
		check_dev(BN_NAME("mean"), d_mean, mean, c);
		check_dev(BN_NAME("var"), d_var, var, c);
		check_dev(BN_NAME("running mean"), d_rm, rm2, c);
		check_dev(BN_NAME("running var"), d_rv, rv2, c);
		float *a = get(name, d_var, c);
		dds_bn_stats(ctx, d_mean, d_var, d_x, m, c);
		float *b = get(name, d_var, c);
		expect(memcmp(a, b, c * sizeof(float)) == 0, BN_NAME("stats reproducible"));
		free(a), free(b);
		dds_upload(ctx, d_mean, fmean, c * sizeof(float));
		dds_upload(ctx, d_var, fvar, c * sizeof(float));
	}
	/* y was overwritten with the reference; recompute to check apply. */
	float *d_y2 = dev(NULL, mc);
	dds_bn_apply(ctx, d_y2, d_x, use_res ? d_res : NULL, d_g, d_b, d_mean, d_var, m, c, eps, relu);
	check_dev(BN_NAME("y"), d_y2, y, mc);
	check_dev(BN_NAME("dbeta"), d_db, dbeta, c);
	check_dev(BN_NAME("dgamma"), d_dg, dgamma, c);
	check_dev(BN_NAME("dx"), d_dx, dx, mc);
	if (relu && use_res) check_dev(BN_NAME("dres"), d_dres, dres, mc);
	/* dx may be dy. */
	dds_bn_backward(ctx, d_dy, NULL, d_dg, d_db, d_dy, relu ? d_y : NULL, d_x, d_g, d_mean, d_var, m, c, eps, relu);
	check_dev(BN_NAME("dx in place"), d_dy, dx, mc);
#undef BN_NAME
	free(x), free(res), free(dy), free(gamma), free(beta), free(rm), free(rv), free(mean), free(var), free(y);
	free(dx), free(dres), free(dgamma), free(dbeta), free(rm2), free(rv2), free(fmean), free(fvar), free(fy);
}

/* ---- elementwise, SE, pooling, linear ---- */

static void check_elementwise(int64_t n) {
	float *x = rand_floats(n, 4), *b = rand_floats(n, 1), *dy = rand_floats(n, 1);
	x[0] = 0.f, x[1] = -0.f;
	double *relu = zeros(n), *drelu = zeros(n), *add = zeros(n), *sig = zeros(n), *dsig = zeros(n);
	float *fsig = malloc(n * sizeof(float));
	for (int64_t i = 0; i < n; i++) {
		relu[i] = x[i] > 0 ? x[i] : 0;
		drelu[i] = x[i] > 0 ? dy[i] : 0;
		add[i] = (double)x[i] + b[i];
		sig[i] = 1 / (1 + exp(-(double)x[i]));
		fsig[i] = (float)sig[i];
		dsig[i] = dy[i] * (double)fsig[i] * (1 - (double)fsig[i]);
	}
	float *d_x = dev(x, n), *d_b = dev(b, n), *d_dy = dev(dy, n), *d_y = dev(NULL, n), *d_dx = dev(NULL, n);
	dds_relu_forward(ctx, d_y, d_x, n);
	check_dev("relu forward", d_y, relu, n);
	dds_relu_backward(ctx, d_dx, d_dy, d_y, n);
	check_dev("relu backward", d_dx, drelu, n);
	dds_add(ctx, d_y, d_x, d_b, n);
	check_dev("add", d_y, add, n);
	dds_sigmoid_forward(ctx, d_y, d_x, n);
	check_dev("sigmoid forward", d_y, sig, n);
	dds_sigmoid_backward(ctx, d_dx, d_dy, d_y, n);
	check_dev("sigmoid backward", d_dx, dsig, n);
	dds_relu_forward(ctx, d_x, d_x, n); /* in place */
	check_dev("relu forward in place", d_x, relu, n);
	free(x), free(b), free(dy), free(relu), free(drelu), free(add), free(sig), free(dsig), free(fsig);
}

static void check_se_pool(int n, int hw, int c) {
	size_t t = (size_t)n * hw * c;
	float *x = rand_floats(t, 1), *s = rand_floats((size_t)n * c, 1), *dy = rand_floats(t, 1),
	      *dyp = rand_floats((size_t)n * c, 1);
	double *y = zeros(t), *dx = zeros(t), *ds = zeros((size_t)n * c), *pool = zeros((size_t)n * c), *dpool = zeros(t);
	for (int b = 0; b < n; b++)
		for (int p = 0; p < hw; p++)
			for (int ch = 0; ch < c; ch++) {
				size_t i = ((size_t)b * hw + p) * c + ch;
				y[i] = (double)x[i] * s[b * c + ch];
				dx[i] = (double)dy[i] * s[b * c + ch];
				ds[b * c + ch] += (double)dy[i] * x[i];
				pool[b * c + ch] += x[i] / hw;
				dpool[i] = dyp[b * c + ch] / (double)hw;
			}
	float *d_x = dev(x, t), *d_s = dev(s, (size_t)n * c), *d_dy = dev(dy, t), *d_dyp = dev(dyp, (size_t)n * c);
	float *d_y = dev(NULL, t), *d_dx = dev(NULL, t), *d_ds = dev(NULL, (size_t)n * c), *d_p = dev(NULL, (size_t)n * c);
	char name[96];
	snprintf(name, sizeof name, "scale forward n%d hw%d c%d", n, hw, c);
	dds_scale_forward(ctx, d_y, d_x, d_s, n, hw, c);
	check_dev(name, d_y, y, t);
	dds_scale_backward(ctx, d_dx, d_ds, d_dy, d_x, d_s, n, hw, c);
	snprintf(name, sizeof name, "scale backward dx n%d hw%d c%d", n, hw, c);
	check_dev(name, d_dx, dx, t);
	snprintf(name, sizeof name, "scale backward ds n%d hw%d c%d", n, hw, c);
	check_dev(name, d_ds, ds, (size_t)n * c);
	dds_scale_backward(ctx, d_dy, d_ds, d_dy, d_x, d_s, n, hw, c); /* dx = dy */
	snprintf(name, sizeof name, "scale backward dx=dy n%d hw%d c%d", n, hw, c);
	check_dev(name, d_dy, dx, t);
	dds_avgpool_forward(ctx, d_p, d_x, n, hw, c);
	snprintf(name, sizeof name, "avgpool forward n%d hw%d c%d", n, hw, c);
	check_dev(name, d_p, pool, (size_t)n * c);
	dds_avgpool_backward(ctx, d_dx, d_dyp, n, hw, c);
	snprintf(name, sizeof name, "avgpool backward n%d hw%d c%d", n, hw, c);
	check_dev(name, d_dx, dpool, t);
	free(x), free(s), free(dy), free(dyp), free(y), free(dx), free(ds), free(pool), free(dpool);
}

static void check_linear(int n, int in, int out, int bias) {
	float *x = rand_floats((size_t)n * in, 1), *w = rand_floats((size_t)out * in, 1), *b = rand_floats(out, 1),
	      *dy = rand_floats((size_t)n * out, 1);
	double *y = zeros((size_t)n * out), *dx = zeros((size_t)n * in), *dw = zeros((size_t)out * in), *db = zeros(out);
	for (int r = 0; r < n; r++)
		for (int o = 0; o < out; o++) {
			double s = bias ? b[o] : 0;
			for (int i = 0; i < in; i++) {
				s += (double)x[r * in + i] * w[o * in + i];
				dx[r * in + i] += (double)dy[r * out + o] * w[o * in + i];
				dw[o * in + i] += (double)dy[r * out + o] * x[r * in + i];
			}
			y[r * out + o] = s;
			db[o] += dy[r * out + o];
		}
	float *d_x = dev(x, (size_t)n * in), *d_w = dev(w, (size_t)out * in), *d_b = dev(b, out),
	      *d_dy = dev(dy, (size_t)n * out);
	float *d_y = dev(NULL, (size_t)n * out), *d_dx = dev(NULL, (size_t)n * in), *d_dw = dev(NULL, (size_t)out * in),
	      *d_db = dev(NULL, out);
	dds_linear_forward(ctx, d_y, d_x, d_w, bias ? d_b : NULL, n, in, out);
	dds_linear_backward(ctx, d_dx, d_dw, bias ? d_db : NULL, d_dy, d_x, d_w, n, in, out);
	char name[96];
	snprintf(name, sizeof name, "linear n%d %d->%d bias%d y", n, in, out, bias);
	check_dev(name, d_y, y, (size_t)n * out);
	snprintf(name, sizeof name, "linear n%d %d->%d bias%d dx", n, in, out, bias);
	check_dev(name, d_dx, dx, (size_t)n * in);
	snprintf(name, sizeof name, "linear n%d %d->%d bias%d dw", n, in, out, bias);
	check_dev(name, d_dw, dw, (size_t)out * in);
	if (bias) {
		snprintf(name, sizeof name, "linear n%d %d->%d dbias", n, in, out);
		check_dev(name, d_db, db, out);
	}
	free(x), free(w), free(b), free(dy), free(y), free(dx), free(dw), free(db);
}

/* ---- loss, SGD, batch ---- */

static void check_xent(int n, int c, float eps, int nbad) {
	float *z = rand_floats((size_t)n * c, 3);
	int32_t *lab = malloc(n * sizeof(int32_t));
	for (int b = 0; b < n; b++) lab[b] = (int32_t)((b * 7 + 3) % c);
	if (n > 2 && c > 2) { /* a tie in row 1 at the label: the first index wins */
		z[c + 1] = z[c + 2] = 10.f;
		lab[1] = 1;
	}
	for (int k = 0; k < nbad; k++) lab[(k * 13 + 2) % n] = k % 2 ? c + k : -1 - k;
	double *d = zeros((size_t)n * c), st[3] = {0, 0, 0};
	double off = (double)eps / c, on = 1 - (double)eps + off;
	for (int b = 0; b < n; b++) {
		const float *r = z + (size_t)b * c;
		int y = lab[b], arg = 0;
		for (int j = 1; j < c; j++)
			if (r[j] > r[arg]) arg = j;
		double se = 0, qz = 0;
		for (int j = 0; j < c; j++) se += exp(r[j] - (double)r[arg]), qz += (j == y ? on : off) * r[j];
		double lse = r[arg] + log(se);
		for (int j = 0; j < c; j++) d[(size_t)b * c + j] = (exp(r[j] - lse) - (j == y ? on : off)) / n;
		if (y < 0 || y >= c) {
			st[2]++;
			continue;
		}
		st[0] += (lse - qz) / n;
		st[1] += arg == y;
	}
	float *d_z = dev(z, (size_t)n * c), *d_d = dev(NULL, (size_t)n * c), *d_st = dev(NULL, 3);
	int32_t *d_lab = dds_alloc(ctx, n * sizeof(int32_t));
	dds_upload(ctx, d_lab, lab, n * sizeof(int32_t));
	dds_softmax_xent(ctx, d_d, d_z, d_lab, n, c, eps, d_st);
	char name[96];
	if (nbad == 0) {
		snprintf(name, sizeof name, "softmax xent n%d c%d eps%.2f dlogits", n, c, eps);
		check_dev(name, d_d, d, (size_t)n * c);
		snprintf(name, sizeof name, "softmax xent n%d c%d eps%.2f stats", n, c, eps);
		check_dev(name, d_st, st, 3);
		dds_softmax_xent(ctx, NULL, d_z, d_lab, n, c, eps, d_st);
		snprintf(name, sizeof name, "softmax xent n%d c%d stats without dlogits", n, c);
		check_dev(name, d_st, st, 3);
	} else {
		float *h = get("xent stats", d_st, 3);
		snprintf(name, sizeof name, "softmax xent n%d c%d: %d bad labels counted", n, c, nbad);
		expect(h[2] == (float)nbad, name);
		free(h);
	}
	free(z), free(lab), free(d);
}

static void check_sgd(int64_t n, int nesterov) {
	float *p = rand_floats(n, 1), *g = rand_floats(n, 1), *v = rand_floats(n, 1);
	const float lr = 0.1f, mom = 0.9f, wd = 5e-4f;
	double *p2 = zeros(n), *v2 = zeros(n);
	for (int64_t i = 0; i < n; i++) {
		double d = g[i] + (double)wd * p[i];
		v2[i] = mom * (double)v[i] + d;
		p2[i] = p[i] - lr * (nesterov ? d + mom * v2[i] : v2[i]);
	}
	float *d_p = dev(p, n), *d_g = dev(g, n), *d_v = dev(v, n);
	dds_sgd_step(ctx, d_p, d_g, d_v, n, lr, mom, wd, nesterov);
	check_dev(nesterov ? "sgd nesterov p" : "sgd p", d_p, p2, n);
	check_dev(nesterov ? "sgd nesterov v" : "sgd v", d_v, v2, n);
	free(p), free(g), free(v), free(p2), free(v2);
}

static void check_batch(int nimg, int n, int h, int w, int c, int pad, int augment) {
	size_t isz = (size_t)h * w * c;
	uint8_t *img = malloc(nimg * isz);
	for (size_t i = 0; i < nimg * isz; i++) img[i] = (uint8_t)(rnd() * 128 + 128);
	int32_t *lab = malloc(nimg * sizeof(int32_t)), *idx = malloc(n * sizeof(int32_t));
	for (int i = 0; i < nimg; i++) lab[i] = i * 3 + 1;
	for (int i = 0; i < n; i++) idx[i] = (i * 5 + 2) % nimg;
	int8_t *crops = malloc(3 * n);
	for (int i = 0; i < n; i++) {
		crops[3 * i] = (int8_t)((i * 3) % (2 * pad + 1));
		crops[3 * i + 1] = (int8_t)((i * 7 + 1) % (2 * pad + 1));
		crops[3 * i + 2] = (int8_t)(i % 2);
	}
	float mean[16], sd[16];
	for (int ch = 0; ch < c; ch++) mean[ch] = 0.4f + 0.05f * ch, sd[ch] = 0.2f + 0.03f * ch;
	double *x = zeros(n * isz), ylab[1024];
	for (int i = 0; i < n; i++) {
		ylab[i] = lab[idx[i]];
		for (int oy = 0; oy < h; oy++)
			for (int ox = 0; ox < w; ox++) {
				int sy = oy, sx = ox;
				if (augment) sy = oy + crops[3 * i] - pad, sx = ox + crops[3 * i + 1] - pad;
				for (int ch = 0; ch < c; ch++) {
					double v = 0;
					if (sy >= 0 && sy < h && sx >= 0 && sx < w) {
						int col = augment && crops[3 * i + 2] ? w - 1 - sx : sx;
						uint8_t u = img[(size_t)idx[i] * isz + ((size_t)sy * w + col) * c + ch];
						v = ((float)u / 255.f - mean[ch]) / sd[ch];
					}
					x[(size_t)i * isz + ((size_t)oy * w + ox) * c + ch] = v;
				}
			}
	}
	uint8_t *d_img = dds_alloc(ctx, nimg * isz);
	int32_t *d_lab = dds_alloc(ctx, nimg * sizeof(int32_t)), *d_idx = dds_alloc(ctx, n * sizeof(int32_t));
	int8_t *d_crops = dds_alloc(ctx, 3 * n);
	dds_upload(ctx, d_img, img, nimg * isz);
	dds_upload(ctx, d_lab, lab, nimg * sizeof(int32_t));
	dds_upload(ctx, d_idx, idx, n * sizeof(int32_t));
	dds_upload(ctx, d_crops, crops, 3 * n);
	float *d_x = dev(NULL, n * isz), *d_y = dev(NULL, n);
	dds_batch(ctx, d_x, (int32_t *)d_y, d_img, d_lab, d_idx, augment ? d_crops : NULL, n, h, w, c, pad, mean, sd);
	char name[96];
	snprintf(name, sizeof name, "batch %dx%dx%d pad%d augment%d x", h, w, c, pad, augment);
	float *hx = get(name, d_x, n * isz);
	compare(name, hx, x, n * isz, 0, 0); /* bit for bit: the same float32 operations */
	int32_t *hy = malloc((n + GUARD) * sizeof(int32_t));
	dds_download(ctx, hy, d_y, n * sizeof(int32_t));
	int ok = 1;
	for (int i = 0; i < n; i++) ok &= hy[i] == (int32_t)ylab[i];
	snprintf(name, sizeof name, "batch %dx%dx%d pad%d augment%d labels", h, w, c, pad, augment);
	expect(ok, name);
	free(img), free(lab), free(idx), free(crops), free(x), free(hx), free(hy);
}

/* resized_tap_ref is the bilinear sample of output j of out over a window of len
 * samples: position (j + ½)·len/out − ½ clamped to [0, len − 1], its two samples and
 * the weight of the second. */
static void resized_tap_ref(int j, int len, int out, int *i0, int *i1, double *f) {
	double p = (j + 0.5) * len / out - 0.5;
	p = p < 0 ? 0 : (p > len - 1 ? len - 1 : p);
	*i0 = (int)floor(p);
	*i1 = *i0 + 1 < len - 1 ? *i0 + 1 : len - 1;
	*f = p - floor(p);
}

/* check_resized runs dds_resized_batch_at with the counter at -1, 0, ..., steps over
 * steps batches of n random-resized crops (boxes at the edges, mirrored, and
 * interior ones) of h×w×c images, and compares each batch with a float64 bilinear
 * reference (nothing may change outside [0, steps)), the labels exactly. Then boxes
 * that leave the image must launch cleanly and read nothing outside it (which the
 * emulation's AddressSanitizer checks). */
static void check_resized(int nimg, int steps, int n, int h, int w, int c) {
	size_t isz = (size_t)h * w * c, nb = (size_t)steps * n;
	uint8_t *img = malloc(nimg * isz);
	for (size_t i = 0; i < nimg * isz; i++) img[i] = (uint8_t)(rnd() * 128 + 128);
	int32_t *lab = malloc(nimg * sizeof(int32_t)), *idx = malloc(nb * sizeof(int32_t)), *box = malloc(5 * nb * sizeof(int32_t));
	for (int i = 0; i < nimg; i++) lab[i] = i * 7 + 2;
	for (size_t k = 0; k < nb; k++) {
		idx[k] = (int32_t)((k * 5 + 1) % nimg);
		int32_t *b = box + 5 * k;
		switch (k % 4) {
		case 0: b[0] = 0, b[1] = 0, b[2] = h, b[3] = w; break;                     /* whole image */
		case 1: b[0] = h - 1, b[1] = w - 1, b[2] = 1, b[3] = 1; break;             /* last pixel */
		case 2: b[0] = h / 3, b[1] = 0, b[2] = h - h / 3, b[3] = w / 2 + 1; break; /* bottom-left */
		default: b[0] = 1, b[1] = w / 4, b[2] = h / 2, b[3] = w - w / 4; break;    /* right edge */
		}
		b[4] = (int32_t)((k / 4 + k) % 2);
	}
	float mean[16], sd[16];
	for (int ch = 0; ch < c; ch++) mean[ch] = 0.45f + 0.02f * ch, sd[ch] = 0.22f + 0.01f * ch;
	uint8_t *d_img = dds_alloc(ctx, nimg * isz);
	int32_t *d_lab = dds_alloc(ctx, nimg * sizeof(int32_t)), *d_idx = dds_alloc(ctx, nb * sizeof(int32_t));
	int32_t *d_box = dds_alloc(ctx, 5 * nb * sizeof(int32_t)), *d_counter = dds_alloc(ctx, sizeof(int32_t));
	dds_upload(ctx, d_img, img, nimg * isz);
	dds_upload(ctx, d_lab, lab, nimg * sizeof(int32_t));
	dds_upload(ctx, d_idx, idx, nb * sizeof(int32_t));
	dds_upload(ctx, d_box, box, 5 * nb * sizeof(int32_t));
	float *d_x = dev(NULL, n * isz), *d_y = dev(NULL, n);
	double *want = zeros(n * isz);
	for (size_t i = 0; i < n * isz; i++) want[i] = SENTINEL;
	int32_t *wl = calloc(n, sizeof(int32_t)), *hy = malloc(n * sizeof(int32_t));
	float sent = SENTINEL;
	for (int i = 0; i < n; i++) memcpy(&wl[i], &sent, 4); /* d_y starts as sentinels */
	char name[128];
	for (int t = -1; t <= steps; t++) {
		dds_upload(ctx, d_counter, &t, sizeof t);
		dds_resized_batch_at(ctx, d_x, (int32_t *)d_y, d_img, d_lab, d_idx, d_box, d_counter, steps, n, h, w, c, mean, sd);
		if (t >= 0 && t < steps) {
			for (int i = 0; i < n; i++) {
				size_t k = (size_t)t * n + i;
				const int32_t *b = box + 5 * k;
				wl[i] = lab[idx[k]];
				for (int oy = 0; oy < h; oy++) {
					int y0, y1, x0, x1;
					double fy, fx;
					resized_tap_ref(oy, b[2], h, &y0, &y1, &fy);
					for (int ox = 0; ox < w; ox++) {
						resized_tap_ref(b[4] ? w - 1 - ox : ox, b[3], w, &x0, &x1, &fx);
						for (int ch = 0; ch < c; ch++) {
							const uint8_t *p = img + (size_t)idx[k] * isz;
#define PIX(r, q) ((double)p[((size_t)(b[0] + (r)) * w + b[1] + (q)) * c + ch])
							double v = (1 - fy) * ((1 - fx) * PIX(y0, x0) + fx * PIX(y0, x1)) +
							           fy * ((1 - fx) * PIX(y1, x0) + fx * PIX(y1, x1));
#undef PIX
							want[(size_t)i * isz + ((size_t)oy * w + ox) * c + ch] = (v / 255 - mean[ch]) / sd[ch];
						}
					}
				}
			}
		}
		snprintf(name, sizeof name, "resized_batch_at %dx%dx%d n%d counter %d x", h, w, c, n, t);
		float *hx = get(name, d_x, n * isz);
		compare(name, hx, want, n * isz, 1e-5, 1e-5);
		dds_download(ctx, hy, d_y, n * sizeof(int32_t));
		snprintf(name, sizeof name, "resized_batch_at %dx%dx%d n%d counter %d labels", h, w, c, n, t);
		expect(memcmp(hy, wl, n * sizeof(int32_t)) == 0, name);
		free(hx);
	}
	/* Boxes past the bottom-right corner, before the top-left one, and empty. */
	for (size_t k = 0; k < nb; k++) {
		int32_t *b = box + 5 * k;
		switch (k % 3) {
		case 0: b[0] = h - 1, b[1] = w - 2, b[2] = h, b[3] = w + 3; break;
		case 1: b[0] = -5, b[1] = -2, b[2] = 3, b[3] = 2; break;
		default: b[0] = 0, b[1] = 0, b[2] = 0, b[3] = -1; break;
		}
	}
	dds_upload(ctx, d_box, box, 5 * nb * sizeof(int32_t));
	int t0 = 0;
	dds_upload(ctx, d_counter, &t0, sizeof t0);
	dds_resized_batch_at(ctx, d_x, (int32_t *)d_y, d_img, d_lab, d_idx, d_box, d_counter, steps, n, h, w, c, mean, sd);
	snprintf(name, sizeof name, "resized_batch_at %dx%dx%d boxes outside the image read inside it", h, w, c);
	float *hx = get(name, d_x, n * isz);
	int finite = 1;
	for (size_t i = 0; i < n * isz; i++) finite &= isfinite(hx[i]) && fabsf(hx[i]) < 100;
	expect(finite && dds_sync(ctx) == DDS_OK, name);
	free(hx), free(img), free(lab), free(idx), free(box), free(want), free(wl), free(hy);
}

/* ---- bfloat16 activations ---- */

/* f2bf rounds f to the nearest bfloat16, ties to even (NaN stays NaN); bf2f is exact. */
static uint16_t f2bf(float f) {
	uint32_t b;
	memcpy(&b, &f, 4);
	if ((b & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((b | 0x00400000u) >> 16);
	b += 0x7fffu + ((b >> 16) & 1u);
	return (uint16_t)(b >> 16);
}
static float bf2f(uint16_t h) {
	uint32_t b = (uint32_t)h << 16;
	float f;
	memcpy(&f, &b, 4);
	return f;
}
static float round_bf(float f) { return bf2f(f2bf(f)); }

/* rand_bf returns n random values of scale that are bfloat16 values. */
static float *rand_bf(size_t n, double scale) {
	float *a = rand_floats(n, scale);
	for (size_t i = 0; i < n; i++) a[i] = round_bf(a[i]);
	return a;
}

#define SENTINEL_BF ((uint16_t)0x4640) /* 12288 */

/* bdev allocates n bfloat16 activations (+ GUARD sentinels) in c and uploads h
 * rounded (sentinels everywhere when h is NULL). */
static void *bdev(dds_ctx *c, const float *h, size_t n) {
	void *d = dds_alloc(c, (n + GUARD) * sizeof(uint16_t));
	uint16_t *tmp = malloc((n + GUARD) * sizeof(uint16_t));
	for (size_t i = 0; i < n + GUARD; i++) tmp[i] = (h != NULL && i < n) ? f2bf(h[i]) : SENTINEL_BF;
	dds_upload(c, d, tmp, (n + GUARD) * sizeof(uint16_t));
	free(tmp);
	return d;
}

/* bget downloads n bfloat16 values of d as floats, checking the guards. */
static float *bget(dds_ctx *c, const char *name, const void *d, size_t n) {
	uint16_t *h = malloc((n + GUARD) * sizeof(uint16_t));
	int st = dds_download(c, h, d, (n + GUARD) * sizeof(uint16_t));
	if (st != DDS_OK) {
		printf("FAIL %s: status %d: %s\n", name, st, dds_message(c));
		failures++;
		exit(1);
	}
	for (size_t i = n; i < n + GUARD; i++) {
		if (h[i] != SENTINEL_BF) {
			printf("FAIL %s: wrote past its end (element %zu = %#x)\n", name, i, h[i]);
			failures++;
			break;
		}
	}
	float *f = malloc((n ? n : 1) * sizeof(float));
	for (size_t i = 0; i < n; i++) f[i] = bf2f(h[i]);
	free(h);
	return f;
}

/* fdev and fget are dev and get on context c. */
static float *fdev(dds_ctx *c, const float *h, size_t n) {
	dds_ctx *keep = ctx;
	ctx = c;
	float *d = dev(h, n);
	ctx = keep;
	return d;
}
static void fcheck(dds_ctx *c, const char *name, const float *d, const double *want, size_t n) {
	dds_ctx *keep = ctx;
	ctx = c;
	check_dev(name, d, want, n);
	ctx = keep;
}

/* bcheck compares the bfloat16 activations d with the float64 reference want (from
 * the same bfloat16 inputs): within 1e-4 + |want|/64 each, and at least 95% exactly
 * the reference rounded to float and then to bfloat16. */
static void bcheck(dds_ctx *c, const char *name, const void *d, const double *want, size_t n) {
	float *got = bget(c, name, d, n);
	compare(name, got, want, n, 1e-4, 1.0 / 64);
	size_t same = 0;
	for (size_t i = 0; i < n; i++) same += got[i] == round_bf((float)want[i]);
	int ok = n == 0 || (double)same >= 0.95 * (double)n;
	printf("%s %-44s %zu of %zu exactly the rounded reference\n", ok ? "ok  " : "FAIL", name, same, n);
	if (!ok) failures++;
	free(got);
}

static void check_bf16_conv(dds_ctx *c, dds_conv s) {
	char name[160];
	int pad = s.k / 2, oh = (s.h + 2 * pad - s.k) / s.stride + 1, ow = (s.w + 2 * pad - s.k) / s.stride + 1;
	size_t in = (size_t)s.n * s.h * s.w * s.cin, out = (size_t)s.n * oh * ow * s.cout;
	size_t wl = (size_t)s.cout * s.k * s.k * (s.cin / s.groups);
	float *x = rand_bf(in, 1), *w = rand_floats(wl, 1), *dy = rand_bf(out, 1), *wr = malloc(wl * sizeof(float));
	for (size_t i = 0; i < wl; i++) wr[i] = round_bf(w[i]);
	double *y = zeros(out), *dx = zeros(in), *dw = zeros(wl), *dxu = zeros(in), *dwu = zeros(wl), *yu = zeros(out);
	conv_ref(&s, x, wr, dy, y, dx, dw); /* y and dx with rounded weights */
	size_t sl = dds_conv_scratch_ctx(c, &s);
	void *d_x = bdev(c, x, in), *d_dy = bdev(c, dy, out), *d_y = bdev(c, NULL, out), *d_dx = bdev(c, NULL, in);
	float *d_w = fdev(c, w, wl), *d_dw = fdev(c, NULL, wl), *scr = sl ? fdev(c, NULL, sl) : NULL;
	dds_conv_forward(c, d_y, d_x, d_w, &s, scr);
	dds_conv_backward_data(c, d_dx, d_dy, d_w, &s, scr);
	dds_conv_backward_weight(c, d_dw, d_dy, d_x, &s, scr);
	const char *fmt = "bf16 conv n%d %dx%d %d->%d k%d s%d g%d %s";
	snprintf(name, sizeof name, fmt, s.n, s.h, s.w, s.cin, s.cout, s.k, s.stride, s.groups, "y");
	bcheck(c, name, d_y, y, out);
	snprintf(name, sizeof name, fmt, s.n, s.h, s.w, s.cin, s.cout, s.k, s.stride, s.groups, "dx");
	bcheck(c, name, d_dx, dx, in);
	snprintf(name, sizeof name, fmt, s.n, s.h, s.w, s.cin, s.cout, s.k, s.stride, s.groups, "dw");
	fcheck(c, name, d_dw, dw, wl);
	/* The master weights are left as they were. */
	float *w1 = malloc((wl + GUARD) * sizeof(float));
	dds_download(c, w1, d_w, wl * sizeof(float));
	snprintf(name, sizeof name, fmt, s.n, s.h, s.w, s.cin, s.cout, s.k, s.stride, s.groups, "w unchanged");
	expect(memcmp(w1, w, wl * sizeof(float)) == 0, name);
	/* The reference with unrounded weights is measurably different: the check above
	 * would see a kernel that forgot to round them. */
	conv_ref(&s, x, w, dy, yu, dxu, dwu);
	size_t diff = 0;
	for (size_t i = 0; i < out; i++) diff += round_bf((float)yu[i]) != round_bf((float)y[i]);
	snprintf(name, sizeof name, fmt, s.n, s.h, s.w, s.cin, s.cout, s.k, s.stride, s.groups,
	         "weight rounding visible");
	expect(out == 0 || diff * 20 > out, name);
	free(x), free(w), free(wr), free(dy), free(y), free(dx), free(dw), free(dxu), free(dwu), free(yu), free(w1);
}

static void check_bf16(void) {
	char msg[256];
	dds_ctx *c = dds_create(0, msg, sizeof msg);
	expect(c != NULL, "bf16: context");
	if (c == NULL) return;
	expect(dds_precision(c) == DDS_FP32, "bf16: a new context is DDS_FP32");
	dds_set_precision(c, DDS_BF16);
	expect(dds_status(c) == DDS_OK && dds_precision(c) == DDS_BF16, "bf16: dds_set_precision(DDS_BF16)");

	/* Scratch: the 1×1 convolutions need a bfloat16 weight copy. */
	dds_conv g1 = {2, 6, 5, 16, 40, 1, 1, 1}, g2 = {2, 7, 9, 16, 24, 1, 2, 1}, d3 = {2, 9, 9, 24, 24, 3, 1, 3};
	expect(dds_conv_scratch(&g1) == 0 && dds_conv_scratch_ctx(c, &g1) == (640 + 1) / 2 &&
	           dds_conv_scratch_ctx(c, &g2) == (384 + 2 * 4 * 5 * 16 + 1) / 2 &&
	           dds_conv_scratch_ctx(c, &d3) == dds_conv_scratch(&d3) && dds_conv_scratch_ctx(NULL, &g2) == dds_conv_scratch(&g2),
	       "bf16: dds_conv_scratch_ctx");

	/* Upload and download round trip, ReLU and Add. */
	const size_t n = 10007;
	float *x = rand_bf(n, 4), *b = rand_bf(n, 1);
	double *relu = zeros(n), *add = zeros(n);
	for (size_t i = 0; i < n; i++) {
		relu[i] = x[i] > 0 ? x[i] : 0;
		add[i] = (double)(x[i] + b[i]); /* the float sum, as the kernel */
	}
	void *d_x = bdev(c, x, n), *d_b = bdev(c, b, n), *d_y = bdev(c, NULL, n);
	float *back = bget(c, "bf16 round trip", d_x, n);
	expect(memcmp(back, x, n * sizeof(float)) == 0, "bf16: upload and download of bfloat16 values are exact");
	free(back);
	dds_relu_forward(c, d_y, d_x, (int64_t)n);
	bcheck(c, "bf16 relu forward", d_y, relu, n);
	dds_add(c, d_y, d_x, d_b, (int64_t)n);
	bcheck(c, "bf16 add", d_y, add, n);

	/* The precision is fixed once memory is allocated. */
	dds_set_precision(c, DDS_FP32);
	expect(dds_status(c) == DDS_ERR_ARG && dds_precision(c) == DDS_BF16, "bf16: dds_set_precision after dds_alloc fails");
	printf("     message: %s\n", dds_message(c));
	dds_destroy(c);
	c = dds_create(0, msg, sizeof msg);
	dds_set_precision(c, DDS_BF16);

	/* Convolutions: direct (grouped 3×3, stem), GEMM (1×1), strided GEMM (projection). */
	check_bf16_conv(c, d3);
	check_bf16_conv(c, (dds_conv){2, 9, 7, 3, 8, 3, 1, 1});
	check_bf16_conv(c, (dds_conv){64, 16, 16, 32, 32, 3, 1, 4}); /* two-stage weight gradient */
	check_bf16_conv(c, g1);
	check_bf16_conv(c, g2);

	/* Batch norm apply with residual and ReLU; statistics of bfloat16 x. */
	int m = 777, ch = 40;
	size_t mc = (size_t)m * ch;
	float *bx = rand_bf(mc, 2), *res = rand_bf(mc, 1), *gamma = rand_floats(ch, 1), *beta = rand_floats(ch, 1);
	float *mean = rand_floats(ch, 1), *var = rand_floats(ch, 1);
	for (int k = 0; k < ch; k++) var[k] = fabsf(var[k]) + 0.5f;
	double *y = zeros(mc), *smean = zeros(ch), *svar = zeros(ch);
	for (int k = 0; k < ch; k++) {
		float sc = (float)((double)gamma[k] * (1.0 / sqrt((double)var[k] + 1e-5)));
		double s1 = 0, s2 = 0;
		for (int r = 0; r < m; r++) {
			size_t i = (size_t)r * ch + k;
			double v = ((double)bx[i] - mean[k]) * sc + beta[k] + res[i];
			y[i] = v > 0 ? v : 0;
			s1 += bx[i];
			s2 += (double)bx[i] * bx[i];
		}
		smean[k] = s1 / m;
		svar[k] = s2 / m - smean[k] * smean[k];
	}
	void *d_bx = bdev(c, bx, mc), *d_res = bdev(c, res, mc), *d_by = bdev(c, NULL, mc);
	float *d_g = fdev(c, gamma, ch), *d_be = fdev(c, beta, ch), *d_m = fdev(c, mean, ch), *d_v = fdev(c, var, ch);
	float *d_sm = fdev(c, NULL, ch), *d_sv = fdev(c, NULL, ch);
	dds_bn_apply(c, d_by, d_bx, d_res, d_g, d_be, d_m, d_v, m, ch, 1e-5f, 1);
	bcheck(c, "bf16 bn apply res relu", d_by, y, mc);
	dds_bn_stats(c, d_sm, d_sv, d_bx, m, ch);
	fcheck(c, "bf16 bn stats mean", d_sm, smean, ch);
	fcheck(c, "bf16 bn stats var", d_sv, svar, ch);

	/* Linear forward and backward (the layer's own kernels in DDS_BF16). */
	int ln = 33, lin = 64, lout = 10;
	float *lx = rand_bf((size_t)ln * lin, 1), *lw = rand_floats((size_t)lout * lin, 1), *lb = rand_floats(lout, 1);
	float *ldy = rand_bf((size_t)ln * lout, 1);
	double *ly = zeros((size_t)ln * lout), *ldx = zeros((size_t)ln * lin), *ldw = zeros((size_t)lout * lin),
	       *ldb = zeros(lout);
	for (int r = 0; r < ln; r++)
		for (int o = 0; o < lout; o++) {
			double acc = lb[o];
			for (int i = 0; i < lin; i++) {
				double wr = round_bf(lw[o * lin + i]);
				acc += (double)lx[r * lin + i] * wr;
				ldx[r * lin + i] += (double)ldy[r * lout + o] * wr;
				ldw[o * lin + i] += (double)ldy[r * lout + o] * lx[r * lin + i];
			}
			ly[r * lout + o] = acc;
			ldb[o] += ldy[r * lout + o];
		}
	void *d_lx = bdev(c, lx, (size_t)ln * lin), *d_ldy = bdev(c, ldy, (size_t)ln * lout);
	void *d_ly = bdev(c, NULL, (size_t)ln * lout), *d_ldx = bdev(c, NULL, (size_t)ln * lin);
	float *d_lw = fdev(c, lw, (size_t)lout * lin), *d_lb = fdev(c, lb, lout);
	float *d_ldw = fdev(c, NULL, (size_t)lout * lin), *d_ldb = fdev(c, NULL, lout);
	dds_linear_forward(c, d_ly, d_lx, d_lw, d_lb, ln, lin, lout);
	dds_linear_backward(c, d_ldx, d_ldw, d_ldb, d_ldy, d_lx, d_lw, ln, lin, lout);
	bcheck(c, "bf16 linear y", d_ly, ly, (size_t)ln * lout);
	bcheck(c, "bf16 linear dx", d_ldx, ldx, (size_t)ln * lin);
	fcheck(c, "bf16 linear dw", d_ldw, ldw, (size_t)lout * lin);
	fcheck(c, "bf16 linear dbias", d_ldb, ldb, lout);

	expect(dds_sync(c) == DDS_OK, "bf16: no error after the checks");
	dds_destroy(c);
	free(x), free(b), free(relu), free(add), free(bx), free(res), free(gamma), free(beta), free(mean), free(var);
	free(y), free(smean), free(svar), free(lx), free(lw), free(lb), free(ldy), free(ly), free(ldx), free(ldw), free(ldb);
}

/* ---- step-indexed operations and graphs ---- */

/* get_ints downloads n int32 values of d. */
static int32_t *get_ints(const int32_t *d, size_t n) {
	int32_t *h = malloc((n ? n : 1) * sizeof(int32_t));
	if (dds_download(ctx, h, d, n * sizeof(int32_t)) != DDS_OK) {
		printf("FAIL download: %s\n", dds_message(ctx));
		failures++;
		exit(1);
	}
	return h;
}

/* same_bits reports whether n floats of the device buffers a and b are equal bit for
 * bit (guards included). */
static int same_bits(const float *a, const float *b, size_t n) {
	float *ha = get("same_bits a", a, n), *hb = get("same_bits b", b, n);
	int ok = memcmp(ha, hb, (n + GUARD) * sizeof(float)) == 0;
	free(ha), free(hb);
	return ok;
}

static int32_t *dev_ints(const int32_t *h, size_t n) {
	int32_t *d = dds_alloc(ctx, (n ? n : 1) * sizeof(int32_t));
	dds_upload(ctx, d, h, n * sizeof(int32_t));
	return d;
}

/* check_step_ops runs dds_batch_at, dds_sgd_step_at, dds_copy_at and dds_count with
 * the counter at -1, 0, ..., steps and compares each with dds_batch and dds_sgd_step
 * on the inputs of step t (bit for bit: the same kernels' arithmetic), and with
 * nothing at all when t is outside [0, steps). */
static void check_step_ops(int augment) {
	enum { NIMG = 12, N = 5, STEPS = 3, H = 6, W = 5, C = 3, PAD = 2, NP = 1003 };
	const size_t isz = (size_t)H * W * C;
	uint8_t img[NIMG * H * W * C];
	for (size_t i = 0; i < sizeof img; i++) img[i] = (uint8_t)(rnd() * 128 + 128);
	int32_t lab[NIMG], idxs[STEPS * N], crops32[3 * STEPS * N];
	int8_t crops8[3 * STEPS * N];
	for (int i = 0; i < NIMG; i++) lab[i] = 100 + i;
	for (int i = 0; i < STEPS * N; i++) idxs[i] = (i * 7 + 3) % NIMG;
	for (int i = 0; i < STEPS * N; i++) {
		crops32[3 * i] = (i * 3) % (2 * PAD + 1);
		crops32[3 * i + 1] = (i * 5 + 1) % (2 * PAD + 1);
		crops32[3 * i + 2] = i % 3 == 0;
		for (int k = 0; k < 3; k++) crops8[3 * i + k] = (int8_t)crops32[3 * i + k];
	}
	float lrs[STEPS] = {0.1f, 0.03f, 0.2f}, mean[3] = {0.4f, 0.5f, 0.45f}, sd[3] = {0.2f, 0.25f, 0.22f};
	uint8_t *d_img = dds_alloc(ctx, sizeof img);
	dds_upload(ctx, d_img, img, sizeof img);
	int32_t *d_lab = dev_ints(lab, NIMG), *d_idxs = dev_ints(idxs, STEPS * N), *d_crops = dev_ints(crops32, 3 * STEPS * N);
	int8_t *d_crops8 = dds_alloc(ctx, sizeof crops8);
	dds_upload(ctx, d_crops8, crops8, sizeof crops8);
	float *d_lrs = dev(lrs, STEPS);
	int32_t *d_counter = dds_alloc(ctx, sizeof(int32_t));
	float *p = rand_floats(NP, 1), *v = rand_floats(NP, 1), *src = rand_floats(3, 1);
	float *x_at = dev(NULL, N * isz), *y_at = dev(NULL, N), *x_ref = dev(NULL, N * isz), *y_ref = dev(NULL, N);
	float *p_at = dev(p, NP), *v_at = dev(v, NP), *p_ref = dev(p, NP), *v_ref = dev(v, NP);
	float *d_src = dev(src, 3), *d_dst = dev(NULL, 3 * STEPS), *d_dst_ref = dev(NULL, 3 * STEPS);
	char name[128];
	for (int t = -1; t <= STEPS; t++) {
		float *g = rand_floats(NP, 1);
		float *d_g = dev(g, NP);
		int32_t ct = t;
		dds_upload(ctx, d_counter, &ct, sizeof ct);
		dds_batch_at(ctx, x_at, (int32_t *)y_at, d_img, d_lab, d_idxs, augment ? d_crops : NULL, d_counter, STEPS, N, H,
		             W, C, PAD, mean, sd);
		dds_sgd_step_at(ctx, p_at, d_g, v_at, NP, d_lrs, d_counter, STEPS, 0.9f, 5e-4f, 1);
		dds_copy_at(ctx, d_dst, d_src, d_counter, STEPS, 3);
		dds_count(ctx, d_counter);
		if (t >= 0 && t < STEPS) {
			dds_batch(ctx, x_ref, (int32_t *)y_ref, d_img, d_lab, d_idxs + t * N, augment ? d_crops8 + 3 * t * N : NULL,
			          N, H, W, C, PAD, mean, sd);
			dds_sgd_step(ctx, p_ref, d_g, v_ref, NP, lrs[t], 0.9f, 5e-4f, 1);
			float *h = malloc((3 * STEPS + GUARD) * sizeof(float));
			dds_download(ctx, h, d_dst_ref, (3 * STEPS + GUARD) * sizeof(float));
			memcpy(h + 3 * t, src, 3 * sizeof(float));
			dds_upload(ctx, d_dst_ref, h, (3 * STEPS + GUARD) * sizeof(float));
			free(h);
		}
		snprintf(name, sizeof name, "batch_at augment%d t=%d equals dds_batch (or nothing)", augment, t);
		expect(same_bits(x_at, x_ref, N * isz) && same_bits(y_at, y_ref, N), name);
		snprintf(name, sizeof name, "sgd_step_at t=%d equals dds_sgd_step (or nothing)", t);
		expect(same_bits(p_at, p_ref, NP) && same_bits(v_at, v_ref, NP), name);
		snprintf(name, sizeof name, "copy_at t=%d", t);
		expect(same_bits(d_dst, d_dst_ref, 3 * STEPS), name);
		int32_t *hc = get_ints(d_counter, 1);
		snprintf(name, sizeof name, "count: counter %d after %d", hc[0], t);
		expect(hc[0] == t + 1, name);
		free(hc), free(g);
		/* A new source for the next copy. */
		for (int k = 0; k < 3; k++) src[k] += 1;
		dds_upload(ctx, d_src, src, 3 * sizeof(float));
	}
	free(p), free(v), free(src);
}

/* graph_set is the buffers of one run of the step graph_ops issues. */
struct graph_set {
	float *x, *r, *logits, *dlogits, *w, *b, *dw, *db, *vw, *cw, *cy, *mean, *var, *st, *stats, *scratch;
	int32_t *y, *counter;
};

enum { G_NIMG = 20, G_N = 12, G_STEPS = 3, G_H = 8, G_W = 8, G_C = 3, G_PAD = 2, G_CLS = 10, G_COUT = 8 };
#define G_ISZ (G_H * G_W * G_C)

static struct graph_set graph_set_new(const float *w, const float *b, const float *cw, size_t scratch) {
	struct graph_set s;
	s.x = dev(NULL, G_N * G_ISZ), s.r = dev(NULL, G_N * G_ISZ), s.logits = dev(NULL, G_N * G_CLS);
	s.dlogits = dev(NULL, G_N * G_CLS), s.w = dev(w, G_CLS * G_ISZ), s.b = dev(b, G_CLS);
	s.dw = dev(NULL, G_CLS * G_ISZ), s.db = dev(NULL, G_CLS), s.vw = dev(NULL, G_CLS * G_ISZ);
	s.cw = dev(cw, G_COUT * 9 * G_C), s.cy = dev(NULL, G_N * G_H * G_W * G_COUT);
	s.mean = dev(NULL, G_COUT), s.var = dev(NULL, G_COUT), s.st = dev(NULL, 3), s.stats = dev(NULL, 3 * G_STEPS);
	s.scratch = dev(NULL, scratch);
	s.y = (int32_t *)dev(NULL, G_N);
	int32_t zero = 0;
	s.counter = dds_alloc(ctx, sizeof(int32_t));
	dds_upload(ctx, s.counter, &zero, sizeof zero);
	return s;
}

/* graph_ops issues one training-like step on s: a step-indexed batch, ReLU, a
 * linear layer and its backward pass (cuBLAS), the loss (G_N > XENT_WARPS rows: a
 * two-stage reduction in the context's workspace), a direct convolution and batch-norm statistics, SGD with
 * the step's rate, the step's loss kept, the counter advanced. */
static void graph_ops(struct graph_set *s, const uint8_t *img, const int32_t *lab, const int32_t *idxs,
                      const int32_t *crops, const float *lrs, const float *mean, const float *sd) {
	dds_conv cs = {G_N, G_H, G_W, G_C, G_COUT, 3, 1, 1};
	dds_batch_at(ctx, s->x, s->y, img, lab, idxs, crops, s->counter, G_STEPS, G_N, G_H, G_W, G_C, G_PAD, mean, sd);
	dds_relu_forward(ctx, s->r, s->x, G_N * G_ISZ);
	dds_linear_forward(ctx, s->logits, s->r, s->w, s->b, G_N, G_ISZ, G_CLS);
	dds_softmax_xent(ctx, s->dlogits, s->logits, s->y, G_N, G_CLS, 0.1f, s->st);
	dds_linear_backward(ctx, NULL, s->dw, s->db, s->dlogits, s->r, s->w, G_N, G_ISZ, G_CLS);
	dds_conv_forward(ctx, s->cy, s->x, s->cw, &cs, s->scratch);
	dds_bn_stats(ctx, s->mean, s->var, s->cy, G_N * G_H * G_W, G_COUT);
	dds_sgd_step_at(ctx, s->w, s->dw, s->vw, G_CLS * G_ISZ, lrs, s->counter, G_STEPS, 0.9f, 5e-4f, 1);
	dds_copy_at(ctx, s->stats, s->st, s->counter, G_STEPS, 3);
	dds_count(ctx, s->counter);
}

/* check_graph records graph_ops on one set of buffers, replays it G_STEPS + 1 times
 * (the last one past the step range, where the step-indexed operations do nothing)
 * and compares every buffer bit for bit with G_STEPS + 1 direct runs on a second set
 * from the same initial values. Then the error paths of capturing. */
static void check_graph(void) {
	uint8_t *img = malloc(G_NIMG * G_ISZ);
	for (size_t i = 0; i < (size_t)G_NIMG * G_ISZ; i++) img[i] = (uint8_t)(rnd() * 128 + 128);
	int32_t lab[G_NIMG], idxs[G_STEPS * G_N], crops[3 * G_STEPS * G_N];
	for (int i = 0; i < G_NIMG; i++) lab[i] = i % G_CLS;
	for (int i = 0; i < G_STEPS * G_N; i++) {
		idxs[i] = (i * 7 + 1) % G_NIMG;
		crops[3 * i] = (i * 3) % (2 * G_PAD + 1), crops[3 * i + 1] = (i + 2) % (2 * G_PAD + 1), crops[3 * i + 2] = i % 2;
	}
	float lrs[G_STEPS] = {0.1f, 0.05f, 0.2f}, mean[3] = {0.5f, 0.45f, 0.4f}, sd[3] = {0.25f, 0.2f, 0.3f};
	uint8_t *d_img = dds_alloc(ctx, G_NIMG * G_ISZ);
	dds_upload(ctx, d_img, img, G_NIMG * G_ISZ);
	int32_t *d_lab = dev_ints(lab, G_NIMG), *d_idxs = dev_ints(idxs, G_STEPS * G_N),
	        *d_crops = dev_ints(crops, 3 * G_STEPS * G_N);
	float *d_lrs = dev(lrs, G_STEPS);
	float *w = rand_floats(G_CLS * G_ISZ, 0.1), *b = rand_floats(G_CLS, 0.1), *cw = rand_floats(G_COUT * 9 * G_C, 1);
	dds_conv cs = {G_N, G_H, G_W, G_C, G_COUT, 3, 1, 1};
	size_t scratch = dds_conv_scratch(&cs);
	struct graph_set a = graph_set_new(w, b, cw, scratch), d = graph_set_new(w, b, cw, scratch);
	expect(dds_sync(ctx) == DDS_OK, "graph: buffers ready");

	size_t used = dds_mem_used(ctx);
	dds_capture_begin(ctx);
	graph_ops(&a, d_img, d_lab, d_idxs, d_crops, d_lrs, mean, sd);
	dds_graph *g = dds_capture_end(ctx);
	expect(g != NULL && dds_status(ctx) == DDS_OK, "graph: captured and instantiated");
	if (g == NULL) {
		printf("     message: %s\n", dds_message(ctx));
		return;
	}
	expect(dds_mem_used(ctx) == used, "graph: capturing allocated nothing");
	int32_t *hc = get_ints(a.counter, 1);
	expect(hc[0] == 0, "graph: capturing ran nothing (counter still 0)");
	free(hc);
	for (int k = 0; k <= G_STEPS; k++) {
		dds_graph_launch(ctx, g);
		graph_ops(&d, d_img, d_lab, d_idxs, d_crops, d_lrs, mean, sd);
	}
	expect(dds_sync(ctx) == DDS_OK, "graph: replays ran");
	struct {
		const char *name;
		float *a, *d;
		size_t n;
	} outs[] = {
	    {"x", a.x, d.x, G_N * G_ISZ},
	    {"labels", (float *)a.y, (float *)d.y, G_N},
	    {"logits", a.logits, d.logits, G_N * G_CLS},
	    {"dw", a.dw, d.dw, G_CLS * G_ISZ},
	    {"db", a.db, d.db, G_CLS},
	    {"w", a.w, d.w, G_CLS * G_ISZ},
	    {"momentum", a.vw, d.vw, G_CLS * G_ISZ},
	    {"conv y", a.cy, d.cy, G_N * G_H * G_W * G_COUT},
	    {"bn mean", a.mean, d.mean, G_COUT},
	    {"bn var", a.var, d.var, G_COUT},
	    {"loss stats", a.st, d.st, 3},
	    {"kept stats", a.stats, d.stats, 3 * G_STEPS},
	    {"counter", (float *)a.counter, (float *)d.counter, 0},
	};
	char name[128];
	for (size_t i = 0; i < sizeof outs / sizeof outs[0]; i++) {
		int ok;
		if (outs[i].n == 0) {
			int32_t *ca = get_ints((int32_t *)outs[i].a, 1), *cd = get_ints((int32_t *)outs[i].d, 1);
			ok = ca[0] == cd[0] && ca[0] == G_STEPS + 1;
			free(ca), free(cd);
		} else {
			ok = same_bits(outs[i].a, outs[i].d, outs[i].n);
		}
		snprintf(name, sizeof name, "graph: %d replays = %d direct runs: %s bit for bit", G_STEPS + 1, G_STEPS + 1,
		         outs[i].name);
		expect(ok, name);
	}
	float *w1 = get("graph w", a.w, G_CLS * G_ISZ);
	int moved = 0;
	for (int i = 0; i < G_CLS * G_ISZ; i++) moved |= w1[i] != w[i];
	expect(moved, "graph: the replays changed the weights");
	free(w1);
	dds_graph_destroy(ctx, g);
	expect(dds_status(ctx) == DDS_OK, "graph: destroyed");

	/* Error paths, each on a context of its own (errors are sticky). */
	char msg[256];
	dds_ctx *e = dds_create(0, msg, sizeof msg);
	float *buf = dds_alloc(e, 64 * sizeof(float));
	float host[64] = {0};
	dds_capture_begin(e);
	dds_relu_forward(e, buf, buf, 64);
	dds_upload(e, buf, host, sizeof host);
	expect(dds_status(e) == DDS_ERR_ARG && strstr(dds_message(e), "capturing") != NULL,
	       "graph: dds_upload while capturing gives DDS_ERR_ARG");
	printf("     message: %s\n", dds_message(e));
	expect(dds_capture_end(e) == NULL, "graph: a capture with an error gives no graph");
	dds_destroy(e);

	e = dds_create(0, msg, sizeof msg);
	expect(dds_capture_end(e) == NULL && dds_status(e) == DDS_ERR_ARG, "graph: dds_capture_end without begin");
	printf("     message: %s\n", dds_message(e));
	dds_destroy(e);

	/* A graph of another context is refused; a context destroyed with a graph and a
	 * capture left open frees them. */
	e = dds_create(0, msg, sizeof msg);
	buf = dds_alloc(e, 64 * sizeof(float));
	dds_capture_begin(e);
	dds_relu_forward(e, buf, buf, 64);
	dds_graph *ge = dds_capture_end(e);
	expect(ge != NULL, "graph: second context captures");
	dds_ctx *f = dds_create(0, msg, sizeof msg);
	dds_graph_launch(f, ge);
	expect(dds_status(f) == DDS_ERR_ARG, "graph: launching another context's graph gives DDS_ERR_ARG");
	printf("     message: %s\n", dds_message(f));
	dds_destroy(f);
	dds_graph_launch(e, ge);
	dds_capture_begin(e);
	dds_relu_forward(e, buf, buf, 64);
	dds_destroy(e);
	expect(1, "graph: dds_destroy with a graph and an open capture");
	free(img), free(w), free(b), free(cw);
}

static void check_mem_info(void) {
	size_t free0 = 0, total = 0, free1 = 0;
	char msg[256];
	int rc = dds_mem_info(0, &free0, &total, msg, sizeof msg);
	printf("     dds_mem_info: %d: %zu free of %zu bytes %s\n", rc, free0, total, msg);
	expect(rc == 0 && total > 0 && free0 <= total, "dds_mem_info on device 0");
	dds_ctx *e = dds_create(0, msg, sizeof msg);
	dds_alloc(e, (size_t)256 << 20);
	dds_sync(e);
	rc = dds_mem_info(0, &free1, &total, msg, sizeof msg);
	expect(rc == 0 && free1 + ((size_t)256 << 20) <= free0, "dds_mem_info: 256 MiB allocated are no longer free");
	dds_destroy(e);
	rc = dds_mem_info(1 << 20, &free1, &total, msg, sizeof msg);
	expect(rc != 0 && strstr(msg, "dds_mem_info") != NULL, "dds_mem_info on a device that does not exist fails");
	printf("     message: %s\n", msg);
}

/* ---- errors ---- */

static void check_errors(void) {
	char msg[256];
	dds_ctx *e = dds_create(0, msg, sizeof msg);
	expect(e != NULL, "second context");
	if (e == NULL) return;
	expect(dds_status(e) == DDS_OK && dds_mem_used(e) == 0, "fresh context: status OK, 0 bytes used");
	void *p = dds_alloc(e, 1000);
	expect(p != NULL && dds_mem_used(e) == 1000, "dds_alloc 1000 bytes counted");
	dds_bn_stats(e, p, p, p, 0, 4);
	expect(dds_status(e) == DDS_ERR_ARG, "m = 0 gives DDS_ERR_ARG");
	printf("     message: %s\n", dds_message(e));
	dds_relu_forward(e, NULL, NULL, 10); /* ignored: the first error sticks */
	expect(dds_status(e) == DDS_ERR_ARG && strstr(dds_message(e), "dds_bn_stats") != NULL, "errors are sticky");
	dds_destroy(e);
	e = dds_create(0, msg, sizeof msg);
	dds_conv s = {1, 4, 4, 6, 4, 3, 1, 4};
	dds_conv_forward(e, p, p, p, &s, NULL);
	expect(dds_status(e) == DDS_ERR_ARG, "groups not dividing cin gives DDS_ERR_ARG");
	printf("     message: %s\n", dds_message(e));
	dds_destroy(e);
	e = dds_create(0, msg, sizeof msg);
	void *big = dds_alloc(e, (size_t)1 << 50);
	expect(big == NULL && dds_status(e) == DDS_ERR_OOM, "1 PiB allocation gives DDS_ERR_OOM");
	printf("     message: %s\n", dds_message(e));
	dds_destroy(e);
	expect(dds_create(1 << 20, msg, sizeof msg) == NULL, "dds_create on a device that does not exist fails");
	printf("     message: %s\n", msg);
}

int main(void) {
	int count = 0, drv = 0, rt = 0;
	char msg[512];
	int e = dds_probe(&count, &drv, &rt, msg, sizeof msg);
	printf("dds_probe: %d: %s\n", e, msg);
	if (e != 0 || count < 1) {
		printf("FAIL: no CUDA device\n");
		return 1;
	}
	ctx = dds_create(0, msg, sizeof msg);
	if (ctx == NULL) {
		printf("FAIL dds_create: %s\n", msg);
		return 1;
	}
	expect(dds_abi_version() == DDS_ABI_VERSION, "ABI version");
	/* {n, h, w, cin, cout, k, stride, groups} */
	dds_conv convs[] = {
	    {2, 9, 7, 3, 8, 3, 1, 1},      /* stem, 3 channels */
	    {3, 8, 8, 1, 16, 3, 1, 1},     /* stem, 1 channel */
	    {2, 7, 9, 16, 24, 3, 2, 1},    /* dense 3×3 stride 2, odd sizes */
	    {2, 9, 9, 24, 24, 3, 1, 3},    /* grouped, width 8 */
	    {2, 10, 7, 16, 16, 3, 2, 2},   /* grouped stride 2 */
	    {2, 7, 7, 12, 12, 3, 1, 12},   /* depthwise */
	    {2, 8, 9, 12, 12, 3, 2, 12},   /* depthwise stride 2 */
	    {2, 6, 5, 16, 40, 1, 1, 1},    /* 1×1 GEMM */
	    {2, 7, 9, 16, 24, 1, 2, 1},    /* 1×1 stride-2 projection */
	    {2, 6, 6, 16, 16, 1, 1, 4},    /* grouped 1×1 */
	    {1, 6, 7, 8, 8, 5, 1, 2},      /* 5×5 */
	    {0, 4, 4, 8, 8, 3, 1, 1},      /* empty batch */
	    {64, 16, 16, 32, 32, 3, 1, 4}, /* many pixels: the two-stage weight gradient */
	};
	for (size_t i = 0; i < sizeof convs / sizeof convs[0]; i++) check_conv(convs[i]);
	check_bn(1, 5, 0, 0);
	check_bn(37, 3, 0, 0);
	check_bn(5000, 37, 0, 0);
	check_bn(3001, 24, 1, 1);
	check_bn(777, 40, 0, 1);
	check_bn(100, 33, 1, 0);
	check_elementwise(100003);
	check_se_pool(3, 49, 37);
	check_se_pool(2, 1, 5);
	check_linear(7, 37, 10, 1);
	check_linear(33, 64, 5, 0);
	check_xent(5, 10, 0.1f, 0);
	check_xent(300, 10, 0.1f, 0);
	check_xent(64, 1000, 0.0f, 0);
	check_xent(300, 10, 0.1f, 5);
	check_sgd(100003, 0);
	check_sgd(1000, 1);
	check_batch(10, 7, 8, 6, 3, 4, 1);
	check_batch(10, 7, 5, 5, 1, 2, 1);
	check_batch(10, 7, 5, 5, 3, 0, 0);
	check_step_ops(1);
	check_step_ops(0);
	check_resized(7, 3, 4, 9, 13, 3);
	check_resized(5, 2, 3, 12, 5, 1);
	check_graph();
	expect(dds_sync(ctx) == DDS_OK, "no error after the checks");
	check_bf16();
	dds_destroy(ctx);
	check_errors();
	check_mem_info();
	if (failures) {
		printf("FAIL: %d check%s failed\n", failures, failures == 1 ? "" : "s");
		return 1;
	}
	printf("PASS\n");
	return 0;
}
