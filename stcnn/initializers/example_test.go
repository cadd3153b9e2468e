package initializers_test

import (
	"fmt"

	"github.com/convexst/stcnn/stcnn/initializers"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/gomlx/core/tensors"
)

func ExampleSpec_Sample() {
	// A 5x5 convolution from 3 to 8 channels, stored as an 8 x 75 matrix.
	spec, err := initializers.Parse("kaiming")
	if err != nil {
		panic(err)
	}
	fanIn := initializers.ConvFanIn(3, 5)
	w, err := spec.Sample(initializers.NewRand(2026), dtypes.Float32, fanIn, 8, 75)
	if err != nil {
		panic(err)
	}
	bound := initializers.KaimingUniformBound(fanIn)
	fmt.Printf("%s: shape %s, bound 1/sqrt(%d) = %.4f\n", spec, w.Shape(), fanIn, bound)
	inside := true
	for _, v := range tensors.MustCopyFlatData[float32](w) {
		inside = inside && v >= -float32(bound) && v <= float32(bound)
	}
	fmt.Println("all values within the bound:", inside)

	for _, s := range []string{"normal:0.001", "zeros"} {
		spec, err := initializers.Parse(s)
		if err != nil {
			panic(err)
		}
		fmt.Printf("%q -> %#v\n", s, spec)
	}
	_, err = initializers.Parse("normal:-1")
	fmt.Println(err)
	// Output:
	// kaiming_uniform: shape (Float32)[8, 75], bound 1/sqrt(75) = 0.1155
	// all values within the bound: true
	// "normal:0.001" -> initializers.Spec{Kind:"normal", Std:0.001}
	// "zeros" -> initializers.Spec{Kind:"zeros", Std:0}
	// initializers: normal standard deviation -1 must be a finite number >= 0
}
