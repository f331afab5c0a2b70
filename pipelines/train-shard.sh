#!/usr/bin/env bash
# train-shard.sh — train one shard file of configs, resumably.
#
#   pipelines/train-shard.sh CONFIGS.arrows OUT.arrows [train flags...]
#
# Trains the configs of CONFIGS.arrows into OUT.arrows (written atomically by
# train -o) with checkpoints in OUT.ckpt/ (OUT.arrows with .ckpt for .arrows). A job
# that is killed and started again with the same arguments takes the finished models
# from the checkpoint, resumes the running ones from their last epoch and trains only
# what is missing. The make chain, the GNU parallel recipes and the Slurm job array
# all train their shards through this script.
#
# Environment:
#   DDS_BIN          folder holding train (default: bin/ next to pipelines/)
#   DDS_GPUS         comma-separated GPU ids, e.g. 0,1,2,3: the job takes the one of
#                    its slot as CUDA_VISIBLE_DEVICES (unless that is already set)
#   DDS_GPU_SLOT     the job's slot, 1-based (default: GNU parallel's PARALLEL_JOBSLOT);
#                    slot k takes entry (k-1) modulo the length of DDS_GPUS
#   DDS_DROP_CHECKPOINT=1  remove OUT.ckpt/ once OUT.arrows is written
set -euo pipefail
usage() {
	echo "usage: $0 CONFIGS.arrows OUT.arrows [train flags...]" >&2
	exit 2
}
[ $# -ge 2 ] || usage
in=$1 out=$2
shift 2
case $out in *.arrows) ;; *) echo "$0: the output name must end in .arrows: $out" >&2; exit 2 ;; esac
[ -f "$in" ] || { echo "$0: no such configs file: $in" >&2; exit 1; }
here=$(cd "$(dirname "$0")" && pwd)
bin=${DDS_BIN:-$here/../bin}
ckpt=${out%.arrows}.ckpt

if [ -n "${DDS_GPUS:-}" ] && [ -z "${CUDA_VISIBLE_DEVICES:-}" ]; then
	IFS=, read -r -a gpus <<<"$DDS_GPUS"
	slot=${DDS_GPU_SLOT:-${PARALLEL_JOBSLOT:-1}}
	case $slot in '' | *[!0-9]* | 0) echo "$0: bad GPU slot '$slot' (DDS_GPU_SLOT or PARALLEL_JOBSLOT)" >&2; exit 2 ;; esac
	export CUDA_VISIBLE_DEVICES=${gpus[$(((slot - 1) % ${#gpus[@]}))]}
fi

mkdir -p "$(dirname "$out")"
"$bin/train" --checkpoint "$ckpt" "$@" -o "$out" "$in"
if [ "${DDS_DROP_CHECKPOINT:-0}" = 1 ]; then
	rm -rf "$ckpt"
fi
