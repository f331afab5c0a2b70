package data

import (
	"fmt"
	"strings"
)

// Data is a dataset: its train and test splits and the per-channel normalisation
// computed from the train split by Set.MeanStd.
type Data struct {
	Name        string // "mnist", "cifar10" or the canonical synthetic spec
	Train, Test *Set
	Mean, Std   []float32 // per channel, of pixel/255 over the train split
}

// specs lists the accepted dataset specs, for error messages.
const specs = "mnist, mnist:DIR, cifar10:DIR or synthetic:HxWxC[:CLASSES[:NTRAIN[:NTEST]]]"

// Open loads the dataset a spec names:
//
//	mnist        MNIST from the GoMNIST module in the Go module cache (MNISTDir)
//	mnist:DIR    train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte
//	             and t10k-labels-idx1-ubyte in DIR, each raw or with a .gz suffix
//	cifar10:DIR  data_batch_1.bin..data_batch_5.bin (train) and test_batch.bin (test)
//	             in DIR or in DIR/cifar-10-batches-bin
//	synthetic:HxWxC[:CLASSES[:NTRAIN[:NTEST]]]
//	             generated images, 10 classes, 1024 train and 256 test by default
//
// Everything after the first colon is the folder, so DIR may itself hold colons. It
// computes Mean and Std from the train split. Every error is one line that names the
// file and what was expected against what was found.
func Open(spec string) (*Data, error) {
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
	case "cifar10":
		if arg == "" {
			return nil, fmt.Errorf("cifar10: %q names no folder: want cifar10:DIR with the CIFAR-10 binary batches", spec)
		}
		d.Train, d.Test, err = loadCIFAR10(arg)
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
	d.Mean, d.Std = d.Train.MeanStd()
	return d, nil
}
