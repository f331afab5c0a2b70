package cpu

import (
	"fmt"
	"math"
)

// SoftmaxCrossEntropy is the soft-target cross-entropy with label smoothing eps over c
// classes, for logits [n][c] and labels [n] in [0, c). The target of row b is
// q[b,j] = (1 − eps)·[j == labels[b]] + eps/c, and
//
//	loss      = 1/n Σ_b −Σ_j q[b,j]·log_softmax(logits[b])[j]
//	dlogits   = (softmax(logits[b]) − q[b]) / n       (overwritten; pass nil to skip)
//	correct   = #{b : argmax_j logits[b,j] == labels[b]}  (first index on ties)
//
// The loss is accumulated in float64. n >= 1. It panics on a label outside [0, c).
func SoftmaxCrossEntropy(dlogits, logits []float32, labels []int32, n, c int, eps float32) (loss float64, correct int) {
	if n < 1 || c < 1 {
		panic(fmt.Sprintf("cpu: SoftmaxCrossEntropy: n=%d c=%d, want both >= 1", n, c))
	}
	checkLen("SoftmaxCrossEntropy", n*c, logits)
	if dlogits != nil {
		checkLen("SoftmaxCrossEntropy", n*c, dlogits)
	}
	if len(labels) < n {
		panic(fmt.Sprintf("cpu: SoftmaxCrossEntropy: %d labels, want %d", len(labels), n))
	}
	off := float64(eps) / float64(c)
	on := 1 - float64(eps) + off
	invN := 1 / float64(n)
	for b := 0; b < n; b++ {
		z := logits[b*c:][:c]
		y := int(labels[b])
		if y < 0 || y >= c {
			panic(fmt.Sprintf("cpu: SoftmaxCrossEntropy: label %d of row %d outside [0, %d)", y, b, c))
		}
		arg := 0
		for j, v := range z {
			if v > z[arg] {
				arg = j
			}
		}
		if arg == y {
			correct++
		}
		zmax := float64(z[arg])
		var sum, qz float64
		for j, v := range z {
			sum += math.Exp(float64(v) - zmax)
			q := off
			if j == y {
				q = on
			}
			qz += q * float64(v)
		}
		lse := zmax + math.Log(sum)
		loss += lse - qz // −Σ q·(z − lse), with Σ q = 1
		if dlogits != nil {
			d := dlogits[b*c:][:c]
			for j, v := range z {
				q := off
				if j == y {
					q = on
				}
				d[j] = float32((math.Exp(float64(v)-lse) - q) * invN)
			}
		}
	}
	return loss * invN, correct
}
