package data

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

const (
	cifarSide   = 32
	cifarPlane  = cifarSide * cifarSide
	cifarRecord = 1 + 3*cifarPlane // a CIFAR-10 record: the label byte, then the R, G and B planes
)

// cifarLayout is the binary format of one CIFAR dataset.
type cifarLayout struct {
	name        string   // "cifar10", "cifar100"
	subdir      string   // the folder the official archive unpacks to
	train, test []string // batch files
	labels      int      // label bytes before each record's pixels
	label       int      // which of them is the label used
	classes     int
	names       string // file of class names, one a line (optional)
	want        string // the files expected, for messages
}

// The CIFAR-10 and CIFAR-100 binary versions. A CIFAR-100 record holds the coarse
// label (20 superclasses) and then the fine label (100 classes).
var (
	cifar10Layout = cifarLayout{name: "cifar10", subdir: "cifar-10-batches-bin",
		train:  []string{"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin"},
		test:   []string{"test_batch.bin"},
		labels: 1, label: 0, classes: 10, names: "batches.meta.txt",
		want: "data_batch_1.bin..data_batch_5.bin and test_batch.bin"}
	cifar100Layout = cifarLayout{name: "cifar100", subdir: "cifar-100-binary",
		train: []string{"train.bin"}, test: []string{"test.bin"},
		labels: 2, label: 1, classes: 100, names: "fine_label_names.txt",
		want: "train.bin and test.bin"}
	cifar100CoarseLayout = cifarLayout{name: "cifar100", subdir: "cifar-100-binary",
		train: []string{"train.bin"}, test: []string{"test.bin"},
		labels: 2, label: 0, classes: 20, names: "coarse_label_names.txt",
		want: "train.bin and test.bin"}
)

// cifarTrainFiles are the CIFAR-10 training batches, in order.
var cifarTrainFiles = cifar10Layout.train

// record returns the size of one record: the label bytes, then the R, G and B planes.
func (l cifarLayout) record() int { return l.labels + 3*cifarPlane }

// dir returns dir, or dir/subdir when only that folder holds the first training
// batch.
func (l cifarLayout) dir(dir string) string {
	if _, err := os.Stat(filepath.Join(dir, l.train[0])); err != nil {
		sub := filepath.Join(dir, l.subdir)
		if _, err := os.Stat(filepath.Join(sub, l.train[0])); err == nil {
			return sub
		}
	}
	return dir
}

// loadCIFAR reads the train and test sets of layout l from the binary batches in
// dir, and the class names from its names file when dir holds one with a non-empty
// line per class (nil otherwise).
func loadCIFAR(dir string, l cifarLayout) (train, test *Set, names []string, err error) {
	dir = l.dir(dir)
	train, err = readCIFAR(dir, l, l.train, l.name+"/train")
	if err != nil {
		return nil, nil, nil, err
	}
	test, err = readCIFAR(dir, l, l.test, l.name+"/test")
	if err != nil {
		return nil, nil, nil, err
	}
	if b, err := os.ReadFile(filepath.Join(dir, l.names)); err == nil {
		var lines []string
		for _, s := range strings.Split(string(b), "\n") {
			if s = strings.TrimSpace(s); s != "" {
				lines = append(lines, s)
			}
		}
		if len(lines) == l.classes {
			names = lines
		}
	}
	return train, test, names, nil
}

// loadCIFAR10 reads the train and test sets from the CIFAR-10 binary batches in dir.
func loadCIFAR10(dir string) (train, test *Set, err error) {
	train, test, _, err = loadCIFAR(dir, cifar10Layout)
	return train, test, err
}

// readCIFAR reads the named batch files of dir, in order, into one Set, converting
// each record's planar R, G, B bytes to NHWC.
func readCIFAR(dir string, l cifarLayout, names []string, name string) (*Set, error) {
	recSize, classes, prefix := int64(l.record()), l.classes, l.name
	paths := make([]string, len(names))
	sizes := make([]int64, len(names))
	var total int64
	for i, base := range names {
		p := filepath.Join(dir, base)
		fi, err := os.Stat(p)
		if err != nil {
			if os.IsNotExist(err) {
				return nil, fmt.Errorf("%s: %s: no such file (want %s in %s)", prefix, p, l.want, dir)
			}
			return nil, fmt.Errorf("%s: %v", prefix, err)
		}
		if !fi.Mode().IsRegular() {
			return nil, fmt.Errorf("%s: %s: not a regular file", prefix, p)
		}
		size := fi.Size()
		switch {
		case size == 0:
			return nil, fmt.Errorf("%s: %s: file is empty, want records of %d bytes", prefix, p, recSize)
		case size%recSize != 0:
			return nil, fmt.Errorf("%s: %s: size %d bytes is not a multiple of the %d-byte record (%d records and %d bytes over)",
				prefix, p, size, recSize, size/recSize, size%recSize)
		}
		paths[i], sizes[i] = p, size
		total += size / recSize
	}
	n := int(total)
	s := &Set{Name: name, H: cifarSide, W: cifarSide, C: 3, Classes: classes,
		Images: make([]uint8, n*3*cifarPlane), Labels: make([]int32, n)}
	var buf []byte
	at := 0 // examples read so far
	for i, p := range paths {
		if int64(cap(buf)) < sizes[i] {
			buf = make([]byte, sizes[i])
		}
		buf = buf[:sizes[i]]
		if err := readExactly(prefix, p, buf); err != nil {
			return nil, err
		}
		for r := range len(buf) / int(recSize) {
			rec := buf[r*int(recSize) : (r+1)*int(recSize)]
			if v := rec[l.label]; int(v) >= classes {
				return nil, fmt.Errorf("%s: %s: label byte %d in record %d, want 0..%d", prefix, p, v, r, classes-1)
			}
			s.Labels[at] = int32(rec[l.label])
			px := rec[l.labels:]
			red, green, blue := px[:cifarPlane], px[cifarPlane:2*cifarPlane], px[2*cifarPlane:3*cifarPlane]
			img := s.Images[at*3*cifarPlane : (at+1)*3*cifarPlane]
			for q := range cifarPlane {
				px := img[3*q : 3*q+3]
				px[0], px[1], px[2] = red[q], green[q], blue[q]
			}
			at++
		}
	}
	return s, nil
}

// readExactly fills buf from the file at p, which must hold exactly len(buf) bytes.
func readExactly(prefix, p string, buf []byte) error {
	f, err := os.Open(p)
	if err != nil {
		return fmt.Errorf("%s: %v", prefix, err)
	}
	defer f.Close()
	if n, err := io.ReadFull(f, buf); err != nil {
		return fmt.Errorf("%s: %s: read %d of %d bytes: %v (file changed while reading?)", prefix, p, n, len(buf), err)
	}
	var one [1]byte
	if n, _ := f.Read(one[:]); n > 0 {
		return fmt.Errorf("%s: %s: file grew while reading, want %d bytes", prefix, p, len(buf))
	}
	return nil
}
