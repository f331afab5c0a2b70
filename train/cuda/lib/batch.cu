/*
 * batch.cu — batch assembly from a uint8 image set in device memory
 * (train/data/augment.go, Set.Batch): dds_batch, and dds_batch_at, which takes step
 * t = *counter's indices and int32 crops, read on the device; dds_resized_batch_at,
 * the random-resized crops of train/data/resizedcrop.go (Set.ResizedBatch).
 */
#include "internal.cuh"

#define BATCH_MAX_CHANNELS 16
#define BATCH_MAX_PAD 63 /* data.MaxPad: offsets are int8 and reach 2·pad */

/* The normalisation constants travel as a kernel argument. */
struct batch_norm {
	float mean[BATCH_MAX_CHANNELS];
	float std[BATCH_MAX_CHANNELS];
};

/* batch_kernel, one thread per output value x[i][oy][ox][ch] (grid-stride). Example
 * img = idx[i] is mirrored left-right when crops[3i+2] != 0, then zero-padded by pad
 * on every side, and the h×w window at row DY = crops[3i], column DX = crops[3i+1]
 * of the padded image is taken: the value is the mirrored image's pixel
 * (oy + DY − pad, ox + DX − pad), that is source row sy = oy + DY − pad and column
 * sx' = ox + DX − pad read at sx = w − 1 − sx' when mirrored, normalised to
 * (v/255 − mean[ch])/std[ch] in float32; 0 where the pixel falls outside the image
 * (so any offsets are read safely). Without crops the image is copied. The first
 * thread of example i also writes y[i] = labels[img] when y is not NULL.
 *
 * Crop is int8_t for dds_batch and int32_t for dds_batch_at. With counter not NULL
 * (dds_batch_at) the kernel reads the step t = *counter first and does nothing when
 * t is outside [0, steps); else it takes the n examples idx + t·n and their crops
 * crops + 3·t·n. x is an activation of type T (the value rounded to T when written). */
template <typename Crop, typename T>
static __global__ void batch_kernel(T *x, int32_t *y, const uint8_t *images, const int32_t *labels,
                                    const int32_t *idx, const Crop *crops, const int32_t *counter, int steps, int n,
                                    int64_t total, int h, int w, int c, int pad, batch_norm nm) {
	if (counter != NULL) {
		int step;
		if (!step_of(counter, steps, &step)) return;
		idx += (int64_t)step * n;
		if (crops != NULL) crops += (int64_t)step * 3 * n;
	}
	for (int64_t t = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; t < total; t += (int64_t)gridDim.x * blockDim.x) {
		int k = (int)t;
		int ch = k % c;
		int q = k / c;
		int ox = q % w;
		q /= w;
		int oy = q % h;
		int i = q / h;
		int64_t img = idx[i];
		int sy = oy, sx = ox;
		bool flip = false;
		if (crops != NULL) {
			sy = oy + crops[3 * i] - pad;
			sx = ox + crops[3 * i + 1] - pad;
			flip = crops[3 * i + 2] != 0;
		}
		float v = 0.f;
		if (sy >= 0 && sy < h && sx >= 0 && sx < w) {
			if (flip) sx = w - 1 - sx;
			uint8_t u = images[((img * h + sy) * w + sx) * c + ch];
			v = ((float)u / 255.f - nm.mean[ch]) / nm.std[ch];
		}
		st(x + t, v);
		if (y != NULL && oy == 0 && ox == 0 && ch == 0) y[i] = labels[img];
	}
}

/* batch_args checks the arguments dds_batch and dds_batch_at share and fills nm; it
 * returns false when there is nothing to launch (an error, or n = 0). */
static bool batch_args(dds_ctx *ctx, const char *fn, float *x, int32_t *y, const uint8_t *images,
                       const int32_t *labels, const void *idx, bool crops, int n, int h, int w, int c, int pad,
                       const float *mean, const float *std, int64_t *total, batch_norm *nm) {
	if (n < 0) return arg_error(ctx, fn, "n = %d, want >= 0", n);
	if (h < 1 || w < 1) return arg_error(ctx, fn, "h = %d, w = %d, want both >= 1", h, w);
	if (c < 1 || c > BATCH_MAX_CHANNELS) return arg_error(ctx, fn, "c = %d, want [1, %d]", c, BATCH_MAX_CHANNELS);
	if (crops && (pad < 0 || pad > BATCH_MAX_PAD)) return arg_error(ctx, fn, "pad = %d, want [0, %d]", pad, BATCH_MAX_PAD);
	*total = (int64_t)n * h * w * c;
	if (!need_elems(ctx, fn, "x [n][h][w][c]", *total) || n == 0) return false;
	if (!need_ptr(ctx, fn, "x", x) || !need_ptr(ctx, fn, "images", images) || !need_ptr(ctx, fn, "idx", idx) ||
	    !need_ptr(ctx, fn, "mean", mean) || !need_ptr(ctx, fn, "std", std) ||
	    (y != NULL && !need_ptr(ctx, fn, "labels", labels))) {
		return false;
	}
	for (int ch = 0; ch < BATCH_MAX_CHANNELS; ch++) {
		nm->mean[ch] = ch < c ? mean[ch] : 0.f;
		nm->std[ch] = ch < c ? std[ch] : 1.f;
	}
	return true;
}

