// Package convex holds the experiments on the convex side of
// the ST-CNN: the certified solver (stcnn/certify) at the three MNIST noise
// levels, a sweep of the hinge weight rho (how far the hinge-penalised dual
// is from the dual with its sign constraints as constraints), and three
// primal networks built from one dual solution: eq. 47's rebuild, the
// refitted primal of stcnn.RefitPrimal, and that primal fine-tuned with
// Adam (a convex warm start) against Kaiming-uniform and small-normal
// starts.
//
// Every experiment is a function returning typed results; WriteMarkdown
// writes them as one Markdown section (CertifiedTable, RhoTable and
// RebuildTables each table alone). Settings are chosen per scale
// (SettingsFor) and recorded with the results. Measured returns the tables
// measured at the quick and paper sizes (RESULTS.md beside this file),
// which reproduce's report and notebook 04 show.
//
// What the numbers can and cannot say about the paper (package stcnn, "The
// dual is a relaxation, not an equivalent"): with every gate available and
// one output channel, each primal neuron is a dual unit with the same output
// and no larger penalty, so the full dual's optimum lower-bounds the
// primal's. The converse, the paper's zero-gap claim (Theorem 2), fails
// for lambda > 0: a dual unit whose filter is not parallel to its gate is
// no soft-thresholding neuron, so a primal rebuilt from a dual solution can
// stay above the dual optimum whatever the solver, as eq. 47's rebuild
// measurably does. With P sampled gates the dual is not even a lower bound.
package convex

import (
	"fmt"
	"io"

	"github.com/convexst/stcnn/datasets"
)

// Settings are the sizes and choices of the experiments.
type Settings struct {
	Scale string `json:"scale"`
	// Train and Test are the seeded MNIST subset sizes.
	Train int `json:"train"`
	Test  int `json:"test"`
	// Sigmas are the noise levels of the certified runs; Sigma the level
	// of the rho sweep and the rebuild comparison.
	Sigmas []float64 `json:"sigmas"`
	Sigma  float64   `json:"sigma"`
	// P gates of every dual; K is the primal width of the random starts
	// (the refitted primal has one neuron per nonzero dual row).
	P int `json:"P"`
	// Tol is the certified relative gap asked of every solve; MaxSeconds
	// caps one solve (0: none).
	Tol        float64 `json:"tol"`
	MaxSeconds float64 `json:"max_seconds"`
	// Rhos are the hinge weights of the sweep.
	Rhos []float64 `json:"rhos"`
	// Epochs, BatchSize and LearningRate of the Adam fine-tuning (Figs.
	// 9-11's primal: Adam, PyTorch's default rate 1e-3).
	Epochs       int     `json:"epochs"`
	BatchSize    int     `json:"batch_size"`
	LearningRate float64 `json:"learning_rate"`
	Seed         uint64  `json:"seed"`
	// Progress, when set, receives the certified solver's progress lines.
	Progress io.Writer `json:"-"`
}

// SettingsFor returns the settings of a scale: "tiny" (tests), "quick"
// (minutes on 2 cores) or "paper" (600 training images, P = 512).
func SettingsFor(scale string) (Settings, error) {
	s := Settings{Scale: scale, Sigmas: []float64{0.25, 0.5, 0.75}, Sigma: 0.25, Tol: 1e-4, LearningRate: 1e-3, Seed: 1,
		Rhos: []float64{1e-3, 1e-2, 1e-1, 1, 10, 100}}
	switch scale {
	case "tiny":
		s.Train, s.Test, s.P, s.Epochs, s.BatchSize, s.Tol = 12, 12, 8, 2, 6, 1e-3
		s.Rhos = []float64{1e-2, 1}
	case "quick":
		s.Train, s.Test, s.P, s.Epochs, s.BatchSize = 100, 100, 64, 10, 10
	case "paper":
		s.Train, s.Test, s.P, s.Epochs, s.BatchSize = 600, 1000, 512, 30, 50
	default:
		return s, fmt.Errorf("convex: unknown scale %q (want tiny, quick or paper)", scale)
	}
	return s, nil
}

// Data are the noisy/clean training and test images at one noise level.
type Data struct {
	Sigma                                        float64
	TrainNoisy, TrainClean, TestNoisy, TestClean *datasets.Images
}

// LoadData draws the seeded MNIST subsets and adds noise of level sigma
// (the same images at every sigma; training and test noise seeds differ).
func LoadData(s Settings, sigma float64) (*Data, error) {
	dir, err := datasets.MNISTDir("")
	if err != nil {
		return nil, err
	}
	d := &Data{Sigma: sigma}
	for _, part := range []struct {
		split        datasets.Split
		n            int
		seed         uint64
		noisy, clean **datasets.Images
	}{
		{datasets.Train, s.Train, s.Seed, &d.TrainNoisy, &d.TrainClean},
		{datasets.Test, s.Test, s.Seed + 1, &d.TestNoisy, &d.TestClean},
	} {
		all, err := datasets.LoadMNIST(dir, part.split)
		if err != nil {
			return nil, err
		}
		clean, err := all.Subset(part.n, part.seed)
		if err != nil {
			return nil, err
		}
		noisy, err := datasets.AddGaussianNoise(clean, sigma, part.seed+100)
		if err != nil {
			return nil, err
		}
		*part.noisy, *part.clean = noisy, clean
	}
	return d, nil
}
