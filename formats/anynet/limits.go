package anynet

// Limits of a network description. A config outside them is refused before anything
// is built from it: they are far above any network of the paper's design spaces or the
// pycls zoo (RegNetY-32GF has 20 blocks of widths up to 3712 at resolution 224), and
// low enough that no count derived from them (blocks, activations, weights) overflows
// or asks for more memory than a machine has before the memory budget is checked.
const (
	MaxRes      = 4096    // input height and width
	MaxChannels = 1024    // input channels
	MinClasses  = 2       // a classifier needs two outputs
	MaxClasses  = 1 << 20 // 1,048,576 outputs
	MaxWidth    = 1 << 16 // stem, block, bottleneck and squeeze-excitation widths
	MaxDepth    = 1024    // blocks in the whole network
	MaxStages   = 64      // stages
)
