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
