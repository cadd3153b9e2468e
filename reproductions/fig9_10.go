package reproductions

import (
	"fmt"

	"github.com/convexst/stcnn/stcnn"
	"github.com/convexst/stcnn/stcnn/initializers"
	"github.com/convexst/stcnn/stcnn/optimizers"
	"github.com/convexst/stcnn/stcnn/training"
)

// runFig9 trains primal and dual with SGD, ASGD and Adam (Fig. 9).
func runFig9(env Env) (*Result, error) {
	s, err := MNISTSettingsFor(env.Scale)
	if err != nil {
		return nil, err
	}
	return mnistCompareFigure(env, s, "9", "Fig. 9, MNIST sigma 0.25", "optimiser", mnistOptimizers,
		func(opt string, kind stcnn.ModelKind) figureRun {
			return figureRun{Kind: kind, Optimizer: opt, Sigma: s.Sigma}
		}, nil)
}

// mnistInits are the initialisations of Fig. 10, by label.
var mnistInits = []struct {
	Label string
	Spec  initializers.Spec
}{
	{"kaiming", initializers.KaimingUniform()},
	{"normal0.001", initializers.Normal(0.001)},
	{"normal0.005", initializers.Normal(0.005)},
}

// runFig10 trains primal and dual from three initialisations with Adam
// (Fig. 10; the paper does not name the optimiser, Adam is the one it uses
// for its strong-duality experiment).
func runFig10(env Env) (*Result, error) {
	s, err := MNISTSettingsFor(env.Scale)
	if err != nil {
		return nil, err
	}
	labels := make([]string, len(mnistInits))
	specs := map[string]initializers.Spec{}
	for i, in := range mnistInits {
		labels[i], specs[in.Label] = in.Label, in.Spec
	}
	run := func(label string, kind stcnn.ModelKind) figureRun {
		return figureRun{Kind: kind, Optimizer: optimizers.NameAdam, Init: specs[label], Sigma: s.Sigma}
	}
	return mnistCompareFigure(env, s, "10", "Fig. 10, MNIST sigma 0.25, Adam", "initialisation", labels, run,
		func(res *Result, c *mnistComparison, configs []training.Config) {
			// The dual is convex, so what the initialisation changes is the
			// distance to travel: say how far the Kaiming-uniform start is.
			if k := c.StartTrain[stcnn.Dual][0]; k > 2*c.StartTrain[stcnn.Dual][1] {
				rate := s.Rates[optimizers.NameAdam].Dual
				res.Summary += fmt.Sprintf(" The dual objective is convex, so its initialisation only sets where training starts: "+
					"Kaiming-uniform weights U(-1/3, 1/3) on all 2P filter vectors start it at %.4g, and Adam, which moves each "+
					"weight by about its rate %.2g per step, needs of the order of (1/3)/%.2g = %.0f steps to undo them; these runs took %d.",
					k, rate, rate, 1/(3*rate), s.Epochs*((s.TrainSize+s.BatchSize-1)/s.BatchSize))
			}
			res.Settings = mnistSettingsRecord{MNIST: s, Runs: configs,
				Note: "optimiser Adam (not named by the paper for Fig. 10); both networks get each initialisation"}
		})
}
