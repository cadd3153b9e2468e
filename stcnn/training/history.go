package training

import (
	"bytes"
	"encoding/csv"
	"strconv"

	"github.com/convexst/stcnn/stcnn"
)

// Record is one evaluation during a run.
type Record struct {
	Epoch int `json:"epoch"`
	// Step is the number of optimiser steps taken so far.
	Step int `json:"step"`
	// Train are the metrics on the training images at this point.
	Train stcnn.Metrics `json:"train"`
	// Test are the metrics on the test images; nil when they were not
	// measured: no test images, or an evaluation between those of
	// Config.TestAndGapEvery. A completed run's last record has them
	// whenever the run has test images.
	Test *stcnn.Metrics `json:"test,omitempty"`
	// TrainGap and TestGap are the rebuilt-primal gaps (dual with
	// MeasureGap), nil where they were not measured (as Test).
	TrainGap *stcnn.Gap `json:"train_gap,omitempty"`
	TestGap  *stcnn.Gap `json:"test_gap,omitempty"`
	// LearningRate is the optimiser's learning rate.
	LearningRate float64 `json:"learning_rate"`
	// WallSeconds is the training time so far (evaluation excluded), summed over resumptions.
	WallSeconds float64 `json:"wall_seconds"`
}

// History is the sequence of evaluations of a run.
type History struct {
	Name string `json:"name"`
	// Task is the network's (stcnn.Network.Task): it says which metrics of
	// the records apply (a classifier has accuracy, no PSNR).
	Task    stcnn.Task `json:"task,omitempty"`
	Records []Record   `json:"records"`
	// Changes are the settings a resumed run changed (those that do not
	// alter the result, e.g. more epochs), each with where it took effect.
	Changes []Change `json:"changes,omitempty"`
	// Stopped says why the run ended before its last epoch; nil while it
	// runs or once it has completed.
	Stopped *Stop `json:"stopped,omitempty"`
}

// Change is a setting changed when a run was resumed.
type Change struct {
	Epoch int    `json:"epoch"`
	Step  int    `json:"step"`
	Field string `json:"field"`
	From  string `json:"from"`
	To    string `json:"to"`
	// Note is a sentence, e.g. "extended from 3 to 5 epochs at step 36".
	Note string `json:"note"`
}

// Stop reasons.
const (
	// StopDiverged: the objective was not finite or exceeded its starting
	// value by Config.DivergeFactor.
	StopDiverged = "diverged"
	// StopInterrupted: Options.Stop was closed (e.g. by a signal); the
	// state was saved after the step in progress.
	StopInterrupted = "interrupted"
	// StopFailed: a step or an evaluation failed (e.g. a non-finite gradient).
	StopFailed = "failed"
)

// Stop is why and where a run stopped early.
type Stop struct {
	Reason  string `json:"reason"`
	Epoch   int    `json:"epoch"`
	Step    int    `json:"step"`
	Message string `json:"message"`
}

// StopError is the error of a run that stopped early; History.Stopped
// holds the same.
type StopError struct{ Stop }

func (e *StopError) Error() string { return e.Message }

// Last returns the last record, or the zero Record for an empty history.
func (h History) Last() Record {
	if len(h.Records) == 0 {
		return Record{}
	}
	return h.Records[len(h.Records)-1]
}

var csvHeader = []string{"epoch", "step", "train_objective", "train_squared_error", "train_regularizer",
	"train_hinge", "train_violated_fraction", "train_psnr", "train_rlne", "test_objective", "test_squared_error",
	"test_psnr", "test_rlne", "train_gap", "train_gap_relative", "test_gap", "test_gap_relative",
	"learning_rate", "wall_seconds"}

// classifierCSVHeader are the columns of a classifier's history: it has
// cross-entropy and accuracy where a denoiser has squared error, PSNR and
// RLNE, and neither hinge nor gap.
var classifierCSVHeader = []string{"epoch", "step", "train_objective", "train_cross_entropy", "train_regularizer",
	"train_accuracy", "test_objective", "test_cross_entropy", "test_accuracy", "learning_rate", "wall_seconds"}

// CSV renders the history, one row per record, with the columns of its
// Task; what a record did not measure (test metrics, gaps) is an empty cell.
func (h History) CSV() []byte {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	f := func(v float64) string { return strconv.FormatFloat(v, 'g', 10, 64) }
	if h.Task == stcnn.Classification {
		_ = w.Write(classifierCSVHeader)
		for _, r := range h.Records {
			test := []string{"", "", ""}
			if t := r.Test; t != nil {
				test = []string{f(t.Objective), f(t.CrossEntropy), f(t.Accuracy)}
			}
			row := []string{strconv.Itoa(r.Epoch), strconv.Itoa(r.Step), f(r.Train.Objective), f(r.Train.CrossEntropy),
				f(r.Train.Regularizer), f(r.Train.Accuracy)}
			_ = w.Write(append(append(row, test...), f(r.LearningRate), f(r.WallSeconds)))
		}
		w.Flush()
		return buf.Bytes()
	}
	_ = w.Write(csvHeader)
	for _, r := range h.Records {
		gap := func(g *stcnn.Gap) (string, string) {
			if g == nil {
				return "", ""
			}
			return f(g.Gap), f(g.Relative)
		}
		tg, tgr := gap(r.TrainGap)
		eg, egr := gap(r.TestGap)
		test := []string{"", "", "", ""}
		if t := r.Test; t != nil {
			test = []string{f(t.Objective), f(t.SquaredError), f(t.PSNR), f(t.RLNE)}
		}
		row := []string{strconv.Itoa(r.Epoch), strconv.Itoa(r.Step), f(r.Train.Objective), f(r.Train.SquaredError),
			f(r.Train.Regularizer), f(r.Train.Hinge), f(r.Train.ViolatedFraction), f(r.Train.PSNR), f(r.Train.RLNE)}
		row = append(append(row, test...), tg, tgr, eg, egr, f(r.LearningRate), f(r.WallSeconds))
		_ = w.Write(row)
	}
	w.Flush()
	return buf.Bytes()
}

// Save writes history.csv and history.json into dir, atomically.
func (h History) Save(dir string) error {
	if err := WriteFileAtomic(dir+"/history.csv", h.CSV()); err != nil {
		return err
	}
	return WriteJSON(dir+"/history.json", h)
}
