package main

import (
	"testing"

	"github.com/ddstools/dds/internal/cases"
)

// TestCases runs the regression cases under testdata/cases/refine (go test -update
// rewrites their expected output).
func TestCases(t *testing.T) { cases.Run(t, prog, cases.Dir("refine")) }
