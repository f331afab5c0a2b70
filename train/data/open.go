package data

import (
	"fmt"
	"io"
	"strings"

	"github.com/ddstools/dds/formats/anynet"
)

// Data is a dataset: its train and test splits and the per-channel normalisation
// computed from the train split by Set.MeanStd.
type Data struct {
	Name        string // "mnist", "cifar10", "cifar100", or the canonical synthetic or imagefolder spec
	Train, Test *Set
	Mean, Std   []float32 // per channel, of pixel/255 over the train split
	// ClassNames names the classes by label (nil when the dataset names none):
	// an image folder's class folders, CIFAR's label-name files.
	ClassNames []string
}

// Options tunes how Open reads datasets that are decoded and cached (imagefolder).
type Options struct {
	// CacheDir holds the decoded image-folder caches; "" is DefaultCacheDir.
	CacheDir string
	// SkipBad leaves out image files that do not decode (reporting how many)
	// instead of failing.
	SkipBad bool
	// Log receives cache hits, decoding progress and skipped files; nil for none.
	Log io.Writer
	// Workers is the number of decoding goroutines; 0 is every usable core.
	Workers int
}

// specs lists the accepted dataset specs, for error messages.
const specs = "mnist, mnist:DIR, cifar10:DIR, cifar100:DIR[:coarse], imagefolder:DIR[:R] or synthetic:HxWxC[:CLASSES[:NTRAIN[:NTEST]]]"

// mnistNames are the names of the digit classes.
var mnistNames = []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}

// Open loads the dataset a spec names:
//
//	mnist        MNIST from the GoMNIST module in the Go module cache (MNISTDir)
//	mnist:DIR    train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte
//	             and t10k-labels-idx1-ubyte in DIR, each raw or with a .gz suffix
//	cifar10:DIR  data_batch_1.bin..data_batch_5.bin (train) and test_batch.bin (test)
//	             in DIR or in DIR/cifar-10-batches-bin
//	cifar100:DIR[:coarse]
//	             train.bin (train) and test.bin (test) in DIR or DIR/cifar-100-binary,
//	             with the 100 fine labels, or the 20 coarse ones with :coarse
//	imagefolder:DIR[:R]
//	             DIR/train/CLASS/IMAGE and DIR/val/CLASS/IMAGE, JPEG or PNG, decoded
//	             once into R×R centre crops (R = DefaultImageRes when absent) and cached
//	synthetic:HxWxC[:CLASSES[:NTRAIN[:NTEST]]]
//	             generated images, 10 classes, 1024 train and 256 test by default
//
// Everything after the first colon is the folder, so DIR may itself hold colons
// (the trailing :coarse and :R excepted). It computes Mean and Std from the train
// split. Every error is one line that names the file and what was expected against
// what was found. Open uses the zero Options.
func Open(spec string) (*Data, error) { return OpenWith(spec, Options{}) }

// OpenWith is Open with options for the decoded, cached datasets.
func OpenWith(spec string, opt Options) (*Data, error) {
	kind, arg, hasArg := strings.Cut(spec, ":")
	var (
		d   = &Data{Name: kind}
		err error
	)
	switch kind {
	case "mnist":
		dir := arg
		if !hasArg {
			if dir, err = MNISTDir(); err != nil {
				return nil, err
			}
		} else if dir == "" {
			return nil, fmt.Errorf("mnist: empty folder in %q: want mnist or mnist:DIR", spec)
		}
		d.Train, d.Test, err = loadMNIST(dir)
		d.ClassNames = mnistNames
	case "cifar10":
		if arg == "" {
			return nil, fmt.Errorf("cifar10: %q names no folder: want cifar10:DIR with the CIFAR-10 binary batches", spec)
		}
		d.Train, d.Test, d.ClassNames, err = loadCIFAR(arg, cifar10Layout)
	case "cifar100":
		dir, l := arg, cifar100Layout
		if base, ok := strings.CutSuffix(arg, ":coarse"); ok {
			dir, l = base, cifar100CoarseLayout
			d.Name = "cifar100:coarse"
		} else if base, ok := strings.CutSuffix(arg, ":fine"); ok {
			dir = base
		}
		if dir == "" {
			return nil, fmt.Errorf("cifar100: %q names no folder: want cifar100:DIR[:coarse] with the CIFAR-100 binary files", spec)
		}
		d.Train, d.Test, d.ClassNames, err = loadCIFAR(dir, l)
	case "imagefolder":
		dir, r, perr := ParseImageFolder(arg)
		if perr != nil {
			return nil, perr
		}
		d.Name = fmt.Sprintf("imagefolder:%s:%d", dir, r)
		d.Train, d.Test, d.ClassNames, d.Mean, d.Std, err = loadImageFolder(dir, r, opt)
	case "synthetic":
		h, w, c, classes, ntrain, ntest, perr := parseSynthetic(arg)
		if perr != nil {
			return nil, perr
		}
		d.Name = fmt.Sprintf("synthetic:%dx%dx%d:%d:%d:%d", h, w, c, classes, ntrain, ntest)
		d.Train, d.Test = synthetic(h, w, c, classes, ntrain, ntest)
		d.Train.Name, d.Test.Name = d.Name+"/train", d.Name+"/test"
	default:
		return nil, fmt.Errorf("data: unknown dataset spec %q: want %s", spec, specs)
	}
	if err != nil {
		return nil, err
	}
	if d.Mean == nil {
		d.Mean, d.Std = d.Train.MeanStd()
	}
	return d, nil
}

// Opener returns OpenWith bound to opt, in the form the trainer and the evaluator
// take.
func (opt Options) Opener() func(spec string) (*Data, error) {
	return func(spec string) (*Data, error) { return OpenWith(spec, opt) }
}

// Fits reports why the network arch cannot take d's images: an input shape other
// than the images of d's train split, or fewer outputs than d's classes. Train and
// evaluate check it before building a network for d.
func (d *Data) Fits(arch anynet.Net) error {
	s := d.Train
	if s.H != arch.Res || s.W != arch.Res || s.C != arch.Channels {
		return fmt.Errorf("network takes %dx%dx%d images, data %s has %dx%dx%d", arch.Res, arch.Res, arch.Channels, d.Name, s.H, s.W, s.C)
	}
	if s.Classes > arch.Classes {
		return fmt.Errorf("data %s has %d classes, the network only %d outputs", d.Name, s.Classes, arch.Classes)
	}
	return nil
}
