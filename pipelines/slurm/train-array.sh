#!/usr/bin/env bash
#SBATCH --job-name=dds-train
# train-array.sh — the Slurm job array of a sweep: array task I trains shard I.
#
#   sbatch --array=0-(N-1) pipelines/slurm/train-array.sh WORKDIR [train flags...]
#
# Task I trains WORKDIR/shards/shard-I-of-N.arrows (pipelines/sample-shards.sh N
# WORKDIR/shards ...) through pipelines/train-shard.sh into
# WORKDIR/trained/shard-I-of-N.arrows, with checkpoints next to it, so a task that is
# requeued or resubmitted resumes where it stopped; a task whose output exists exits
# at once. pipelines/slurm/submit.sh samples the shards and submits this array and
# the job that merges, evaluates and analyses its outputs (merge-eval.sh).
#
# Environment: DDS_PIPELINES, the pipelines/ folder (default:
# $SLURM_SUBMIT_DIR/pipelines, as Slurm runs a copy of this script); DDS_BIN, the
# folder holding train (default: bin/ next to pipelines/).
set -euo pipefail
if [ $# -lt 1 ] || [ -z "${SLURM_ARRAY_TASK_ID:-}" ]; then
	echo "usage: sbatch --array=0-(N-1) $0 WORKDIR [train flags...]" >&2
	exit 2
fi
work=$1
shift
task=$SLURM_ARRAY_TASK_ID
pipelines=${DDS_PIPELINES:-${SLURM_SUBMIT_DIR:-.}/pipelines}
[ -x "$pipelines/train-shard.sh" ] || { echo "$0: no $pipelines/train-shard.sh (set DDS_PIPELINES)" >&2; exit 1; }
shopt -s nullglob
matches=("$work/shards/shard-$task-of-"*.arrows)
[ ${#matches[@]} -eq 1 ] || { echo "$0: want one shard file $work/shards/shard-$task-of-N.arrows, found ${#matches[@]}" >&2; exit 1; }
in=${matches[0]}
out=$work/trained/$(basename "$in")
if [ -f "$out" ]; then
	echo "train-array: $out exists" >&2
	exit 0
fi
echo "train-array: task $task of job ${SLURM_ARRAY_JOB_ID:-?} on $(hostname -s): $in" >&2
exec "$pipelines/train-shard.sh" "$in" "$out" "$@"
