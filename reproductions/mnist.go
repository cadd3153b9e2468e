package reproductions

// Shared settings and helpers of the MNIST experiments of the paper
// (Section IV-A: Figs. 9-12 and Table I).
//
// Setup stated by the paper: 600 training images drawn at random from the
// 60000 of MNIST and the 10000 test images, 28x28, with i.i.d. Gaussian noise
// N(0, sigma^2), sigma = 0.25 for Figs. 9, 10 and 12 and sigma in {0.25, 0.5,
// 0.75} for Fig. 11 and Table I; optimisers SGD, ASGD and Adam (Fig. 9);
// initialisations Kaiming uniform, N(0, 0.001^2) and N(0, 0.005^2) (Fig. 10);
// Adam with Kaiming-uniform weights for the primal of Fig. 11 and Table I.
// The sizes follow Sahiner et al. (ICLR 2021), whose dual used 8000 sampled
// sign patterns against 512 primal filters. Everything else (filter size,
// lambda, beta, rho, learning rates, batch size, number of epochs) is left
// open and chosen here; see MNISTSettingsFor.

import (
	"fmt"
	"math"
	"slices"
	"strconv"

	"github.com/convexst/stcnn/stcnn"
	"github.com/convexst/stcnn/stcnn/initializers"
	"github.com/convexst/stcnn/stcnn/optimizers"
	"github.com/convexst/stcnn/stcnn/training"
	"gonum.org/v1/plot"
)

// mnistPixels is the number of values of one MNIST image, 28*28.
const mnistPixels = 28 * 28

// mnistOptimizers are the optimisers of Fig. 9, in the paper's order.
var mnistOptimizers = []string{optimizers.NameSGD, optimizers.NameASGD, optimizers.NameAdam}

// MNISTSettings are the sizes and choices of the MNIST experiments at one
// scale; every MNIST figure records them in its manifest.
type MNISTSettings struct {
	Scale Scale `json:"scale"`
	// TrainSize and TestSize are the seeded subset sizes (paper: 600 / 10000).
	TrainSize int `json:"train_size"`
	TestSize  int `json:"test_size"`
	// Sigmas are the noise levels of Fig. 11 and Table I; Sigma is the level
	// of Figs. 9, 10 and 12 (paper: 0.25).
	Sigmas []float64 `json:"sigmas"`
	Sigma  float64   `json:"sigma"`
	// K primal filters and P dual gates (paper / Sahiner et al.: 512 and 8000).
	K int `json:"K"`
	P int `json:"P"`
	// Model holds the network settings shared by all runs (m = 3, lambda,
	// beta, and for the dual rho and the gates' standard deviation, dtype):
	// the project's stcnn.DefaultConfig. Each run sets the kind and K or P.
	Model stcnn.Config `json:"model"`
	// Epochs and BatchSize of every run; evaluations happen once per epoch.
	Epochs    int `json:"epochs"`
	BatchSize int `json:"batch_size"`
	// TestAndGapEvery is every run's training.Config.TestAndGapEvery: the
	// test metrics and the eq. 47 gaps are measured every that many epochs
	// and at the end (0: every epoch; paper: only at the end).
	TestAndGapEvery int `json:"test_and_gap_every,omitempty"`
	// Seed of every run (subsets, noise, gates, weights, shuffling).
	Seed uint64 `json:"seed"`
	// PrimalInit and DualInit are the initialisations where the figure does
	// not vary them (Figs. 9, 11, 12, Table I).
	PrimalInit initializers.Spec `json:"primal_init"`
	DualInit   initializers.Spec `json:"dual_init"`
	// Rates are the learning rates per optimiser and network (the other
	// hyperparameters are PyTorch's defaults).
	Rates map[string]LearningRates `json:"learning_rates"`
	// Examples is the number of test images Fig. 12 shows.
	Examples int `json:"examples"`
	// MaxChunkElements bounds the memory of one graph execution.
	MaxChunkElements int `json:"max_chunk_elements"`
	// Notes justify the choices the paper leaves open.
	Notes []string `json:"notes"`
}

