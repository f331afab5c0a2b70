// Package interop holds acceptance tests that check dds streams against an Arrow
// implementation other than arrow-go. It has no code of its own.
//
// interop_test.go builds the sample program, has it write config streams (Arrow IPC
// stream format, zstd-compressed bodies), reads them with the apache-arrow npm
// package through read_arrow.mjs, and compares every value with what
// formats.DecodeConfigs sees. The test installs the JavaScript packages itself
// (npm ci, from package-lock.json, into a temporary directory), so it needs node
// and npm and, with a cold npm cache, the npm registry. Without node or npm it is
// skipped, unless the environment variable CI is set, in which case it fails.
//
// read_arrow.mjs is usable on its own: npm ci here, then
//
//	sample --space regnetx -n 5 | node read_arrow.mjs
//
// prints the schema metadata as a JSON object on the first line and then one JSON
// object per row (int64 values as decimal strings; see the script's header).
package interop
