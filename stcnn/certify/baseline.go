package certify

import (
	"errors"
	"math"
	"time"

	"github.com/convexst/stcnn/datasets"
	"github.com/convexst/stcnn/stcnn"
	"github.com/convexst/stcnn/stcnn/optimizers"
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

// RunAdam trains the dual network in store with Adam through stcnn.Trainer
// (the project's training step), evaluating the exact objective on all of
// (noisy, clean) after every epoch.
func RunAdam(backend compute.Backend, store *model.Store, dual *stcnn.DualModel, noisy, clean *datasets.Images, o AdamOptions) (*AdamTrace, error) {
	if o.MaxTime <= 0 && o.MaxEpochs <= 0 {
		return nil, errors.New("certify: RunAdam needs MaxTime or MaxEpochs")
	}
	hp, err := optimizers.DefaultHyperparams("adam")
	if err != nil {
		return nil, err
	}
	hp.LearningRate = o.LearningRate
	opt, err := optimizers.New("adam", hp)
	if err != nil {
		return nil, err
	}
	maxChunk := 0
	if o.ChunkImages > 0 {
		maxChunk = o.ChunkImages * noisy.H * noisy.W * dual.HiddenWidth()
	}
	tr, err := stcnn.NewTrainer(backend, store, dual, opt, maxChunk)
	if err != nil {
		return nil, err
	}
	batch := o.BatchSize
	if batch <= 0 || batch > noisy.N {
		batch = noisy.N
	}
	trace := &AdamTrace{Reached: -1, Best: math.Inf(1)}
	train := time.Duration(0)
	for epoch := 1; o.MaxEpochs <= 0 || epoch <= o.MaxEpochs; epoch++ {
		start := time.Now()
		for from := 0; from < noisy.N; from += batch {
			to := min(noisy.N, from+batch)
			ny, err := noisy.Slice(from, to)
			if err != nil {
				return nil, err
			}
			nx, err := clean.Slice(from, to)
			if err != nil {
				return nil, err
			}
			if _, err := tr.Step(ny, nx); err != nil {
				return trace, err
			}
		}
		train += time.Since(start)
		m, err := tr.Evaluate(noisy, clean)
		if err != nil {
			return trace, err
		}
		trace.Points = append(trace.Points, AdamPoint{Epoch: epoch, Seconds: train.Seconds(), Objective: m.Objective})
		trace.Best = math.Min(trace.Best, m.Objective)
		if o.Target > 0 && m.Objective <= o.Target {
			trace.Reached = train.Seconds()
			break
		}
		if o.MaxTime > 0 && train >= o.MaxTime && epoch >= o.MinEpochs {
			break
		}
	}
	return trace, nil
}
