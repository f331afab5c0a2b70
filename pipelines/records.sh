#!/usr/bin/env bash
# records.sh — print records in a canonical form, to compare runs.
#
#   pipelines/records.sh [-c COL,COL...] FILE|-...
#
# Prints the records of the files (read as one concatenated stream) as JSON lines
# sorted by their index column, without the timing columns wall_s and img_per_s, the
# only ones that differ between equal runs; -c keeps only the named columns. Two
# runs hold the same records when their outputs are equal:
#   cmp <(pipelines/records.sh whole.arrows) <(pipelines/records.sh shards/*.arrows)
#
# Environment: DDS_BIN, the folder holding show (default: bin/ next to pipelines/).
set -euo pipefail
usage() {
	echo "usage: $0 [-c COL,COL...] FILE|-..." >&2
	exit 2
}
cols=''
while getopts 'c:' opt; do
	case $opt in
	c) cols=$OPTARG ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
[ $# -ge 1 ] || usage
here=$(cd "$(dirname "$0")" && pwd)
bin=${DDS_BIN:-$here/../bin}
for f in "$@"; do
	[ "$f" = - ] || [ -f "$f" ] || { echo "$0: no such file: $f" >&2; exit 1; }
done
cat "$@" | "$bin/show" -f jsonl ${cols:+-c "$cols"} - |
	sed -E 's/"(wall_s|img_per_s)":[^,}]*(,|(\}))/\3/g; s/,\}$/}/' |
	awk '{ if (!match($0, /"index":-?[0-9]+/)) { print "records.sh: a record without index" > "/dev/stderr"; exit 1 }
	       print substr($0, RSTART + 8, RLENGTH - 8) "\t" $0 }' |
	sort -t "$(printf '\t')" -k1,1n -s | cut -f2-
