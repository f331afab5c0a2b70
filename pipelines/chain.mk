# chain.mk — the paper's refinement chain AnyNetX_A → B → C → D → E → RegNet.
#
#   make -f pipelines/chain.mk -j8 OUT=chain MODELS=100 EPOCHS=10 SHARDS=8
#   make chain -j8 MODELS=100 ...        (the same through the top-level Makefile)
#
# For each space: sample MODELS configs as SHARDS shard files, train each shard as its
# own job (pipelines/train-shard.sh, with a checkpoint folder), evaluate each shard,
# merge the shards (pipelines/merge-shards.sh), bootstrap the space, and refine it
# with the paper's next constraint into the next space. The report holds the EDFs of
# all six spaces on one figure and the refinement evidence of every step.
#
# Every output is written atomically, so a run killed at any moment and started again
# redoes only what is missing; the checkpoints make a killed shard train only the
# models it had not finished. Change OUT when you change the scale: make compares
# times, not flags.
#
# Files under OUT:
#   a.space.arrows ... regnet.space.arrows  the six spaces (b.. made by refine)
#   shards/S.I.{configs,trained,eval}.arrows and shards/S.I.trained.ckpt/
#   S.eval.arrows          the evaluated records of space S (shards merged)
#   S.evidence.txt         refine's evidence table for the step into S
#   S.boot.space.arrows, S.boot.txt   bootstrap's narrowed space and intervals
#   report/report.txt, report/edf.png, report/S.refine.png
#   report/report.html     the same as one self-contained page (bin/report)

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DELETE_ON_ERROR:
.SECONDARY:
.SECONDEXPANSION:
.SUFFIXES:

ROOT := $(abspath $(dir $(lastword $(MAKEFILE_LIST)))..)
PIPELINES := $(ROOT)/pipelines

# The scale.
BIN ?= $(ROOT)/bin
OUT ?= chain
MODELS ?= 100
SEED ?= 1
SHARDS ?= 4
EPOCHS ?= 10
BATCH ?= 128
TRAIN_SUBSET ?= 0
DATASET ?= mnist
DATA_DIR ?=
SCALE ?= $(DATASET)
START ?= anynetx-a-$(SCALE)
DEVICE ?= auto
TRAIN_JOBS ?= 0
GPUS ?=
EVAL_SUBSET ?= 0
MIN_MODELS ?= 10
MAX_EFIT ?= 0.1
TRAIN_FLAGS ?=
EVAL_FLAGS ?=
BOOT_FLAGS ?=
REFINE_FLAGS ?=
COMPARE_FLAGS ?= --normalize flops

ifeq ($(strip $(OUT)),)
$(error OUT must name the output folder)
endif
DATA := $(DATASET)$(if $(DATA_DIR),:$(DATA_DIR))
TRAIN_ARGS := --data $(DATA) --epochs $(EPOCHS) --batch $(BATCH) --train-subset $(TRAIN_SUBSET) \
	--device $(DEVICE) --concurrency $(TRAIN_JOBS) $(TRAIN_FLAGS)
EVAL_ARGS := --drop-weights --subset $(EVAL_SUBSET) --device $(DEVICE) $(EVAL_FLAGS)

SPACES := a b c d e regnet
NEXT := b c d e regnet
prev.b := a
prev.c := b
prev.d := c
prev.e := d
prev.regnet := e
step.b := shared_b
step.c := shared_g
step.d := nondecreasing_w
step.e := nondecreasing_d
step.regnet := quantized_linear

SHARD_IDS := $(shell seq 0 $$(($(SHARDS) - 1)))
ifeq ($(SHARD_IDS),)
$(error SHARDS must be a positive integer, not "$(SHARDS)")
endif
shard_files = $(foreach i,$(SHARD_IDS),$(OUT)/shards/$(1).$(i).$(2))
shard_index = $(patsubst .%,%,$(suffix $(1)))
gpu_env = $(if $(GPUS),DDS_GPUS=$(GPUS) DDS_GPU_SLOT=$$(($(call shard_index,$(1)) + 1)) )
comma := ,
empty :=
space := $(empty) $(empty)

