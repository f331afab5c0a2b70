// Package testenv holds the one rule for a test that needs something the machine
// may lack (a program, PyTorch, a data set): it is skipped, except under CI (the
// environment variable CI set to anything), where it fails, because CI must run
// every test. Users: the oracle, interop and rendering tests.
package testenv

import (
	"os"
	"testing"
)

// Require returns when err is nil. Otherwise it skips t, or fails it when CI is
// set, with the message "needs WHAT: ERR", followed by what CI changes.
func Require(t testing.TB, what string, err error) {
	t.Helper()
	if err == nil {
		return
	}
	if CI() {
		t.Fatalf("needs %s: %v\n(CI is set, so this test must run, not skip)", what, err)
	}
	t.Skipf("needs %s: %v\n(skipped; with CI set it fails instead)", what, err)
}

// CI reports whether the tests run under CI (the environment variable CI is set).
func CI() bool { return os.Getenv("CI") != "" }
