package data

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/jpeg"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"
	"time"
)

// photoLike returns a w×h colour image with the statistics of a photograph more
// than of noise: smooth colour gradients, a few soft blobs and mild pixel noise,
// so that its JPEG has a typical size and decode cost.
func photoLike(rng *rand.Rand, w, h int) *image.RGBA {
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	type blob struct{ x, y, r, c0, c1, c2 float64 }
	var blobs []blob
	for range 6 {
		blobs = append(blobs, blob{rng.Float64() * float64(w), rng.Float64() * float64(h), 20 + rng.Float64()*100,
			rng.Float64() * 255, rng.Float64() * 255, rng.Float64() * 255})
	}
	base := [3]float64{rng.Float64() * 255, rng.Float64() * 255, rng.Float64() * 255}
	for y := range h {
		for x := range w {
			fx, fy := float64(x)/float64(w), float64(y)/float64(h)
			v := [3]float64{base[0] * (1 - fx), base[1] * fy, base[2] * (0.5 + 0.5*math.Sin(7*fx+3*fy))}
			for _, b := range blobs {
				d := math.Exp(-((float64(x)-b.x)*(float64(x)-b.x) + (float64(y)-b.y)*(float64(y)-b.y)) / (b.r * b.r))
				v[0] += d * (b.c0 - v[0])
				v[1] += d * (b.c1 - v[1])
				v[2] += d * (b.c2 - v[2])
			}
			p := m.Pix[y*m.Stride+4*x:]
			for c := range 3 {
				p[c] = uint8(min(255, max(0, v[c]+12*rng.NormFloat64())))
			}
			p[3] = 255
		}
	}
	return m
}

// benchFolder writes n photo-like JPEGs of about ImageNet's typical size (500×375
// and 375×500, quality 90) as an image folder of 4 classes (n/8 of them in val) and
// returns the folder and the files.
func benchFolder(b *testing.B, n int) (string, []string) {
	dir := b.TempDir()
	rng := rand.New(rand.NewPCG(3, 4))
	var files []string
	for i := range n {
		split := "train"
		if i%8 == 7 {
			split = "val"
		}
		w, h := 500, 375
		if i%3 == 0 {
			w, h = h, w
		}
		var buf bytes.Buffer
		if err := jpeg.Encode(&buf, photoLike(rng, w, h), &jpeg.Options{Quality: 90}); err != nil {
			b.Fatal(err)
		}
		p := filepath.Join(dir, split, fmt.Sprintf("c%d", i%4), fmt.Sprintf("%04d.jpg", i))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
			b.Fatal(err)
		}
		files = append(files, p)
	}
	return dir, files
}

// BenchmarkDecodeVsPillow decodes and resizes a folder of generated JPEGs to 224×224
// centre crops (one worker, then one per core) and has Debian's Pillow do the same
// work (testdata/pil_decode.py: one process, then one per core), and prints both
// rates and their ratio; then the rate of a whole first OpenWith (the cache written
// too), and the rate at which the written cache loads (OpenWith on a cache hit, the
// folder's scan included) beside a plain read of the cache file.
//
//	go test -run '^$' -bench DecodeVsPillow -benchtime 1x ./train/data/   (make bench-decode)
//
// DDS_DECODE_IMAGES sets the number of images (default 256).
func BenchmarkDecodeVsPillow(b *testing.B) {
	python := "/usr/bin/python3"
	if out, err := exec.Command(python, "-c", "import PIL").CombinedOutput(); err != nil {
		b.Skipf("no Pillow (apt-get install python3-pil): %v %s", err, out)
	}
	n := 256
	if s := os.Getenv("DDS_DECODE_IMAGES"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v < 16 {
			b.Fatalf("DDS_DECODE_IMAGES=%q: want a whole number of at least 16", s)
		}
		n = v
	}
	const r = 224
	dir, files := benchFolder(b, n)
	cores := runtime.GOMAXPROCS(0)
	classes, err := listClasses(dir, "train")
	if err != nil {
		b.Fatal(err)
	}
	var splits []folderSplit
	for _, name := range []string{"train", "val"} {
		sp, err := scanSplit(dir, name, classes)
		if err != nil {
			b.Fatal(err)
		}
		splits = append(splits, sp)
	}
	// rate is the images per second of decoding and resizing alone, the work
	// Pillow does.
	rate := func(workers int) float64 {
		t := time.Now()
		if _, _, _, err := decodeSplits(dir, r, splits, Options{Workers: workers}); err != nil {
			b.Fatal(err)
		}
		return float64(n) / time.Since(t).Seconds()
	}
	for b.Loop() {
		rate(1) // warm the page cache and the decoder
		one := rate(1)
		all := rate(cores)
		cache := b.TempDir()
		t := time.Now()
		if _, err := OpenWith("imagefolder:"+dir+":"+strconv.Itoa(r), Options{CacheDir: cache}); err != nil {
			b.Fatal(err)
		}
		first := float64(n) / time.Since(t).Seconds()
		out, err := exec.Command(python, append([]string{filepath.Join("testdata", "pil_decode.py"), strconv.Itoa(r), strconv.Itoa(cores)}, files...)...).Output()
		if err != nil {
			b.Fatalf("pil_decode.py: %v", err)
		}
		var pil struct {
			Version string  `json:"pillow"`
			One     float64 `json:"per_process"`
			All     float64 `json:"all"`
		}
		if err := json.Unmarshal(out, &pil); err != nil {
			b.Fatalf("pil_decode.py printed %q: %v", out, err)
		}
		fmt.Printf("decode+resize of %d JPEGs (500x375, quality 90) to %dx%d centre crops, area filter:\n", n, r, r)
		fmt.Printf("  %-22s %10s %10s %8s\n", "", "dds img/s", "Pillow", "ratio")
		fmt.Printf("  %-22s %10.0f %10.0f %8.2f\n", "one core", one, pil.One, one/pil.One)
		fmt.Printf("  %-22s %10.0f %10.0f %8.2f\n", fmt.Sprintf("%d cores", cores), all, pil.All, all/pil.All)
		fmt.Printf("  (Pillow %s, Go %s)\n", pil.Version, runtime.Version())
		fmt.Printf("first open on %d cores (scan, decode, resize, cache written and synced): %.0f img/s\n", cores, first)
		caches, _ := filepath.Glob(filepath.Join(cache, "imagefolder-*.cache"))
		if len(caches) != 1 {
			b.Fatalf("%d cache files in %s, want 1", len(caches), cache)
		}
		fi, err := os.Stat(caches[0])
		if err != nil {
			b.Fatal(err)
		}
		const loads = 5
		t = time.Now()
		for range loads {
			if _, err := OpenWith("imagefolder:"+dir+":"+strconv.Itoa(r), Options{CacheDir: cache}); err != nil {
				b.Fatal(err)
			}
		}
		load := float64(loads*fi.Size()) / time.Since(t).Seconds()
		t = time.Now()
		for range loads {
			if _, err := os.ReadFile(caches[0]); err != nil {
				b.Fatal(err)
			}
		}
		read := float64(loads*fi.Size()) / time.Since(t).Seconds()
		fmt.Printf("cache load of %.1f MB (page cache warm): %.0f MB/s (%.0f images/s); plain read of the file %.0f MB/s; ratio %.2f\n",
			float64(fi.Size())/1e6, load/1e6, load/float64(fi.Size())*float64(n), read/1e6, load/read)
	}
}
