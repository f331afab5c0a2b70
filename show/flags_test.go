package main

import "testing"

// TestEmptyColumns: -c "" and a list with an empty name are usage errors, and so
// is a negative --limit.
func TestEmptyColumns(t *testing.T) {
	prog.CheckUsageErrors(t, nil, nil, [][3]string{
		{"-c", "", "a column name is empty"},
		{"-c", ",", "a column name is empty"},
		{"-c", "id,,flops", "a column name is empty"},
		{"--limit", "-1", "-limit: -1 is outside"},
	})
}
