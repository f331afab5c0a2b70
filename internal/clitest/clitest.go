// Package clitest runs a program in process, as its tests do: the program's run
// function with arguments, stdin and buffers for stdout and stderr, and the exit
// status internal/cli gives its error. Users: every program's tests and
// internal/cases.
package clitest

import (
	"bytes"
	"io"
	"strings"
	"testing"

	"github.com/ddstools/dds/internal/cli"
)

// Program is a program's name (as its messages use it) and its run function.
type Program struct {
	Name string
	Run  func(args []string, stdin io.Reader, stdout, stderr io.Writer) error
}

// Call runs p with args and stdin and returns what it wrote to stdout and stderr
// (where the error goes, as the program's main prints it) and its exit status.
func (p Program) Call(stdin []byte, args ...string) (stdout []byte, stderr string, code int) {
	var out, errb bytes.Buffer
	code = cli.Code(p.Name, p.Run(args, bytes.NewReader(stdin), &out, &errb), &errb)
	return out.Bytes(), errb.String(), code
}

// CheckUsageErrors runs p once per case {flag, value, want}, with the flag and
// value between before and after, and fails t for each run that is not a usage
// error naming want: exit status 2, nothing on stdout, want in the message.
func (p Program) CheckUsageErrors(t *testing.T, before, after []string, cases [][3]string) {
	t.Helper()
	for _, c := range cases {
		args := append(append(append([]string{}, before...), c[0], c[1]), after...)
		out, stderr, code := p.Call(nil, args...)
		if code != 2 || len(out) != 0 || !strings.Contains(stderr, c[2]) {
			t.Errorf("%s %s: exit %d, %d bytes on stdout, stderr %q; want 2, none and %q", p.Name, strings.Join(args, " "), code, len(out), stderr, c[2])
		}
	}
}

// Failure is a run of a program that must fail: Name names it in messages, Stdin
// and Args are its input, Code its exit status and Want a part of its message.
type Failure = struct {
	Name  string
	Stdin []byte
	Args  []string
	Code  int
	Want  string
}

// CheckFailures runs p once per case and fails t for each run whose exit status
// is not the case's Code or whose stderr does not hold its Want.
func (p Program) CheckFailures(t *testing.T, cases []Failure) {
	t.Helper()
	p.checkFailures(t, cases, false)
}

// CheckOneLineFailures is CheckFailures for a program whose failures print only
// their error: the stderr of each run must also be one line.
func (p Program) CheckOneLineFailures(t *testing.T, cases []Failure) {
	t.Helper()
	p.checkFailures(t, cases, true)
}

func (p Program) checkFailures(t *testing.T, cases []Failure, oneLine bool) {
	t.Helper()
	for _, c := range cases {
		_, stderr, code := p.Call(c.Stdin, c.Args...)
		lines := strings.Count(strings.TrimSpace(stderr), "\n") + 1
		if code != c.Code || !strings.Contains(stderr, c.Want) || oneLine && lines > 1 {
			t.Errorf("%s: exit %d, stderr %q; want exit %d with %q", c.Name, code, stderr, c.Code, c.Want)
		}
	}
}
