package data

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	_ "image/jpeg" // registers the JPEG decoder with image.Decode
	_ "image/png"  // registers the PNG decoder with image.Decode
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Image folder defaults and limits.
const (
	// DefaultImageRes is the side of the cached images when an imagefolder spec
	// names none: ImageNet's training and evaluation crop.
	DefaultImageRes = 224
	// MaxImageRes bounds R in an imagefolder spec.
	MaxImageRes = 4096
	// maxImagePixels bounds the pixels of one source image, so that a file claiming
	// a huge size fails instead of exhausting memory.
	maxImagePixels = 1 << 28
	// progressEvery is how often decoding reports progress on the log.
	progressEvery = 2 * time.Second
)

// cacheMagic opens every image-folder cache file; its last bytes are the format
// version.
const cacheMagic = "DDSIMGC1"

// imageFile is one file of an image folder split.
type imageFile struct {
	rel   string // path relative to the dataset folder, slash-separated
	label int32
	size  int64
	mtime int64 // modification time, Unix nanoseconds
}

// folderSplit is one split (train or val) of an image folder.
type folderSplit struct {
	name  string
	files []imageFile
}

// ParseImageFolder splits the argument of an imagefolder spec into the folder and
// R: the text after the last colon is R when it is a whole number, else part of the
// folder (which may hold colons).
func ParseImageFolder(arg string) (dir string, r int, err error) {
	dir, r = arg, DefaultImageRes
	if i := strings.LastIndexByte(arg, ':'); i >= 0 {
		if v, perr := strconv.Atoi(arg[i+1:]); perr == nil {
			dir, r = arg[:i], v
			if r < 1 || r > MaxImageRes {
				return "", 0, fmt.Errorf("imagefolder: resolution %d in %q: want 1..%d", r, arg, MaxImageRes)
			}
		}
	}
	if dir == "" {
		return "", 0, fmt.Errorf("imagefolder: %q names no folder: want imagefolder:DIR[:R]", arg)
	}
	return dir, r, nil
}

// listClasses returns the sorted names of the class folders of dir/split (folders
// whose names do not start with a dot).
func listClasses(dir, split string) ([]string, error) {
	root := filepath.Join(dir, split)
	ents, err := os.ReadDir(root)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("imagefolder: %s: no such folder (want %s/train/CLASS/IMAGE and %s/val/CLASS/IMAGE)", root, dir, dir)
		}
		return nil, fmt.Errorf("imagefolder: %v", err)
	}
	var names []string
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), ".") {
			continue
		}
		if e.IsDir() {
			names = append(names, e.Name())
		} else if e.Type()&fs.ModeSymlink != 0 {
			if fi, err := os.Stat(filepath.Join(root, e.Name())); err == nil && fi.IsDir() {
				names = append(names, e.Name())
			}
		}
	}
	slices.Sort(names)
	if len(names) == 0 {
		return nil, fmt.Errorf("imagefolder: %s holds no class folders (want %s/CLASS/IMAGE)", root, root)
	}
	return names, nil
}

// scanSplit lists the files under dir/split/CLASS/ for every class of classes
// (searching class folders recursively and skipping names that start with a dot),
// in class order and then path order. A class folder of the split that is not in
// classes is an error; one of classes missing from the split is not.
func scanSplit(dir, split string, classes []string) (folderSplit, error) {
	out := folderSplit{name: split}
	present, err := listClasses(dir, split)
	if err != nil {
		return out, err
	}
	index := map[string]int32{}
	for i, c := range classes {
		index[c] = int32(i)
	}
	for _, c := range present {
		if _, ok := index[c]; !ok {
			return out, fmt.Errorf("imagefolder: %s: class folder %q is not among the %d classes of %s",
				filepath.Join(dir, split), c, len(classes), filepath.Join(dir, "train"))
		}
	}
	for _, c := range present {
		root := filepath.Join(dir, split, c)
		var files []imageFile
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if strings.HasPrefix(d.Name(), ".") && p != root {
				if d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
			if d.IsDir() {
				return nil
			}
			fi, err := os.Stat(p)
			if err != nil {
				return err
			}
			if !fi.Mode().IsRegular() {
				return nil
			}
			rel, err := filepath.Rel(dir, p)
			if err != nil {
				return err
			}
			files = append(files, imageFile{rel: filepath.ToSlash(rel), label: index[c], size: fi.Size(), mtime: fi.ModTime().UnixNano()})
			return nil
		})
		if err != nil {
			return out, fmt.Errorf("imagefolder: %v", err)
		}
		slices.SortFunc(files, func(a, b imageFile) int { return strings.Compare(a.rel, b.rel) })
		out.files = append(out.files, files...)
	}
	if len(out.files) == 0 {
		return out, fmt.Errorf("imagefolder: %s holds no files", filepath.Join(dir, split))
	}
	return out, nil
}

