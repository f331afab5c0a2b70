package network

import (
	"slices"
	"testing"
)

// TestConvWeightTorch checks the weight layout conversion at one hand-computed index
// and as a round trip, and that neither writes past the weights.
func TestConvWeightTorch(t *testing.T) {
	const cout, cinG, k, guard = 3, 2, 3, 5
	n := cout * cinG * k * k
	src := make([]float32, n)
	for i := range src {
		src[i] = float32(i)
	}
	ours := make([]float32, n+guard)
	for i := range ours {
		ours[i] = -1
	}
	back := slices.Clone(ours)
	convWeightFromTorch(ours, src, cout, cinG, k)
	// PyTorch weight[o=2][c=1][i=0][j=2] is at ((2·2+1)·3+0)·3+2 = 47; ours w[2][0][2][1]
	// is at ((2·3+0)·3+2)·2+1 = 41.
	if ours[41] != 47 {
		t.Errorf("ours[41] = %g, want 47", ours[41])
	}
	convWeightToTorch(back, ours, cout, cinG, k)
	if !slices.Equal(back[:n], src) {
		t.Errorf("round trip: %v, want %v", back[:n], src)
	}
	for i := n; i < n+guard; i++ {
		if ours[i] != -1 || back[i] != -1 {
			t.Errorf("value %d past the weights written: %g, %g", i, ours[i], back[i])
		}
	}
}
