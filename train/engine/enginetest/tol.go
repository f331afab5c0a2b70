package enginetest

import "math"

// Tolerances. Every comparison of the suite is approx.RelErr, the norm-wise relative
// error of a whole argument, against one of these.
const (
	// opTol is allowed between two engines for one operation in FP32: they sum in
	// other orders (and the CPU's batch norm in float64, the naive engine everything
	// in float64), which moves float32 results by about 1e-6 relative; 1e-3 leaves
	// room for long reductions and still catches any indexing or formula error,
	// which shows as O(1).
	opTol = 1e-3

	// actTol, actDiffFrac, floatTolBF16: in BF16 an operation's arguments are the
	// same bfloat16 activations (and float32 weights) on both engines, and each
	// engine computes in float32 (or float64) and rounds its activation outputs to
	// bfloat16: where the two results differ in their last bits and straddle a
	// rounding boundary, the bfloat16 values are one bfloat16 ulp apart. So an
	// activation output may differ by actTol (2^-7, one ulp relative, norm-wise),
	// and at most actDiffFrac of its values may differ at all (boundaries are rare:
	// a kernel that rounded something the reference does not, or forgot to round
	// the weights, changes far more of them). Float32 outputs (weight gradients,
	// statistics) are sums of the same bfloat16 inputs, as in FP32; floatTolBF16
	// gives them twice opTol for margin.
	actTol       = 1.0 / 128
	actDiffFrac  = 0.05
	floatTolBF16 = 2 * opTol

	// batchTol is allowed in a batch: both engines compute (v/255 − mean)/std in
	// float32 from the same bytes, which at most a fused multiply-add (or float64
	// arithmetic) changes; in BF16 both round that to bfloat16 alike.
	batchTol = 1e-6

	// resizedTol is allowed in a batch of random-resized crops in FP32: engines that
	// follow data.Set.ResizedBatch's float32 operations agree bit for bit, and the
	// naive engine's float64 interpolation differs from them by the float32
	// rounding of the weights and of the sums on values up to 255, about 1e-7
	// relative.
	resizedTol = 1e-6

	// stepOpTol is allowed in SGD steps against the reference: a few steps of the
	// same float32 formula, which a fused multiply-add moves by about 1e-7.
	stepOpTol = 1e-5

	// Whole networks (see networks.go for how the data seeds were chosen). After
	// one step the engines differ by float32 rounding in other summation orders, so
	// netStepTol holds for the loss, the logits, every gradient tensor (against
	// max(‖g‖, gradFloorFrac × the largest gradient norm), for γ gradients whose
	// terms cancel) and every state tensor. After ten steps ReLU masks may flip
	// where an input lies within rounding of 0, which moves single tensors by
	// percents, so the whole of each kind of state is compared at once: all
	// parameters, all running statistics, the losses of every step at tenTol, the
	// evaluation logits at evalTol; a 1e-6 perturbation of the CPU engine's initial
	// parameters moves these by a fifth of that at most (NetworkMargin checks it).
	netStepTol    = 1e-3
	gradFloorFrac = 1e-3
	tenTol        = 1e-2
	evalTol       = 5e-2

	// bf16LossTol is allowed in the loss of each of ten BF16 steps. Where the two
	// engines' float32 results straddle a bfloat16 rounding boundary one activation
	// moves by a bfloat16 ulp (2^-8 relative), a perturbation far larger than
	// FP32's rounding, which the following layers and steps carry along.
	bf16LossTol = 2e-2
)

// worst returns the index of the largest absolute difference (a NaN first).
func worst(got, want []float32) int {
	j, m := 0, -1.0
	for i := range got {
		d := math.Abs(float64(got[i]) - float64(want[i]))
		if math.IsNaN(d) {
			return i
		}
		if d > m {
			j, m = i, d
		}
	}
	return j
}

// differing returns how many values of got and want have different bits.
func differing(got, want []float32) int {
	d := 0
	for i := range got {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			d++
		}
	}
	return d
}

// sameBits reports whether a and b hold the same float32 bits.
func sameBits(a, b []float32) bool {
	return len(a) == len(b) && differing(a, b) == 0
}

// roundBF16 rounds every value of v to the nearest bfloat16 (ties to even), kept as
// float32; NaN stays NaN and ±Inf stays.
func roundBF16(v []float32) {
	for i, f := range v {
		b := math.Float32bits(f)
		if f != f {
			v[i] = math.Float32frombits(b | 0x00400000)
			continue
		}
		b += 0x7fff + (b>>16)&1
		v[i] = math.Float32frombits(b &^ 0xffff)
	}
}
