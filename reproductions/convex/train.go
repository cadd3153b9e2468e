package convex

// The only file of the package that uses the project's training API
// (stcnn.Trainer for evaluation, training.Run for Adam), so that a change of that
// API touches one place.

import (
	"errors"
	"fmt"

	"github.com/convexst/stcnn/datasets"
	"github.com/convexst/stcnn/stcnn"
	"github.com/convexst/stcnn/stcnn/optimizers"
	"github.com/convexst/stcnn/stcnn/training"
	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/ml/model"
)

// evaluate returns the metrics of a network on (noisy, clean).
func evaluate(backend compute.Backend, store *model.Store, net stcnn.Network, noisy, clean *datasets.Images) (stcnn.Metrics, error) {
	tr, err := stcnn.NewTrainer(backend, store, net, nil, 0)
	if err != nil {
		return stcnn.Metrics{}, err
	}
	return tr.Evaluate(noisy, clean)
}

// measureGap is stcnn.MeasureGap (eq. 47's rebuild and its gap) for a dual
// in a store.
func measureGap(backend compute.Backend, store *model.Store, dual *stcnn.DualModel, noisy, clean *datasets.Images) (stcnn.Gap, error) {
	tr, err := stcnn.NewTrainer(backend, store, dual, nil, 0)
	if err != nil {
		return stcnn.Gap{}, err
	}
	return stcnn.MeasureGap(backend, tr, noisy, clean)
}

// fineTune trains a primal in store with Adam (learning rate
// s.LearningRate, PyTorch's other defaults, batches of s.BatchSize
// reshuffled every epoch from s.Seed) for s.Epochs epochs through
// training.Run, and returns the training objective before the first epoch
// and after each one, and the test metrics at the end.
func fineTune(backend compute.Backend, s Settings, store *model.Store, primal *stcnn.PrimalModel, d *Data) ([]float64, stcnn.Metrics, error) {
	hp, err := optimizers.DefaultHyperparams(optimizers.NameAdam)
	if err != nil {
		return nil, stcnn.Metrics{}, err
	}
	hp.LearningRate = s.LearningRate
	cfg := training.Config{Name: "fine-tune", Model: primal.Config(), Optimizer: optimizers.NameAdam, Hyperparams: hp,
		Dataset: training.Given, TrainSize: d.TrainNoisy.N, TestSize: d.TestNoisy.N, Seed: s.Seed,
		Epochs: s.Epochs, BatchSize: s.BatchSize}
	res, err := training.Run(cfg, training.Options{Backend: backend, Network: primal, Store: store,
		Data: &training.Data{TrainNoisy: d.TrainNoisy, TrainClean: d.TrainClean, TestNoisy: d.TestNoisy, TestClean: d.TestClean}})
	if err != nil {
		return nil, stcnn.Metrics{}, fmt.Errorf("convex: fine-tuning: %w", err)
	}
	var curve []float64
	for _, r := range res.History.Records {
		curve = append(curve, r.Train.Objective)
	}
	test := res.History.Last().Test
	if test == nil {
		return nil, stcnn.Metrics{}, errors.New("convex: fine-tuning measured no test metrics")
	}
	return curve, *test, nil
}
