#!/usr/bin/env bash
# gpu-check.sh — the one-command check of the CUDA engine on a GPU machine, which has
# nvcc but no Go toolchain. It builds libdds_cuda.so there and runs its C check
# (check.c), runs the prebuilt test binary of train/cuda against it: the engine
# conformance suite (TestConformance: every op, the step-indexed ones and whole
# networks against the CPU engine, recorded steps against direct ones, fp32 and
# bf16, ending with a summary of the cases and their largest errors), then the rest
# (memory release, recording errors, the binding's own tests), runs a whole-network
# case under
# compute-sanitizer's memcheck, and times training steps of X-200MF (direct and
# replayed from a CUDA graph) next to the PyTorch peer in the same run.
#
# On the development machine (Go, cgo and a C compiler), from the repository root:
#
#   go test -c -o bin/cuda.test ./train/cuda/      # the test binary (about 6 MB)
#   mkdir -p bin/peer && cp ../shared/peer/* bin/peer/   # the PyTorch peer (../shared does not travel)
#   make build                                     # optional: the programs, into bin/
#
# then carry bin/cuda.test and bin/peer (and any programs wanted) to the GPU machine,
# beside this checkout, and run there, from anywhere:
#
#   bash dev/gpu-check.sh
#
# Environment: OUT (a folder: everything printed is also written to $OUT/gpu-check.log),
# DDS_PEER_DIR (where torch_anynet.py and x200mf-cifar.json are; default: the first of
# ../shared/peer and bin/peer that has them), NVCC (passed to make).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

if [[ -n "${OUT:-}" ]]; then
	mkdir -p "$OUT"
	exec > >(tee -a "$OUT/gpu-check.log") 2>&1
	tee_pid=$!
	# On exit, close the pipe and let tee write the last lines before the shell ends.
	trap 'exec >&- 2>&-; wait "$tee_pid"' EXIT
fi

step() { printf '\n==== %s\n' "$*"; }
die() { printf 'gpu-check: %s\n' "$*" >&2; exit 1; }

# Everything this needs, checked before any GPU time is spent.
test_bin=$root/bin/cuda.test
[[ -x $test_bin ]] || die "no $test_bin: build it on a machine with Go: go test -c -o bin/cuda.test ./train/cuda/ (then carry bin/cuda.test here)"
peer=${DDS_PEER_DIR:-}
if [[ -z $peer ]]; then
	for d in "$root/../shared/peer" "$root/bin/peer"; do
		if [[ -f $d/torch_anynet.py && -f $d/x200mf-cifar.json ]]; then peer=$d; break; fi
	done
fi
[[ -n $peer && -f $peer/torch_anynet.py && -f $peer/x200mf-cifar.json ]] ||
	die "no PyTorch peer (torch_anynet.py, x200mf-cifar.json) in ${peer:-../shared/peer or bin/peer}: copy ../shared/peer to bin/peer and carry it, or set DDS_PEER_DIR"
command -v nvidia-smi >/dev/null || die "no nvidia-smi: is this the GPU machine?"
sanitizer=$(command -v compute-sanitizer || echo /usr/local/cuda/bin/compute-sanitizer)
[[ -x $sanitizer ]] || die "no compute-sanitizer on PATH or in /usr/local/cuda/bin"

step "GPU"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
uname -r

step "build the kernel library: make -C train/cuda/lib -B lib"
# -B: always rebuild here, with this machine's nvcc, whatever objects came along.
make -C train/cuda/lib -B lib
export DDS_CUDA_LIB=$root/bin/libdds_cuda.so
[[ -f $DDS_CUDA_LIB ]] || die "make lib did not produce $DDS_CUDA_LIB"

step "the library alone: make -C train/cuda/lib check"
make -C train/cuda/lib check
export DDS_REQUIRE_GPU=1

# The tests run in the package directory (the binding's fake-library tests read
# lib/dds_cuda.h from there).
cd "$root/train/cuda"

step "conformance: DDS_REQUIRE_GPU=1 DDS_CUDA_LIB=$DDS_CUDA_LIB bin/cuda.test -test.run '^TestConformance\$' -test.v"
"$test_bin" -test.run '^TestConformance$' -test.v -test.count 1

step "tests: bin/cuda.test -test.skip '^TestConformance\$' -test.v"
"$test_bin" -test.skip '^TestConformance$' -test.v -test.count 1

step "memcheck: compute-sanitizer --tool memcheck bin/cuda.test -test.run '^TestConformance\$/^fp32\$/^networks\$/^y\$'"
"$sanitizer" --tool memcheck --error-exitcode 3 "$test_bin" -test.run '^TestConformance$/^fp32$/^networks$/^y$' -test.v -test.count 1

step "benchmark: bin/cuda.test -test.run '^\$' -test.bench 'Step(Graph)?GPU'"
"$test_bin" -test.run '^$' -test.bench 'Step(Graph)?GPU' -test.benchtime 3s

step "peer: python3 torch_anynet.py --spec x200mf-cifar.json --batch 128,256 --modes fp32,bf16cl,graph"
cd "$root"
python3 "$peer/torch_anynet.py" --spec "$peer/x200mf-cifar.json" --batch 128,256 --modes fp32,bf16cl,graph

step "gpu-check: all passed"
