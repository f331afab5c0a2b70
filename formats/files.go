package formats

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
)

// ErrTerminal is returned when binary output would go to a terminal.
var ErrTerminal = errors.New("refusing to write a binary Arrow stream to a terminal; redirect it to a file (> out.arrows) or pipe it into another program (| show)")

// OpenInput opens path for reading; "-" or "" is stdin, the program's standard input
// as its caller passed it (so that a program run in process reads what it was given).
// It returns the reader, the name to use in messages ("stdin" for stdin) and a close
// function, which for stdin does nothing.
func OpenInput(path string, stdin io.Reader) (io.Reader, string, func() error, error) {
	if path == "" || path == "-" {
		return stdin, InputName(path), func() error { return nil }, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, path, nil, fmt.Errorf("cannot open input: %w", err)
	}
	return f, path, f.Close, nil
}

// InputName is the name messages give the input at path: "stdin" for "-" and "",
// else path.
func InputName(path string) string {
	if path == "" || path == "-" {
		return "stdin"
	}
	return path
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
// be a terminal and must accept an empty write. Any other path is a file, opened as
// CreateFile opens it.
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
	return CreateFile(path)
}

// CreateFile opens the file at path for writing atomically, as Output describes; the
// name is always a file's ("-" too).
func CreateFile(path string) (*Output, error) {
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

// WriteOutput writes the output at path (see CreateOutput; "-" or "" is stdout) with
// write, its streams compressed with codec (zstd when empty): the output is committed
// when write succeeds and aborted when it fails.
func WriteOutput(path string, stdout io.Writer, codec Compression, write func(io.Writer) error) error {
	o, err := CreateOutput(path, stdout)
	if err != nil {
		return err
	}
	o.Compression = codec
	return o.Finish(write)
}

// WriteFile writes the file at path atomically (see CreateFile) with write: when
// write fails, a regular file is as it was before.
func WriteFile(path string, write func(io.Writer) error) error {
	o, err := CreateFile(path)
	if err != nil {
		return err
	}
	return o.Finish(write)
}

// Destination is where a program writes its stream, as its flags give it: -o PATH
// ("-", the default, is stdout) and --compression.
type Destination struct {
	Path  string
	Codec Compression
}

// compressionUsage is the help text of --compression.
const compressionUsage = "codec of the output stream's bodies: zstd, lz4 or none"

// DestinationFlags adds -o and --compression to fs and returns their values.
func DestinationFlags(fs *flag.FlagSet) *Destination {
	d := &Destination{Codec: Zstd}
	fs.StringVar(&d.Path, "o", "-", "output file, - for stdout")
	fs.Var(&d.Codec, "compression", compressionUsage)
	return d
}

// Write writes the destination with write (see WriteOutput).
func (d *Destination) Write(stdout io.Writer, write func(io.Writer) error) error {
	return WriteOutput(d.Path, stdout, d.Codec, write)
}

// Filter is the shape of a program that turns one stream into another: it opens the
// input at in (see OpenReader; "-" or "" is stdin), then the destination, and runs
// stage on the two; the output is committed only when stage succeeds.
func (d *Destination) Filter(in string, stdin io.Reader, stdout io.Writer, stage func(*Reader, io.Writer) error) error {
	rd, closeIn, err := OpenReader(in, stdin)
	if err != nil {
		return err
	}
	defer closeIn()
	return d.Write(stdout, func(w io.Writer) error { return stage(rd, w) })
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

// Finish runs write on o, then commits o, or aborts it when write fails.
func (o *Output) Finish(write func(io.Writer) error) error {
	if err := write(o); err != nil {
		o.Abort()
		return err
	}
	return o.Commit()
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
	in, name, closeIn, err := OpenInput(path, stdin)
	if err != nil {
		return nil, nil, err
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
