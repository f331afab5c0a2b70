#!/usr/bin/env bash
# gpu-run.sh — everything a GPU machine checks and measures, in one run, for the
# device's limited time: the CUDA engine's conformance suite, its other tests and its
# step benchmark next to the PyTorch peer (dev/gpu-check.sh), the training
# throughput of single models and of a concurrent sweep next to the peer
# (dev/cuda-bench.sh), and the reference network's test error in fp32 and bf16
# (dev/precision-check.sh). Each part runs even when an earlier one failed; the
# exit status is that of the first failure.
#
# Prepare on a machine with Go: make gpu-bundle, then carry bin/sample bin/train
# bin/evaluate bin/show bin/cuda.test bin/peer bin/mnist. With OUT set, each part's
# log is written there.
#
# Environment: PARTS (default "check bench precision"), and each script's own.
set -uo pipefail
cd "$(dirname "$0")/.."
parts=${PARTS:-check bench precision}
status=0
for part in $parts; do
	case $part in
	check) cmd=(bash dev/gpu-check.sh) ;;
	bench) cmd=(bash dev/cuda-bench.sh) ;;
	precision) cmd=(env DEVICE=cuda bash dev/precision-check.sh) ;;
	*) echo "gpu-run: unknown part $part (want check, bench, precision)" >&2; exit 2 ;;
	esac
	printf '\n######## %s: %s\n' "$part" "${cmd[*]}"
	start=$SECONDS
	if [[ -n "${OUT:-}" && $part == precision ]]; then
		"${cmd[@]}" 2>&1 | tee "$OUT/precision-check.log"
		rc=${PIPESTATUS[0]}
	else
		"${cmd[@]}"
		rc=$?
	fi
	printf '######## %s: exit %d after %d s\n' "$part" "$rc" $((SECONDS - start))
	if [[ $rc -ne 0 && $status -eq 0 ]]; then status=$rc; fi
done
exit "$status"
