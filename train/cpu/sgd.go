package cpu

// SGDStep applies one step of SGD with momentum and weight decay, as PyTorch's
// torch.optim.SGD (dampening 0) does, to the parameters p[:n] with gradients g and
// momentum buffers v:
//
//	d    = g[i] + weightDecay·p[i]
//	v[i] = momentum·v[i] + d
//	step = d + momentum·v[i] if nesterov, else v[i]
//	p[i] = p[i] − lr·step
//
// v must start at zero (PyTorch's first step sets v = d, which is the same). g is not
// modified. The function applies weightDecay to every value it is given: pycls's
// default (BN.USE_CUSTOM_WEIGHT_DECAY off) decays all parameters, BN γ, β and biases
// included; a caller that exempts some calls SGDStep on their range with weightDecay 0.
func SGDStep(p, g, v []float32, n int, lr, momentum, weightDecay float32, nesterov bool) {
	checkLen("SGDStep", n, p, g, v)
	parallelElements(n, func(lo, hi int) {
		pr, vr := p[lo:hi], v[lo:hi]
		gr := g[lo:hi]
		for i := range pr {
			d := gr[i] + weightDecay*pr[i]
			vi := momentum*vr[i] + d
			vr[i] = vi
			if nesterov {
				d += momentum * vi
			} else {
				d = vi
			}
			pr[i] -= lr * d
		}
	})
}
