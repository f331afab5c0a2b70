package formats

import (
	"fmt"
	"math"
)

// Recipe is how one model is trained: the pycls training recipe plus the data it
// trains on. Every field is recorded with the trained model.
type Recipe struct {
	Epochs       int     `json:"epochs"`
	Batch        int     `json:"batch"`
	LR           float64 `json:"lr"` // peak learning rate (after warmup, before decay)
	Momentum     float64 `json:"momentum"`
	Nesterov     bool    `json:"nesterov"`
	WeightDecay  float64 `json:"weight_decay"`
	WarmupEpochs float64 `json:"warmup_epochs"`
	WarmupFactor float64 `json:"warmup_factor"` // learning rate multiplier at the start of warmup
	Smoothing    float64 `json:"label_smoothing"`
	Augment      string  `json:"augment"` // AugmentNone, AugmentCropFlip or AugmentResizedCrop
	Data         string  `json:"data"`    // dataset spec (see data.Open)
	TrainSubset  int     `json:"train_subset"`
	Precision    string  `json:"precision"` // activation storage: PrecisionFP32 or PrecisionBF16
}

// Precisions: how activations are stored while training (train/engine.Precision).
const (
	PrecisionFP32 = "fp32"
	PrecisionBF16 = "bf16" // bfloat16 activations, float32 compute and master weights
)

// Augmentations.
const (
	AugmentNone     = "none"
	AugmentCropFlip = "crop-flip" // 4-pixel zero padding, random crop, horizontal flip
	// AugmentResizedCrop is the ImageNet augmentation: a random-resized crop (scale
	// 0.08–1, ratio 3/4–4/3) resized back to the image's size, and a horizontal flip.
	AugmentResizedCrop = "resized-crop-flip"
	// AugmentAuto is crop-flip for CIFAR data and image folders of at most 32×32,
	// resized-crop-flip for larger image folders, none otherwise (resolved before
	// training).
	AugmentAuto = "auto"
)

// BaseBatch and BaseLR: the learning rate is BaseLR at batch BaseBatch and scales
// linearly with the batch size (pycls's rule) unless a recipe sets it.
const (
	BaseBatch = 128
	BaseLR    = 0.1
)

// DefaultRecipe is the pycls CIFAR recipe at batch 128 on the embedded MNIST data.
func DefaultRecipe() Recipe {
	return Recipe{Epochs: 10, Batch: BaseBatch, LR: BaseLR, Momentum: 0.9, Nesterov: true, WeightDecay: 5e-4,
		WarmupFactor: 0.1, Augment: AugmentAuto, Data: "mnist", Precision: PrecisionFP32}
}

// Limits of a recipe: far beyond any real run, and within what the recipe's 32-bit
// columns hold.
const (
	MaxEpochs      = 10000
	MaxBatch       = 1 << 16
	MaxLR          = 1e4
	MaxWeightDecay = 1
	MaxSubset      = math.MaxInt32
)

// Validate reports the first field out of range: epochs in [1, MaxEpochs], batch in
// [1, MaxBatch], learning rate in (0, MaxLR], weight decay in [0, MaxWeightDecay],
// train subset in [0, MaxSubset], and the others as below.
func (r Recipe) Validate() error {
	switch {
	case r.Epochs < 1 || r.Epochs > MaxEpochs:
		return fmt.Errorf("epochs %d is outside [1, %d]", r.Epochs, MaxEpochs)
	case r.Batch < 1 || r.Batch > MaxBatch:
		return fmt.Errorf("batch size %d is outside [1, %d]", r.Batch, MaxBatch)
	case !(r.LR > 0 && r.LR <= MaxLR):
		return fmt.Errorf("learning rate %g is outside (0, %g]", r.LR, float64(MaxLR))
	case !(r.Momentum >= 0 && r.Momentum < 1):
		return fmt.Errorf("momentum %g must be in [0, 1)", r.Momentum)
	case r.Nesterov && r.Momentum == 0:
		return fmt.Errorf("nesterov needs a momentum above 0")
	case !(r.WeightDecay >= 0 && r.WeightDecay <= MaxWeightDecay):
		return fmt.Errorf("weight decay %g is outside [0, %d]", r.WeightDecay, MaxWeightDecay)
	case !(r.WarmupEpochs >= 0) || r.WarmupEpochs > float64(r.Epochs):
		return fmt.Errorf("warmup of %g epochs must be in [0, epochs]", r.WarmupEpochs)
	case !(r.WarmupFactor > 0 && r.WarmupFactor <= 1):
		return fmt.Errorf("warmup factor %g must be in (0, 1]", r.WarmupFactor)
	case !(r.Smoothing >= 0 && r.Smoothing < 1):
		return fmt.Errorf("label smoothing %g must be in [0, 1)", r.Smoothing)
	case r.Augment != AugmentNone && r.Augment != AugmentCropFlip && r.Augment != AugmentResizedCrop && r.Augment != AugmentAuto:
		return fmt.Errorf("augmentation %q: want none, crop-flip, resized-crop-flip or auto", r.Augment)
	case r.Precision != PrecisionFP32 && r.Precision != PrecisionBF16:
		return fmt.Errorf("precision %q: want fp32 or bf16", r.Precision)
	case r.TrainSubset < 0 || r.TrainSubset > MaxSubset:
		return fmt.Errorf("train subset %d is outside [0, %d]", r.TrainSubset, MaxSubset)
	case r.Data == "":
		return fmt.Errorf("no dataset")
	}
	return nil
}

// LRAt returns the learning rate of step t (0-based) of a run of total steps with
// stepsPerEpoch steps an epoch. Cosine decay to zero over the run, evaluated per
// step, times a linear warmup over the first W = WarmupEpochs·stepsPerEpoch steps:
//
//	lr(t) = LR · ½(1 + cos(π·t/total)) · f(t),  f(t) = WarmupFactor·(1 − t/W) + t/W for t < W, else 1
func (r Recipe) LRAt(t, total, stepsPerEpoch int) float64 {
	lr := r.LR * 0.5 * (1 + math.Cos(math.Pi*float64(t)/float64(total)))
	if w := r.WarmupEpochs * float64(stepsPerEpoch); float64(t) < w {
		a := float64(t) / w
		lr *= r.WarmupFactor*(1-a) + a
	}
	return lr
}