void dds_batch(dds_ctx *ctx, float *x, int32_t *y, const uint8_t *images, const int32_t *labels, const int32_t *idx,
               const int8_t *crops, int n, int h, int w, int c, int pad, const float *mean, const float *std) {
	static const char fn[] = "dds_batch";
	int64_t total = 0;
	batch_norm nm;
	if (!begin(ctx, fn) ||
	    !batch_args(ctx, fn, x, y, images, labels, idx, crops != NULL, n, h, w, c, pad, mean, std, &total, &nm)) {
		return;
	}
	with_act(ctx, [&](auto tag) {
		using T = typename decltype(tag)::type;
		DDS_LAUNCH(stride_blocks(total, 256), 256, 0, ctx->stream, batch_kernel<int8_t, T>)(
		    act<T>(x), y, images, labels, idx, crops, NULL, 0, n, total, h, w, c, pad, nm);
	});
	launched(ctx, fn, "batch_kernel");
}

void dds_batch_at(dds_ctx *ctx, float *x, int32_t *y, const uint8_t *images, const int32_t *labels,
                  const int32_t *idxs, const int32_t *crops, const int32_t *counter, int steps, int n, int h, int w,
                  int c, int pad, const float *mean, const float *std) {
	static const char fn[] = "dds_batch_at";
	int64_t total = 0;
	batch_norm nm;
	if (!begin(ctx, fn)) return;
	if (steps < 0) {
		arg_error(ctx, fn, "steps = %d, want >= 0", steps);
		return;
	}
	if (!need_ptr(ctx, fn, "counter", counter) ||
	    !batch_args(ctx, fn, x, y, images, labels, idxs, crops != NULL, n, h, w, c, pad, mean, std, &total, &nm) ||
	    steps == 0) {
		return;
	}
	with_act(ctx, [&](auto tag) {
		using T = typename decltype(tag)::type;
		DDS_LAUNCH(stride_blocks(total, 256), 256, 0, ctx->stream, batch_kernel<int32_t, T>)(
		    act<T>(x), y, images, labels, idxs, crops, counter, steps, n, total, h, w, c, pad, nm);
	});
	launched(ctx, fn, "batch_kernel<int32_t>");
}


/* The normalisation of a resized batch as data.Set.ResizedBatch computes it in
 * float32: v·scale[ch] − shift[ch], scale = 1/(255·std[ch]), shift = mean[ch]/std[ch]. */
struct resized_norm {
	float scale[BATCH_MAX_CHANNELS];
	float shift[BATCH_MAX_CHANNELS];
};

/* resized_tap is data's bilinearTaps for one output sample: output sample j of out
 * samples over a window of len input samples starting at off sits at input position
 * p = (j + ½)·len/out − ½ within the window (float64, each operation rounded as Go
 * rounds it: no fused multiply-add), clamped to [0, len − 1]; it interpolates samples
 * off + ⌊p⌋ and off + min(⌊p⌋ + 1, len − 1) with the weight float32(p − ⌊p⌋) of the
 * second. Both samples are clamped to [0, size) as well, which changes nothing for a
 * window inside the axis and keeps every read inside the image for one that is not. */
static __device__ __forceinline__ void resized_tap(int off, int len, int out, int size, int j, int *lo, int *hi,
                                                   float *frac) {
	double scale = (double)len / (double)out;
	double p = __dsub_rn(__dmul_rn(__dadd_rn((double)j, 0.5), scale), 0.5);
	double last = (double)(len - 1);
	if (p < 0.0) p = 0.0;
	if (p > last) p = last;
	int i = (int)p;
	double f = __dsub_rn(p, (double)i);
	int i1 = i + 1 < len - 1 ? i + 1 : len - 1;
	int a = off + i, b = off + i1;
	*lo = a < 0 ? 0 : (a >= size ? size - 1 : a);
	*hi = b < 0 ? 0 : (b >= size ? size - 1 : b);
	*frac = (float)f;
}

