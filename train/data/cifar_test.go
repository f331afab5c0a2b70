package data

import (
	"os"
	"path/filepath"
	"testing"
)

// cifarValue is the byte of plane c, position q of record r of batch file f in the
// generated CIFAR files.
func cifarValue(f, r, c, q int) byte { return byte(f*53 + r*29 + c*101 + q*3) }

// cifarBatch returns a batch file of len(labels) records with the values above.
func cifarBatch(f int, labels []byte) []byte {
	b := make([]byte, 0, len(labels)*cifarRecord)
	for r, l := range labels {
		b = append(b, l)
		for c := range 3 {
			for q := range cifarPlane {
				b = append(b, cifarValue(f, r, c, q))
			}
		}
	}
	return b
}

// smallCIFAR returns the batch files: data_batch_k.bin holds k records (k = 1..5,
// labels (k + r) % 10) and test_batch.bin holds 2.
func smallCIFAR() map[string][]byte {
	files := map[string][]byte{}
	for k := 1; k <= 5; k++ {
		labels := make([]byte, k)
		for r := range labels {
			labels[r] = byte((k + r) % 10)
		}
		files[cifarTrainFiles[k-1]] = cifarBatch(k, labels)
	}
	files["test_batch.bin"] = cifarBatch(0, []byte{3, 9})
	return files
}

func writeCIFAR(t *testing.T, dir string, files map[string][]byte) {
	t.Helper()
	for name, data := range files {
		writeFile(t, dir, name, data)
	}
}

func TestCIFARSmall(t *testing.T) {
	for _, sub := range []string{"", cifar10Layout.subdir} {
		t.Run("sub="+sub, func(t *testing.T) {
			root := t.TempDir()
			dir := filepath.Join(root, sub)
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			writeCIFAR(t, dir, smallCIFAR())
			d, err := Open("cifar10:" + root)
			if err != nil {
				t.Fatal(err)
			}
			if d.Name != "cifar10" || len(d.Mean) != 3 || len(d.Std) != 3 {
				t.Fatalf("data %q mean %v std %v", d.Name, d.Mean, d.Std)
			}
			// Train examples in file order: file k contributes records 0..k-1.
			type ex struct{ f, r int }
			var train []ex
			for k := 1; k <= 5; k++ {
				for r := range k {
					train = append(train, ex{k, r})
				}
			}
			for _, c := range []struct {
				s    *Set
				name string
				exs  []ex
				lab  func(ex) int32
			}{
				{d.Train, "cifar10/train", train, func(e ex) int32 { return int32((e.f + e.r) % 10) }},
				{d.Test, "cifar10/test", []ex{{0, 0}, {0, 1}}, func(e ex) int32 { return []int32{3, 9}[e.r] }},
			} {
				s := c.s
				if s.Name != c.name || s.H != 32 || s.W != 32 || s.C != 3 || s.Classes != 10 || s.Len() != len(c.exs) {
					t.Fatalf("%s: got %s %dx%dx%d, %d classes, %d examples", c.name, s.Name, s.H, s.W, s.C, s.Classes, s.Len())
				}
				for i, e := range c.exs {
					if s.Labels[i] != c.lab(e) {
						t.Errorf("%s label %d = %d, want %d", c.name, i, s.Labels[i], c.lab(e))
					}
					for y := range 32 {
						for x := range 32 {
							for ch := range 3 {
								got := s.Images[((i*32+y)*32+x)*3+ch]
								if want := cifarValue(e.f, e.r, ch, y*32+x); got != want {
									t.Fatalf("%s example %d (y %d, x %d, c %d) = %d, want %d", c.name, i, y, x, ch, got, want)
								}
							}
						}
					}
				}
			}
		})
	}
}

func TestCIFARErrors(t *testing.T) {
	cases := []struct {
		name   string
		file   string
		change func(b []byte) []byte // nil: delete the file
		want   string
	}{
		{"missing batch", "data_batch_4.bin", nil,
			"data_batch_4.bin: no such file (want data_batch_1.bin..data_batch_5.bin and test_batch.bin in "},
		{"missing test", "test_batch.bin", nil, "test_batch.bin: no such file"},
		{"not a multiple", "data_batch_2.bin", func(b []byte) []byte { return append(b, 0) },
			"data_batch_2.bin: size 6147 bytes is not a multiple of the 3073-byte record (2 records and 1 bytes over)"},
		{"short", "test_batch.bin", func(b []byte) []byte { return b[:len(b)-10] },
			"test_batch.bin: size 6136 bytes is not a multiple of the 3073-byte record (1 records and 3063 bytes over)"},
		{"empty", "data_batch_1.bin", func([]byte) []byte { return nil },
			"data_batch_1.bin: file is empty, want records of 3073 bytes"},
		{"label", "data_batch_3.bin", func(b []byte) []byte { b[2*cifarRecord] = 10; return b },
			"data_batch_3.bin: label byte 10 in record 2, want 0..9"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			files := smallCIFAR()
			if c.change == nil {
				delete(files, c.file)
			} else {
				files[c.file] = c.change(files[c.file])
			}
			writeCIFAR(t, dir, files)
			_, err := Open("cifar10:" + dir)
			checkErr(t, err, "cifar10: "+filepath.Join(dir, c.file), c.want)
		})
	}
}
