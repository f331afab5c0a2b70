package data_test

import (
	"fmt"

	"github.com/ddstools/dds/train/data"
)

// A 1x3 grey image, normalised with mean 0 and std 1 and augmented with padding 1:
// the centred crop is the identity; a flip mirrors the row; DX = 2 moves the window one
// pixel right, so the last output pixel comes from the zero padding.
func ExampleSet_Batch() {
	s := &data.Set{H: 1, W: 3, C: 1, Classes: 1, Images: []uint8{0, 255, 51}, Labels: []int32{0}}
	mean, std := []float32{0}, []float32{1}
	dst := make([]float32, 3)
	for _, c := range []data.Crop{{DY: 1, DX: 1}, {DY: 1, DX: 1, Flip: true}, {DY: 1, DX: 2, Flip: true}, {DY: 1, DX: 0}} {
		s.Batch(dst, nil, []int{0}, []data.Crop{c}, 1, mean, std)
		fmt.Printf("%+v: %.1f\n", c, dst)
	}
	// Output:
	// {DY:1 DX:1 Flip:false}: [0.0 1.0 0.2]
	// {DY:1 DX:1 Flip:true}: [0.2 1.0 0.0]
	// {DY:1 DX:2 Flip:true}: [1.0 0.0 0.0]
	// {DY:1 DX:0 Flip:false}: [0.0 0.0 1.0]
}
