// Package anynet holds the architecture rules of the AnyNet family of networks
// (Radosavovic et al., "Designing Network Design Spaces", CVPR 2020): the network
// description, the pycls compatibility adjustment of widths and group widths,
// the quantized-linear RegNet width rule, exact complexity (flops, params, acts)
// by the pycls counting rules, and the pycls RegNetX / RegNetY model zoo.
//
// A network is stem → stages → head. The stem is a 3x3 convolution with stride
// StemS, BN and ReLU to StemW channels. Stage i holds D blocks of width W; its
// first block carries stride S. A block is the X block (residual bottleneck with
// group convolution) or the Y block (X plus squeeze-excitation). The head is a
// global average pool and a fully connected layer with bias.
//
// Used by formats (the config columns), sample (sample/sampler), train and
// evaluate (train/network, train/trainer, train/data, evaluate/evaluator) and bootstrap
// (bootstrap/design).
package anynet
