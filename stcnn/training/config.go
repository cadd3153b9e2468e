// Package training runs and records the training of a network (an ST-CNN,
// primal or dual, the ResNet of Fig. 19, or the classifier head of Fig.
// 18 on images and one-hot labels handed in): a run configuration holding
// every setting (validated once, by Run or LoadConfig), data preparation
// (seeded subsets and noise, or images handed in), epochs of seeded
// mini-batches, evaluation at a chosen cadence (EvaluateWeights for weights
// no run trained), a history of every metric, progress reporting, NaN/Inf
// detection, hooks after every step, evaluation and epoch, and a saved state
// from which an interrupted run resumes bitwise identically (see Run and the
// run folder layout in rundir.go).
//
// Run is the project's one training loop: every optimiser step outside the
// tests is taken by it. A RunStore shares finished runs by their
// configuration's ID (Config.ID, a hash of its canonical JSON), so figures
// built on the same runs train each once.
package training

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"

	"github.com/convexst/stcnn/stcnn"
	"github.com/convexst/stcnn/stcnn/initializers"
	"github.com/convexst/stcnn/stcnn/optimizers"
)

// Dataset names. Given is a data set handed to Run in Options.Data (e.g.
// the five samples of a 1-D toy, or a classifier's images and one-hot
// targets): it is never loaded, and its images may have any number of
// channels.
const (
	MNIST   = "mnist"
	CIFAR10 = "cifar10"
	Given   = "given"
)

// Config holds every setting of a run. It is saved next to every result.
type Config struct {
	// Name labels the run in histories and figures.
	Name string `json:"name,omitempty"`
	// Model is the ST-CNN: kind, K or P, m, lambda, beta, rho, gates,
	// dtype. It is empty when ResNet or Classifier is set.
	Model stcnn.Config `json:"model,omitzero"`
	// ResNet, when set, makes the network the ResNet denoiser of Fig. 19
	// instead of an ST-CNN.
	ResNet *stcnn.ResNetConfig `json:"resnet,omitempty"`
	// Classifier, when set, makes the network the classifier head of Fig.
	// 18 (stcnn.ClassifierHead) instead of an ST-CNN. Its data set is
	// "given": the images to classify in Data.TrainNoisy and TestNoisy, the
	// labels as one-hot targets (stcnn.OneHotTargets) in TrainClean and
	// TestClean.
	Classifier *stcnn.ClassifierSpec `json:"classifier,omitempty"`
	// Optimizer is one of optimizers.Names(); Hyperparams are its settings
	// (PyTorch's defaults where zero, see optimizers.DefaultHyperparams).
	Optimizer   string                 `json:"optimizer"`
	Hyperparams optimizers.Hyperparams `json:"hyperparams"`
	// Init initialises every trainable variable of the model; it is empty
	// only for a run that starts from weights in Options.Store.
	Init initializers.Spec `json:"init"`
	// Dataset is "mnist" or "cifar10"; DataDir overrides where it is read from.
	Dataset string `json:"dataset"`
	DataDir string `json:"data_dir,omitempty"`
	// TrainSize and TestSize are the seeded subset sizes.
	TrainSize int `json:"train_size"`
	TestSize  int `json:"test_size"`
	// Sigma is the standard deviation of the Gaussian noise (images in [0, 1]).
	Sigma float64 `json:"sigma"`
	// ClipNoisy clips the noisy images to [0, 1] (datasets.ClipToUnitRange);
	// off, the noise is the additive white Gaussian noise of the paper's
	// model. The paper does not say which it used.
	ClipNoisy bool `json:"clip_noisy,omitempty"`
	// Seed derives every other seed (subsets, noise, gates and weights,
	// shuffling): see Seeds.
	Seed uint64 `json:"seed"`
	// Epochs and BatchSize of mini-batch training; Shuffle reshuffles every epoch.
	Epochs    int  `json:"epochs"`
	BatchSize int  `json:"batch_size"`
	NoShuffle bool `json:"no_shuffle,omitempty"`
	// EvalEverySteps evaluates every that many steps; 0 evaluates once per epoch.
	EvalEverySteps int `json:"eval_every_steps,omitempty"`
	// MeasureGap (dual only) rebuilds a primal at each evaluation and records the gap.
	MeasureGap bool `json:"measure_gap,omitempty"`
	// TestAndGapEvery measures the test metrics and the gaps (MeasureGap)
	// only at the evaluations that end every that many epochs and at the
	// final evaluation of the run; the evaluations between record the
	// training metrics alone (Record.Test and the gaps nil). 0 measures
	// them at every evaluation. It is for sizes where one test evaluation
	// costs more than the epochs between (10000 MNIST test images against
	// a P = 8000 dual). A run extended on resume keeps the measurement at
	// its former final evaluation.
	TestAndGapEvery int `json:"test_and_gap_every,omitempty"`
	// CheckpointEvery saves the run's state every that many epochs (0: only
	// at the end) when the run has a directory. CheckpointEverySteps, when
	// positive, also saves it every that many optimiser steps. Neither
	// changes the result, so a resumed run may change them.
	CheckpointEvery      int `json:"checkpoint_every,omitempty"`
	CheckpointEverySteps int `json:"checkpoint_every_steps,omitempty"`
	// DivergeFactor stops the run as diverged when the objective exceeds
	// its starting value (the training objective at the initial weights)
	// by this factor; 0 means DefaultDivergeFactor. A non-finite objective
	// always stops the run.
	DivergeFactor float64 `json:"diverge_factor,omitempty"`
	// MaxChunkElements bounds memory per graph execution (stcnn.NewTrainer).
	MaxChunkElements int `json:"max_chunk_elements,omitempty"`
}

