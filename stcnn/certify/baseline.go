package certify

import (
	"errors"
	"math"
	"time"

	"github.com/convexst/stcnn/datasets"
	"github.com/convexst/stcnn/stcnn"
	"github.com/convexst/stcnn/stcnn/optimizers"
	"github.com/convexst/stcnn/stcnn/training"
	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/ml/model"
)

// AdamOptions configure RunAdam, the first-order baseline the certified
// solver is compared with.
type AdamOptions struct {
	// LearningRate of Adam (PyTorch semantics, stcnn/optimizers).
	LearningRate float64
	// BatchSize images per step (0: full batch); batches are contiguous
	// and visited in order every epoch.
	BatchSize int
	// MaxTime caps the training time (evaluations excluded); MaxEpochs the
	// number of epochs (0: no cap). At least one cap must be set.
	MaxTime   time.Duration
	MaxEpochs int
	// MinEpochs are run whatever MaxTime says.
	MinEpochs int
	// Target stops the run as soon as the full-data objective is at most
	// Target (0: never).
	Target float64
	// ChunkImages bounds the images per graph execution (as in Options).
	ChunkImages int
}

// AdamPoint is the full-data objective after an epoch.
type AdamPoint struct {
	Epoch int `json:"epoch"`
	// Seconds is the cumulative training time (optimiser steps only; the
	// evaluations that produce these points are not counted).
	Seconds   float64 `json:"seconds"`
	Objective float64 `json:"objective"`
}

// AdamTrace is the outcome of RunAdam.
type AdamTrace struct {
	Points []AdamPoint `json:"points"`
	// Reached is the training time at which the objective first was at
	// most Target, or -1.
	Reached float64 `json:"reached"`
	// Best is the lowest objective seen.
	Best float64 `json:"best"`
}

// RunAdam trains the dual network in store with Adam by training.Run (the
// project's training loop), from the weights in store, over contiguous
// batches visited in order, evaluating the exact objective on all of
// (noisy, clean) after every epoch; its caps and target are hooks of the run.
func RunAdam(backend compute.Backend, store *model.Store, dual *stcnn.DualModel, noisy, clean *datasets.Images, o AdamOptions) (*AdamTrace, error) {
	if o.MaxTime <= 0 && o.MaxEpochs <= 0 {
		return nil, errors.New("certify: RunAdam needs MaxTime or MaxEpochs")
	}
	if err := stcnn.CheckPair(noisy, clean, dual); err != nil {
		return nil, err
	}
	hp, err := optimizers.DefaultHyperparams(optimizers.NameAdam)
	if err != nil {
		return nil, err
	}
	hp.LearningRate = o.LearningRate
	batch := o.BatchSize
	if batch <= 0 || batch > noisy.N {
		batch = noisy.N
	}
	epochs := o.MaxEpochs
	if epochs <= 0 {
		epochs = math.MaxInt32 // MaxTime ends the run
	}
	cfg := training.Config{Name: "adam", Model: dual.Config(), Optimizer: optimizers.NameAdam, Hyperparams: hp,
		Dataset: training.Given, TrainSize: noisy.N, Epochs: epochs, BatchSize: batch, NoShuffle: true}
	if o.ChunkImages > 0 {
		cfg.MaxChunkElements = o.ChunkImages * noisy.H * noisy.W * dual.HiddenWidth()
	}
	trace := &AdamTrace{Reached: -1, Best: math.Inf(1)}
	afterEvaluation := func(_ *training.Result, rec training.Record) error {
		if rec.Epoch == 0 {
			return nil
		}
		m := rec.Train
		trace.Points = append(trace.Points, AdamPoint{Epoch: rec.Epoch, Seconds: rec.WallSeconds, Objective: m.Objective})
		trace.Best = math.Min(trace.Best, m.Objective)
		if o.Target > 0 && m.Objective <= o.Target {
			trace.Reached = rec.WallSeconds
			return training.ErrStopRun
		}
		if o.MaxTime > 0 && rec.WallSeconds >= o.MaxTime.Seconds() && rec.Epoch >= o.MinEpochs {
			return training.ErrStopRun
		}
		return nil
	}
	_, err = training.Run(cfg, training.Options{Backend: backend, Network: dual, Store: store,
		Data:  &training.Data{TrainNoisy: noisy, TrainClean: clean},
		Hooks: training.Hooks{AfterEvaluation: afterEvaluation}})
	return trace, err
}
