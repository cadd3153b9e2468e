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

// TestGapMeter: one meter, built once, measures the gap on two data sets
// from the dual's own metrics, with the numbers MeasureGap gives; it
// refuses a primal trainer and metrics of other images.
func TestGapMeter(t *testing.T) {
	cfg := stcnn.DefaultConfig(stcnn.Dual, 1)
	cfg.P, cfg.DType = 6, "float64"
	net, store := initNetwork(t, cfg, 5)
	opt := optimizer.Adam().LearningRate(1e-2).Done().(stcnn.GradientOptimizer)
	tr := newTrainer(t, store, net, opt)
	trainClean := tinyImages(3, 7, 7, 1, 31)
	trainNoisy, _ := datasets.AddGaussianNoise(trainClean, 0.3, 32)
	testClean := tinyImages(2, 7, 7, 1, 33)
	testNoisy, _ := datasets.AddGaussianNoise(testClean, 0.3, 34)
	steps(t, tr, 50, trainNoisy, trainClean)
	meter, err := stcnn.NewGapMeter(backend(t), tr)
	if err != nil {
		t.Fatal(err)
	}
	for _, set := range []struct{ noisy, clean *datasets.Images }{{trainNoisy, trainClean}, {testNoisy, testClean}} {
		want, err := stcnn.MeasureGap(backend(t), tr, set.noisy, set.clean)
		if err != nil {
			t.Fatal(err)
		}
		got, err := meter.Measure(evaluation(t, tr, set.noisy, set.clean), set.noisy, set.clean)
		if err != nil {
			t.Fatal(err)
		}
		if got.Primal != want.Primal || got.Dual != want.Dual || got.Relative != want.Relative || got.K != want.K {
			t.Errorf("meter %+v, MeasureGap %+v", got, want)
		}
	}
	if _, err := meter.Measure(evaluation(t, tr, testNoisy, testClean), trainNoisy, trainClean); err == nil {
		t.Error("metrics of 2 images accepted for a gap on 3")
	}
	pcfg := stcnn.DefaultConfig(stcnn.Primal, 1)
	pcfg.K = 4
	pnet, pstore := initNetwork(t, pcfg, 5)
	if _, err := stcnn.NewGapMeter(backend(t), newTrainer(t, pstore, pnet, nil)); err == nil {
		t.Error("NewGapMeter accepted a primal")
	}
}
