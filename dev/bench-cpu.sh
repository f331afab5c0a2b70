#!/usr/bin/env bash
# CPU training throughput of train next to the PyTorch CPU peer, measured in the same
# run: for each reference architecture, images per second of training steps at
# batch 128 (train on synthetic data of the architecture's shape, its img_per_s
# column: SGD steps including batch assembly; the peer: its fp32 step timing with
# as many threads as this machine has cores), and their ratio.
#
# usage: dev/bench-cpu.sh [STEPS]      (default 20 steps per model)
# needs: /usr/bin/python3 with torch (Debian's python3-torch), ../shared/peer/.
set -euo pipefail
cd "$(dirname "$0")/.."
steps=${1:-20}
peer=../shared/peer
python=/usr/bin/python3
make -s build >/dev/null
threads=$(nproc)
printf '%-14s %12s %12s %8s\n' network 'dds img/s' 'torch img/s' ratio
for spec in mnist-small x200mf-cifar; do
	shape=$($python -c "import json,sys; s=json.load(open(sys.argv[1])); print('%dx%dx%d:%d' % (s['res'], s['res'], s['in_ch'], s['classes']))" "$peer/$spec.json")
	ours=$(bin/sample --spec "$peer/$spec.json" \
		| bin/train -q --data "synthetic:$shape:$((128 * steps)):16" --epochs 1 --batch 128 \
		| bin/show -f jsonl -c img_per_s | sed 's/[^0-9.]//g')
	torch=$($python "$peer/torch_anynet.py" --spec "$peer/$spec.json" --device cpu --modes fp32 \
		--batch 128 --steps "$steps" --warmup 3 --threads "$threads" | tail -1 \
		| $python -c 'import json,sys; print(json.load(sys.stdin)["img_per_s"])')
	awk -v n="$spec" -v a="$ours" -v b="$torch" 'BEGIN { printf "%-14s %12.1f %12.1f %8.2f\n", n, a, b, a / b }'
done
