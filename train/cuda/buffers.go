package cuda

// Buf is a float32 buffer in an engine's device memory: the device address of its
// first value and its length. Slice views share the allocation. The zero Buf is the
// empty buffer (Alloc(0)).
type Buf struct {
	ptr uintptr // device address; 0 for an empty buffer or a failed allocation
	n   int
}

// Len returns the number of float32 values.
func (b Buf) Len() int { return b.n }

// Labels is an int32 label buffer in an engine's device memory.
type Labels struct {
	ptr uintptr
	n   int
}

// Len returns the number of labels.
func (l Labels) Len() int { return l.n }

// ImageSet is a labelled image set in an engine's device memory, uploaded once by
// Engine.UploadImages: n images [h][w][c] as uint8 and n int32 labels.
type ImageSet struct {
	images, labels uintptr
	n, h, w, c     int
}

// Len returns the number of images.
func (s *ImageSet) Len() int { return s.n }
