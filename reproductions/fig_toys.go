package reproductions

// Figures 1 and 7: the 1-D toy problems. Every sample x_i becomes a 1x1
// "image" with two channels [x_i, 1] (the bias is a column of ones, as the
// captions say) and one output channel, so the two-layer networks of stcnn
// with filter size m = 1 are exactly the fully connected networks of the
// captions: the primal f(x) = sum_k act([x, 1] . u_k) v_k (eq. 21) and the
// dual sum_j Q_j [x, 1] . (w'_j - w_j) (eq. 22). stcnn's objective averages
// the squared error over images, so here it is
// (1/5) sum_i (f(x_i) - y_i)^2 + penalty.

import (
	"fmt"

	"github.com/convexst/stcnn/datasets"
	"github.com/convexst/stcnn/stcnn"
	"github.com/convexst/stcnn/stcnn/initializers"
	"github.com/convexst/stcnn/stcnn/optimizers"
	"github.com/convexst/stcnn/stcnn/training"
	"github.com/gomlx/gomlx/ml/model"
)

// toyImages turns samples into 1x1 images: inputs [x_i, 1], targets y_i.
func toyImages(xs, ys []float64) (inputs, targets *datasets.Images) {
	inputs = &datasets.Images{N: len(xs), H: 1, W: 1, C: 2, Pixels: make([]float32, 2*len(xs))}
	targets = &datasets.Images{N: len(ys), H: 1, W: 1, C: 1, Pixels: make([]float32, len(ys))}
	for i := range xs {
		inputs.Pixels[2*i], inputs.Pixels[2*i+1] = float32(xs[i]), 1
		targets.Pixels[i] = float32(ys[i])
	}
	return inputs, targets
}

// toyRun is one training run of a toy network.
type toyRun struct {
	Label string `json:"label"`
	Seed  uint64 `json:"seed"`
	// Objective[t] is the objective before step t; the last entry is the
	// objective after the last step.
	Objective []float64     `json:"-"`
	Final     stcnn.Metrics `json:"final"`
	trainer   *stcnn.Trainer
}

// toyTrain initialises cfg's network from init and seed and trains it with
// training.Run for iters full-batch optimiser steps on the five samples.
func toyTrain(env Env, cfg stcnn.Config, init initializers.Spec, seed uint64, optName string, hp optimizers.Hyperparams,
	iters int, inputs, targets *datasets.Images, label string) (*toyRun, error) {
	net, err := stcnn.New(cfg)
	if err != nil {
		return nil, err
	}
	store := model.NewStore()
	if err := net.Init(store, init, seed); err != nil {
		return nil, err
	}
	run := &toyRun{Label: label, Seed: seed, Objective: make([]float64, 0, iters+1)}
	// One epoch is one full-batch step; the run is evaluated once, at the end.
	tcfg := training.Config{Name: label, Model: cfg, Optimizer: optName, Hyperparams: hp, Dataset: training.Given,
		TrainSize: inputs.N, Epochs: iters, BatchSize: inputs.N, NoShuffle: true, EvalEverySteps: iters}
	res, err := training.Run(tcfg, training.Options{Backend: env.Backend, Network: net, Store: store,
		Data: &training.Data{TrainNoisy: inputs, TrainClean: targets},
		Hooks: training.Hooks{AfterStep: func(e training.Event) error {
			run.Objective = append(run.Objective, e.Objective)
			return nil
		}}})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", label, err)
	}
	run.trainer, run.Final = res.Trainer, res.History.Last().Train
	run.Objective = append(run.Objective, run.Final.Objective)
	env.Logf("  %s: objective %.6g -> %.6g", label, run.Objective[0], run.Final.Objective)
	return run, nil
}

// toyIterations returns the number of optimiser steps per scale.
func toyIterations(s Scale, tiny, quick, paper int) int {
	switch s {
	case Tiny:
		return tiny
	case Quick:
		return quick
	}
	return paper
}

// toySeeds returns the initialisation seeds 1..n of the "random
// initialisation trials": consecutive, so that no seed is picked by hand.
func toySeeds(n int) []uint64 {
	out := make([]uint64, n)
	for i := range out {
		out[i] = uint64(i + 1)
	}
	return out
}
