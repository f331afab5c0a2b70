// Package safetensors encodes and decodes tensors in the safetensors format, the file
// format that PyTorch users read with safetensors.torch.load. dds uses it to store
// trained network weights in a binary Arrow column, so Encode is deterministic: the
// same tensors and metadata always give the same bytes.
//
// # Format
//
// A file is three parts, back to back:
//
//	8 bytes    N, the length of the header, an unsigned little-endian integer
//	N bytes    the header: a UTF-8 JSON object
//	the rest   the data section: every tensor's elements, little-endian, row-major
//
// The header maps each tensor name to its entry, and may hold one more key,
// "__metadata__", whose value is an object of string to string:
//
//	{"__metadata__":{"format":"pt"},
//	 "fc.weight":{"dtype":"F32","shape":[10,64],"data_offsets":[0,2560]},
//	 "bn.num_batches_tracked":{"dtype":"I64","shape":[],"data_offsets":[2560,2568]}}
//
// data_offsets [begin, end] is the byte range of the tensor in the data section,
// counted from the start of the data section. A scalar has shape [] and one element.
//
// # Rules
//
// Decode accepts a file only when all of these hold; otherwise it returns one error
// that names the first rule broken (and the tensor, where there is one):
//
//   - the input holds the 8-byte length, N is at most MaxHeaderSize and the header
//     fits in the input;
//   - the header is valid UTF-8 and exactly one JSON object, with no key repeated
//     (at the top, in an entry or in the metadata);
//   - every tensor name is non-empty and its entry is an object with "dtype" (one of
//     the DType constants), "shape" (an array of non-negative integers) and
//     "data_offsets" (an array of two non-negative integers, begin <= end); other keys
//     of an entry are ignored, as the reference implementation does;
//   - end - begin = product(shape) × dtype size, computed without overflow;
//   - sorted by offsets, the tensors tile the data section: the first begins at 0,
//     each begins where the one before ends, and the last ends at the end of the
//     input, so there are no gaps, overlaps or trailing bytes;
//   - "__metadata__", where present, is an object whose values are all strings (or
//     null, which means no metadata).
//
// Encode writes the header as compact JSON: "__metadata__" first with its keys
// sorted (left out when the metadata is empty), then one entry per tensor in the order
// given, with keys in the order dtype, shape, data_offsets, and the tensors' data in
// that same order. The header is padded with spaces (0x20) to a multiple of 8 bytes,
// so that the data section starts 8-byte aligned. Decode does not require the padding:
// files from older writers lack it.
//
// Encode(f.Tensors, f.Metadata) of a decoded file f gives a file that decodes to the
// same tensors and metadata, and encoding that again gives the same bytes.
//
// Used by train (the weights column and checkpoints), evaluate (reading the
// weights) and show (--weights).
package safetensors
