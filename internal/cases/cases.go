// Package cases runs a program's regression cases, kept as plain files the way
// Miller keeps its own, under testdata/cases/PROG/CASE at the repository root:
//
//	cmd      one command line: the program's name, then its arguments
//	expout   what the program prints on stdout
//	experr   what it prints on stderr
//	expcode  its exit status, present only when that is not 0
//
// The command line is split at blanks; '...' quotes literally, "..." quotes with
// \" and \\ as escapes, and a backslash outside quotes escapes the next character.
// The case runs in process (clitest) with the case folder as working directory, so
// file arguments are relative to it (the shared inputs are ../../inputs/*.arrows);
// $TMP in cmd is a fresh temporary folder for the files the case writes, and is
// written back as $TMP wherever it shows in the output. With go test -update the
// runner rewrites expout, experr and expcode from what the program printed, so
// that a change of output shows in git diff. Users: every program's cases_test.go.
package cases

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/ddstools/dds/internal/clitest"
	"github.com/ddstools/dds/internal/golden"
)

// Dir is the folder of the cases of program name, relative to a program's package
// folder at the top of the repository.
func Dir(name string) string { return filepath.Join("..", "testdata", "cases", name) }

// Run runs every case of p, the subfolders of dir that hold a cmd file, as a
// subtest named after the folder.
func Run(t *testing.T, p clitest.Program, dir string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range entries {
		c := filepath.Join(dir, e.Name())
		if _, err := os.Stat(filepath.Join(c, "cmd")); !e.IsDir() || err != nil {
			continue
		}
		n++
		abs, err := filepath.Abs(c)
		if err != nil {
			t.Fatal(err)
		}
		t.Run(e.Name(), func(t *testing.T) { runCase(t, p, abs) })
	}
	if n == 0 {
		t.Fatalf("no cases under %s", dir)
	}
}

// runCase runs the case in folder dir and compares (or, with -update, rewrites)
// its expected files.
func runCase(t *testing.T, p clitest.Program, dir string) {
	line, err := os.ReadFile(filepath.Join(dir, "cmd"))
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	args, err := Split(strings.ReplaceAll(strings.TrimSpace(string(line)), "$TMP", tmp))
	if err != nil {
		t.Fatalf("cmd: %v", err)
	}
	if len(args) == 0 || args[0] != p.Name {
		t.Fatalf("cmd %q does not run %s", line, p.Name)
	}
	t.Chdir(dir)
	stdout, stderr, code := p.Call(nil, args[1:]...)
	clean := func(b []byte) []byte { return []byte(strings.ReplaceAll(string(b), tmp, "$TMP")) }
	golden.Check(t, "expout", clean(stdout))
	golden.Check(t, "experr", clean([]byte(stderr)))
	status := ""
	if code != 0 {
		status = strconv.Itoa(code) + "\n"
	}
	golden.CheckOptional(t, "expcode", []byte(status))
}

// Split splits a command line into arguments as the package doc says.
func Split(line string) ([]string, error) {
	var args []string
	var cur strings.Builder
	inArg := false
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n':
			if inArg {
				args, inArg = append(args, cur.String()), false
				cur.Reset()
			}
		case c == '\'':
			j := strings.IndexByte(line[i+1:], '\'')
			if j < 0 {
				return nil, errors.New("unterminated '")
			}
			cur.WriteString(line[i+1 : i+1+j])
			i, inArg = i+1+j, true
		case c == '"':
			i++
			for ; i < len(line) && line[i] != '"'; i++ {
				if line[i] == '\\' && i+1 < len(line) && (line[i+1] == '"' || line[i+1] == '\\') {
					i++
				}
				cur.WriteByte(line[i])
			}
			if i == len(line) {
				return nil, errors.New(`unterminated "`)
			}
			inArg = true
		case c == '\\' && i+1 < len(line):
			i++
			cur.WriteByte(line[i])
			inArg = true
		default:
			cur.WriteByte(c)
			inArg = true
		}
	}
	if inArg {
		args = append(args, cur.String())
	}
	return args, nil
}
