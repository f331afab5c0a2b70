package term

import (
	"bytes"
	"testing"
	"unicode/utf8"
)

func TestFit(t *testing.T) {
	cases := []struct {
		line  string
		width int
		want  string
	}{
		{"short", 80, "short"},
		{"abcdefghij", 11, "abcdefghij"},
		{"abcdefghij", 10, "abcdefgh…"},
		{"héllo wörld", 6, "héll…"},
		{"abc", 1, "…"},
	}
	for _, c := range cases {
		got := Fit(c.line, c.width)
		if got != c.want || utf8.RuneCountInString(got) > max(c.width-1, 1) {
			t.Errorf("Fit(%q, %d) = %q, want %q", c.line, c.width, got, c.want)
		}
	}
	if w := Width(&bytes.Buffer{}); w != DefaultWidth {
		t.Errorf("Width of a buffer = %d, want %d", w, DefaultWidth)
	}
}
