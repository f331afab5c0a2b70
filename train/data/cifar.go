package data

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
)

const (
	cifarSide    = 32
	cifarPlane   = cifarSide * cifarSide
	cifarRecord  = 1 + 3*cifarPlane // label byte, then the R, G and B planes
	cifarClasses = 10
	cifarSubdir  = "cifar-10-batches-bin" // the folder the official archive unpacks to
)

var (
	cifarTrainFiles = []string{"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin"}
	cifarTestFiles  = []string{"test_batch.bin"}
)

// cifarDir returns dir, or dir/cifar-10-batches-bin when only that folder holds the
// first training batch.
func cifarDir(dir string) string {
	if _, err := os.Stat(filepath.Join(dir, cifarTrainFiles[0])); err != nil {
		sub := filepath.Join(dir, cifarSubdir)
		if _, err := os.Stat(filepath.Join(sub, cifarTrainFiles[0])); err == nil {
			return sub
		}
	}
	return dir
}

// loadCIFAR10 reads the train and test sets from the CIFAR-10 binary batches in dir.
func loadCIFAR10(dir string) (train, test *Set, err error) {
	dir = cifarDir(dir)
	train, err = readCIFAR(dir, cifarTrainFiles, "cifar10/train")
	if err != nil {
		return nil, nil, err
	}
	test, err = readCIFAR(dir, cifarTestFiles, "cifar10/test")
	if err != nil {
		return nil, nil, err
	}
	return train, test, nil
}

// readCIFAR reads the named batch files of dir, in order, into one Set, converting
// each record's planar R, G, B bytes to NHWC.
func readCIFAR(dir string, names []string, name string) (*Set, error) {
	paths := make([]string, len(names))
	sizes := make([]int64, len(names))
	var total int64
	for i, base := range names {
		p := filepath.Join(dir, base)
		fi, err := os.Stat(p)
		if err != nil {
			if os.IsNotExist(err) {
				return nil, fmt.Errorf("cifar10: %s: no such file (want data_batch_1.bin..data_batch_5.bin and test_batch.bin in %s)", p, dir)
			}
			return nil, fmt.Errorf("cifar10: %v", err)
		}
		if !fi.Mode().IsRegular() {
			return nil, fmt.Errorf("cifar10: %s: not a regular file", p)
		}
		size := fi.Size()
		switch {
		case size == 0:
			return nil, fmt.Errorf("cifar10: %s: file is empty, want records of %d bytes", p, cifarRecord)
		case size%cifarRecord != 0:
			return nil, fmt.Errorf("cifar10: %s: size %d bytes is not a multiple of the %d-byte record (%d records and %d bytes over)",
				p, size, cifarRecord, size/cifarRecord, size%cifarRecord)
		}
		paths[i], sizes[i] = p, size
		total += size / cifarRecord
	}
	n := int(total)
	s := &Set{Name: name, H: cifarSide, W: cifarSide, C: 3, Classes: cifarClasses,
		Images: make([]uint8, n*3*cifarPlane), Labels: make([]int32, n)}
	var buf []byte
	at := 0 // examples read so far
	for i, p := range paths {
		if int64(cap(buf)) < sizes[i] {
			buf = make([]byte, sizes[i])
		}
		buf = buf[:sizes[i]]
		if err := readExactly(p, buf); err != nil {
			return nil, err
		}
		for r := range len(buf) / cifarRecord {
			rec := buf[r*cifarRecord : (r+1)*cifarRecord]
			if rec[0] >= cifarClasses {
				return nil, fmt.Errorf("cifar10: %s: label byte %d in record %d, want 0..%d", p, rec[0], r, cifarClasses-1)
			}
			s.Labels[at] = int32(rec[0])
			red, green, blue := rec[1:1+cifarPlane], rec[1+cifarPlane:1+2*cifarPlane], rec[1+2*cifarPlane:1+3*cifarPlane]
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
func readExactly(p string, buf []byte) error {
	f, err := os.Open(p)
	if err != nil {
		return fmt.Errorf("cifar10: %v", err)
	}
	defer f.Close()
	if n, err := io.ReadFull(f, buf); err != nil {
		return fmt.Errorf("cifar10: %s: read %d of %d bytes: %v (file changed while reading?)", p, n, len(buf), err)
	}
	var one [1]byte
	if n, _ := f.Read(one[:]); n > 0 {
		return fmt.Errorf("cifar10: %s: file grew while reading, want %d bytes", p, len(buf))
	}
	return nil
}
