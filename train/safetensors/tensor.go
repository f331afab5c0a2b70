package safetensors

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/bits"
	"slices"
)

// Tensor is one named tensor: its element type, its shape (outermost dimension first,
// empty for a scalar) and its elements, row-major, as little-endian bytes.
// len(Data) must be product(Shape) × DType.Size().
type Tensor struct {
	Name  string
	DType DType
	Shape []int
	Data  []byte
}

// Float32 returns an F32 tensor holding a copy of v. Encode reports an error when
// len(v) is not the product of shape.
func Float32(name string, shape []int, v []float32) Tensor {
	data := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(data[4*i:], math.Float32bits(x))
	}
	return Tensor{Name: name, DType: F32, Shape: slices.Clone(shape), Data: data}
}

// Int64 returns an I64 tensor holding a copy of v. Encode reports an error when len(v)
// is not the product of shape.
func Int64(name string, shape []int, v []int64) Tensor {
	data := make([]byte, 8*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint64(data[8*i:], uint64(x))
	}
	return Tensor{Name: name, DType: I64, Shape: slices.Clone(shape), Data: data}
}

// Float32s returns the elements of an F32 tensor. It errors when t is of another
// dtype or len(t.Data) does not match t.Shape.
func (t Tensor) Float32s() ([]float32, error) {
	if err := t.check(F32); err != nil {
		return nil, err
	}
	v := make([]float32, len(t.Data)/4)
	for i := range v {
		v[i] = math.Float32frombits(binary.LittleEndian.Uint32(t.Data[4*i:]))
	}
	return v, nil
}

// Int64s returns the elements of an I64 tensor. It errors when t is of another dtype
// or len(t.Data) does not match t.Shape.
func (t Tensor) Int64s() ([]int64, error) {
	if err := t.check(I64); err != nil {
		return nil, err
	}
	v := make([]int64, len(t.Data)/8)
	for i := range v {
		v[i] = int64(binary.LittleEndian.Uint64(t.Data[8*i:]))
	}
	return v, nil
}

// check reports whether t is of dtype want and its data length matches its shape.
func (t Tensor) check(want DType) error {
	if t.DType != want {
		return fmt.Errorf("safetensors: tensor %q is %s, not %s", t.Name, t.DType, want)
	}
	n, err := byteLen(t.DType, t.Shape)
	if err != nil {
		return fmt.Errorf("safetensors: tensor %q: %v", t.Name, err)
	}
	if n != len(t.Data) {
		return fmt.Errorf("safetensors: tensor %q has %d data bytes, want %d for %s %v", t.Name, len(t.Data), n, t.DType, t.Shape)
	}
	return nil
}

// byteLen returns product(shape) × dt.Size(), the length in bytes of a tensor's data.
// It errors on an unknown dtype, a negative dimension, and a length that overflows int.
func byteLen(dt DType, shape []int) (int, error) {
	size := dt.Size()
	if size == 0 {
		return 0, fmt.Errorf("unknown dtype %q", string(dt))
	}
	n := uint64(size)
	for _, d := range shape {
		if d < 0 {
			return 0, fmt.Errorf("shape %v has a negative dimension", shape)
		}
		hi, lo := bits.Mul64(n, uint64(d))
		if hi != 0 || lo > math.MaxInt {
			return 0, fmt.Errorf("%s %v overflows: more than %d bytes", dt, shape, math.MaxInt)
		}
		n = lo
	}
	return int(n), nil
}
