//go:build !cgo

package cuda

import (
	"strings"
	"testing"
)

func TestOpenWithoutCgo(t *testing.T) {
	_, err := Open("")
	if err == nil || !strings.Contains(err.Error(), "built without cgo") {
		t.Fatalf("Open: %v, want the without-cgo error", err)
	}
}
