package network

import (
	"fmt"
	"slices"

	"github.com/ddstools/dds/train/engine"
	"github.com/ddstools/dds/train/safetensors"
)

// State returns the network's state dict: every entry under its PyTorch name and
// shape, in PyTorch's order, parameters as F32 (convolution weights converted to
// [Cout][Cin/G][K][K]), running statistics as F32 and num_batches_tracked as an I64
// scalar holding Steps.
func (n *Net) State() ([]safetensors.Tensor, error) {
	out := make([]safetensors.Tensor, 0, len(n.Entries))
	for _, e := range n.Entries {
		if e.Counter {
			out = append(out, safetensors.Int64(e.Name, []int{}, []int64{n.Steps}))
			continue
		}
		out = append(out, n.tensor(e.Name, e, e.Buf))
	}
	return out, n.E.Err()
}

// Gradients returns the gradient of every trainable parameter from the last Backward,
// named and shaped as the parameter in State.
func (n *Net) Gradients() ([]safetensors.Tensor, error) {
	if !n.Train {
		return nil, fmt.Errorf("network: no gradients in a net built without train")
	}
	var out []safetensors.Tensor
	for _, e := range n.Entries {
		if e.Param {
			out = append(out, n.tensor(e.Name, e, n.E.Slice(n.G, e.Off, e.Len)))
		}
	}
	return out, n.E.Err()
}

// tensor downloads the values of entry e held in b, in PyTorch's layout.
func (n *Net) tensor(name string, e Entry, b engine.Buf) safetensors.Tensor {
	v := make([]float32, e.Len)
	n.E.Download(v, b)
	if e.ConvK > 0 {
		t := make([]float32, e.Len)
		convWeightToTorch(t, v, e.Shape[0], e.ConvCinG, e.ConvK)
		v = t
	}
	return safetensors.Float32(name, e.Shape, v)
}

// Load sets the network from a state dict as State writes it (or as PyTorch's
// state_dict of the peer module holds it): every entry must be present with its
// shape and dtype, and no other tensor may be (PyTorch's strict loading). Steps is
// set from the num_batches_tracked values, which must agree. Momentum is reset.
func (n *Net) Load(f *safetensors.File) error {
	seen := make(map[string]bool, len(n.Entries))
	steps := int64(-1)
	for _, e := range n.Entries {
		t, ok := f.Get(e.Name)
		if !ok {
			return fmt.Errorf("weights: missing tensor %q", e.Name)
		}
		seen[e.Name] = true
		if !slices.Equal(t.Shape, e.Shape) {
			return fmt.Errorf("weights: tensor %q has shape %v, want %v", e.Name, t.Shape, e.Shape)
		}
		if e.Counter {
			v, err := t.Int64s()
			if err != nil {
				return fmt.Errorf("weights: %w", err)
			}
			if steps >= 0 && v[0] != steps {
				return fmt.Errorf("weights: %q is %d, other layers have %d", e.Name, v[0], steps)
			}
			steps = v[0]
			continue
		}
		v, err := t.Float32s()
		if err != nil {
			return fmt.Errorf("weights: %w", err)
		}
		if e.ConvK > 0 {
			w := make([]float32, e.Len)
			convWeightFromTorch(w, v, e.Shape[0], e.ConvCinG, e.ConvK)
			v = w
		}
		n.E.Upload(e.Buf, v)
	}
	for _, t := range f.Tensors {
		if !seen[t.Name] {
			return fmt.Errorf("weights: unexpected tensor %q", t.Name)
		}
	}
	n.Steps = max(steps, 0)
	if n.Train {
		n.E.Upload(n.V, make([]float32, n.NParams))
	}
	return n.E.Err()
}

// convWeightFromTorch copies a PyTorch convolution weight src [cout][cinG][k][k] into
// dst in the engines' layout [cout][k][k][cinG] (engine.Conv): dst[o][i][j][c] =
// src[o][c][i][j].
func convWeightFromTorch(dst, src []float32, cout, cinG, k int) {
	n := cout * cinG * k * k
	dst, src = dst[:n], src[:n]
	for o := 0; o < cout; o++ {
		for c := 0; c < cinG; c++ {
			for ij := 0; ij < k*k; ij++ {
				dst[(o*k*k+ij)*cinG+c] = src[(o*cinG+c)*k*k+ij]
			}
		}
	}
}

// convWeightToTorch is the inverse of convWeightFromTorch: it copies src
// [cout][k][k][cinG] into dst [cout][cinG][k][k], dst[o][c][i][j] = src[o][i][j][c].
func convWeightToTorch(dst, src []float32, cout, cinG, k int) {
	n := cout * cinG * k * k
	dst, src = dst[:n], src[:n]
	for o := 0; o < cout; o++ {
		for c := 0; c < cinG; c++ {
			for ij := 0; ij < k*k; ij++ {
				dst[(o*cinG+c)*k*k+ij] = src[(o*k*k+ij)*cinG+c]
			}
		}
	}
}
