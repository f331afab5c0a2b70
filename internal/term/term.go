// Package term sizes the one-line progress displays the programs keep on a terminal.
//
// Used by train and evaluate (train/trainer, evaluate/evaluator).
package term

import (
	"io"
	"os"
	"unicode/utf8"

	"golang.org/x/sys/unix"
)

// DefaultWidth is the width assumed when the terminal does not report one.
const DefaultWidth = 80

// Width returns the column count of the terminal w writes to, asked afresh on each
// call so that a resized window is followed, or DefaultWidth when w is not a
// terminal or does not say.
func Width(w io.Writer) int {
	f, ok := w.(*os.File)
	if !ok {
		return DefaultWidth
	}
	ws, err := unix.IoctlGetWinsize(int(f.Fd()), unix.TIOCGWINSZ)
	if err != nil || ws.Col == 0 {
		return DefaultWidth
	}
	return int(ws.Col)
}

// Fit cuts line to at most width-1 characters (runes), ending a cut line with "…":
// a line as wide as the terminal would wrap when the cursor moves past its last
// column on some terminals, leaving a new line per redraw.
func Fit(line string, width int) string {
	limit := max(width-1, 1)
	if utf8.RuneCountInString(line) <= limit {
		return line
	}
	n := 0
	for i := range line {
		if n == limit-1 {
			return line[:i] + "…"
		}
		n++
	}
	return line
}
