// Package e2e runs the programs as a user does, built and joined by shell pipes.
package e2e

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/ddstools/dds/internal/clitest"
)

var programs = []string{"sample", "train", "evaluate"}

// build builds the programs into a temporary folder and returns it. go test caches
// a passing result until the files it consulted change, so the test also stats
// the sources the programs are built from.
func build(t *testing.T) string {
	t.Helper()
	bin := t.TempDir()
	var pkgs []string
	for _, p := range programs {
		pkgs = append(pkgs, "github.com/ddstools/dds/"+p)
	}
	if out, err := exec.Command("go", append([]string{"build", "-o", bin + "/"}, pkgs...)...).CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, err := exec.Command("go", append([]string{"list", "-deps", "-f", "{{if and .Module .Module.Main}}{{.Dir}}{{end}}"}, pkgs...)...).Output()
	if err != nil {
		t.Fatal(err)
	}
	for dir := range strings.FieldsSeq(string(out)) {
		ents, _ := os.ReadDir(dir)
		for _, e := range ents {
			if strings.HasSuffix(e.Name(), ".go") {
				os.Stat(filepath.Join(dir, e.Name()))
			}
		}
	}
	return bin
}

// classes of the generated folder: each a colour that also differs in brightness,
// so that grey images of it stay apart.
var classes = []struct {
	name string
	c    [3]float64
}{{"apple", [3]float64{170, 30, 30}}, {"banana", [3]float64{40, 170, 40}}, {"cherry", [3]float64{210, 210, 250}}}

// makeFolder writes DIR/{train,val}/CLASS/*: per class ntrain and nval images of
// random sizes (16 to 80 pixels a side), alternately JPEG and PNG, every third one
// grey, each the class colour plus uniform noise of ±25.
func makeFolder(t *testing.T, dir string, ntrain, nval int) {
	t.Helper()
	rng := rand.New(rand.NewPCG(1, 2))
	for _, split := range []struct {
		name string
		n    int
	}{{"train", ntrain}, {"val", nval}} {
		for _, cl := range classes {
			folder := filepath.Join(dir, split.name, cl.name)
			if err := os.MkdirAll(folder, 0o755); err != nil {
				t.Fatal(err)
			}
			for i := range split.n {
				w, h := 16+rng.IntN(65), 16+rng.IntN(65)
				var img image.Image
				if i%3 == 2 {
					g := image.NewGray(image.Rect(0, 0, w, h))
					luma := 0.299*cl.c[0] + 0.587*cl.c[1] + 0.114*cl.c[2]
					for p := range g.Pix {
						g.Pix[p] = uint8(min(255, max(0, luma+50*rng.Float64()-25)))
					}
					img = g
				} else {
					m := image.NewNRGBA(image.Rect(0, 0, w, h))
					for p := 0; p < len(m.Pix); p += 4 {
						for c := range 3 {
							m.Pix[p+c] = uint8(min(255, max(0, cl.c[c]+50*rng.Float64()-25)))
						}
						m.Pix[p+3] = 255
					}
					img = m
				}
				var b bytes.Buffer
				name := fmt.Sprintf("%03d.png", i)
				if i%2 == 0 {
					name = fmt.Sprintf("%03d.jpg", i)
					if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 90}); err != nil {
						t.Fatal(err)
					}
				} else if err := png.Encode(&b, img); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(folder, name), b.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
}

// sh runs a bash command line with the programs on PATH and returns its stderr; a
// failure fails the test unless fail is set, when it returns the stderr instead.
func sh(t *testing.T, bin, line string, fail bool) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-o", "pipefail", "-c", line)
	cmd.Env = append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	var e bytes.Buffer
	cmd.Stderr = &e
	err := cmd.Run()
	if (err != nil) != fail {
		t.Fatalf("%s: err %v, want failure %v\nstderr:\n%s", line, err, fail, e.String())
	}
	return e.String()
}

// records reads an Arrow stream file into its records.
func records(t *testing.T, path string) []arrow.RecordBatch {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return clitest.Records(t, b)
}

// row is one record's columns by name, as Go values.
type row map[string]any

// rows flattens records into rows of their string, integer, float and list-of-string
// columns.
func rows(t *testing.T, recs []arrow.RecordBatch) []row {
	t.Helper()
	var out []row
	for _, r := range recs {
		for i := range int(r.NumRows()) {
			m := row{}
			for c, f := range r.Schema().Fields() {
				a := r.Column(c)
				if a.IsNull(i) {
					continue
				}
				switch v := a.(type) {
				case *array.String:
					m[f.Name] = v.Value(i)
				case *array.Int64:
					m[f.Name] = v.Value(i)
				case *array.Int32:
					m[f.Name] = int64(v.Value(i))
				case *array.Float64:
					m[f.Name] = v.Value(i)
				case *array.List:
					if s, ok := v.ListValues().(*array.String); ok {
						lo, hi := v.ValueOffsets(i)
						var names []string
						for k := lo; k < hi; k++ {
							names = append(names, s.Value(int(k)))
						}
						m[f.Name] = names
					}
				}
			}
			out = append(out, m)
		}
	}
	return out
}