EVALS := $(SPACES:%=$(OUT)/%.eval.arrows)
BOOTS := $(SPACES:%=$(OUT)/%.boot.space.arrows)
REFINED := $(NEXT:%=$(OUT)/%.space.arrows)
REPORT := $(OUT)/report/report.txt

.PHONY: all report spaces clean
all report: $(REPORT)
spaces: $(REFINED)
clean:
	rm -rf $(OUT)

$(OUT)/a.space.arrows:
	@mkdir -p $(@D)
	$(BIN)/sample --space $(START) --print-space -o $@

$(OUT)/shards/%.configs.arrows: $(OUT)/$$(basename $$*).space.arrows
	@mkdir -p $(@D)
	$(BIN)/sample --space $< -n $(MODELS) --seed $(SEED) --shard $(call shard_index,$*)/$(SHARDS) -o $@

$(OUT)/shards/%.trained.arrows: $(OUT)/shards/%.configs.arrows
	$(call gpu_env,$*)DDS_BIN=$(BIN) $(PIPELINES)/train-shard.sh $< $@ $(TRAIN_ARGS)

$(OUT)/shards/%.eval.arrows: $(OUT)/shards/%.trained.arrows
	$(BIN)/evaluate $(EVAL_ARGS) -o $@ $<

$(EVALS): $(OUT)/%.eval.arrows: $$(call shard_files,$$*,eval.arrows)
	DDS_BIN=$(BIN) $(PIPELINES)/merge-shards.sh -n $(MODELS) -o $@ $^

$(REFINED): $(OUT)/%.space.arrows: $(OUT)/$$(prev.$$*).eval.arrows $(OUT)/$$(prev.$$*).space.arrows
	@mkdir -p $(OUT)/report
	$(BIN)/refine --step $(step.$*) --space $(word 2,$^) --min-models $(MIN_MODELS) \
	  --max-efit $(MAX_EFIT) --plot $(OUT)/report/$*.refine.png $(REFINE_FLAGS) \
	  -o $@.tmp $< 2>$(OUT)/$*.evidence.tmp || { cat $(OUT)/$*.evidence.tmp >&2; exit 1; }
	cat $(OUT)/$*.evidence.tmp >&2
	mv $(OUT)/$*.evidence.tmp $(OUT)/$*.evidence.txt
	mv $@.tmp $@

$(BOOTS): $(OUT)/%.boot.space.arrows: $(OUT)/%.eval.arrows $(OUT)/%.space.arrows
	$(BIN)/bootstrap --space $(word 2,$^) --min-models $(MIN_MODELS) --seed $(SEED) $(BOOT_FLAGS) \
	  -o $@.tmp $< 2>$(OUT)/$*.boot.tmp || { cat $(OUT)/$*.boot.tmp >&2; exit 1; }
	mv $(OUT)/$*.boot.tmp $(OUT)/$*.boot.txt
	mv $@.tmp $@

$(REPORT): $(EVALS) $(BOOTS) $(REFINED)
	@mkdir -p $(@D)
	@echo "chain: writing $@" >&2
	@{ echo "dds refinement chain: $(START), $(MODELS) models per space (seed $(SEED), $(SHARDS) shards)"; \
	  echo "train $(TRAIN_ARGS)"; \
	  echo "evaluate $(EVAL_ARGS)"; \
	  echo; \
	  echo "== Error distributions of the spaces (figure: edf.png)"; \
	  $(BIN)/compare $(COMPARE_FLAGS) --labels $(subst $(space),$(comma),$(SPACES)) --plot $(@D)/edf.png $(EVALS); \
	  $(foreach s,$(NEXT),echo; echo "== Refinement $(prev.$(s)) -> $(s): refine --step $(step.$(s)) (figure: $(s).refine.png)"; cat $(OUT)/$(s).evidence.txt;) \
	  $(foreach s,$(SPACES),echo; echo "== Bootstrap of $(s)"; cat $(OUT)/$(s).boot.txt;) \
	} >$@.tmp
	$(BIN)/report --labels $(subst $(space),$(comma),$(SPACES)) --seed $(SEED) --min-models $(MIN_MODELS) \
	  --max-efit $(MAX_EFIT) --title "dds refinement chain from $(START)" -o $(@D)/report.html $(EVALS)
	@mv $@.tmp $@
	@echo "chain: report in $@, $(@D)/report.html and $(@D)/edf.png" >&2