// DefaultDivergeFactor is the factor by which the objective may exceed its
// starting value before a run counts as diverged: far beyond the noise of
// mini-batch objectives, far below the 1e20 of an exploding learning rate.
const DefaultDivergeFactor = 1e6

// divergeFactor returns DivergeFactor, or its default when zero.
func (c Config) divergeFactor() float64 {
	if c.DivergeFactor == 0 {
		return DefaultDivergeFactor
	}
	return c.DivergeFactor
}

// stepsPerEpoch is the number of mini-batches of an epoch.
func (c Config) stepsPerEpoch() int {
	return (c.TrainSize + c.BatchSize - 1) / c.BatchSize
}

// measuresTestAt reports whether the evaluation after step optimiser steps
// measures the test metrics and the gaps: always when TestAndGapEvery is 0,
// else at the end of every TestAndGapEvery-th epoch and at the run's last
// evaluation (the last step with EvalEverySteps, the initial weights when
// no step evaluation falls within the run).
func (c Config) measuresTestAt(step int) bool {
	if c.TestAndGapEvery == 0 {
		return true
	}
	spe := c.stepsPerEpoch()
	last := spe * c.Epochs
	if c.EvalEverySteps > 0 {
		last -= last % c.EvalEverySteps
	}
	return step == last || (step > 0 && step%(c.TestAndGapEvery*spe) == 0)
}

// Seeds are the seeds derived from Config.Seed, recorded in every manifest.
type Seeds struct {
	TrainSubset, TestSubset, TrainNoise, TestNoise, Model, Shuffle uint64
}

// Seeds derives the run's seeds from Config.Seed.
func (c Config) Seeds() Seeds {
	s := c.Seed
	return Seeds{TrainSubset: s, TestSubset: s + 1, TrainNoise: s + 2, TestNoise: s + 3, Model: s + 4, Shuffle: s + 5}
}

// DefaultConfig is a quick MNIST run of the given model: 600 training and
// 1000 test images, sigma 0.25, Adam, batch 50, 3 epochs; primal weights
// Kaiming-uniform, dual weights zero, as in the PyTorch reference; the
// state is saved every epoch when the run has a directory.
func DefaultConfig(kind stcnn.ModelKind) Config {
	hp, _ := optimizers.DefaultHyperparams("adam")
	init := initializers.KaimingUniform()
	if kind == stcnn.Dual {
		init = initializers.Zeros()
		hp.LearningRate = 1e-4
	}
	return Config{Model: stcnn.DefaultConfig(kind, 1), Optimizer: "adam", Hyperparams: hp, Init: init,
		Dataset: MNIST, TrainSize: 600, TestSize: 1000, Sigma: 0.25, Seed: 1, Epochs: 3, BatchSize: 50,
		CheckpointEvery: 1, DivergeFactor: DefaultDivergeFactor}
}

// NewNetwork returns the network the configuration trains: the ResNet
// when ResNet is set, the classifier head when Classifier is set, else the
// ST-CNN of Model. It is the one place that picks a network by its
// configuration.
func (c Config) NewNetwork() (stcnn.Network, error) {
	switch {
	case c.ResNet != nil:
		return stcnn.NewResNet(*c.ResNet)
	case c.Classifier != nil:
		return c.Classifier.New()
	}
	return stcnn.New(c.Model)
}

// channels is the input channels of the configured network.
func (c Config) channels() int {
	switch {
	case c.ResNet != nil:
		return c.ResNet.Channels
	case c.Classifier != nil:
		return c.Classifier.Channels
	}
	return c.Model.Channels
}

