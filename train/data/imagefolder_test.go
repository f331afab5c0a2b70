package data

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ddstools/dds/internal/approx"
)

// writeImage writes img to path as PNG, or as JPEG of quality 95 when the name
// ends in .jpg.
func writeImageFile(t *testing.T, path string, img image.Image) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	var err error
	if strings.HasSuffix(path, ".jpg") {
		err = jpeg.Encode(&b, img, &jpeg.Options{Quality: 95})
	} else {
		err = png.Encode(&b, img)
	}
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// flat returns a w×h image of one colour (grey when grey).
func flat(w, h int, c color.NRGBA, grey bool) image.Image {
	if grey {
		g := image.NewGray(image.Rect(0, 0, w, h))
		v := color.GrayModel.Convert(c).(color.Gray).Y
		for i := range g.Pix {
			g.Pix[i] = v
		}
		return g
	}
	m := image.NewNRGBA(image.Rect(0, 0, w, h))
	for i := 0; i < len(m.Pix); i += 4 {
		m.Pix[i], m.Pix[i+1], m.Pix[i+2], m.Pix[i+3] = c.R, c.G, c.B, 255
	}
	return m
}

// folder writes a small image folder: classes b_red (PNG) and a_green (JPEG), grey
// and colour, several sizes, two per class in train and one in val, and returns
// its path.
func folder(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	red := color.NRGBA{200, 10, 10, 255}
	green := color.NRGBA{10, 200, 10, 255}
	writeImageFile(t, filepath.Join(dir, "train", "b_red", "1.png"), flat(40, 24, red, false))
	writeImageFile(t, filepath.Join(dir, "train", "b_red", "2.png"), flat(9, 13, red, true))
	writeImageFile(t, filepath.Join(dir, "train", "a_green", "x.jpg"), flat(30, 30, green, false))
	writeImageFile(t, filepath.Join(dir, "train", "a_green", "sub", "y.jpg"), flat(17, 50, green, true))
	writeImageFile(t, filepath.Join(dir, "val", "b_red", "v.jpg"), flat(64, 48, red, false))
	writeImageFile(t, filepath.Join(dir, "val", "a_green", "w.png"), flat(8, 8, green, false))
	if err := os.WriteFile(filepath.Join(dir, "train", "a_green", ".hidden"), []byte("ignored"), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestImageFolder(t *testing.T) {
	dir := folder(t)
	cache := t.TempDir()
	var log bytes.Buffer
	opt := Options{CacheDir: cache, Log: &log, Workers: 3}
	d, err := OpenWith("imagefolder:"+dir+":8", opt)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(d.ClassNames, []string{"a_green", "b_red"}) {
		t.Errorf("classes %q, want [a_green b_red] (sorted folder names)", d.ClassNames)
	}
	if d.Train.Len() != 4 || d.Test.Len() != 2 || d.Train.C != 3 || d.Train.H != 8 || d.Train.Classes != 2 {
		t.Fatalf("train %d, val %d images of %dx%dx%d, %d classes; want 4 and 2 of 8x8x3, 2 classes",
			d.Train.Len(), d.Test.Len(), d.Train.H, d.Train.W, d.Train.C, d.Train.Classes)
	}
	if !slices.Equal(d.Train.Labels, []int32{0, 0, 1, 1}) || !slices.Equal(d.Test.Labels, []int32{0, 1}) {
		t.Errorf("labels %v / %v, want [0 0 1 1] / [0 1]", d.Train.Labels, d.Test.Labels)
	}
	// Every pixel of a flat image keeps its colour (a grey one its luma in all three
	// channels); JPEG may move a value by a little.
	greenLuma := float64(color.GrayModel.Convert(color.NRGBA{10, 200, 10, 255}).(color.Gray).Y)
	redLuma := float64(color.GrayModel.Convert(color.NRGBA{200, 10, 10, 255}).(color.Gray).Y)
	// Files sort by path within a class: a_green/sub/y.jpg comes before a_green/x.jpg.
	want := [][3]float64{{greenLuma, greenLuma, greenLuma}, {10, 200, 10}, {200, 10, 10}, {redLuma, redLuma, redLuma}}
	for i, w := range want {
		img := d.Train.Images[i*192 : (i+1)*192]
		got := make([]float64, 192)
		exp := make([]float64, 192)
		for q := range 64 {
			for c := range 3 {
				got[3*q+c], exp[3*q+c] = float64(img[3*q+c]), w[c]
			}
		}
		checkClose(t, "train image", got, exp, 0.03)
	}
	if !strings.Contains(log.String(), "decoding 6 files (4 train, 2 val) at 8x8") {
		t.Errorf("first open logged %q, want a decoding line", log.String())
	}
	// The second open reads the cache and gives the same sets.
	log.Reset()
	d2, err := OpenWith("imagefolder:"+dir+":8", opt)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(log.String(), "cache hit") || !bytes.Equal(d2.Train.Images, d.Train.Images) || !bytes.Equal(d2.Test.Images, d.Test.Images) ||
		!slices.Equal(d2.Train.Labels, d.Train.Labels) || !slices.Equal(d2.ClassNames, d.ClassNames) || d2.Train.Classes != 2 {
		t.Errorf("second open: log %q; want a cache hit with the same sets", log.String())
	}
	if m, sd := d2.Train.MeanStd(); !slices.Equal(d2.Mean, m) || !slices.Equal(d2.Std, sd) || !slices.Equal(d2.Mean, d.Mean) || !slices.Equal(d2.Std, d.Std) {
		t.Errorf("cached mean %v std %v, want the train split's %v %v", d2.Mean, d2.Std, m, sd)
	}
	// Another R is another cache.
	log.Reset()
	if _, err := OpenWith("imagefolder:"+dir+":6", opt); err != nil || strings.Contains(log.String(), "cache hit") {
		t.Errorf("R 6: err %v, log %q; want a fresh decode", err, log.String())
	}
	// A changed file (its modification time) invalidates the cache.
	p := filepath.Join(dir, "val", "b_red", "v.jpg")
	later := time.Now().Add(time.Hour)
	if err := os.Chtimes(p, later, later); err != nil {
		t.Fatal(err)
	}
	log.Reset()
	if _, err := OpenWith("imagefolder:"+dir+":8", opt); err != nil || strings.Contains(log.String(), "cache hit") || !strings.Contains(log.String(), "decoding") {
		t.Errorf("after a change: err %v, log %q; want a fresh decode", err, log.String())
	}
	// A corrupt cache is decoded again, not trusted.
	caches, _ := filepath.Glob(filepath.Join(cache, "imagefolder-*-r8.cache"))
	for _, c := range caches {
		if err := os.Truncate(c, 100); err != nil {
			t.Fatal(err)
		}
	}
	log.Reset()
	if _, err := OpenWith("imagefolder:"+dir+":8", opt); err != nil || !strings.Contains(log.String(), "unusable") {
		t.Errorf("truncated cache: err %v, log %q; want it reported and decoded again", err, log.String())
	}
}

func TestImageFolderGrey(t *testing.T) {
	dir := t.TempDir()
	for i, p := range []string{"train/0/a.png", "train/1/b.jpg", "val/0/c.jpg", "val/1/d.png"} {
		writeImageFile(t, filepath.Join(dir, p), flat(10+i, 12, color.NRGBA{uint8(50 * i), uint8(50 * i), uint8(50 * i), 255}, true))
	}
	d, err := OpenWith("imagefolder:"+dir+":4", Options{CacheDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if d.Train.C != 1 || len(d.Train.Images) != 2*16 || len(d.Mean) != 1 {
		t.Fatalf("an all-grey folder gives %d channels (%d bytes), want 1", d.Train.C, len(d.Train.Images))
	}
	checkClose(t, "grey pixels", []float64{float64(d.Train.Images[0]), float64(d.Train.Images[16])}, []float64{0, 50}, 0.03)
}

func TestImageFolderBadFiles(t *testing.T) {
	dir := folder(t)
	// A truncated JPEG and a text file among the images.
	var b bytes.Buffer
	if err := jpeg.Encode(&b, flat(32, 32, color.NRGBA{1, 2, 3, 255}, false), nil); err != nil {
		t.Fatal(err)
	}
	trunc := filepath.Join(dir, "train", "b_red", "3.jpg")
	if err := os.WriteFile(trunc, b.Bytes()[:b.Len()/2], 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "train", "a_green", "notes.txt"), []byte("not an image"), 0o644); err != nil {
		t.Fatal(err)
	}
	cache := t.TempDir()
	_, err := OpenWith("imagefolder:"+dir+":8", Options{CacheDir: cache, Workers: 2})
	checkErr(t, err, "imagefolder: ", "notes.txt: not a readable JPEG or PNG image", "(2 unreadable files in all; skip them with --skip-bad)")
	var log bytes.Buffer
	d, err := OpenWith("imagefolder:"+dir+":8", Options{CacheDir: cache, SkipBad: true, Log: &log})
	if err != nil {
		t.Fatal(err)
	}
	if d.Train.Len() != 4 || !strings.Contains(log.String(), "skipped 2 unreadable files") {
		t.Errorf("skip-bad: %d train images, log %q; want 4 and 2 skipped", d.Train.Len(), log.String())
	}
	// The cache remembers the skipped files: without SkipBad it still fails.
	_, err = OpenWith("imagefolder:"+dir+":8", Options{CacheDir: cache})
	checkErr(t, err, "notes.txt", "2 unreadable files in all")
	// The truncated file alone is named as truncated.
	os.Remove(filepath.Join(dir, "train", "a_green", "notes.txt"))
	_, err = OpenWith("imagefolder:"+dir+":8", Options{CacheDir: cache})
	checkErr(t, err, trunc+": ", "(1 unreadable file in all")
}

func TestImageFolderLayoutErrors(t *testing.T) {
	dir := folder(t)
	if err := os.MkdirAll(filepath.Join(dir, "val", "c_extra"), 0o755); err != nil {
		t.Fatal(err)
	}
	_, err := OpenWith("imagefolder:"+dir+":8", Options{CacheDir: t.TempDir()})
	checkErr(t, err, `class folder "c_extra" is not among the 2 classes of `+filepath.Join(dir, "train"))
	empty := t.TempDir()
	os.MkdirAll(filepath.Join(empty, "train"), 0o755)
	_, err = OpenWith("imagefolder:"+empty, Options{CacheDir: t.TempDir()})
	checkErr(t, err, filepath.Join(empty, "train")+" holds no class folders")
}

// TestAreaResize checks the resize against block means: a 12×8 image (w×h) at R = 4
// has its shorter side halved (12×8 → 6×4) and its centre crop starts at column 1,
// so output (y, x) is the mean of the 2×2 source block at rows 2y, columns 2(x+1),
// rounded half up.
// Upscaling a 2×2 image to 4×4 repeats each pixel over a 2×2 block.
func TestAreaResize(t *testing.T) {
	src := image.NewGray(image.Rect(0, 0, 12, 8))
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range src.Pix {
		src.Pix[i] = uint8(rng.IntN(256))
	}
	z := &resizer{r: 4}
	out := make([]uint8, 16)
	z.resize(src, out, 1)
	var got, want []float64
	for y := range 4 {
		for x := range 4 {
			sx, sy := 2*(x+1), 2*y
			s := 0
			for dy := range 2 {
				for dx := range 2 {
					s += int(src.Pix[(sy+dy)*12+sx+dx])
				}
			}
			got, want = append(got, float64(out[y*4+x])), append(want, math.Floor(float64(s)/4+0.5))
		}
	}
	checkClose(t, "area downscale", got, want, 0)
	small := image.NewRGBA(image.Rect(0, 0, 2, 2))
	for i := range small.Pix {
		small.Pix[i] = uint8(10 * i)
	}
	up := make([]uint8, 48)
	z.resize(small, up, 3)
	got, want = got[:0], want[:0]
	for y := range 4 {
		for x := range 4 {
			for c := range 3 {
				got = append(got, float64(up[(y*4+x)*3+c]))
				want = append(want, float64(small.Pix[((y/2)*2+x/2)*4+c]))
			}
		}
	}
	checkClose(t, "area upscale", got, want, 0)
	// A 4:2:0 YCbCr image resampled in its planes agrees with the image converted
	// to RGB first, up to rounding (values stay clear of clamping).
	ycc := image.NewYCbCr(image.Rect(0, 0, 37, 23), image.YCbCrSubsampleRatio420)
	for i := range ycc.Y {
		ycc.Y[i] = uint8(80 + rng.IntN(96))
	}
	for i := range ycc.Cb {
		ycc.Cb[i], ycc.Cr[i] = uint8(108+rng.IntN(40)), uint8(108+rng.IntN(40))
	}
	rgb := image.NewNRGBA(ycc.Rect)
	for y := range 23 {
		for x := range 37 {
			rgb.Set(x, y, ycc.At(x, y))
		}
	}
	z = &resizer{r: 8}
	a, b := make([]uint8, 192), make([]uint8, 192)
	z.resize(ycc, a, 3)
	z.resize(rgb, b, 3)
	for i := range a {
		if d := int(a[i]) - int(b[i]); d < -1 || d > 1 {
			t.Fatalf("YCbCr planes against RGB: value %d = %d, want %d ± 1", i, a[i], b[i])
		}
	}
	for _, c := range []struct{ w, h, r, w2, h2 int }{{12, 8, 4, 6, 4}, {8, 12, 4, 4, 6}, {500, 375, 224, 299, 224}, {3, 3, 5, 5, 5}} {
		if w2, h2 := ResizedSize(c.w, c.h, c.r); w2 != c.w2 || h2 != c.h2 {
			t.Errorf("ResizedSize(%d, %d, %d) = %d, %d; want %d, %d", c.w, c.h, c.r, w2, h2, c.w2, c.h2)
		}
	}
}

// syncBuffer is a bytes.Buffer safe for one writer and one reader.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestDecodeProgress(t *testing.T) {
	var log syncBuffer
	var done atomic.Int64
	done.Store(250)
	stop := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		reportProgress(Options{Log: &log}, "/photos", 1000, &done, 20*time.Millisecond, stop)
		close(finished)
	}()
	for !strings.Contains(log.String(), "\n") {
		time.Sleep(5 * time.Millisecond)
	}
	close(stop)
	<-finished
	line := strings.SplitN(log.String(), "\n", 2)[0]
	// 250 of 1000 done after t seconds: a rate of 250/t and 3t left.
	var n, total int
	var rate float64
	var left string
	if _, err := fmt.Sscanf(line, "imagefolder: /photos: %d/%d images, %f/s, %s left", &n, &total, &rate, &left); err != nil || n != 250 || total != 1000 || rate <= 0 {
		t.Fatalf("progress line %q (%v); want 250/1000 images, a rate and the time left", line, err)
	}
	if d, err := time.ParseDuration(left); err != nil || !approx.Close(d.Seconds(), 750/rate, 1, 0) {
		t.Errorf("time left %q, want about %.1fs at %.0f/s", left, 750/rate, rate)
	}
}
