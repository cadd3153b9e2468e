package reproductions

// What the MNIST and CIFAR-10 figures share about their training runs: the
// runs, the learning rates per optimiser and network, and their histories
// as series.

import (
	"fmt"

	"github.com/convexst/stcnn/stcnn"
	"github.com/convexst/stcnn/stcnn/initializers"
	"github.com/convexst/stcnn/stcnn/optimizers"
	"github.com/convexst/stcnn/stcnn/training"
)

// figureRun describes one training run of an MNIST or CIFAR-10 figure.
type figureRun struct {
	Kind      stcnn.ModelKind
	Optimizer string
	// Init is the initialisation of every weight; for MNIST, the zero Spec
	// means the settings' default of the network kind.
	Init  initializers.Spec
	Sigma float64
	// Activation of the primal ("" = soft-thresholding).
	Activation stcnn.Activation
	// Epochs overrides the scale's epochs when > 0.
	Epochs     int
	MeasureGap bool
}

// activation is the primal's activation: r.Activation, soft-thresholding
// when that is empty.
func (r figureRun) activation() stcnn.Activation {
	if r.Activation == "" {
		return stcnn.ActivationST
	}
	return r.Activation
}

// epochs is r.Epochs when set, else the scale's number of epochs.
func (r figureRun) epochs(scale int) int {
	if r.Epochs > 0 {
		return r.Epochs
	}
	return scale
}

// LearningRates are the learning rates of one optimiser for the two networks.
type LearningRates struct {
	Primal float64 `json:"primal"`
	Dual   float64 `json:"dual"`
}

// rateHyperparams returns PyTorch's hyperparameters of optimiser opt with
// the learning rate that rates[opt] gives the network kind (Dual, else
// Primal); dataset names the data set in the error of a missing rate.
func rateHyperparams(rates map[string]LearningRates, opt string, kind stcnn.ModelKind, dataset string) (optimizers.Hyperparams, error) {
	hp, err := optimizers.DefaultHyperparams(opt)
	if err != nil {
		return hp, err
	}
	r, ok := rates[opt]
	if !ok {
		return hp, fmt.Errorf("reproductions: no %s learning rate for optimiser %q", dataset, opt)
	}
	hp.LearningRate = r.Primal
	if kind == stcnn.Dual {
		hp.LearningRate = r.Dual
	}
	return hp, nil
}

// runCurve is the history of one training run as plain series, one entry
// per evaluation.
type runCurve struct {
	Name                      string
	Epoch                     []float64
	TrainObjective, TrainPSNR []float64
	// TestEpoch are the epochs whose evaluation measured the test metrics
	// (every epoch unless training.Config.TestAndGapEvery says otherwise,
	// none without test images); the test series are measured at them.
	TestEpoch, TestObjective, TestPSNR []float64
	// For a dual run with MeasureGap (eq. 47, measured with the test
	// metrics): the rebuilt-primal objective minus the dual objective
	// (without the hinge), the rebuilt primal's objective, and the dual
	// objective without the hinge, on the training and the test images.
	TrainGap, TestGap                 []float64
	RebuiltTrain, RebuiltTest         []float64
	DualNoHingeTrain, DualNoHingeTest []float64
}

// runCurveOf returns the series of history h.
func runCurveOf(h training.History) runCurve {
	c := runCurve{Name: h.Name}
	for _, r := range h.Records {
		c.Epoch = append(c.Epoch, float64(r.Epoch))
		c.TrainObjective = append(c.TrainObjective, r.Train.Objective)
		c.TrainPSNR = append(c.TrainPSNR, r.Train.PSNR)
		if r.Test != nil {
			c.TestEpoch = append(c.TestEpoch, float64(r.Epoch))
			c.TestObjective = append(c.TestObjective, r.Test.Objective)
			c.TestPSNR = append(c.TestPSNR, r.Test.PSNR)
		}
		if g := r.TrainGap; g != nil {
			c.TrainGap, c.RebuiltTrain = append(c.TrainGap, g.Gap), append(c.RebuiltTrain, g.Primal)
			c.DualNoHingeTrain = append(c.DualNoHingeTrain, g.Dual)
		}
		if g := r.TestGap; g != nil {
			c.TestGap, c.RebuiltTest = append(c.TestGap, g.Gap), append(c.RebuiltTest, g.Primal)
			c.DualNoHingeTest = append(c.DualNoHingeTest, g.Dual)
		}
	}
	return c
}
