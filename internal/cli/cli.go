// Package cli holds what every dds program's main does the same way: flag parsing
// with usage errors, and mapping an error to one line on stderr and an exit code
// (0 ok, 1 failure, 2 usage).
//
// Used by every program's main, by train/device (its usage error) and train/trainer
// (byte sizes in messages).
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

	"github.com/ddstools/dds/internal/version"
)

// UsageError is a mistake in how a program was called; it exits with status 2.
type UsageError struct{ Msg string }

func (e *UsageError) Error() string { return e.Msg }

// Usagef returns a UsageError with a formatted message.
func Usagef(format string, a ...any) error { return &UsageError{fmt.Sprintf(format, a...)} }

// Flags is a flag set that reports parse errors as one line, answers -h with its
// usage and --version with the build's version (both on stdout, see Exit), and takes
// flags before, between and after file names ("--" ends the flags).
type Flags struct {
	*flag.FlagSet
	name     string
	synopsis string
	stderr   io.Writer
	version  *bool
}

// NewFlags returns the flag set of program name with usage text from synopsis.
func NewFlags(name, synopsis string, stderr io.Writer) *Flags {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	v := fs.Bool("version", false, "print the version and exit")
	return &Flags{FlagSet: fs, name: name, synopsis: synopsis, stderr: stderr, version: v}
}

// Help is what a program prints on stdout instead of running when asked with -h or
// --version; it exits with status 0. It matches flag.ErrHelp under errors.Is.
type Help struct{ Text string }

func (h *Help) Error() string { return "help requested" }

// Is makes errors.Is(h, flag.ErrHelp) true.
func (h *Help) Is(target error) bool { return target == flag.ErrHelp }

// Parse parses args into a program that takes no positional arguments. It returns a
// *Help for -h and --version and a UsageError for bad flags.
func (f *Flags) Parse(args []string) error {
	files, err := f.ParseFiles(args)
	if err == nil && len(files) > 0 {
		return Usagef("unexpected argument %q", files[0])
	}
	return err
}

// ParseFile is Parse for a program that takes at most one positional argument, an
// input file, which it returns ("" when absent).
func (f *Flags) ParseFile(args []string) (string, error) {
	files, err := f.ParseFiles(args)
	if err != nil {
		return "", err
	}
	switch len(files) {
	case 0:
		return "", nil
	case 1:
		return files[0], nil
	}
	return "", Usagef("unexpected argument %q (one input file at most; merge streams with show -f arrows)", files[1])
}

// ParseFiles is Parse for a program that takes any number of positional arguments,
// which it returns in order. Flags may come before, between or after them; every
// argument after "--" is positional, and "-" (stdin) is positional.
func (f *Flags) ParseFiles(args []string) ([]string, error) {
	var files []string
	for {
		if err := f.FlagSet.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, &Help{Text: f.usage()}
			}
			return nil, &UsageError{Msg: err.Error()}
		}
		rest := f.FlagSet.Args()
		ended := len(rest) < len(args) && args[len(args)-len(rest)-1] == "--" && !f.isValue(args, len(args)-len(rest)-1)
		if ended || len(rest) == 0 {
			files = append(files, rest...)
			break
		}
		files = append(files, rest[0])
		args = rest[1:]
	}
	if *f.version {
		return nil, &Help{Text: f.name + " (dds) " + version.String() + "\n"}
	}
	return files, nil
}

// isValue reports whether args[i] is the value of the flag before it (-o --), not
// the end of the flags.
func (f *Flags) isValue(args []string, i int) bool {
	if i == 0 {
		return false
	}
	prev := args[i-1]
	if !strings.HasPrefix(prev, "-") || prev == "-" || prev == "--" || strings.Contains(prev, "=") {
		return false
	}
	fl := f.Lookup(strings.TrimLeft(prev, "-"))
	if fl == nil {
		return false
	}
	b, ok := fl.Value.(interface{ IsBoolFlag() bool })
	return !ok || !b.IsBoolFlag()
}

// usage is the text -h prints: the synopsis and every flag with its default.
func (f *Flags) usage() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n\nFlags:\n", strings.TrimSpace(f.synopsis))
	f.SetOutput(&b)
	f.PrintDefaults()
	f.SetOutput(io.Discard)
	return b.String()
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
	var se *StatusError
	if errors.As(err, &se) {
		return se.Status
	}
	return 1
}

// StatusError is an outcome that is not a failure of the program but that a script
// must be able to tell apart: Code prints it as any error and exits with Status (3 and
// up; 1 is a failure and 2 a usage error).
type StatusError struct {
	Status int
	Err    error
}

func (e *StatusError) Error() string { return e.Err.Error() }
func (e *StatusError) Unwrap() error { return e.Err }

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

// Exit is Code that first prints a *Help's text on stdout (so that show -h | less
// pages it); a failure to print it is an error like any other.
func Exit(name string, err error, stdout, stderr io.Writer) int {
	var h *Help
	if errors.As(err, &h) {
		_, err = io.WriteString(stdout, h.Text)
	}
	return Code(name, err, stderr)
}

// Main runs a program body with the process's arguments and standard streams and
// exits with its code. A standard output closed at start is passed as a writer
// that fails (Stdout), so the program exits 1 with one line instead of writing
// into nothing.
func Main(name string, run func(args []string, stdin io.Reader, stdout, stderr io.Writer) error) {
	stdout := Stdout(os.Stdout)
	os.Exit(Exit(name, run(os.Args[1:], os.Stdin, stdout, os.Stderr), stdout, os.Stderr))
}
