package stats_test

import (
	"fmt"
	"log"

	"github.com/ddstools/dds/bootstrap/stats"
)

// Compare the error EDFs of two small design spaces.
func ExampleKS() {
	a, err := stats.NewEDF([]float64{0.31, 0.29, 0.35, 0.40, 0.33}, nil)
	if err != nil {
		log.Fatal(err)
	}
	b, err := stats.NewEDF([]float64{0.27, 0.30, 0.28, 0.32, 0.26}, nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("F_a(0.32) = %.2f, F_b(0.32) = %.2f\n", a.At(0.32), b.At(0.32))
	d, p := stats.KS(a, b)
	fmt.Printf("D = %.2f, p = %.3f\n", d, p)
	fmt.Printf("median error difference b − a: %.2f\n", stats.DiffAtQuantiles(a, b, []float64{0.5})[0])
	// Output:
	// F_a(0.32) = 0.40, F_b(0.32) = 0.80
	// D = 0.60, p = 0.209
	// median error difference b − a: -0.05
}

// Weight models so that their flops are uniform over the range; the middle of
// the three bins is empty.
func ExampleNormalizedWeights() {
	flops := []float64{200e6, 210e6, 220e6, 390e6, 400e6}
	w, empty, err := stats.NormalizedWeights(flops, 3)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("weights %.3f, %d empty bin\n", w, empty)
	// Output:
	// weights [0.167 0.167 0.167 0.250 0.250], 1 empty bin
}

// Find where good models live: the best depth is about 20 here.
func ExampleBootstrap() {
	depth := make([]float64, 200)
	errs := make([]float64, 200)
	for i := range depth {
		depth[i] = float64(1 + i%40)
		d := depth[i] - 20
		errs[i] = 0.3 + d*d/4000 + float64(i%7)/1000
	}
	iv, err := stats.Bootstrap(depth, errs, stats.BootstrapOptions{Seed: 1})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("95%% interval [%g, %g], most likely %g (n=%d, B=%d)\n", iv.Lo, iv.Hi, iv.Median, iv.N, iv.B)
	// Output:
	// 95% interval [17, 23], most likely 20 (n=200, B=10000)
}
