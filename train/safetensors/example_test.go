package safetensors_test

import (
	"fmt"

	"github.com/ddstools/dds/train/safetensors"
)

func Example() {
	b, err := safetensors.Encode([]safetensors.Tensor{
		safetensors.Float32("fc.weight", []int{2, 3}, []float32{1, 2, 3, 4, 5, 6}),
		safetensors.Int64("bn.num_batches_tracked", nil, []int64{300}),
	}, map[string]string{"format": "pt"})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%d bytes, header %q\n", len(b), b[8:len(b)-32])

	f, err := safetensors.Decode(b)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, t := range f.Tensors {
		fmt.Println(t.Name, t.DType, t.Shape)
	}
	w, _ := f.Get("fc.weight")
	v, err := w.Float32s()
	fmt.Println(v, err, f.Metadata["format"])
	// Output:
	// 216 bytes, header "{\"__metadata__\":{\"format\":\"pt\"},\"fc.weight\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]},\"bn.num_batches_tracked\":{\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[24,32]}}     "
	// fc.weight F32 [2 3]
	// bn.num_batches_tracked I64 []
	// [1 2 3 4 5 6] <nil> pt
}
