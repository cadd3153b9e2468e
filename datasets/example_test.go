package datasets_test

import (
	"fmt"
	"log"

	"github.com/convexst/stcnn/datasets"
)

func ExampleLoadMNIST() {
	dir, err := datasets.MNISTDir("") // $STCNN_DATA/mnist or the GoMNIST module
	if err != nil {
		log.Fatal(err)
	}
	test, err := datasets.LoadMNIST(dir, datasets.Test)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("images:", test.N, "of", test.H, "x", test.W, "x", test.C)
	fmt.Println("first labels:", test.Labels[:5])

	// 400 test images chosen at random, with noise of level 25/255.
	sub, err := test.Subset(400, 1)
	if err != nil {
		log.Fatal(err)
	}
	noisy, err := datasets.AddGaussianNoise(sub, 25.0/255, 2)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("noisy subset:", noisy.N, "images")
	// Output:
	// images: 10000 of 28 x 28 x 1
	// first labels: [7 2 1 0 4]
	// noisy subset: 400 images
}

func ExampleLoadCIFAR10() {
	dir, err := datasets.CIFAR10Dir("") // $STCNN_DATA/cifar-10-batches-bin or ../shared/datasets/...
	if err != nil {
		log.Fatal(err)
	}
	test, err := datasets.LoadCIFAR10(dir, datasets.Test)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(test.H, test.W, test.C, test.Labels[:5])
	// Output:
	// 32 32 3 [3 8 8 0 6]
}

func ExampleBatches() {
	batches, err := datasets.Batches(10, 4, 0, false)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(batches)
	// Output:
	// [[0 1 2 3] [4 5 6 7] [8 9]]
}
