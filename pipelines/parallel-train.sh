#!/usr/bin/env bash
# parallel-train.sh — train shard files under GNU parallel: one job per shard, on
# this machine (one job per GPU with -g) or on other machines over ssh (-S).
#
#   pipelines/parallel-train.sh [options] OUTDIR CONFIGS.arrows... [-- TRAIN FLAGS...]
#
# Each CONFIGS file NAME.arrows (from pipelines/sample-shards.sh or sample --shard) is
# trained by pipelines/train-shard.sh into OUTDIR/NAME.trained.arrows. Shards whose
# output already exists are skipped, so running the same command again after a crash
# trains only what is missing (local jobs also resume from OUTDIR/NAME.trained.ckpt/).
# Arrow streams are never piped through parallel --pipe: every job reads and writes
# files.
#
# Options:
#   -j N          jobs at once on each machine (default: the number of GPUs with -g,
#                 else 1; train itself uses every core of its machine)
#   -g GPUS       comma-separated GPU ids of this machine, e.g. 0,1,2,3: one job per
#                 GPU, each job's CUDA_VISIBLE_DEVICES is the GPU of its job slot
#   -S LOGINS     run the jobs over ssh on these GNU parallel sshlogins, e.g.
#                 4/gpu1,4/gpu2 or .. for a --sshloginfile; the shard files, bin/train
#                 and train-shard.sh are sent to a fresh folder on each host, the
#                 outputs are returned into OUTDIR and the remote files removed
#   --ssh CMD     the ssh command for -S (GNU parallel's --ssh)
#   -b FILE       also send FILE to every host (GNU parallel's --basefile; a /./ in
#                 the path makes the rest of it relative to the remote folder), e.g.
#                 the dataset: -b /data/./cifar -- --data cifar10:cifar
#   -E VAR        pass the environment variable VAR to the remote jobs
#   -o FILE       merge the outputs into FILE afterwards (pipelines/merge-shards.sh)
#
# Environment: DDS_BIN, the folder holding train and show (default: bin/ next to
# pipelines/); with -S it must hold Linux binaries for the remote hosts.
set -euo pipefail
usage() {
	cat >&2 <<EOF
usage: $0 [-j N] [-g GPUS] [-S SSHLOGINS] [--ssh CMD] [-b FILE]... [-E VAR]... [-o MERGED.arrows]
       $(printf '%*s' ${#0} '') OUTDIR CONFIGS.arrows... [-- TRAIN FLAGS...]
EOF
	exit 2
}
jobs='' gpus='' logins='' sshcmd='' merged=''
basefiles=() envs=()
while [ $# -gt 0 ]; do
	case $1 in
	-j) [ $# -ge 2 ] || usage; jobs=$2; shift 2 ;;
	-g) [ $# -ge 2 ] || usage; gpus=$2; shift 2 ;;
	-S) [ $# -ge 2 ] || usage; logins=$2; shift 2 ;;
	--ssh) [ $# -ge 2 ] || usage; sshcmd=$2; shift 2 ;;
	-b) [ $# -ge 2 ] || usage; basefiles+=(--basefile "$2"); shift 2 ;;
	-E) [ $# -ge 2 ] || usage; envs+=(--env "$2"); shift 2 ;;
	-o) [ $# -ge 2 ] || usage; merged=$2; shift 2 ;;
	-h | --help) usage ;;
	--) usage ;;
	-*) echo "$0: unknown option $1" >&2; usage ;;
	*) break ;;
	esac
done
[ $# -ge 2 ] || usage
out=$1
shift
configs=()
while [ $# -gt 0 ] && [ "$1" != -- ]; do
	configs+=("$1")
	shift
done
[ $# -gt 0 ] && shift
flags=("$@")
[ ${#configs[@]} -gt 0 ] || usage
case $jobs in '' | [1-9] | [1-9]*[0-9]) ;; *) echo "$0: -j must be a positive integer" >&2; exit 2 ;; esac
if [ -n "$gpus" ] && [ -n "$logins" ]; then
	echo "$0: -g names GPUs of this machine; with -S give each host as many jobs as it has GPUs (N/host)" >&2
	exit 2
fi
command -v parallel >/dev/null 2>&1 || { echo "$0: GNU parallel is not installed (Debian: apt-get install parallel)" >&2; exit 1; }

here=$(cd "$(dirname "$0")" && pwd)
bin=$(cd "${DDS_BIN:-$here/../bin}" && pwd)
export DDS_BIN=$bin
mkdir -p "$out"
out=$(cd "$out" && pwd)
if [ -n "$merged" ]; then
	mkdir -p "$(dirname "$merged")"
	merged=$(cd "$(dirname "$merged")" && pwd)/$(basename "$merged")
fi

todo=() names=() outputs=()
for f in "${configs[@]}"; do
	[ -f "$f" ] || { echo "$0: no such configs file: $f" >&2; exit 1; }
	name=$(basename "$f" .arrows)
	for n in "${names[@]}"; do
		[ "$n" != "$name" ] || { echo "$0: two configs files named $name.arrows" >&2; exit 2; }
	done
	names+=("$name")
	outputs+=("$out/$name.trained.arrows")
	if [ -f "$out/$name.trained.arrows" ]; then
		echo "parallel-train: $out/$name.trained.arrows exists, skipped" >&2
		continue
	fi
	todo+=("$(cd "$(dirname "$f")" && pwd)/./$(basename "$f")")
done

if [ ${#todo[@]} -gt 0 ]; then
	if [ -n "$gpus" ]; then
		IFS=, read -r -a list <<<"$gpus"
		export DDS_GPUS=$gpus
		envs+=(--env DDS_GPUS)
		jobs=${jobs:-${#list[@]}}
	fi
	if [ -z "$logins" ]; then
		parallel -q --halt soon,fail=1 -j "${jobs:-1}" \
			"$here/train-shard.sh" {} "$out/{/.}.trained.arrows" "${flags[@]}" ::: "${todo[@]}"
	else
		[ -x "$bin/train" ] || { echo "$0: no $bin/train to send (make build)" >&2; exit 1; }
		root=$(cd "$here/.." && pwd)
		[ "$bin" = "$root/bin" ] || { echo "$0: with -S, DDS_BIN must be bin/ of this checkout" >&2; exit 2; }
		export DDS_DROP_CHECKPOINT=1
		cd "$out"
		parallel -q --halt soon,fail=1 -j "${jobs:-1}" -S "$logins" ${sshcmd:+--ssh "$sshcmd"} \
			--wd ".dds-parallel/$(hostname -s)-$$-$(date +%s)" \
			--basefile "$root/./bin/train" --basefile "$root/./pipelines/train-shard.sh" "${basefiles[@]}" \
			--env DDS_DROP_CHECKPOINT "${envs[@]}" \
			--transferfile {} --return "{/.}.trained.arrows" --cleanup \
			pipelines/train-shard.sh "{/}" "{/.}.trained.arrows" "${flags[@]}" ::: "${todo[@]}"
		for o in "${outputs[@]}"; do
			[ -f "$o" ] || { echo "$0: $o did not come back" >&2; exit 1; }
		done
	fi
fi

if [ -n "$merged" ]; then
	"$here/merge-shards.sh" -o "$merged" "${outputs[@]}"
fi
