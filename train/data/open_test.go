package data

import (
	"slices"
	"testing"
)

func TestOpenErrors(t *testing.T) {
	for _, c := range []struct{ spec, want string }{
		{"imagenet", `data: unknown dataset spec "imagenet": want mnist, mnist:DIR, cifar10:DIR, cifar100:DIR[:coarse], imagefolder:DIR[:R] or synthetic:`},
		{"cifar100", `cifar100: "cifar100" names no folder`},
		{"cifar100::coarse", `cifar100: "cifar100::coarse" names no folder`},
		{"cifar100:/nonexistent/dir", "cifar100: /nonexistent/dir/train.bin: no such file (want train.bin and test.bin in /nonexistent/dir)"},
		{"imagefolder", `imagefolder: "" names no folder`},
		{"imagefolder::32", `imagefolder: ":32" names no folder`},
		{"imagefolder:/x:0", `imagefolder: resolution 0 in "/x:0": want 1..4096`},
		{"imagefolder:/nonexistent/dir:32", "imagefolder: /nonexistent/dir/train: no such folder (want /nonexistent/dir/train/CLASS/IMAGE and /nonexistent/dir/val/CLASS/IMAGE)"},
		{"", `data: unknown dataset spec ""`},
		{"cifar10", `cifar10: "cifar10" names no folder`},
		{"cifar10:", `cifar10: "cifar10:" names no folder`},
		{"mnist:", `mnist: empty folder in "mnist:"`},
		{"mnist:/nonexistent/dir", "mnist: /nonexistent/dir: no train-images-idx3-ubyte or train-images-idx3-ubyte.gz"},
		{"cifar10:/nonexistent/dir", "cifar10: /nonexistent/dir/data_batch_1.bin: no such file"},
		{"synthetic:", `synthetic: "": shape "": want HxWxC`},
		{"synthetic:8x8", `synthetic: "8x8": shape "8x8": want HxWxC, e.g. 32x32x3`},
		{"synthetic:8x0x3", `synthetic: "8x0x3": shape "8x0x3": "0" is not a whole number in [1, 16384]`},
		{"synthetic:8x8x3:1", `synthetic: "8x8x3:1": CLASSES "1" is not a whole number in [2, 1048576]`},
		{"synthetic:28x28x1:1073741824", `synthetic: "28x28x1:1073741824": CLASSES "1073741824" is not a whole number in [2, 1048576]`},
		{"synthetic:8x8x3:10:x", `NTRAIN "x" is not a whole number`},
		{"synthetic:8x8x3:10:5:-1", `NTEST "-1" is not a whole number`},
		{"synthetic:8x8x3:10:5:5:5", "want HxWxC[:CLASSES[:NTRAIN[:NTEST]]], found 5 fields"},
		{"synthetic:4096x4096x3:10:1000000", "more than the 17179869184 allowed"},
	} {
		_, err := Open(c.spec)
		checkErr(t, err, c.want)
	}
}

func TestSynthetic(t *testing.T) {
	for _, c := range []struct {
		spec, name    string
		h, w, ch, k   int
		ntrain, ntest int
	}{
		{"synthetic:8x6x3", "synthetic:8x6x3:10:1024:256", 8, 6, 3, 10, 1024, 256},
		{"synthetic:5x7x2:4", "synthetic:5x7x2:4:1024:256", 5, 7, 2, 4, 1024, 256},
		{"synthetic:3x3x1:3:100", "synthetic:3x3x1:3:100:256", 3, 3, 1, 3, 100, 256},
		{"synthetic:16x16x5::200:50", "synthetic:16x16x5:10:200:50", 16, 16, 5, 10, 200, 50},
	} {
		d, err := Open(c.spec)
		if err != nil {
			t.Fatalf("%s: %v", c.spec, err)
		}
		if d.Name != c.name || d.Train.Name != c.name+"/train" || d.Test.Name != c.name+"/test" {
			t.Errorf("%s: names %q, %q, %q; want %q", c.spec, d.Name, d.Train.Name, d.Test.Name, c.name)
		}
		for _, s := range []*Set{d.Train, d.Test} {
			n := c.ntrain
			if s == d.Test {
				n = c.ntest
			}
			if s.H != c.h || s.W != c.w || s.C != c.ch || s.Classes != c.k || s.Len() != n || len(s.Images) != n*c.h*c.w*c.ch {
				t.Errorf("%s: %s is %dx%dx%d, %d classes, %d examples, %d bytes", c.spec, s.Name, s.H, s.W, s.C, s.Classes, s.Len(), len(s.Images))
			}
			for i, l := range s.Labels {
				if l < 0 || int(l) >= c.k {
					t.Fatalf("%s: label %d = %d", s.Name, i, l)
				}
			}
		}
		again, _ := Open(c.spec)
		if !slices.Equal(d.Train.Images, again.Train.Images) || !slices.Equal(d.Test.Labels, again.Test.Labels) ||
			!slices.Equal(d.Mean, again.Mean) {
			t.Errorf("%s: two loads differ", c.spec)
		}
	}
	// A split's first examples do not depend on its size.
	small, _ := Open("synthetic:8x8x3:10:50:20")
	big, _ := Open("synthetic:8x8x3:10:100:40")
	if !slices.Equal(small.Train.Images, big.Train.Images[:len(small.Train.Images)]) ||
		!slices.Equal(small.Test.Labels, big.Test.Labels[:20]) {
		t.Error("the first examples change with the split size")
	}
}

// TestSyntheticLearnable checks that a nearest-class-mean classifier fit on the train
// split labels the test split well, after the batch normalisation.
func TestSyntheticLearnable(t *testing.T) {
	d, err := Open("synthetic:8x8x3:10:1000:200")
	if err != nil {
		t.Fatal(err)
	}
	size := 8 * 8 * 3
	norm := func(s *Set) []float32 {
		idx := make([]int, s.Len())
		for i := range idx {
			idx[i] = i
		}
		x := make([]float32, s.Len()*size)
		s.Batch(x, nil, idx, nil, 0, d.Mean, d.Std)
		return x
	}
	xtr, xte := norm(d.Train), norm(d.Test)
	means := make([]float64, 10*size)
	counts := make([]float64, 10)
	for i, l := range d.Train.Labels {
		counts[l]++
		for q := range size {
			means[int(l)*size+q] += float64(xtr[i*size+q])
		}
	}
	for k := range 10 {
		for q := range size {
			means[k*size+q] /= counts[k]
		}
	}
	right := 0
	for i, l := range d.Test.Labels {
		best, bestD := -1, 0.0
		for k := range 10 {
			var dist float64
			for q := range size {
				e := float64(xte[i*size+q]) - means[k*size+q]
				dist += e * e
			}
			if best < 0 || dist < bestD {
				best, bestD = k, dist
			}
		}
		if best == int(l) {
			right++
		}
	}
	if acc := float64(right) / float64(d.Test.Len()); acc < 0.9 {
		t.Errorf("nearest-mean accuracy %.3f, want >= 0.9", acc)
	}
}