// mnistPaperTestNote says why the paper scale measures the test metrics and
// the gaps only at the end.
const mnistPaperTestNote = "paper scale: training metrics every epoch, test metrics and eq. 47 gaps (training and test) only at the final evaluation (training.Config.TestAndGapEvery = epochs), so the test curves of Figs. 9-11 have one point; " +
	"estimated on the 2-core development machine, one evaluation of a P = 8000 dual on the 10000 test images takes about 700 s and the test gap (a rebuilt primal with K = 2P) more, " +
	"so measuring them every epoch would stretch one paper-scale dual run from about an hour to about a day"

// MNISTSettingsFor returns the MNIST settings of a scale.
//
// Learning rates. The objective sums the squared error over the 784 pixels
// of an image (package stcnn), and the dual's output is a sum over its P
// gates, so the largest curvature of the dual objective grows about linearly
// with P (a bound: 2 * pixels * sum_j Q_ij^2 ||y_i||^2, about 1e5 at P = 64)
// and so does the output change of an Adam step, which moves each of the
// 2P filter vectors by about the rate at once. The dual rates are therefore
// scaled as 1/P from measured ones: SGD and ASGD 1e-5 * 64/P (at P = 64,
// 3e-5 diverged and 1e-5 trained; at P = 8 the rule's 8e-5 trained), Adam
// 1e-4 * 512/P capped at 1e-3 (1e-4 at P = 512 is stable in both this code
// and the PyTorch reference, 1e-3 diverges there; at P = 64 1e-3 trained and
// 3e-3 oscillated; at P = 8 the uncapped 6.4e-3 oscillated). The primal
// keeps PyTorch's Adam default 1e-3; SGD and ASGD use 1e-3 * min(1, 64/K)
// (at K = 64, 1e-3 trained and 1e-2 diverged; at K = 8, 1e-3 trained and
// 8e-3 diverged; above K = 64 the second layer's curvature grows with K like
// the dual's with P). ASGD uses the SGD rate, PyTorch's lambd 1e-4 and
// alpha 0.75, and starts averaging after the first epoch (t0 = steps per
// epoch, see config); it is evaluated at its averaged weights (package
// training).
func MNISTSettingsFor(s Scale) (MNISTSettings, error) {
	c := MNISTSettings{Scale: s, Sigmas: []float64{0.25, 0.5, 0.75}, Sigma: 0.25, Seed: 1,
		Model:            stcnn.DefaultConfig(stcnn.Dual, 1),
		PrimalInit:       initializers.KaimingUniform(),
		DualInit:         initializers.Zeros(),
		MaxChunkElements: stcnn.DefaultMaxChunkElements,
		Notes: []string{
			"filters 3x3, lambda 0.1, beta 1e-5, rho 1e-2, gates N(0, 1): the project's stcnn.DefaultConfig (the paper gives none of them)",
			"primal initialised Kaiming uniform (PyTorch's Conv2d default, the paper's choice for Fig. 11), dual with zeros (a feasible point; the dual is convex) except in Fig. 10, where both networks get each initialisation",
			"learning rates: primal Adam 1e-3 (PyTorch default); primal SGD/ASGD 1e-3*min(1, 64/K); dual SGD/ASGD 1e-5*64/P; dual Adam min(1e-3, 1e-4*512/P): the dual objective's curvature and an Adam step's effect on the output grow with the number of gates (measured: dual Adam 1e-3 diverges at P=512, 1e-4 is stable; dual SGD 3e-5 diverges at P=64)",
			"ASGD: SGD's rate, lambd 1e-4, alpha 0.75, t0 = one epoch of steps (PyTorch's t0 = 1e6 would never average here), evaluated at the averaged weights",
			"the paper does not state the number of epochs or the batch size for MNIST",
			"the paper says it increased the training set to 6000 when verifying strong duality (its supplementary material, not public); Fig. 11 here uses the same training size as the other figures",
			"PSNR is per image with peak 1 on images in [0, 1], averaged over images; RLNE = ||xhat - x|| / ||x|| per image, averaged",
		}}
	switch s {
	case Paper:
		// The paper's sizes; 30 epochs is our choice (its CIFAR-10 Fig. 15
		// shows epoch 28; MNIST epochs are not stated); batch 50.
		c.TrainSize, c.TestSize, c.K, c.P, c.Epochs, c.BatchSize, c.Examples = 600, 10000, 512, 8000, 30, 50, 6
		// The figures need the training objective every epoch (Figs.
		// 9-11) but the test metrics and the gaps only at the end (Table
		// I, Fig. 12, Fig. 11's final gap).
		c.TestAndGapEvery = c.Epochs
		c.Notes = append(c.Notes, mnistPaperTestNote)
	case Quick:
		// Sizes that keep Figs. 9-12 and Table I within a few minutes on
		// 2 cores with the pure-Go backend (times in reproductions/README.md).
		c.TrainSize, c.TestSize, c.K, c.P, c.Epochs, c.BatchSize, c.Examples = 100, 100, 64, 64, 6, 10, 6
		c.Notes = append(c.Notes, "quick scale: 100 training / 100 test images, K = P = 64, 6 epochs of batch 10 (60 steps): far from convergence; shapes of curves only")
	case Tiny:
		c.TrainSize, c.TestSize, c.K, c.P, c.Epochs, c.BatchSize, c.Examples = 16, 16, 8, 8, 2, 8, 2
	default:
		return c, fmt.Errorf("reproductions: unknown scale %q", s)
	}
	c.Model.Model, c.Model.P = "", 0
	sgd := LearningRates{Primal: 1e-3 * min(1, 64/float64(c.K)), Dual: 1e-5 * 64 / float64(c.P)}
	c.Rates = map[string]LearningRates{
		optimizers.NameSGD:  sgd,
		optimizers.NameASGD: sgd,
		optimizers.NameAdam: {Primal: 1e-3, Dual: min(1e-3, 1e-4*512/float64(c.P))},
	}
	return c, nil
}

