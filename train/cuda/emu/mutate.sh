#!/usr/bin/env bash
# mutate.sh — shows that the emulated conformance run catches kernel bugs. For each
# mutation it copies the kernel library's sources (train/cuda/lib) and the emulation
# (train/cuda/emu) to a temporary folder, plants one bug in the copy, builds the
# emulated library from it, runs the CUDA engine's conformance suite on that library
# (DDS_CUDA_LIB), and expects the run to FAIL with a message naming the operation:
#
#   A  bn.cu: the __syncthreads() before bn_reduce8's tree is deleted, so rows of the
#      block read partial sums other rows have not written yet (a shared-memory race)
#   B  conv.cu: an off-by-one in the direct convolution's group index (output channel
#      o reads the input channels of group (o+1)/(Cout/G) instead of o/(Cout/G))
#   C  batch.cu: the random-resized crop's mirror is off by one (output column ox of a
#      flipped example takes resized column w − ox instead of w − 1 − ox)
#
#   bash train/cuda/emu/mutate.sh [A|B|C ...]     (default: A B C), from anywhere
#
# It prints each run's key lines (the emulator's reports, the failing cases and their
# messages) and exits 0 only if every mutation made the suite fail naming the
# operation. Needs Go, g++ with AddressSanitizer, and bin/cuda.test (built if missing).
set -euo pipefail
root=$(cd "$(dirname "$0")/../../.." && pwd)
cd "$root"
muts=("$@")
[[ ${#muts[@]} -gt 0 ]] || muts=(A B C)

test_bin=$root/bin/cuda.test
if [[ ! -x $test_bin ]]; then
	go test -c -o "$test_bin" ./train/cuda/
fi
libasan=$(g++ -print-file-name=libasan.so)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# mutate M DIR applies mutation M to the copy in DIR and sets file, the operation it
# breaks (op) and the pattern of a failure naming it (named: by default the
# operation's CUDA error, or a message of the C function).
mutate() {
	local m=$1 dir=$2 before after
	named=""
	case $m in
	A)
		file=bn.cu op=dds_bn_
		before=$(md5sum "$dir/lib/$file")
		perl -0pi -e 's/(static __device__ void bn_reduce8\(.*?\) \{\n)\t__syncthreads\(\);\n/$1/' "$dir/lib/$file"
		;;
	B)
		file=conv.cu op=dds_conv_forward
		before=$(md5sum "$dir/lib/$file")
		perl -0pi -e 's/(\t\tint g = )o \/ d\.cout_g;/$1(o + 1) \/ d.cout_g;/' "$dir/lib/$file"
		;;
	C)
		file=batch.cu op=resized_batch
		named='resized_batch (fp32|bf16) [^:]*: ResizedBatchAt x: relative error'
		before=$(md5sum "$dir/lib/$file")
		perl -0pi -e 's/int sx = b\[4\] != 0 \? w - 1 - ox : ox;/int sx = b[4] != 0 ? w - ox : ox;/' "$dir/lib/$file"
		;;
	*)
		echo "mutate.sh: unknown mutation $m (want A, B or C)" >&2
		return 2
		;;
	esac
	[[ -n $named ]] || named="CUDA: ${op}|${op}[a-z_]*:"
	after=$(md5sum "$dir/lib/$file")
	if [[ $before == "$after" ]]; then
		echo "mutate.sh: mutation $m did not apply to $file (the source changed?)" >&2
		return 2
	fi
}

status=0
for m in "${muts[@]}"; do
	dir=$tmp/$m
	mkdir -p "$dir"
	cp -rp train/cuda/lib "$dir/lib"
	cp -rp train/cuda/emu "$dir/emu"
	# Reuse the objects of an earlier build (older than the mutated source, so only it
	# is rebuilt).
	if [[ -d bin/emu/obj ]]; then
		mkdir -p "$dir/out" && cp -rp bin/emu/obj "$dir/out/obj"
	fi
	mutate "$m" "$dir"
	printf '\n==== mutation %s: %s\n' "$m" "$file"
	diff -u "train/cuda/lib/$file" "$dir/lib/$file" | sed -n '3,$p' | grep '^[-+]' || true
	make -s -C "$dir/emu" lib OUT="$dir/out" >"$dir/build.log" 2>&1 || {
		cat "$dir/build.log"
		echo "mutate.sh: mutation $m: the emulated library did not build" >&2
		exit 1
	}
	set +e
	(cd train/cuda && DDS_CUDA_LIB=$dir/out/libdds_cuda.so DDS_REQUIRE_GPU=1 LD_PRELOAD=$libasan \
		ASAN_OPTIONS=detect_leaks=0:halt_on_error=0:handle_segv=0:allow_user_segv_handler=1 \
		"$test_bin" -test.run '^TestConformance$' -test.count 1 -test.v) >"$dir/run.log" 2>&1
	rc=$?
	set -e
	fails=$(grep -c -- '--- FAIL' "$dir/run.log" || true)
	echo "-- key lines of the run (exit status $rc, $fails FAIL lines):"
	# The emulator's reports, the failures' messages, the failing cases: a few of each.
	for pat in 'dds-emu: error|ERROR: AddressSanitizer' 'CUDA: dds_|dds_[a-z_]*: ' "$named" '--- FAIL'; do
		grep -E -- "$pat" "$dir/run.log" >"$dir/key.log" || true
		head -n 5 "$dir/key.log" | cut -c1-420
	done
	if [[ $rc -ne 0 ]] && grep -qE -- "$named" "$dir/run.log"; then
		echo "-- mutation $m: the suite fails, naming ${op}*"
	else
		echo "-- mutation $m: NOT caught (exit status $rc; no failure naming ${op}*)"
		status=1
	fi
done
exit $status
