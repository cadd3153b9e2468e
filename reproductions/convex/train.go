package convex

// The only file of the package that uses the project's training API
// (stcnn.Trainer for evaluation and Adam steps), so that a change of that
// API touches one place.

import (
	"fmt"

	"github.com/convexst/stcnn/datasets"
	"github.com/convexst/stcnn/stcnn"
	"github.com/convexst/stcnn/stcnn/optimizers"
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

// fineTune trains a primal with Adam (learning rate s.LearningRate,
// PyTorch's other defaults, batches of s.BatchSize shuffled per epoch with
// seed s.Seed + epoch) for s.Epochs epochs, and returns the training
// objective before the first epoch and after each one, and the test metrics
// at the end.
func fineTune(backend compute.Backend, s Settings, store *model.Store, primal *stcnn.PrimalModel, d *Data) ([]float64, stcnn.Metrics, error) {
	hp, err := optimizers.DefaultHyperparams(optimizers.NameAdam)
	if err != nil {
		return nil, stcnn.Metrics{}, err
	}
	hp.LearningRate = s.LearningRate
	opt, err := optimizers.New(optimizers.NameAdam, hp)
	if err != nil {
		return nil, stcnn.Metrics{}, err
	}
	tr, err := stcnn.NewTrainer(backend, store, primal, opt, 0)
	if err != nil {
		return nil, stcnn.Metrics{}, err
	}
	m, err := tr.Evaluate(d.TrainNoisy, d.TrainClean)
	if err != nil {
		return nil, stcnn.Metrics{}, err
	}
	curve := []float64{m.Objective}
	for epoch := 1; epoch <= s.Epochs; epoch++ {
		batches, err := datasets.Batches(d.TrainNoisy.N, s.BatchSize, s.Seed+uint64(epoch), true)
		if err != nil {
			return nil, stcnn.Metrics{}, err
		}
		for _, b := range batches {
			ny, err := d.TrainNoisy.Gather(b)
			if err != nil {
				return nil, stcnn.Metrics{}, err
			}
			nx, err := d.TrainClean.Gather(b)
			if err != nil {
				return nil, stcnn.Metrics{}, err
			}
			if _, err := tr.Step(ny, nx); err != nil {
				return nil, stcnn.Metrics{}, fmt.Errorf("convex: fine-tuning epoch %d: %w", epoch, err)
			}
		}
		if m, err = tr.Evaluate(d.TrainNoisy, d.TrainClean); err != nil {
			return nil, stcnn.Metrics{}, err
		}
		curve = append(curve, m.Objective)
	}
	test, err := tr.Evaluate(d.TestNoisy, d.TestClean)
	return curve, test, err
}