// cacheKey is the SHA-256, in hex, of everything the cached images depend on: the
// cache format, R, the folder's absolute path, the class names, and every file's
// split, relative path, size and modification time.
func cacheKey(abs string, r int, classes []string, splits []folderSplit) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\nres %d\ndir %s\n", cacheMagic, r, abs)
	for _, c := range classes {
		fmt.Fprintf(h, "class %q\n", c)
	}
	for _, s := range splits {
		for _, f := range s.files {
			fmt.Fprintf(h, "%s %q %d %d\n", s.name, f.rel, f.size, f.mtime)
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

// DefaultCacheDir returns the folder image-folder caches go in by default:
// $XDG_CACHE_HOME/dds, or ~/.cache/dds when XDG_CACHE_HOME is unset.
func DefaultCacheDir() (string, error) {
	if d := os.Getenv("XDG_CACHE_HOME"); d != "" {
		return filepath.Join(d, "dds"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("no cache folder: XDG_CACHE_HOME and HOME are unset (give a cache folder)")
	}
	return filepath.Join(home, ".cache", "dds"), nil
}

// cacheHeader is the JSON header of a cache file.
type cacheHeader struct {
	Key      string   `json:"key"`
	Dir      string   `json:"dir"`
	Res      int      `json:"res"`
	Channels int      `json:"channels"`
	Classes  []string `json:"classes"`
	Train    int      `json:"train"`
	Val      int      `json:"val"`
	Skipped  []string `json:"skipped"` // "PATH: why" of each file left out
	// Mean and Std are Set.MeanStd of the train split, so that a load need not
	// pass over the images again.
	Mean []float32 `json:"mean"`
	Std  []float32 `json:"std"`
}

// loadImageFolder opens the image folder dir at resolution r: from the cache when
// it holds the folder as it is now, else by decoding every file and writing the
// cache. mean and std are the train split's Set.MeanStd.
func loadImageFolder(dir string, r int, opt Options) (train, test *Set, classes []string, mean, std []float32, err error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, nil, nil, nil, nil, fmt.Errorf("imagefolder: %v", err)
	}
	if classes, err = listClasses(abs, "train"); err != nil {
		return nil, nil, nil, nil, nil, err
	}
	var splits []folderSplit
	for _, name := range []string{"train", "val"} {
		s, err := scanSplit(abs, name, classes)
		if err != nil {
			return nil, nil, nil, nil, nil, err
		}
		splits = append(splits, s)
	}
	key := cacheKey(abs, r, classes, splits)
	cacheDir := opt.CacheDir
	if cacheDir == "" {
		if cacheDir, err = DefaultCacheDir(); err != nil {
			return nil, nil, nil, nil, nil, err
		}
	}
	path := filepath.Join(cacheDir, fmt.Sprintf("imagefolder-%s-r%d.cache", key[:32], r))
	if sets, hdr, err := readCache(path, key); err == nil {
		if len(hdr.Skipped) > 0 && !opt.SkipBad {
			return nil, nil, nil, nil, nil, fmt.Errorf("imagefolder: %s (%s in all; skip them with --skip-bad)", hdr.Skipped[0], unreadable(len(hdr.Skipped)))
		}
		opt.logf("imagefolder: %s: cache hit %s (%d train, %d val images of %dx%dx%d, %d classes)\n",
			abs, path, hdr.Train, hdr.Val, r, r, hdr.Channels, len(hdr.Classes))
		if len(hdr.Skipped) > 0 {
			opt.logf("imagefolder: %s: skipped %s (first: %s)\n", abs, unreadable(len(hdr.Skipped)), hdr.Skipped[0])
		}
		return sets[0], sets[1], hdr.Classes, hdr.Mean, hdr.Std, nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		opt.logf("imagefolder: %s: cache %s unusable (%v); decoding again\n", abs, path, err)
	}
	n := len(splits[0].files) + len(splits[1].files)
	opt.logf("imagefolder: %s: decoding %d files (%d train, %d val) at %dx%d into cache %s\n",
		abs, n, len(splits[0].files), len(splits[1].files), r, r, path)
	start := time.Now()
	sets, skipped, c, err := decodeSplits(abs, r, splits, opt)
	if err != nil {
		return nil, nil, nil, nil, nil, err
	}
	secs := time.Since(start).Seconds()
	opt.logf("imagefolder: %s: decoded %d images in %.1fs (%.0f/s on %d workers)\n", abs, n-len(skipped), secs,
		float64(n)/max(secs, 1e-9), opt.workers())
	if len(skipped) > 0 {
		opt.logf("imagefolder: %s: skipped %s (first: %s)\n", abs, unreadable(len(skipped)), skipped[0])
	}
	for _, s := range sets {
		s.Classes = len(classes)
	}
	mean, std = sets[0].MeanStd()
	hdr := cacheHeader{Key: key, Dir: abs, Res: r, Channels: c, Classes: classes,
		Train: sets[0].Len(), Val: sets[1].Len(), Skipped: skipped, Mean: mean, Std: std}
	if err := writeCache(path, hdr, sets); err != nil {
		opt.logf("imagefolder: %s: cache not written: %v\n", abs, err)
	}
	return sets[0], sets[1], classes, mean, std, nil
}

// decodeSplits decodes and resizes every file of splits on opt.workers()
// goroutines. The sets are colour (C = 3) when any image is, else grey (C = 1). A
// file that does not decode is an error unless opt.SkipBad, when it is left out and
// listed in skipped.
func decodeSplits(abs string, r int, splits []folderSplit, opt Options) (sets [2]*Set, skipped []string, c int, err error) {
	type job struct{ split, i int }
	var total int
	imgs := make([][]uint8, len(splits))
	errs := make([][]error, len(splits))
	for s, sp := range splits {
		total += len(sp.files)
		imgs[s] = make([]uint8, len(sp.files)*r*r*3)
		errs[s] = make([]error, len(sp.files))
	}
	var colour atomic.Bool
	var done atomic.Int64
	jobs := make(chan job, 256)
	var wg sync.WaitGroup
	for range opt.workers() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			z := &resizer{r: r}
			var buf bytes.Buffer
			for j := range jobs {
				f := splits[j.split].files[j.i]
				col, err := decodeFile(z, &buf, filepath.Join(abs, filepath.FromSlash(f.rel)), imgs[j.split][j.i*r*r*3:(j.i+1)*r*r*3])
				if err != nil {
					errs[j.split][j.i] = err
				} else if col {
					colour.Store(true)
				}
				done.Add(1)
			}
		}()
	}
	stop := make(chan struct{})
	var pw sync.WaitGroup
	if opt.Log != nil {
		pw.Add(1)
		go func() {
			defer pw.Done()
			reportProgress(opt, abs, total, &done, progressEvery, stop)
		}()
	}
	for s, sp := range splits {
		for i := range sp.files {
			jobs <- job{s, i}
		}
	}
	close(jobs)
	wg.Wait()
	close(stop)
	pw.Wait()
	var bad []string
	for s := range splits {
		for _, e := range errs[s] {
			if e != nil {
				bad = append(bad, e.Error())
			}
		}
	}
	if len(bad) > 0 && !opt.SkipBad {
		return sets, nil, 0, fmt.Errorf("imagefolder: %s (%s in all; skip them with --skip-bad)", bad[0], unreadable(len(bad)))
	}
	c = 1
	if colour.Load() {
		c = 3
	}
	for s, sp := range splits {
		set := &Set{Name: "imagefolder/" + sp.name, H: r, W: r, C: c}
		n := 0
		for i := range sp.files {
			if errs[s][i] == nil {
				n++
			}
		}
		set.Images = imgs[s][:0]
		set.Labels = make([]int32, 0, n)
		for i, f := range sp.files {
			if errs[s][i] != nil {
				continue
			}
			src := imgs[s][i*r*r*3 : (i+1)*r*r*3]
			if c == 3 {
				set.Images = append(set.Images, src...) // moves down in place: the write never passes the read
			} else {
				for q := 0; q < r*r; q++ {
					set.Images = append(set.Images, src[3*q])
				}
			}
			set.Labels = append(set.Labels, f.label)
		}
		set.Images = slices.Clip(set.Images)
		if set.Len() == 0 {
			return sets, nil, 0, fmt.Errorf("imagefolder: %s: no readable images", filepath.Join(abs, sp.name))
		}
		sets[s] = set
	}
	return sets, bad, c, nil
}

