#!/usr/bin/env bash
# Checks the pipeline scripts: shards written in parallel and joined with cat hold
# exactly the configs of the unsharded run.
set -euo pipefail
cd "$(dirname "$0")/.."
make -s build >/dev/null
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
args=(--space anynetx-c-mnist -n 40 --seed 9)
bin/sample "${args[@]}" | bin/show -f jsonl -c index,id,flops >"$tmp/whole.jsonl"
pipelines/sample-shards.sh 4 "$tmp/shards" "${args[@]}"
cat "$tmp"/shards/shard-*-of-4.arrows | bin/show -f jsonl -c index,id,flops | sort -t: -k2 -n >"$tmp/joined.jsonl"
sort -t: -k2 -n "$tmp/whole.jsonl" >"$tmp/whole.sorted"
if ! cmp -s "$tmp/whole.sorted" "$tmp/joined.jsonl"; then
	echo "pipelines/test.sh: shards do not join to the unsharded run" >&2
	diff "$tmp/whole.sorted" "$tmp/joined.jsonl" | head >&2
	exit 1
fi
[ "$(wc -l <"$tmp/joined.jsonl")" -eq 40 ]
# A truncated shard makes the join fail loudly instead of losing records.
head -c 100 "$tmp/shards/shard-1-of-4.arrows" >"$tmp/shards/shard-1-of-4.arrows.cut"
if cat "$tmp"/shards/shard-0-of-4.arrows "$tmp/shards/shard-1-of-4.arrows.cut" | bin/show >/dev/null 2>"$tmp/err"; then
	echo "pipelines/test.sh: a truncated shard was read without error" >&2
	exit 1
fi
grep -q truncated "$tmp/err"
echo "pipelines: shards join to the unsharded run (40 configs, 4 shards); truncated input rejected"
