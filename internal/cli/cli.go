// Package cli holds what every dds program's main does the same way: flag parsing
// with usage errors, and mapping an error to one line on stderr and an exit code
// (0 ok, 1 failure, 2 usage).
package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"syscall"
)

// UsageError is a mistake in how a program was called; it exits with status 2.
type UsageError struct{ Msg string }

func (e *UsageError) Error() string { return e.Msg }

// Usagef returns a UsageError with a formatted message.
func Usagef(format string, a ...any) error { return &UsageError{fmt.Sprintf(format, a...)} }

// Flags is a flag set that reports parse errors as one line and prints its usage
// only when asked with -h.
type Flags struct {
	*flag.FlagSet
	synopsis string
	stderr   io.Writer
}

// NewFlags returns the flag set of program name with usage text from synopsis.
func NewFlags(name, synopsis string, stderr io.Writer) *Flags {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return &Flags{FlagSet: fs, synopsis: synopsis, stderr: stderr}
}

// Parse parses args into a program that takes no positional arguments. It prints the
// usage and returns flag.ErrHelp for -h, and returns a UsageError for bad flags.
func (f *Flags) Parse(args []string) error {
	_, err := f.ParseFile(args)
	if err == nil && f.NArg() > 0 {
		return Usagef("unexpected argument %q", f.Arg(0))
	}
	return err
}

// ParseFile is Parse for a program that takes at most one positional argument, an
// input file, which it returns ("" when absent).
func (f *Flags) ParseFile(args []string) (string, error) {
	if err := f.FlagSet.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintf(f.stderr, "%s\n\nFlags:\n", strings.TrimSpace(f.synopsis))
			f.SetOutput(f.stderr)
			f.PrintDefaults()
			return "", err
		}
		return "", &UsageError{Msg: err.Error()}
	}
	switch f.NArg() {
	case 0:
		return "", nil
	case 1:
		return f.Arg(0), nil
	}
	return "", Usagef("unexpected argument %q (one input file at most; join streams with cat)", f.Arg(1))
}

// Recorded returns args without the named flags and their values, for provenance
// that should not depend on, say, where the output was written.
func Recorded(args []string, drop ...string) []string {
	var out []string
	for i := 0; i < len(args); i++ {
		name := strings.TrimLeft(args[i], "-")
		name, _, hasValue := strings.Cut(name, "=")
		if strings.HasPrefix(args[i], "-") && slices.Contains(drop, name) {
			if !hasValue {
				i++
			}
			continue
		}
		out = append(out, args[i])
	}
	return out
}

// Code maps err to an exit code and prints it as one line "name: message" on stderr.
// A broken pipe (the reader went away, as with | head) ends quietly with 0.
func Code(name string, err error, stderr io.Writer) int {
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if errors.Is(err, syscall.EPIPE) {
		return 0
	}
	msg := strings.ReplaceAll(strings.TrimSpace(err.Error()), "\n", "; ")
	var ue *UsageError
	if errors.As(err, &ue) {
		fmt.Fprintf(stderr, "%s: %s (see %s -h)\n", name, msg, name)
		return 2
	}
	fmt.Fprintf(stderr, "%s: %s\n", name, msg)
	return 1
}

// ErrStdoutClosed is what writing to a standard output that was closed when the
// program started (cmd >&-) returns.
var ErrStdoutClosed = errors.New("standard output is closed (started with >&-); redirect it to a file, a pipe or > /dev/null")

// closedOutput stands for a closed standard output: every write fails.
type closedOutput struct{}

func (closedOutput) Write([]byte) (int, error) { return 0, ErrStdoutClosed }

// Stdout returns f, or when f was closed at start (see startedClosed) a writer whose
// every write, an empty one too, fails with ErrStdoutClosed.
func Stdout(f *os.File) io.Writer {
	if startedClosed(f) {
		return closedOutput{}
	}
	return f
}

// Main runs a program body with the process's arguments and standard streams and
// exits with its code. A standard output closed at start is passed as a writer
// that fails (Stdout), so the program exits 1 with one line instead of writing
// into nothing.
func Main(name string, run func(args []string, stdin io.Reader, stdout, stderr io.Writer) error) {
	os.Exit(Code(name, run(os.Args[1:], os.Stdin, Stdout(os.Stdout), os.Stderr), os.Stderr))
}
