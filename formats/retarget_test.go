package formats

import (
	"slices"
	"testing"
)

func TestRetarget(t *testing.T) {
	look := func(name string) *Space {
		s, err := LookupSpace(name)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	// The ImageNet space at 32 pixels takes the CIFAR geometry; its flops bounds
	// scale by the first stage's area, (32/1)² / (224/4)².
	s := look("regnetx")
	if err := s.Retarget(Geometry{Res: 32, Classes: 7}); err != nil {
		t.Fatal(err)
	}
	c := look("regnetx-cifar10")
	f := 32.0 * 32 / (56 * 56)
	if s.Name != "regnetx@32x32x3-7" || s.Res != 32 || s.Classes != 7 || s.Channels != 3 || s.StemS != c.StemS || !slices.Equal(s.Strides, c.Strides) ||
		s.Flops != (Bounds{int64(360e6*f + 0.5), int64(400e6*f + 0.5)}) {
		t.Errorf("regnetx at 32: %s res %d classes %d stem %d strides %v flops %v; want stem %d strides %v flops ×%.4f",
			s.Name, s.Res, s.Classes, s.StemS, s.Strides, s.Flops, c.StemS, c.Strides, f)
	}
	// Back at 224 the CIFAR space takes the ImageNet geometry.
	if err := c.Retarget(Geometry{Res: 224}); err != nil {
		t.Fatal(err)
	}
	if c.StemS != 2 || !slices.Equal(c.Strides, []int{2, 2, 2, 2}) || c.Flops != (Bounds{int64(50e6/f + 0.5), int64(70e6/f + 0.5)}) {
		t.Errorf("regnetx-cifar10 at 224: stem %d strides %v flops %v", c.StemS, c.Strides, c.Flops)
	}
	// The space's own geometry changes nothing; channels alone keep the strides.
	m := look("anynetx-a-mnist")
	want := look("anynetx-a-mnist")
	if err := m.Retarget(Geometry{Res: 28, Channels: 1, Classes: 10}); err != nil || m.Name != want.Name || m.Flops != want.Flops {
		t.Errorf("mnist space at its own geometry: %v, %s %v", err, m.Name, m.Flops)
	}
	if err := m.Retarget(Geometry{Channels: 3}); err != nil || m.Channels != 3 || !slices.Equal(m.Strides, want.Strides) || m.Flops != want.Flops {
		t.Errorf("mnist space with 3 channels: %v, strides %v flops %v", err, m.Strides, m.Flops)
	}
	// An explicit stem stride, and the stage rule at 64 pixels.
	r := look("regnety")
	if err := r.Retarget(Geometry{Res: 64, StemS: 2}); err != nil {
		t.Fatal(err)
	}
	if r.StemS != 2 || !slices.Equal(r.Strides, []int{1, 2, 2, 2}) {
		t.Errorf("regnety at 64, stem 2: stem %d strides %v; want 2 and 1,2,2,2", r.StemS, r.Strides)
	}
	if got := StageStrides(4, 64, 1); !slices.Equal(got, []int{2, 2, 2, 2}) {
		t.Errorf("StageStrides(4, 64, 1) = %v, want 2,2,2,2", got)
	}
	if err := look("regnetx").Retarget(Geometry{Res: -1}); err == nil {
		t.Errorf("a negative resolution was accepted")
	}
}
