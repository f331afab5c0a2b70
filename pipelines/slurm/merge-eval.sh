#!/usr/bin/env bash
#SBATCH --job-name=dds-merge
# merge-eval.sh — the job that follows a sweep's array: merge, evaluate, analyse.
#
#   sbatch --dependency=afterok:ARRAYJOB pipelines/slurm/merge-eval.sh [options] WORKDIR [-- evaluate flags...]
#
# Merges the array's outputs WORKDIR/trained/shard-*-of-N.arrows into
# WORKDIR/trained.arrows (pipelines/merge-shards.sh: all N shards, every config of
# WORKDIR/shards exactly once), evaluates them into WORKDIR/eval.arrows (weights
# dropped), and analyses the space: compare (WORKDIR/edf.png), bootstrap
# (WORKDIR/boot.space.arrows, intervals in boot.txt) and refine (WORKDIR/next.space.arrows,
# evidence in evidence.txt; with --auto, finding no constraint to add is reported, not
# an error). WORKDIR/report.txt, written last, gathers the tables.
#
# Options:
#   --min-models N    bootstrap's and refine's --min-models (default theirs, 10)
#   --step C          refine --step C (default: --auto)
#   --max-efit E      refine's --max-efit
#
# Environment: DDS_PIPELINES, the pipelines/ folder (default:
# $SLURM_SUBMIT_DIR/pipelines); DDS_BIN (default: bin/ next to pipelines/).
set -euo pipefail
usage() {
	echo "usage: $0 [--min-models N] [--step CONSTRAINT] [--max-efit E] WORKDIR [-- evaluate flags...]" >&2
	exit 2
}
analysis=() refine=(--auto)
while [ $# -gt 0 ]; do
	case $1 in
	--min-models) [ $# -ge 2 ] || usage; analysis+=(--min-models "$2"); shift 2 ;;
	--step) [ $# -ge 2 ] || usage; refine=(--step "$2"); shift 2 ;;
	--max-efit) [ $# -ge 2 ] || usage; refine+=(--max-efit "$2"); shift 2 ;;
	-*) usage ;;
	*) break ;;
	esac
done
[ $# -ge 1 ] || usage
work=$1
shift
[ "${1:-}" = -- ] && shift
pipelines=${DDS_PIPELINES:-${SLURM_SUBMIT_DIR:-.}/pipelines}
bin=${DDS_BIN:-$pipelines/../bin}
[ -x "$pipelines/merge-shards.sh" ] || { echo "$0: no $pipelines/merge-shards.sh (set DDS_PIPELINES)" >&2; exit 1; }

shopt -s nullglob
configs=("$work"/shards/shard-*-of-*.arrows)
[ ${#configs[@]} -gt 0 ] || { echo "$0: no shard files in $work/shards" >&2; exit 1; }
trained=()
for c in "${configs[@]}"; do
	trained+=("$work/trained/$(basename "$c")")
done
n=$(cat "${configs[@]}" | "$bin/show" -f jsonl -c index - | wc -l)
DDS_BIN=$bin "$pipelines/merge-shards.sh" -n "$n" -o "$work/trained.arrows" "${trained[@]}"
"$bin/evaluate" --drop-weights "$@" -o "$work/eval.arrows" "$work/trained.arrows"

"$bin/compare" --plot "$work/edf.png" "$work/eval.arrows" >"$work/compare.txt"
"$bin/bootstrap" "${analysis[@]}" -o "$work/boot.space.arrows" "$work/eval.arrows" 2>"$work/boot.txt" ||
	{ cat "$work/boot.txt" >&2; exit 1; }
rm -f "$work/next.space.arrows"
next="next space: next.space.arrows"
st=0
"$bin/refine" "${refine[@]}" "${analysis[@]}" -o "$work/next.space.arrows" "$work/eval.arrows" 2>"$work/evidence.txt" || st=$?
if [ $st -ne 0 ]; then
	cat "$work/evidence.txt" >&2
	# 3: --auto found no constraint to add; anything else is a failure.
	{ [ "${refine[0]}" = --auto ] && [ $st -eq 3 ]; } || exit 1
	next="no next space: refine --auto found no constraint to add"
fi
{
	echo "dds sweep in $work: $n models, ${#configs[@]} shards, merged by Slurm job ${SLURM_JOB_ID:-(none)}"
	echo
	echo "== Error distribution (figure: edf.png)"
	cat "$work/compare.txt"
	echo
	echo "== Refinement evidence ($next)"
	cat "$work/evidence.txt"
	echo
	echo "== Bootstrap (narrowed space: boot.space.arrows)"
	cat "$work/boot.txt"
} >"$work/report.txt.tmp"
mv "$work/report.txt.tmp" "$work/report.txt"
echo "merge-eval: report in $work/report.txt" >&2
