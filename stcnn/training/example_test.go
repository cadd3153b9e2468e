package training_test

import (
	"fmt"

	gb "github.com/convexst/stcnn/gomlx_backend"
	"github.com/convexst/stcnn/stcnn"
	"github.com/convexst/stcnn/stcnn/training"
)

// ExampleRun trains a small dual network on real MNIST images and measures,
// in an epoch hook, how its training objective falls.
func ExampleRun() {
	cfg := training.DefaultConfig(stcnn.Dual)
	cfg.Model.P, cfg.TrainSize, cfg.TestSize, cfg.BatchSize, cfg.Epochs = 16, 40, 0, 20, 2
	backend, _, err := gb.Default()
	if err != nil {
		fmt.Println(err)
		return
	}
	var objectives []float64
	res, err := training.Run(cfg, training.Options{Backend: backend,
		Hooks: training.Hooks{AfterEpoch: func(res *training.Result, epoch int) error {
			objectives = append(objectives, res.History.Last().Train.Objective)
			return nil
		}}})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("epochs:", res.Epoch, "steps:", res.Step)
	fmt.Println("objective fell:", objectives[1] < res.History.Records[0].Train.Objective)
	// Output:
	// epochs: 2 steps: 4
	// objective fell: true
}

// ExampleConfig_ID shows which settings identify a run: a name labels it,
// a seed changes it.
func ExampleConfig_ID() {
	a := training.DefaultConfig(stcnn.Primal)
	b := a
	b.Name = "renamed"
	c := a
	c.Seed++
	fmt.Println(a.ID() == b.ID(), a.ID() == c.ID(), len(a.ID()))
	// Output: true false 64
}
