// Package interop holds acceptance tests that check dds's files against tools other
// than arrow-go. It has no code of its own.
//
// The tests build the programs, have them write streams and CSV, and read them with
// npm packages that the tests install themselves (npm install with
// package-lock.json's versions, into a temporary folder; they need node, npm and,
// with a cold npm cache, the npm registry):
//
//   - interop_test.go: apache-arrow JS reads sample's zstd-compressed config streams
//     (read_arrow.mjs) with the same values as formats.DecodeConfigs;
//   - tools_test.go: nodejs-polars and apache-arrow JS read all 400 rows of a file
//     that pipelines/merge-shards.sh made of 8 shards; apache-arrow JS with no codec
//     reads an uncompressed stream; DuckDB (@duckdb/node-api, duckdb_csv.mjs) and
//     polars read show -f csv with exact 64-bit seeds; a space that polars edited
//     and wrote back (edit_space.mjs, which drops dds's metadata) and one written by
//     hand as JSON both sample.
//
// Without node or npm the tests are skipped, unless the environment variable CI is
// set, in which case they fail. The scripts are usable on their own: npm install
// here, then
//
//	sample --space regnetx -n 5 | node read_arrow.mjs
//	node read_polars.mjs ipc merged.arrows index
//
// (see each script's header for what it prints).
package interop
