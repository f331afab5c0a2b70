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
	"strings"
	"syscall"
)

// UsageError is a mistake in how a program was called; it exits with status 2.
type UsageError struct{ Msg string }

func (e *UsageError) Error() string { return e.Msg }

// Usagef returns a UsageError with a formatted message.
func Usagef(format string, a ...any) error { return &UsageError{fmt.Sprintf(format, a...)} }

// NewFlags returns a flag set for program name that reports errors instead of
// exiting, with usage text from the given synopsis.
func NewFlags(name, synopsis string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // Parse reports errors as one line; -h prints the usage
	fs.Usage = func() {
		fs.SetOutput(stderr)
		fmt.Fprintf(stderr, "%s\n\nFlags:\n", strings.TrimSpace(synopsis))
		fs.PrintDefaults()
	}
	return fs
}

// Parse parses args into fs, which takes no positional arguments. It prints the
// usage and returns flag.ErrHelp for -h, and returns a UsageError for bad flags.
func Parse(fs *flag.FlagSet, args []string) error {
	_, err := ParseFile(fs, args)
	if err == nil && fs.NArg() > 0 {
		return Usagef("unexpected argument %q", fs.Arg(0))
	}
	return err
}

// ParseFile is Parse for a program that takes at most one positional argument, an
// input file, which it returns ("" when absent).
func ParseFile(fs *flag.FlagSet, args []string) (string, error) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.Usage()
			return "", err
		}
		return "", &UsageError{Msg: err.Error()}
	}
	switch fs.NArg() {
	case 0:
		return "", nil
	case 1:
		return fs.Arg(0), nil
	}
	return "", Usagef("unexpected argument %q (one input file at most; join streams with cat)", fs.Arg(1))
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

// Main runs a program body with the process's arguments and standard streams and
// exits with its code.
func Main(name string, run func(args []string, stdin io.Reader, stdout, stderr io.Writer) error) {
	os.Exit(Code(name, run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr), os.Stderr))
}
