#!/usr/bin/env bash
# merge-shards.sh — join the shard outputs of one run into one stream file.
#
#   pipelines/merge-shards.sh [-n N] [-z zstd|lz4|none] -o OUT.arrows SHARD.arrows...
#
# Re-encodes the shard streams as ONE Arrow stream (show -f arrows, with the first
# shard's metadata and the codec of -z, zstd by default) in OUT.arrows, written
# atomically, so that every Arrow reader (polars, pyarrow, DuckDB, apache-arrow JS)
# reads all its records: a cat of shard files is several streams back to back,
# which only dds's own readers read whole. Before writing it checks that the result
# holds exactly
# the records of an unsharded run: every shard reads to its end (a truncated shard is
# refused), the index column holds each position 0..M-1 exactly once, and M equals N
# when -n is given. The records keep shard order; sort by index to compare them with
# an unsharded run (pipelines/records.sh does).
#
# Environment: DDS_BIN, the folder holding show (default: bin/ next to pipelines/).
set -euo pipefail
usage() {
	echo "usage: $0 [-n N] [-z zstd|lz4|none] -o OUT.arrows SHARD.arrows..." >&2
	exit 2
}
out='' want='' codec=zstd
while getopts 'n:o:z:' opt; do
	case $opt in
	n) want=$OPTARG ;;
	z) codec=$OPTARG ;;
	o) out=$OPTARG ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
if [ -z "$out" ] || [ $# -lt 1 ]; then usage; fi
case $want in '' | [0-9] | [1-9]*[0-9]) ;; *) echo "$0: -n must be a count" >&2; exit 2 ;; esac
here=$(cd "$(dirname "$0")" && pwd)
bin=${DDS_BIN:-$here/../bin}
for f in "$@"; do
	[ -f "$f" ] || { echo "$0: missing shard: $f" >&2; exit 1; }
done

indices=$(for f in "$@"; do
	"$bin/show" -f jsonl -c index "$f" || { echo "$0: cannot read shard $f" >&2; exit 1; }
done | sed 's/[^0-9]//g' | sort -n)
count=$(printf '%s' "$indices" | grep -c . || true)
if [ -n "$want" ] && [ "$count" -ne "$want" ]; then
	echo "$0: the shards hold $count records, not $want" >&2
	exit 1
fi
if [ "$count" -gt 0 ] && [ "$indices" != "$(seq 0 $((count - 1)))" ]; then
	dup=$(printf '%s\n' "$indices" | uniq -d | head -3 | tr '\n' ' ')
	echo "$0: the shards do not hold indices 0..$((count - 1)) once each${dup:+ (repeated: $dup)}" >&2
	exit 1
fi
"$bin/show" -f arrows --compression "$codec" -o "$out" -- "$@"