// reportProgress writes a progress line (images done of total, rate, estimated
// time left = (total − done)/rate) every interval until stop is closed.
func reportProgress(opt Options, abs string, total int, done *atomic.Int64, interval time.Duration, stop <-chan struct{}) {
	t0 := time.Now()
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case <-stop:
			return
		case <-tick.C:
			n := done.Load()
			secs := time.Since(t0).Seconds()
			rate := float64(n) / secs
			eta := "?"
			if rate > 0 {
				eta = (time.Duration(float64(int64(total)-n)/rate) * time.Second).Round(time.Second).String()
			}
			opt.logf("imagefolder: %s: %d/%d images, %.0f/s, %s left\n", abs, n, total, rate, eta)
		}
	}
}

// decodeFile reads and decodes the image file p and writes its r×r centre crop,
// as RGB, into out (r·r·3 bytes). It reports whether the image is colour. Every
// failure, a panic of the decoder included, is an error naming the file.
func decodeFile(z *resizer, buf *bytes.Buffer, p string, out []uint8) (colour bool, err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("%s: decoder failed: %v", p, v)
		}
	}()
	f, err := os.Open(p)
	if err != nil {
		return false, err
	}
	buf.Reset()
	_, err = buf.ReadFrom(f)
	f.Close()
	if err != nil {
		return false, fmt.Errorf("%s: %v", p, err)
	}
	data := buf.Bytes()
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return false, fmt.Errorf("%s: truncated image: %v", p, err)
		}
		return false, fmt.Errorf("%s: not a readable JPEG or PNG image: %v", p, err)
	}
	if cfg.Width < 1 || cfg.Height < 1 || int64(cfg.Width)*int64(cfg.Height) > maxImagePixels {
		return false, fmt.Errorf("%s: %s image of %dx%d pixels: want 1 to %d pixels", p, format, cfg.Width, cfg.Height, maxImagePixels)
	}
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		// A JPEG cut short usually fails as bad entropy-coded data; its missing
		// end-of-image marker (FF D9) tells it is truncated.
		if errors.Is(err, io.ErrUnexpectedEOF) || (format == "jpeg" && !bytes.HasSuffix(bytes.TrimRight(data, "\x00"), []byte{0xff, 0xd9})) {
			return false, fmt.Errorf("%s: truncated %s image: %v", p, format, err)
		}
		return false, fmt.Errorf("%s: corrupt %s image: %v", p, format, err)
	}
	z.resize(img, out, 3)
	return isColour(img), nil
}

