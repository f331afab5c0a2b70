package formats

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
)

// ErrTerminal is returned when binary output would go to a terminal.
var ErrTerminal = errors.New("refusing to write a binary Arrow stream to a terminal; redirect it to a file (> out.arrows) or pipe it into another program (| show)")

// OpenInput opens path for reading; "-" or "" is standard input.
// It returns the reader, the name to use in messages and a close function.
func OpenInput(path string) (io.Reader, string, func() error, error) {
	if path == "" || path == "-" {
		return os.Stdin, "stdin", func() error { return nil }, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, path, nil, fmt.Errorf("cannot open input: %w", err)
	}
	return f, path, f.Close, nil
}

// IsTerminal reports whether f is a terminal (it answers the terminal-attributes
// ioctl; /dev/null and other character devices do not).
func IsTerminal(f *os.File) bool { return isTerminal(f) }

// Output is a buffered destination for a binary stream: standard output, or a file
// written atomically (a temporary file in the same directory renamed over the target
// on Commit, removed on Abort). The file gets the permissions a shell's > gives: those
// of the file it replaces, or 0666 less the umask for a new one. A target that exists
// and is not a regular file (/dev/null, a FIFO) is written in place.
type Output struct {
	*bufio.Writer
	// Compression is the codec of the streams written to it; zstd when empty.
	Compression Compression
	f           *os.File // the temporary file; nil for stdout
	final       string   // target path
	direct      *os.File // a device or pipe written in place
}

// CreateOutput opens path for a binary stream; "-" or "" is stdout, which must not
// be a terminal and must accept an empty write.
func CreateOutput(path string, stdout io.Writer) (*Output, error) {
	if path == "" || path == "-" {
		if f, ok := stdout.(*os.File); ok && IsTerminal(f) {
			return nil, ErrTerminal
		}
		// A destination that refuses even an empty write (a closed standard output)
		// fails here, before any work is done for it.
		if _, err := stdout.Write(nil); err != nil {
			return nil, err
		}
		return &Output{Writer: bufio.NewWriterSize(stdout, 1<<16)}, nil
	}
	if st, err := os.Stat(path); err == nil && !st.Mode().IsRegular() {
		if st.IsDir() {
			return nil, fmt.Errorf("cannot create output: %s is a folder", path)
		}
		// A device or a pipe (-o /dev/null, a FIFO) is written in place: renaming a
		// file over it would replace the device.
		f, err := os.OpenFile(path, os.O_WRONLY, 0)
		if err != nil {
			return nil, fmt.Errorf("cannot open output: %w", err)
		}
		return &Output{Writer: bufio.NewWriterSize(f, 1<<16), direct: f}, nil
	}
	f, err := createTemp(path)
	if err != nil {
		return nil, fmt.Errorf("cannot create output: %w", err)
	}
	return &Output{Writer: bufio.NewWriterSize(f, 1<<16), f: f, final: path}, nil
}

// createTemp creates a new hidden file beside path with mode 0666 (so the umask
// applies, as it does to >), or with the mode of the file at path when there is one.
func createTemp(path string) (*os.File, error) {
	dir, base := filepath.Dir(path), filepath.Base(path)
	for range 100 {
		name := filepath.Join(dir, fmt.Sprintf(".%s.tmp%d", base, rand.Uint32()))
		f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o666)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if st, err := os.Stat(path); err == nil && st.Mode().IsRegular() {
			if err := f.Chmod(st.Mode().Perm()); err != nil {
				f.Close()
				os.Remove(name)
				return nil, err
			}
		}
		return f, nil
	}
	return nil, fmt.Errorf("no free temporary name beside %s", path)
}

// Commit flushes the output; a file is synced, closed and renamed into place.
func (o *Output) Commit() error {
	if err := o.Flush(); err != nil {
		o.Abort()
		return err
	}
	if o.direct != nil {
		return o.direct.Close()
	}
	if o.f == nil {
		return nil
	}
	tmp := o.f.Name()
	if err := o.f.Sync(); err != nil {
		o.Abort()
		return err
	}
	if err := o.f.Close(); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, o.final); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}

// Abort ends a failed output. Standard output gets what was written so far (which,
// lacking its end-of-stream marker, reads as truncated); a file output leaves no file.
func (o *Output) Abort() {
	if o.direct != nil {
		o.Flush()
		o.direct.Close()
		return
	}
	if o.f == nil {
		o.Flush()
		return
	}
	o.f.Close()
	os.Remove(o.f.Name())
}

// OpenReader opens path ("-" or "" for stdin) as a dds stream Reader; the returned
// function closes the file.
func OpenReader(path string, stdin io.Reader) (*Reader, func(), error) {
	in, name, closeIn, err := OpenInput(path)
	if err != nil {
		return nil, nil, err
	}
	if path == "" || path == "-" {
		in = stdin
	}
	rd, err := NewReader(in, name, nil)
	if err != nil {
		closeIn()
		return nil, nil, err
	}
	return rd, func() { rd.Release(); closeIn() }, nil
}

// OpenReaders opens paths (none: stdin; "-": stdin) as one dds stream Reader that
// reads the files in order, each one or more streams, as one sequence of batches with
// the first file's schema; errors name the file they arise in. The returned function
// closes the reader and its files.
func OpenReaders(paths []string, stdin io.Reader) (*Reader, func(), error) {
	if len(paths) == 0 {
		paths = []string{"-"}
	}
	rd, closeRd, err := OpenReader(paths[0], stdin)
	if err != nil {
		return nil, nil, err
	}
	rd.inputs, rd.stdin = paths[1:], stdin
	return rd, closeRd, nil
}