// config builds the training configuration of one run: the settings' model
// with K or P, the optimiser's PyTorch defaults with the chosen rate, sizes,
// epochs and seed.
func (s MNISTSettings) config(name string, r figureRun) (training.Config, error) {
	hp, err := rateHyperparams(s.Rates, r.Optimizer, r.Kind, "MNIST")
	if err != nil {
		return training.Config{}, err
	}
	if r.Optimizer == optimizers.NameASGD {
		// PyTorch's t0 = 1e6 never starts averaging in runs this short,
		// which would make ASGD plain SGD (its rate decay is negligible
		// here); averaging starts after the first epoch instead.
		hp.T0 = float64((s.TrainSize + s.BatchSize - 1) / s.BatchSize)
	}
	m := s.Model
	m.Model = r.Kind
	init := r.Init
	switch r.Kind {
	case stcnn.Dual:
		m.K, m.P = 0, s.P
		if init.Kind == "" {
			init = s.DualInit
		}
	case stcnn.Primal:
		m.K, m.P, m.Rho, m.GateStd, m.Activation = s.K, 0, 0, 0, r.activation()
		if init.Kind == "" {
			init = s.PrimalInit
		}
	default:
		return training.Config{}, fmt.Errorf("reproductions: unknown model kind %q", r.Kind)
	}
	cfg := training.Config{Name: name, Model: m, Optimizer: r.Optimizer, Hyperparams: hp, Init: init,
		Dataset: training.MNIST, TrainSize: s.TrainSize, TestSize: s.TestSize, Sigma: r.Sigma, Seed: s.Seed,
		Epochs: r.epochs(s.Epochs), BatchSize: s.BatchSize, MeasureGap: r.MeasureGap, TestAndGapEvery: s.TestAndGapEvery,
		MaxChunkElements: s.MaxChunkElements}
	return cfg, nil // training.Run validates it
}