// writeCache writes sets to path atomically: into a temporary file in the same
// folder, synced, then renamed over path. The file is cacheMagic, the header's
// length as a little-endian uint32, the header as JSON, then for each set its
// labels as little-endian int32 and its images as bytes.
func writeCache(path string, hdr cacheHeader, sets [2]*Set) (err error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	js, err := json.Marshal(hdr)
	if err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	head := make([]byte, 0, len(cacheMagic)+4+len(js))
	head = append(head, cacheMagic...)
	head = binary.LittleEndian.AppendUint32(head, uint32(len(js)))
	head = append(head, js...)
	if _, err = f.Write(head); err != nil {
		return err
	}
	for _, s := range sets {
		lab := make([]byte, 4*s.Len())
		for i, v := range s.Labels {
			binary.LittleEndian.PutUint32(lab[4*i:], uint32(v))
		}
		if _, err = f.Write(lab); err != nil {
			return err
		}
		if _, err = f.Write(s.Images); err != nil {
			return err
		}
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

// readCache reads the cache file at path, which must be for key. A missing file
// is an error wrapping fs.ErrNotExist.
func readCache(path, key string) (sets [2]*Set, hdr cacheHeader, err error) {
	f, err := os.Open(path)
	if err != nil {
		return sets, hdr, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return sets, hdr, err
	}
	var pre [len(cacheMagic) + 4]byte
	if _, err := io.ReadFull(f, pre[:]); err != nil || string(pre[:len(cacheMagic)]) != cacheMagic {
		return sets, hdr, fmt.Errorf("not a cache file of this version")
	}
	n := binary.LittleEndian.Uint32(pre[len(cacheMagic):])
	if int64(n) > fi.Size() {
		return sets, hdr, fmt.Errorf("header length %d beyond the file's %d bytes", n, fi.Size())
	}
	js := make([]byte, n)
	if _, err := io.ReadFull(f, js); err != nil {
		return sets, hdr, fmt.Errorf("header: %v", err)
	}
	if err := json.Unmarshal(js, &hdr); err != nil {
		return sets, hdr, fmt.Errorf("header: %v", err)
	}
	if hdr.Key != key {
		return sets, hdr, fmt.Errorf("key %.16s…, want %.16s…", hdr.Key, key)
	}
	r, c := hdr.Res, hdr.Channels
	if r < 1 || (c != 1 && c != 3) || hdr.Train < 1 || hdr.Val < 1 || len(hdr.Classes) < 1 || len(hdr.Mean) != c || len(hdr.Std) != c {
		return sets, hdr, fmt.Errorf("header %dx%dx%d, %d+%d images, %d classes is invalid", r, r, c, hdr.Train, hdr.Val, len(hdr.Classes))
	}
	size := int64(r) * int64(r) * int64(c)
	want := int64(len(pre)) + int64(n) + int64(hdr.Train+hdr.Val)*(4+size)
	if fi.Size() != want {
		return sets, hdr, fmt.Errorf("%d bytes, want %d", fi.Size(), want)
	}
	for k, count := range []int{hdr.Train, hdr.Val} {
		s := &Set{Name: "imagefolder/" + []string{"train", "val"}[k], H: r, W: r, C: c, Classes: len(hdr.Classes),
			Labels: make([]int32, count), Images: make([]uint8, int64(count)*size)}
		lab := make([]byte, 4*count)
		if _, err := io.ReadFull(f, lab); err != nil {
			return sets, hdr, err
		}
		for i := range s.Labels {
			v := int32(binary.LittleEndian.Uint32(lab[4*i:]))
			if v < 0 || int(v) >= len(hdr.Classes) {
				return sets, hdr, fmt.Errorf("label %d of example %d outside the %d classes", v, i, len(hdr.Classes))
			}
			s.Labels[i] = v
		}
		if _, err := io.ReadFull(f, s.Images); err != nil {
			return sets, hdr, err
		}
		sets[k] = s
	}
	return sets, hdr, nil
}

// workers returns opt.Workers, or the number of usable cores when it is 0.
func (opt Options) workers() int {
	if opt.Workers > 0 {
		return opt.Workers
	}
	return runtime.GOMAXPROCS(0)
}

// logf writes a line to opt.Log unless it is nil.
func (opt Options) logf(format string, a ...any) {
	if opt.Log != nil {
		fmt.Fprintf(opt.Log, format, a...)
	}
}

// unreadable returns "1 unreadable file" or "N unreadable files".
func unreadable(n int) string {
	if n == 1 {
		return "1 unreadable file"
	}
	return fmt.Sprintf("%d unreadable files", n)
}
