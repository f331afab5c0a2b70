#!/usr/bin/env bash
# submit.sh — run one sweep on Slurm: a job array that trains one shard per task and
# a dependent job that merges, evaluates and analyses.
#
#   pipelines/slurm/submit.sh [options] WORKDIR [-- train flags...]
#
# Samples the sweep as shard files into WORKDIR/shards (pipelines/sample-shards.sh),
# submits pipelines/slurm/train-array.sh as a job array with one task per shard, and
# pipelines/slurm/merge-eval.sh with --dependency=afterok on the array (cancelled if
# a task fails). It prints the two job ids; the results land in WORKDIR (see
# merge-eval.sh), the jobs' logs in WORKDIR/logs. Submitting again into the same
# WORKDIR keeps the shards and the trained shard files already there, so only the
# missing ones are trained.
#
# Options:
#   --space SPACE        the space to sample (a built-in name or a space file;
#                        default anynetx-a-mnist)
#   -n N                 models (default 100)
#   --seed S             sample seed (default 1)
#   --shards N           array tasks (default 8)
#   --eval-flags 'F'     evaluate flags, split on spaces (e.g. '--subset 1000')
#   --min-models N, --step C, --max-efit E    passed to merge-eval.sh
#   --sbatch 'F'         sbatch options for both jobs, split on spaces
#                        (e.g. '--partition=gpu --account=me --time=4:00:00')
#   --train-sbatch 'F'   sbatch options for the array only (e.g. '--gres=gpu:1 -c 8')
#   --wait               wait until the merge job ends (polling scontrol every second);
#                        fail unless it wrote its report
#
# Environment: DDS_BIN (default: bin/ next to pipelines/), passed to the jobs with
# DDS_PIPELINES; SLURM_CONF as for any Slurm command.
set -euo pipefail
usage() {
	cat >&2 <<USAGE
usage: $0 [--space SPACE] [-n N] [--seed S] [--shards N] [--eval-flags 'F'] [--min-models N]
          [--step C] [--max-efit E] [--sbatch 'F'] [--train-sbatch 'F'] [--wait] WORKDIR [-- train flags...]
USAGE
	exit 2
}
space=anynetx-a-mnist n=100 seed=1 shards=8 wait=0
eval_flags='' sbatch_flags='' train_sbatch=''
merge_opts=()
while [ $# -gt 0 ]; do
	case $1 in
	--space) [ $# -ge 2 ] || usage; space=$2; shift 2 ;;
	-n) [ $# -ge 2 ] || usage; n=$2; shift 2 ;;
	--seed) [ $# -ge 2 ] || usage; seed=$2; shift 2 ;;
	--shards) [ $# -ge 2 ] || usage; shards=$2; shift 2 ;;
	--eval-flags) [ $# -ge 2 ] || usage; eval_flags=$2; shift 2 ;;
	--min-models | --step | --max-efit) [ $# -ge 2 ] || usage; merge_opts+=("$1" "$2"); shift 2 ;;
	--sbatch) [ $# -ge 2 ] || usage; sbatch_flags=$2; shift 2 ;;
	--train-sbatch) [ $# -ge 2 ] || usage; train_sbatch=$2; shift 2 ;;
	--wait) wait=1; shift ;;
	-h | --help) usage ;;
	-*) echo "$0: unknown option $1" >&2; usage ;;
	*) break ;;
	esac
done
[ $# -ge 1 ] || usage
work=$1
shift
[ "${1:-}" = -- ] && shift
case $shards in [1-9] | [1-9]*[0-9]) ;; *) echo "$0: --shards must be a positive integer" >&2; exit 2 ;; esac
command -v sbatch >/dev/null 2>&1 || { echo "$0: sbatch not found (Debian: apt-get install slurm-client)" >&2; exit 1; }

here=$(cd "$(dirname "$0")/.." && pwd)
bin=$(cd "${DDS_BIN:-$here/../bin}" && pwd)
mkdir -p "$work/logs" "$work/trained"
work=$(cd "$work" && pwd)
read -r -a eval_args <<<"$eval_flags"
read -r -a sbatch_args <<<"$sbatch_flags"
read -r -a train_sbatch_args <<<"$train_sbatch"

shopt -s nullglob
existing=("$work"/shards/shard-*-of-*.arrows)
if [ ${#existing[@]} -eq 0 ]; then
	SAMPLE=$bin/sample "$here/sample-shards.sh" "$shards" "$work/shards" --space "$space" -n "$n" --seed "$seed"
elif [ ${#existing[@]} -ne "$shards" ] || [ ! -f "$work/shards/shard-0-of-$shards.arrows" ]; then
	echo "$0: $work/shards holds another sweep's shards; use another WORKDIR" >&2
	exit 1
else
	echo "submit: keeping the shards in $work/shards" >&2
fi
rm -f "$work/report.txt"

export DDS_BIN=$bin DDS_PIPELINES=$here
array=$(sbatch --parsable --array=0-$((shards - 1)) --output="$work/logs/train-%A_%a.out" \
	"${sbatch_args[@]}" "${train_sbatch_args[@]}" "$here/slurm/train-array.sh" "$work" "$@")
array=${array%%;*}
echo "submit: job array $array trains $shards shards" >&2
merge_sbatch=(sbatch --parsable --dependency="afterok:$array" --kill-on-invalid-dep=yes
	--output="$work/logs/merge-%j.out" "${sbatch_args[@]}")
merge=$("${merge_sbatch[@]}" "$here/slurm/merge-eval.sh" "${merge_opts[@]}" "$work" -- "${eval_args[@]}")
merge=${merge%%;*}
echo "submit: job $merge merges, evaluates and analyses into $work" >&2
echo "$array $merge"
[ "$wait" = 1 ] || exit 0

state=''
while :; do
	if ! info=$(scontrol show job -o "$merge" 2>&1); then
		case $info in *"Invalid job id"*) state=''; break ;; esac
		sleep 1
		continue
	fi
	state=$(sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p' <<<"$info")
	case $state in PENDING | RUNNING | CONFIGURING | COMPLETING | REQUEUED | RESIZING | SUSPENDED) sleep 1 ;; *) break ;; esac
done
if [ ! -f "$work/report.txt" ]; then
	echo "$0: the sweep did not finish (merge job ${state:-gone}, no $work/report.txt); logs:" >&2
	tail -n 5 "$work"/logs/*.out >&2 || true
	exit 1
fi
echo "submit: report in $work/report.txt" >&2
