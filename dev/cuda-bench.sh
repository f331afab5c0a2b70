#!/usr/bin/env bash
# cuda-bench.sh — GPU training throughput of train next to the PyTorch peer, measured
# in one run on the GPU machine, printed side by side with the ratios:
#
#   1. x200mf-cifar alone at batch 128 and 256, --precision fp32 and bf16: train's
#      img_per_s (one model, 1 epoch of STEPS steps on synthetic 32x32x3 data, end to
#      end: library start, step recording, batch assembly, statistics read-back)
#      against the peer's modes fp32, bf16cl and graph.
#   2. a sweep: SWEEP configs sampled from regnetx-cifar10 (50–70 MFLOPs, the scale
#      of x200mf-cifar's 60 MFLOPs), trained concurrently by one train process
#      (--concurrency CONCURRENCY, 0: automatic), batch 128, SWEEP_STEPS steps each:
#      total images / wall time of the whole command, against the peer's 4-process sum
#      (--procs 4) in modes bf16cl and graph; once per precision in SWEEP_PRECISIONS.
#   3. the peak device memory of the sweep's models (the mem_bytes column).
#   4. the fraction of the memory-bandwidth bound the single-model step reaches:
#      step_bytes (the bytes the step's operations must read and write, unfused;
#      network.StepBytes) × steps per second / the GPU's peak bandwidth (PEAK_GBPS,
#      or looked up from the GPU's name).
#
# Build on a machine with Go (the GPU machine has none), from the repository root:
#
#   make build                                           # bin/sample, bin/train, bin/show
#   mkdir -p bin/peer && cp ../shared/peer/* bin/peer/   # the PyTorch peer
#
# carry bin/sample, bin/train, bin/show and bin/peer, and run there: make cuda-bench
# (or bash dev/cuda-bench.sh). It builds bin/libdds_cuda.so with that machine's
# nvcc first (make cuda: nothing to do after gpu-check.sh built it). With OUT set, everything printed is also written to $OUT/cuda-bench.log
# and the sweep's records to $OUT.
#
# Environment: STEPS (300), SWEEP (32), SWEEP_STEPS (100), CONCURRENCY (0),
# SWEEP_PRECISIONS ("bf16 fp32"),
# DDS_PEER_DIR (default: ../shared/peer or bin/peer), PYTHON (python3), DEVICE (cuda;
# cpu runs the same commands without a GPU, to check the script itself), PEAK_GBPS.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
steps=${STEPS:-300}
sweep=${SWEEP:-32}
sweep_steps=${SWEEP_STEPS:-100}
concurrency=${CONCURRENCY:-0}
sweep_precisions=${SWEEP_PRECISIONS:-bf16 fp32}
device=${DEVICE:-cuda}
python=${PYTHON:-python3}

tmp=$(mktemp -d)
tee_pid=
cleanup() {
	rm -rf "$tmp"
	if [[ -n $tee_pid ]]; then
		exec >&- 2>&-
		wait "$tee_pid"
	fi
}
trap cleanup EXIT
if [[ -n "${OUT:-}" ]]; then
	mkdir -p "$OUT"
	exec > >(tee -a "$OUT/cuda-bench.log") 2>&1
	tee_pid=$!
fi
die() { printf 'cuda-bench: %s\n' "$*" >&2; exit 1; }
step() { printf '\n==== %s\n' "$*"; }

for p in sample train show; do
	[[ -x bin/$p ]] || die "no bin/$p: run make build on a machine with Go and carry bin/ here"
done
peer=${DDS_PEER_DIR:-}
if [[ -z $peer ]]; then
	for d in "$root/../shared/peer" "$root/bin/peer"; do
		if [[ -f $d/torch_anynet.py && -f $d/x200mf-cifar.json ]]; then peer=$d; break; fi
	done
fi
[[ -n $peer && -f $peer/torch_anynet.py ]] || die "no PyTorch peer: copy ../shared/peer to bin/peer, or set DDS_PEER_DIR"
spec=$peer/x200mf-cifar.json

if [[ $device == cuda* ]]; then
	step "GPU"
	nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
	step "kernel library: make cuda"
	make -s cuda
	export DDS_CUDA_LIB=$root/bin/libdds_cuda.so
fi

# ours BATCH PRECISION prints train's img_per_s and step_bytes for x200mf-cifar alone.
ours() {
	bin/sample --spec "$spec" \
		| bin/train -q --device "$device" --concurrency 1 --data "synthetic:32x32x3:10:$(($1 * steps)):16" \
			--epochs 1 --batch "$1" --precision "$2" --augment none \
		| bin/show -f jsonl -c status,error,img_per_s,step_bytes > "$tmp/single.jsonl"
	"$python" -c 'import json,sys
r = json.loads(open(sys.argv[1]).readline())
if r["status"] != "ok": sys.exit("cuda-bench: x200mf-cifar: %s: %s" % (r["status"], r["error"]))
print(r["img_per_s"], r["step_bytes"])' "$tmp/single.jsonl"
}

