package stcnn_test

import (
	"math"
	"testing"

	"github.com/convexst/stcnn/datasets"
	"github.com/convexst/stcnn/stcnn"
	"github.com/gomlx/gomlx/ml/train/optimizer"
)

// TestRebuiltPrimalGapVanishesWithoutThreshold: with lambda = 0, ST is the
// identity, so the primal rebuilt by eq. 47 reproduces the dual's output and
// penalty and the gap (primal objective minus dual objective without the
// hinge) vanishes to rounding. With lambda > 0 the test only records the gap.
func TestRebuiltPrimalGap(t *testing.T) {
	clean := tinyImages(3, 7, 7, 1, 31)
	noisy, _ := datasets.AddGaussianNoise(clean, 0.3, 32)
	for _, lambda := range []float64{0, 0.1} {
		cfg := stcnn.DefaultConfig(stcnn.Dual, 1)
		cfg.P, cfg.DType, cfg.Beta, cfg.Lambda = 6, "float64", 1e-3, lambda
		net, store := initNetwork(t, cfg, 5)
		opt := optimizer.Adam().LearningRate(1e-2).Done().(stcnn.GradientOptimizer)
		tr := newTrainer(t, store, net, opt)
		steps(t, tr, 200, noisy, clean)
		gap, err := stcnn.MeasureGap(backend(t), tr, noisy, clean)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("lambda=%v: dual %.10g, rebuilt primal %.10g, gap %.3g (relative %.3g), K=%d",
			lambda, gap.Dual, gap.Primal, gap.Gap, gap.Relative, gap.K)
		if gap.K == 0 || gap.Dual <= 0 {
			t.Fatalf("lambda=%v: degenerate rebuild %+v", lambda, gap)
		}
		if lambda == 0 && math.Abs(gap.Relative) > 1e-10 {
			t.Errorf("lambda=0: relative gap %g, want 0 to rounding", gap.Relative)
		}
		if lambda > 0 && math.Abs(gap.Relative) < 1e-6 {
			t.Errorf("lambda=%v: gap %g is zero; ST with a threshold should not rebuild exactly", lambda, gap.Relative)
		}
	}
}