// mnistCurvesCSV writes the curves as one table: epoch, then the training
// and test objective of every curve (all runs have the same epochs), then
// any measured gaps; NaN where an epoch's evaluation did not measure them.
func mnistCurvesCSV(dir, name string, curves []runCurve) error {
	header := []string{"epoch"}
	for _, c := range curves {
		header = append(header, c.Name+"_train_objective", c.Name+"_test_objective")
		if c.TrainGap != nil {
			header = append(header, c.Name+"_rebuilt_primal_train_objective", c.Name+"_train_gap")
		}
		if c.TestGap != nil {
			header = append(header, c.Name+"_rebuilt_primal_test_objective", c.Name+"_test_gap")
		}
	}
	var rows [][]float64
	at := func(s []float64, j int) float64 {
		if j < 0 {
			return math.NaN()
		}
		return s[j]
	}
	for i, epoch := range curves[0].Epoch {
		row := []float64{epoch}
		for _, c := range curves {
			j := slices.Index(c.TestEpoch, epoch) // -1: not measured at this epoch
			row = append(row, c.TrainObjective[i], at(c.TestObjective, j))
			if c.TrainGap != nil {
				row = append(row, at(c.RebuiltTrain, j), at(c.TrainGap, j))
			}
			if c.TestGap != nil {
				row = append(row, at(c.RebuiltTest, j), at(c.TestGap, j))
			}
		}
		rows = append(rows, row)
	}
	return WriteCSV(dir, name, header, rows)
}

// mnistObjectivePlots draws the training and the test objectives of the
// curves (dual runs dashed) and saves them as <name>_train and <name>_test.
func mnistObjectivePlots(dir, name, title string, curves []runCurve, dashed func(runCurve) bool) ([]string, error) {
	var files []string
	for _, set := range []string{"train", "test"} {
		var series []Series
		for _, c := range curves {
			x, y := c.Epoch, c.TrainObjective
			if set == "test" {
				x, y = c.TestEpoch, c.TestObjective
			}
			series = append(series, Series{Label: c.Name, X: x, Y: y, Dashed: dashed(c)})
		}
		label := map[string]string{"train": "training", "test": "test"}[set]
		p, err := LinePlot(fmt.Sprintf("%s: %s objective", title, label), "epoch", "objective (per image)", true, series...)
		if err != nil {
			return nil, err
		}
		mnistLogAxis(p, series)
		f, err := SavePlot(p, dir, name+"_"+set, 6, 5)
		if err != nil {
			return nil, err
		}
		files = append(files, f...)
	}
	return files, nil
}

// mnistLogAxis labels a log y axis at 1, 2 and 5 times powers of ten (so a
// range within one decade still has labels), its limits fitting the data
// (the legend is drawn outside the data, see style.go).
func mnistLogAxis(p *plot.Plot, series []Series) {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, s := range series {
		for _, y := range s.Y {
			if y > 0 && !math.IsInf(y, 0) {
				lo, hi = min(lo, y), max(hi, y)
			}
		}
	}
	if !(lo < hi) {
		return
	}
	p.Y.Min, p.Y.Max = lo/1.05, hi*1.05
	p.Y.Tick.Marker = mnistLogTicks{}
}

// mnistLogTicks marks a log axis at every integer multiple of a power of
// ten, labelling 1, 2 and 5 times the power.
type mnistLogTicks struct{}

// Ticks implements plot.Ticker.
func (mnistLogTicks) Ticks(lo, hi float64) []plot.Tick {
	var ticks []plot.Tick
	if !(lo > 0) || !(hi > lo) {
		return ticks
	}
	for e := math.Floor(math.Log10(lo)); math.Pow(10, e) <= hi; e++ {
		for m := 1; m <= 9; m++ {
			v := float64(m) * math.Pow(10, e)
			if v < lo || v > hi {
				continue
			}
			t := plot.Tick{Value: v}
			switch {
			case m != 1 && m != 2 && m != 5:
			case v >= 1:
				t.Label = strconv.FormatFloat(v, 'f', 0, 64)
			default:
				t.Label = strconv.FormatFloat(v, 'g', 3, 64)
			}
			ticks = append(ticks, t)
		}
	}
	return ticks
}

// mnistPSNR is the per-image PSNR (peak 1) of a squared error over values pixels.
func mnistPSNR(sqErr float64, values int) float64 {
	return 10 * math.Log10(float64(values)/sqErr)
}
