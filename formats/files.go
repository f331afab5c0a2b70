package formats

import (
	"bufio"
	"errors"
	"fmt"
	"io"
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
// on Commit, removed on Abort).
type Output struct {
	*bufio.Writer
	f     *os.File // the temporary file; nil for stdout
	final string   // target path
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
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return nil, fmt.Errorf("cannot create output: %w", err)
	}
	return &Output{Writer: bufio.NewWriterSize(f, 1<<16), f: f, final: path}, nil
}

// Commit flushes the output; a file is synced, closed and renamed into place.
func (o *Output) Commit() error {
	if err := o.Flush(); err != nil {
		o.Abort()
		return err
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
