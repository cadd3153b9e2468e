package training

import (
	"github.com/convexst/stcnn/stcnn"
	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/ml/model"
)

// Evaluation is the measurement of one set of weights: the metrics on the
// training and (when the data have them) the test images, and, when asked
// for, the eq. 47 primal-dual gap on each.
type Evaluation struct {
	Train, Test       stcnn.Metrics
	TrainGap, TestGap *stcnn.Gap
}

// EvaluateWeights evaluates the weights of net held in store on data, as
// Run evaluates a run (e.g. the certified solver's weights, which no run
// trained); gap measures the eq. 47 gap (a dual only). maxChunkElements
// bounds memory as in stcnn.NewTrainer.
func EvaluateWeights(backend compute.Backend, store *model.Store, net stcnn.Network, maxChunkElements int, data *Data, gap bool) (Evaluation, error) {
	tr, err := stcnn.NewTrainer(backend, store, net, nil, maxChunkElements)
	if err != nil {
		return Evaluation{}, err
	}
	return evaluate(backend, tr, data, gap, true)
}

// evaluate measures the training metrics, and when withTest is set the test
// metrics (when the data have test images) and, with gap, the gaps; a run
// leaves withTest off between its Config.TestAndGapEvery evaluations.
func evaluate(backend compute.Backend, tr *stcnn.Trainer, data *Data, gap, withTest bool) (Evaluation, error) {
	var e Evaluation
	var err error
	if e.Train, err = tr.Evaluate(data.TrainNoisy, data.TrainClean); err != nil {
		return e, err
	}
	if !withTest {
		return e, nil
	}
	if data.hasTest() {
		if e.Test, err = tr.Evaluate(data.TestNoisy, data.TestClean); err != nil {
			return e, err
		}
	}
	if !gap {
		return e, nil
	}
	// The dual's metrics measured above serve the gaps: at the paper's
	// sizes evaluating the dual again would double the final evaluation.
	meter, err := stcnn.NewGapMeter(backend, tr)
	if err != nil {
		return e, err
	}
	g, err := meter.Measure(e.Train, data.TrainNoisy, data.TrainClean)
	if err != nil {
		return e, err
	}
	e.TrainGap = &g
	if data.hasTest() {
		g, err := meter.Measure(e.Test, data.TestNoisy, data.TestClean)
		if err != nil {
			return e, err
		}
		e.TestGap = &g
	}
	return e, nil
}
