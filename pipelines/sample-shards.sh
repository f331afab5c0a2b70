#!/usr/bin/env bash
# sample-shards.sh — draw one sample run as N shard files, in parallel.
#
#   pipelines/sample-shards.sh N OUTDIR [sample flags...]
#
# Writes OUTDIR/shard-I-of-N.arrows for I = 0..N-1 (each written atomically by
# sample -o). The shards partition the unsharded run: concatenated with cat they hold
# exactly its configs, each with its position in the run in the index column. Arrow
# streams have no record delimiter, so shard into files like this rather than piping
# one stream through GNU parallel --pipe. Runs the shards under GNU parallel when it
# is installed, otherwise under xargs -P.
set -euo pipefail
if [ $# -lt 2 ]; then
	echo "usage: $0 N OUTDIR [sample flags...]" >&2
	exit 2
fi
n=$1 out=$2
shift 2
case $n in '' | *[!0-9]* | 0) echo "$0: N must be a positive integer" >&2; exit 2 ;; esac
here=$(cd "$(dirname "$0")" && pwd)
sample=${SAMPLE:-$here/../bin/sample}
mkdir -p "$out"
jobs=${JOBS:-$(getconf _NPROCESSORS_ONLN)}
if command -v parallel >/dev/null 2>&1; then
	seq 0 $((n - 1)) | parallel --halt now,fail=1 -j "$jobs" \
		"$sample" "$@" --shard {}/"$n" -o "$out"/shard-{}-of-"$n".arrows
else
	seq 0 $((n - 1)) | xargs -P "$jobs" -I{} \
		"$sample" "$@" --shard {}/"$n" -o "$out"/shard-{}-of-"$n".arrows
fi
