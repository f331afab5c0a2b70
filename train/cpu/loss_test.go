package cpu

import (
	"math"
	"testing"

	"github.com/ddstools/dds/internal/approx"
)

// TestSoftmaxCrossEntropyByHand checks a 2×3 case worked out by hand with ε = 0.1.
func TestSoftmaxCrossEntropyByHand(t *testing.T) {
	// Row 0: logits 1, 2, 3, label 2. log Σ e^z = 3 + log(1 + e⁻¹ + e⁻²) = 3.4076060,
	// log_softmax = −2.4076060, −1.4076060, −0.4076060; q = 1/30, 1/30, 0.9 + 1/30.
	// loss₀ = (2.4076060 + 1.4076060)/30 + (28/30)·0.4076060 = 0.5076059.
	// softmax = 0.0900306, 0.2447285, 0.6652410; (softmax − q)/2 = 0.0283486, 0.1056976, −0.1340462.
	// Row 1: logits 1, 1, 1, label 1. loss₁ = log 3 = 1.0986123; softmax 1/3 each;
	// (softmax − q)/2 = 0.15, −0.3, 0.15. The tie makes argmax index 0, so it is wrong.
	// loss = (0.5076059 + 1.0986123)/2 = 0.8031091; one correct.
	logits := []float32{1, 2, 3, 1, 1, 1}
	labels := []int32{2, 1}
	d := guarded(6)
	loss, correct := SoftmaxCrossEntropy(d, logits, labels, 2, 3, 0.1)
	if !approx.Close(loss, 0.8031091, 1e-7, 0) {
		t.Errorf("loss = %.7f, want 0.8031091", loss)
	}
	if correct != 1 {
		t.Errorf("correct = %d, want 1", correct)
	}
	checkSlice(t, "dlogits", d, []float64{0.0283486, 0.1056976, -0.1340462, 0.15, -0.3, 0.15}, 1e-7, 0)
	checkGuard(t, "dlogits", d, 6)

	// Without smoothing and without a gradient: loss = (0.4076060 + 1.0986123)/2.
	loss, correct = SoftmaxCrossEntropy(nil, logits, []int32{2, 0}, 2, 3, 0)
	if !approx.Close(loss, (0.4076060+1.0986123)/2, 1e-7, 0) || correct != 2 {
		t.Errorf("ε=0: loss %.7f correct %d, want %.7f and 2", loss, correct, (0.4076060+1.0986123)/2)
	}
}

func TestSoftmaxCrossEntropyGradient(t *testing.T) {
	const n, c = 4, 5
	r := newRand(11)
	logits := randSlice(r, n*c, 3)
	logits[0] = 80 // large logits must not overflow
	labels := []int32{0, 4, 2, 2}
	for _, eps := range []float32{0, 0.1} {
		d := guarded(n * c)
		SoftmaxCrossEntropy(d, logits, labels, n, c, eps)
		checkGuard(t, "dlogits", d, n*c)
		loss := func() float64 {
			l, _ := SoftmaxCrossEntropy(nil, logits, labels, n, c, eps)
			return l
		}
		if l := loss(); math.IsNaN(l) || math.IsInf(l, 0) {
			t.Fatalf("loss %g", l)
		}
		// The loss is computed in float64 from float32 logits: the difference quotient is
		// limited by O(h²) curvature only.
		fdCheck(t, "fd dlogits", logits, d, 1e-3, loss, 1e-6, 1e-4)
	}
}

func TestSoftmaxCrossEntropyBadLabel(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("no panic for label 3 of 3 classes")
		}
	}()
	SoftmaxCrossEntropy(nil, make([]float32, 3), []int32{3}, 1, 3, 0)
}