// TestImageFolderPipeline runs sample | train | evaluate on a generated image
// folder and checks the records, the cache and its invalidation.
func TestImageFolderPipeline(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the programs")
	}
	bin := build(t)
	work := t.TempDir()
	dir, cache := filepath.Join(work, "photos"), filepath.Join(work, "cache")
	const ntrain, nval = 40, 12
	makeFolder(t, dir, ntrain, nval)
	// A truncated JPEG among banana's training images.
	good, err := os.ReadFile(filepath.Join(dir, "train", "banana", "000.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	broken := filepath.Join(dir, "train", "banana", "broken.jpg")
	if err := os.WriteFile(broken, good[:len(good)/3], 0o644); err != nil {
		t.Fatal(err)
	}
	spec := "imagefolder:" + dir + ":32"
	const epochs, batch = 8, 12
	sampleCmd := "sample --space regnetx --res 32 --classes 3 --flops 1M:4M -n 2 --seed 3"
	trainCmd := fmt.Sprintf("train --data %s --cache-dir %s --epochs %d --batch %d --lr 0.1 --device cpu", spec, cache, epochs, batch)
	evalCmd := "evaluate --device cpu --cache-dir " + cache

	// Without --skip-bad the broken file stops train with one line naming it.
	stderr := sh(t, bin, sampleCmd+" | "+trainCmd+" >/dev/null", true)
	t.Logf("without --skip-bad:\n%s", stderr)
	if !strings.Contains(stderr, broken+": truncated") || !strings.Contains(stderr, "1 unreadable file in all; skip them with --skip-bad") {
		t.Fatalf("a truncated file: stderr %q; want one line naming %s", stderr, broken)
	}

	out := filepath.Join(work, "out.arrows")
	line := sampleCmd + " | " + trainCmd + " --skip-bad | " + evalCmd + " --skip-bad -o " + out
	stderr = sh(t, bin, line, false)
	t.Logf("first run:\n%s", stderr)
	if !strings.Contains(stderr, "decoding 157 files (121 train, 36 val) at 32x32") || !strings.Contains(stderr, "skipped 1 unreadable file (first: "+broken) {
		t.Errorf("first run: stderr %q; want the decoding of 157 files and 1 skipped", stderr)
	}
	rs := rows(t, records(t, out))
	if len(rs) != 2 {
		t.Fatalf("%d records, want 2", len(rs))
	}
	wantSteps := int64(epochs * (3 * ntrain / batch))
	best := 100.0
	for _, r := range rs {
		if r["status"] != "ok" || r["eval_status"] != "ok" {
			t.Fatalf("record %v: status %v / %v (%v %v)", r["id"], r["status"], r["eval_status"], r["error"], r["eval_error"])
		}
		if !slices.Equal(r["class_names"].([]string), []string{"apple", "banana", "cherry"}) {
			t.Errorf("class names %v, want apple, banana, cherry", r["class_names"])
		}
		if r["classes"] != int64(3) {
			t.Errorf("classes %v, want 3", r["classes"])
		}
		if r["steps"] != wantSteps || r["eval_images"] != int64(3*nval) || r["eval_data"] != spec {
			t.Errorf("steps %v, eval images %v, eval data %v; want %d steps (%d train images), %d val images of %s",
				r["steps"], r["eval_images"], r["eval_data"], wantSteps, 3*ntrain, 3*nval, spec)
		}
		t.Logf("%v: train error %.1f%%, test error %.1f%%", r["id"], r["train_error"], r["test_error"])
		// Chance is 66.7%; every model learns, the better one learns the task.
		if e := r["test_error"].(float64); e > 40 {
			t.Errorf("%v: test error %.1f%%, want well below chance (66.7%%)", r["id"], e)
		}
		best = min(best, r["test_error"].(float64))
	}
	if best > 5 {
		t.Errorf("best test error %.1f%%, want at most 5%% on this easy task", best)
	}

	// The second run (one short model) reads the cache.
	quick := strings.Replace(strings.Replace(line, "-n 2", "-n 1", 1), fmt.Sprintf("--epochs %d", epochs), "--epochs 1", 1)
	stderr = sh(t, bin, quick, false)
	t.Logf("second run:\n%s", stderr)
	if strings.Count(stderr, "cache hit") != 2 || strings.Contains(stderr, "decoding") {
		t.Errorf("second run: stderr %q; want train and evaluate to hit the cache", stderr)
	}

	// A changed file invalidates it.
	later := time.Now().Add(time.Hour)
	if err := os.Chtimes(filepath.Join(dir, "val", "apple", "001.png"), later, later); err != nil {
		t.Fatal(err)
	}
	stderr = sh(t, bin, evalCmd+" --skip-bad "+out+" >/dev/null", false)
	t.Logf("after touching val/apple/001.png:\n%s", stderr)
	if strings.Contains(stderr, "cache hit") || !strings.Contains(stderr, "decoding 157 files") {
		t.Errorf("after a change: stderr %q; want a fresh decode", stderr)
	}

	// A config at another geometry fails its record, naming both shapes.
	out28 := filepath.Join(work, "out28.arrows")
	sh(t, bin, "sample --space regnetx --res 28 --classes 3 --flops 1M:4M -n 1 | "+trainCmd+" --skip-bad -o "+out28, false)
	r28 := rows(t, records(t, out28))
	if want := "network takes 28x28x3 images, data " + spec + " has 32x32x3"; len(r28) != 1 || r28[0]["status"] != "failed" || r28[0]["error"] != want {
		t.Errorf("geometry mismatch: %v; want status failed with %q", r28, want)
	}
}
