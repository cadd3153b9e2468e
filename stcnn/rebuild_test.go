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

// TestGapMeterSkipsDeadFilters: the meter evaluates only the rebuilt filters
// that can leave the dead zone on the images and adds the others' penalty;
// the objective equals the full rebuilt primal's.
func TestGapMeterSkipsDeadFilters(t *testing.T) {
	cfg := stcnn.DefaultConfig(stcnn.Dual, 1)
	cfg.P, cfg.DType, cfg.Beta, cfg.Lambda = 12, "float64", 1e-3, 0.6
	net, store := initNetwork(t, cfg, 5)
	opt := optimizer.Adam().LearningRate(2e-3).Done().(stcnn.GradientOptimizer)
	tr := newTrainer(t, store, net, opt)
	clean := tinyImages(3, 7, 7, 1, 31)
	noisy, _ := datasets.AddGaussianNoise(clean, 0.3, 32)
	steps(t, tr, 10, noisy, clean)

	primal, pstore, err := stcnn.RebuildPrimal(store, net.(*stcnn.DualModel))
	if err != nil {
		t.Fatal(err)
	}
	full := evaluate(t, primal, pstore, noisy, clean)
	meter, err := stcnn.NewGapMeter(backend(t), tr)
	if err != nil {
		t.Fatal(err)
	}
	gap, err := meter.Measure(evaluation(t, tr, noisy, clean), noisy, clean)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("K = %d, evaluated %d; objective %.12g (full primal %.12g)", gap.K, gap.Evaluated, gap.Primal, full.Objective)
	if gap.K != primal.Config().K || gap.Evaluated == 0 || gap.Evaluated >= gap.K {
		t.Fatalf("K = %d, evaluated %d: want some filters skipped and some evaluated", gap.K, gap.Evaluated)
	}
	if math.Abs(gap.Primal-full.Objective) > 1e-12*full.Objective || math.Abs(gap.PrimalMetrics.PSNR-full.PSNR) > 1e-9 ||
		math.Abs(gap.PrimalMetrics.Regularizer-full.Regularizer) > 1e-12*full.Regularizer {
		t.Errorf("meter %+v, full primal %+v", gap.PrimalMetrics, full)
	}
}

// TestMaxPatchNorm against patches built one by one.
func TestMaxPatchNorm(t *testing.T) {
	im := tinyImages(2, 5, 4, 2, 7)
	for _, m := range []int{1, 3, 5} {
		want := 0.0
		r := m / 2
		for n := 0; n < im.N; n++ {
			for h := 0; h < im.H; h++ {
				for w := 0; w < im.W; w++ {
					var patch []float64
					for dh := -r; dh <= r; dh++ {
						for dw := -r; dw <= r; dw++ {
							for c := 0; c < im.C; c++ {
								x := 0.0
								if hh, ww := h+dh, w+dw; hh >= 0 && hh < im.H && ww >= 0 && ww < im.W {
									x = float64(im.Pixels[((n*im.H+hh)*im.W+ww)*im.C+c])
								}
								patch = append(patch, x)
							}
						}
					}
					s := 0.0
					for _, x := range patch {
						s += x * x
					}
					want = max(want, math.Sqrt(s))
				}
			}
		}
		if got := stcnn.MaxPatchNorm(im, m); math.Abs(got-want) > 1e-12*want {
			t.Errorf("m = %d: %v, want %v", m, got, want)
		}
	}
}
