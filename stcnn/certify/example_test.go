package certify_test

import (
	"fmt"

	"github.com/convexst/stcnn/datasets"
	gb "github.com/convexst/stcnn/gomlx_backend"
	"github.com/convexst/stcnn/stcnn"
	"github.com/convexst/stcnn/stcnn/certify"
	"github.com/convexst/stcnn/stcnn/initializers"
	"github.com/gomlx/gomlx/ml/model"
)

// Solve the training problem of a small dual network on 20 noisy MNIST
// images and print the certificate: the optimum lies between Bound and
// Objective.
func ExampleSolve() {
	backend, _, err := gb.Default()
	if err != nil {
		fmt.Println(err)
		return
	}
	dir, err := datasets.MNISTDir("")
	if err != nil {
		fmt.Println(err)
		return
	}
	all, err := datasets.LoadMNIST(dir, datasets.Train)
	if err != nil {
		fmt.Println(err)
		return
	}
	clean, _ := all.Subset(20, 1)
	noisy, _ := datasets.AddGaussianNoise(clean, 0.25, 2)

	cfg := stcnn.DefaultConfig(stcnn.Dual, 1)
	cfg.P = 16
	dual, _ := stcnn.NewDual(cfg)
	store := model.NewStore()
	if err := dual.Init(store, initializers.Zeros(), 1); err != nil {
		fmt.Println(err)
		return
	}
	res, err := certify.Solve(backend, store, dual, noisy, clean, certify.Options{Tol: 1e-4})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("bound <= objective:", res.Bound <= res.Objective)
	fmt.Println("certified to 1e-4:", res.Converged)
	// Output:
	// bound <= objective: true
	// certified to 1e-4: true
}
