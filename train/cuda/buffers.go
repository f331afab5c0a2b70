package cuda

// Buf is a buffer in an engine's device memory: the device address of its first
// value, its length, and whether it holds bfloat16 activations (AllocAct of an
// engine in engine.BF16: 2 bytes a value) rather than float32 values (4 bytes).
// Slice views share the allocation and its kind. The zero Buf is the empty float32
// buffer (Alloc(0)).
type Buf struct {
	ptr  uintptr // device address; 0 for an empty buffer or a failed allocation
	n    int
	bf16 bool // bfloat16 activations
}

// Len returns the number of values.
func (b Buf) Len() int { return b.n }

// BF16 reports whether b holds bfloat16 activations.
func (b Buf) BF16() bool { return b.bf16 }

// size returns the bytes of one value.
func (b Buf) size() uintptr {
	if b.bf16 {
		return 2
	}
	return 4
}

// Ints is a buffer of int32 values (labels, batch indices, crops, step counters) in
// an engine's device memory.
type Ints struct {
	ptr uintptr
	n   int
}

// Len returns the number of values.
func (l Ints) Len() int { return l.n }

// ImageSet is a labelled image set in an engine's device memory, uploaded once by
// Engine.UploadImages: n images [h][w][c] as uint8 and n int32 labels.
type ImageSet struct {
	images, labels uintptr
	n, h, w, c     int
}

// Len returns the number of images.
func (s *ImageSet) Len() int { return s.n }