/* resized_batch_kernel, one thread per output pixel x[i][oy][ox] (grid-stride), its
 * c channels in turn. It reads the step t = *counter first and does nothing when t is
 * outside [0, steps). Example i is image idxs[k], k = t·n + i, cut to the window
 * boxes[5k .. 5k+5) (top, left, height, width, flip), resized to h×w bilinearly
 * (resized_tap on each axis) and mirrored left-right when flip != 0: output column ox
 * takes the resized column sx = w − 1 − ox when mirrored, else ox. With rows r0, r1
 * and columns a0, a1 the taps and fy, fx their weights, each channel's value is
 * top = r0a0 + fx·(r0a1 − r0a0), bot = r1a0 + fx·(r1a1 − r1a0),
 * v = top + fy·(bot − top), then v·scale − shift, in float32 with every operation
 * rounded (the order and roundings of data.Set.ResizedBatch, so the results are the
 * CPU engine's bit for bit in float32), and rounded to T when written. The first
 * thread of example i also writes y[i] = labels[idxs[k]] when y is not NULL. */
template <typename T>
static __global__ void resized_batch_kernel(T *x, int32_t *y, const uint8_t *images, const int32_t *labels,
                                            const int32_t *idxs, const int32_t *boxes, const int32_t *counter,
                                            int steps, int n, int64_t pixels, int h, int w, int c, resized_norm nm) {
	int step;
	if (!step_of(counter, steps, &step)) return;
	idxs += (int64_t)step * n;
	boxes += (int64_t)step * 5 * n;
	for (int64_t t = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; t < pixels; t += (int64_t)gridDim.x * blockDim.x) {
		int k = (int)t;
		int ox = k % w;
		int q = k / w;
		int oy = q % h;
		int i = q / h;
		const int32_t *b = boxes + 5 * i;
		int sx = b[4] != 0 ? w - 1 - ox : ox;
		int r0, r1, a0, a1;
		float fy, fx;
		resized_tap(b[0], b[2], h, h, oy, &r0, &r1, &fy);
		resized_tap(b[1], b[3], w, w, sx, &a0, &a1, &fx);
		int64_t img = idxs[i];
		const uint8_t *p0 = images + ((img * h + r0) * w) * c;
		const uint8_t *p1 = images + ((img * h + r1) * w) * c;
		T *out = x + t * c;
		for (int ch = 0; ch < c; ch++) {
			float v00 = (float)p0[a0 * c + ch], v01 = (float)p0[a1 * c + ch];
			float v10 = (float)p1[a0 * c + ch], v11 = (float)p1[a1 * c + ch];
			float top = __fadd_rn(v00, __fmul_rn(fx, __fsub_rn(v01, v00)));
			float bot = __fadd_rn(v10, __fmul_rn(fx, __fsub_rn(v11, v10)));
			float v = __fadd_rn(top, __fmul_rn(fy, __fsub_rn(bot, top)));
			st(out + ch, __fsub_rn(__fmul_rn(v, nm.scale[ch]), nm.shift[ch]));
		}
		if (y != NULL && oy == 0 && ox == 0) y[i] = labels[img];
	}
}

void dds_resized_batch_at(dds_ctx *ctx, float *x, int32_t *y, const uint8_t *images, const int32_t *labels,
                          const int32_t *idxs, const int32_t *boxes, const int32_t *counter, int steps, int n, int h,
                          int w, int c, const float *mean, const float *std) {
	static const char fn[] = "dds_resized_batch_at";
	int64_t total = 0;
	batch_norm bn;
	if (!begin(ctx, fn)) return;
	if (steps < 0) {
		arg_error(ctx, fn, "steps = %d, want >= 0", steps);
		return;
	}
	if (!need_ptr(ctx, fn, "counter", counter) || !need_ptr(ctx, fn, "boxes", boxes) ||
	    !batch_args(ctx, fn, x, y, images, labels, idxs, false, n, h, w, c, 0, mean, std, &total, &bn) ||
	    steps == 0) {
		return;
	}
	resized_norm nm;
	for (int ch = 0; ch < BATCH_MAX_CHANNELS; ch++) {
		nm.scale[ch] = 1.f / (255.f * bn.std[ch]);
		nm.shift[ch] = bn.mean[ch] / bn.std[ch];
	}
	int64_t pixels = total / c;
	with_act(ctx, [&](auto tag) {
		using T = typename decltype(tag)::type;
		DDS_LAUNCH(stride_blocks(pixels, 256), 256, 0, ctx->stream, resized_batch_kernel<T>)(
		    act<T>(x), y, images, labels, idxs, boxes, counter, steps, n, pixels, h, w, c, nm);
	});
	launched(ctx, fn, "resized_batch_kernel");
}
