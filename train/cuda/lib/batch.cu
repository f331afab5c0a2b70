/*
 * batch.cu — batch assembly from a uint8 image set in device memory
 * (train/data/augment.go, Set.Batch): dds_batch, and dds_batch_at, which takes step
 * t = *counter's indices and int32 crops, read on the device.
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
