package data

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// cifar100File returns a CIFAR-100 binary file of len(fine) records: coarse label,
// fine label, then the planes with cifarValue(f, r, c, q).
func cifar100File(f int, coarse, fine []byte) []byte {
	var b []byte
	for r := range fine {
		b = append(b, coarse[r], fine[r])
		for c := range 3 {
			for q := range cifarPlane {
				b = append(b, cifarValue(f, r, c, q))
			}
		}
	}
	return b
}

func TestCIFAR100(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "cifar-100-binary")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, dir, "train.bin", cifar100File(1, []byte{19, 0, 7}, []byte{99, 5, 42}))
	writeFile(t, dir, "test.bin", cifar100File(2, []byte{3, 4}, []byte{60, 0}))
	var names []string
	for i := range 100 {
		names = append(names, fmt.Sprintf("fine%d", i))
	}
	writeFile(t, dir, "fine_label_names.txt", []byte(strings.Join(names, "\n")+"\n"))
	d, err := Open("cifar100:" + root)
	if err != nil {
		t.Fatal(err)
	}
	if d.Train.Len() != 3 || d.Test.Len() != 2 || d.Train.Classes != 100 || !slices.Equal(d.Train.Labels, []int32{99, 5, 42}) ||
		!slices.Equal(d.Test.Labels, []int32{60, 0}) || len(d.ClassNames) != 100 || d.ClassNames[42] != "fine42" {
		t.Fatalf("fine: %d/%d examples, %d classes, labels %v %v, %d names", d.Train.Len(), d.Test.Len(), d.Train.Classes, d.Train.Labels, d.Test.Labels, len(d.ClassNames))
	}
	// Pixels are converted from planes to NHWC.
	for _, at := range []struct{ r, c, q int }{{0, 0, 0}, {1, 2, 1023}, {2, 1, 500}} {
		got := d.Train.Images[(at.r*cifarPlane+at.q)*3+at.c]
		if want := cifarValue(1, at.r, at.c, at.q); got != want {
			t.Errorf("train record %d channel %d pixel %d = %d, want %d", at.r, at.c, at.q, got, want)
		}
	}
	c, err := Open("cifar100:" + root + ":coarse")
	if err != nil {
		t.Fatal(err)
	}
	if c.Name != "cifar100:coarse" || c.Train.Classes != 20 || !slices.Equal(c.Train.Labels, []int32{19, 0, 7}) || c.ClassNames != nil {
		t.Errorf("coarse: name %q, %d classes, labels %v, names %v; want 20 classes, labels 19 0 7, no names file", c.Name, c.Train.Classes, c.Train.Labels, c.ClassNames)
	}
	// A truncated file is one line naming it.
	b := cifar100File(1, []byte{1, 2}, []byte{3, 4})
	writeFile(t, dir, "train.bin", b[:len(b)-100])
	_, err = Open("cifar100:" + root)
	checkErr(t, err, "cifar100: "+filepath.Join(dir, "train.bin")+": size 6048 bytes is not a multiple of the 3074-byte record (1 records and 2974 bytes over)")
	// A fine label of 100 is out of range; so is a coarse label of 20.
	writeFile(t, dir, "train.bin", cifar100File(1, []byte{20}, []byte{100}))
	_, err = Open("cifar100:" + root)
	checkErr(t, err, "train.bin: label byte 100 in record 0, want 0..99")
	_, err = Open("cifar100:" + root + ":coarse")
	checkErr(t, err, "train.bin: label byte 20 in record 0, want 0..19")
	os.Remove(filepath.Join(dir, "test.bin"))
	writeFile(t, dir, "train.bin", cifar100File(1, []byte{1}, []byte{1}))
	_, err = Open("cifar100:" + root)
	checkErr(t, err, "cifar100: "+filepath.Join(dir, "test.bin")+": no such file (want train.bin and test.bin in "+dir+")")
}
