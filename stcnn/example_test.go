package stcnn_test

import (
	"fmt"

	"github.com/convexst/stcnn/datasets"
	gb "github.com/convexst/stcnn/gomlx_backend"
	"github.com/convexst/stcnn/stcnn"
	"github.com/convexst/stcnn/stcnn/initializers"
	"github.com/convexst/stcnn/stcnn/optimizers"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
)

// ExampleSoftThreshold evaluates ST_l(x) = sign(x) max(|x| - l, 0) with l = 0.5.
func ExampleSoftThreshold() {
	backend, _, err := gb.Default()
	if err != nil {
		panic(err)
	}
	out := MustExecOnce(backend, func(x *Node) *Node { return stcnn.SoftThreshold(x, 0.5) },
		[]float32{-2, -0.5, 0, 0.25, 1.5})
	fmt.Println(out.Value())
	// Output: [-1.5 0 0 0 1]
}

// ExampleTrainer trains a small dual ST-CNN on 8 MNIST digits and measures
// the gap to the primal network rebuilt from it (eq. 47).
func ExampleTrainer() {
	backend, _, err := gb.Default()
	if err != nil {
		panic(err)
	}
	dir, err := datasets.MNISTDir("")
	if err != nil {
		panic(err)
	}
	all, err := datasets.LoadMNIST(dir, datasets.Test)
	if err != nil {
		panic(err)
	}
	clean, _ := all.Subset(8, 1)
	noisy, _ := datasets.AddGaussianNoise(clean, 0.25, 2)

	cfg := stcnn.DefaultConfig(stcnn.Dual, 1)
	cfg.P = 16
	dual, err := stcnn.NewDual(cfg)
	if err != nil {
		panic(err)
	}
	store := model.NewStore()
	if err := dual.Init(store, initializers.Zeros(), 1); err != nil {
		panic(err)
	}
	hp, _ := optimizers.DefaultHyperparams("adam")
	opt, _ := optimizers.New("adam", hp)
	tr, err := stcnn.NewTrainer(backend, store, dual, opt, 0)
	if err != nil {
		panic(err)
	}
	first, _ := tr.Step(noisy, clean)
	var last stcnn.StepResult
	for i := 0; i < 20; i++ {
		last, _ = tr.Step(noisy, clean)
	}
	gap, err := stcnn.MeasureGap(backend, tr, noisy, clean)
	if err != nil {
		panic(err)
	}
	fmt.Println("objective decreased:", last.Objective < first.Objective)
	fmt.Println("rebuilt primal filters:", gap.K)
	fmt.Println("gap is nonzero (lambda > 0):", gap.Gap != 0)
	// Output:
	// objective decreased: true
	// rebuilt primal filters: 32
	// gap is nonzero (lambda > 0): true
}