# peak_gbps prints the GPU's peak memory bandwidth in GB/s: PEAK_GBPS, else by name.
peak_gbps() {
	if [[ -n "${PEAK_GBPS:-}" ]]; then echo "$PEAK_GBPS"; return; fi
	local name
	name=$(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -1 || true)
	case $name in
	*H200*) echo 4800 ;;
	*H100*PCIe*) echo 2000 ;;
	*H100*NVL*) echo 3900 ;;
	*H100*) echo 3350 ;;
	*A100*80GB*) echo 2039 ;;
	*A100*) echo 1555 ;;
	*) echo 0 ;;
	esac
}

step "single model: x200mf-cifar, $steps steps per batch size"
"$python" "$peer/torch_anynet.py" --spec "$spec" --batch 128,256 --modes fp32,bf16cl,graph | tee "$tmp/peer.jsonl"
peak=$(peak_gbps)
printf '\n%-6s %-5s %10s %11s %12s %11s %8s %9s %11s\n' batch prec 'dds img/s' 'torch fp32' 'torch bf16cl' 'torch graph' 'vs best' 'MB/step' 'of peak BW'
for b in 128 256; do
	for prec in fp32 bf16; do
	res=$(ours "$b" "$prec")
	read -r o bytes <<<"$res"
	"$python" - "$tmp/peer.jsonl" "$b" "$o" "$bytes" "$peak" "$prec" <<'EOF'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if '"mode"' in l]
b, ours, nbytes, peak, prec = int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]), sys.argv[6]
t = {r["mode"]: r["img_per_s"] for r in rows if r["batch"] == b}
best = max(t.values())
bw = nbytes * ours / b / 1e9  # GB/s the step's traffic needs at our rate
frac = "%10.1f%%" % (100 * bw / peak) if peak > 0 else "(set PEAK_GBPS)"
print("%-6d %-5s %10.0f %11.0f %12.0f %11.0f %7.2fx %9.1f %s" % (b, prec, ours, t["fp32"], t["bf16cl"], t["graph"], ours / best, nbytes / 1e6, frac))
EOF
	done
done
echo "peak bandwidth taken as $peak GB/s"

for mode in bf16cl graph; do
	"$python" "$peer/torch_anynet.py" --spec "$spec" --batch 128 --modes "$mode" --procs 4 | tail -1 | tee -a "$tmp/procs.jsonl"
done
bin/sample --space regnetx-cifar10 -n "$sweep" --seed 1 -o "$tmp/sweep.arrows"
for prec in $sweep_precisions; do
	step "sweep: $sweep configs of regnetx-cifar10, batch 128, $sweep_steps steps each, --precision $prec --concurrency $concurrency"
	t0=$(date +%s.%N)
	bin/train --device "$device" --concurrency "$concurrency" --data "synthetic:32x32x3:10:$((128 * sweep_steps)):16" \
		--epochs 1 --batch 128 --precision "$prec" --augment none -o "$tmp/sweep.$prec.arrows" "$tmp/sweep.arrows"
	t1=$(date +%s.%N)
	if [[ -n "${OUT:-}" ]]; then cp "$tmp/sweep.$prec.arrows" "$OUT/"; fi
	bin/show -f jsonl -c status,img_per_s,mem_bytes,flops "$tmp/sweep.$prec.arrows" > "$tmp/sweep.jsonl"
	"$python" - "$tmp/sweep.jsonl" "$tmp/procs.jsonl" "$t0" "$t1" "$sweep_steps" "$prec" <<'EOF'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
procs = {r["mode"]: r["img_per_s_sum"] for r in map(json.loads, open(sys.argv[2]))}
wall = float(sys.argv[4]) - float(sys.argv[3])
ok = [r for r in rows if r["status"] == "ok"]
images = len(ok) * 128 * int(sys.argv[5])
total = images / wall
mem = sorted(r["mem_bytes"] for r in ok)
print("\n%d of %d models ok in %.1f s: %d images" % (len(ok), len(rows), wall, images))
print("%-24s %12s %8s" % ("", "img/s", "ratio"))
print("%-24s %12.0f" % ("dds " + sys.argv[6] + ", one process", total))
for m in ("bf16cl", "graph"):
    print("%-24s %12.0f %7.2fx" % ("torch 4 procs " + m, procs[m], total / procs[m]))
if mem:
    print("peak device memory per model: min %.0f MiB, median %.0f MiB, max %.0f MiB"
          % (mem[0] / 2**20, mem[len(mem) // 2] / 2**20, mem[-1] / 2**20))
EOF
done
step "cuda-bench: done"