// Validate checks every setting and names each one that is wrong.
func (c Config) Validate() error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("training: config field %q: %s", field, fmt.Sprintf(format, args...)))
	}
	switch {
	case c.ResNet != nil && c.Classifier != nil:
		bad("classifier", "must be empty when resnet is set (one network per run)")
	case c.ResNet != nil:
		if err := c.ResNet.Validate(); err != nil {
			errs = append(errs, err)
		}
		if c.Model != (stcnn.Config{}) {
			bad("model", "must be empty when resnet is set (the network is the ResNet)")
		}
	case c.Classifier != nil:
		if _, err := c.Classifier.New(); err != nil {
			errs = append(errs, err)
		}
		if c.Model != (stcnn.Config{}) {
			bad("model", "must be empty when classifier is set (the network is the classifier head)")
		}
		if c.Dataset != Given {
			bad("dataset", "a classifier is trained on images and one-hot labels handed in Options.Data: want %q, got %q", Given, c.Dataset)
		}
	default:
		if err := c.Model.Validate(); err != nil {
			errs = append(errs, err)
		}
	}
	if err := optimizers.Check(c.Optimizer, c.Hyperparams); err != nil {
		bad("optimizer", "%v", err)
	}
	if c.Init != (initializers.Spec{}) {
		if err := c.Init.Validate(); err != nil {
			bad("init", "%v", err)
		}
	}
	switch c.Dataset {
	case MNIST:
		if c.channels() != 1 {
			bad("model.channels", "MNIST images have 1 channel, got %d", c.channels())
		}
	case CIFAR10:
		if c.channels() != 3 {
			bad("model.channels", "CIFAR-10 images have 3 channels, got %d", c.channels())
		}
	case Given:
	default:
		bad("dataset", "unknown dataset %q, want %q, %q or %q (images in Options.Data)", c.Dataset, MNIST, CIFAR10, Given)
	}
	// Counts and cadences, each with its least allowed value.
	for _, f := range []struct {
		field     string
		value     int
		min       int
		zeroMeans string
	}{
		{"train_size", c.TrainSize, 1, ""},
		{"test_size", c.TestSize, 0, ""},
		{"epochs", c.Epochs, 1, ""},
		{"batch_size", c.BatchSize, 1, ""},
		{"eval_every_steps", c.EvalEverySteps, 0, ""},
		{"test_and_gap_every", c.TestAndGapEvery, 0, " (0: at every evaluation)"},
		{"checkpoint_every", c.CheckpointEvery, 0, ""},
		{"checkpoint_every_steps", c.CheckpointEverySteps, 0, ""},
		{"max_chunk_elements", c.MaxChunkElements, 0, " (0: the default)"},
	} {
		if f.value < f.min {
			bad(f.field, "must be >= %d%s, got %d", f.min, f.zeroMeans, f.value)
		}
	}
	if !(c.Sigma >= 0) || math.IsInf(c.Sigma, 0) {
		bad("sigma", "noise standard deviation must be finite and >= 0, got %v", c.Sigma)
	}
	if !(c.DivergeFactor == 0 || c.DivergeFactor > 1) || math.IsInf(c.DivergeFactor, 0) {
		bad("diverge_factor", "must be finite and > 1 (0: the default %g), got %v", DefaultDivergeFactor, c.DivergeFactor)
	}
	if c.MeasureGap && (c.ResNet != nil || c.Classifier != nil || c.Model.Model != stcnn.Dual) {
		bad("measure_gap", "only a dual network has a gap to measure")
	}
	if len(errs) == 0 {
		if err := c.checkMemory(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// LoadConfig reads a JSON configuration and validates it; unknown fields
// and anything after the JSON object are errors.
func LoadConfig(path string) (Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("training: %w", err)
	}
	c, err := ParseConfig(data)
	if err != nil {
		return Config{}, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// ParseConfig decodes and validates a JSON configuration as LoadConfig does.
func ParseConfig(data []byte) (Config, error) {
	var c Config
	if err := decodeStrict(data, &c); err != nil {
		return Config{}, fmt.Errorf("training: config: %w", err)
	}
	if err := c.Validate(); err != nil {
		return Config{}, err
	}
	return c, nil
}

// decodeStrict decodes exactly one JSON value into v, rejecting unknown
// fields and trailing data (a second object, a stray brace).
func decodeStrict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return fmt.Errorf("trailing data after the JSON value at byte %d", dec.InputOffset())
	}
	return nil
}

// Save writes the configuration as JSON, atomically.
func (c Config) Save(path string) error {
	return WriteJSON(path, c)
}

// WriteJSON writes v as indented JSON to path via a temporary file and a
// rename, so an existing file is replaced whole or not at all.
func WriteJSON(path string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("training: encoding %s: %w", path, err)
	}
	return WriteFileAtomic(path, append(data, '\n'))
}

// WriteFileAtomic writes data to a temporary file in path's directory,
// flushes it to disk and renames it onto path, so path holds the old or the
// new contents whole, never a part. The file gets the mode os.WriteFile
// would give it with 0666 (0644 under the usual umask 022), not the 0600
// of os.CreateTemp.
func WriteFileAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("training: %w", err)
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("training: %w", err)
	}
	fail := func(err error) error {
		tmp.Close()
		os.Remove(tmp.Name())
		return fmt.Errorf("training: writing %s: %w", path, err)
	}
	if err := tmp.Chmod(FileMode()); err != nil {
		return fail(err)
	}
	if _, err := tmp.Write(data); err != nil {
		return fail(err)
	}
	if err := tmp.Sync(); err != nil {
		return fail(err)
	}
	if err := tmp.Close(); err != nil {
		return fail(err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("training: %w", err)
	}
	syncDir(dir)
	return nil
}
