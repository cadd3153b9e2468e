package stcnn_test

import (
	"math"
	"strings"
	"testing"

	"github.com/convexst/stcnn/datasets"
	"github.com/convexst/stcnn/stcnn"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train/optimizer"
)

// TestChunkedStepEqualsFullBatch: splitting a batch into chunks to bound
// memory gives the same step as one full-batch execution.
func TestChunkedStepEqualsFullBatch(t *testing.T) {
	clean := tinyImages(6, 5, 5, 1, 41)
	noisy, _ := datasets.AddGaussianNoise(clean, 0.4, 42)
	for _, kind := range []stcnn.ModelKind{stcnn.Primal, stcnn.Dual} {
		cfg := stcnn.DefaultConfig(kind, 1)
		cfg.K, cfg.P, cfg.DType = 5, 5, "float64"
		var results []stcnn.StepResult
		var weights [][]float64
		for _, maxChunk := range []int{0, 2 * 25 * 10} { // whole batch; chunks of 2 or fewer images
			net, store := initNetwork(t, cfg, 3)
			opt := optimizer.Adam().LearningRate(1e-2).Done().(stcnn.GradientOptimizer)
			tr, err := stcnn.NewTrainer(backend(t), store, net, opt, maxChunk)
			if err != nil {
				t.Fatal(err)
			}
			var r stcnn.StepResult
			for i := 0; i < 3; i++ {
				if r, err = tr.Step(noisy, clean); err != nil {
					t.Fatal(err)
				}
			}
			results = append(results, r)
			var w []float64
			for v := range net.Scope(store).IterVariables() {
				w = append(w, f64(t, v.MustValue())...)
			}
			weights = append(weights, w)
		}
		if d := math.Abs(results[0].Objective - results[1].Objective); d > 1e-12*results[0].Objective {
			t.Errorf("%s: objective full %v vs chunked %v", kind, results[0].Objective, results[1].Objective)
		}
		for i := range weights[0] {
			if math.Abs(weights[0][i]-weights[1][i]) > 1e-12 {
				t.Fatalf("%s: weight %d full %v vs chunked %v", kind, i, weights[0][i], weights[1][i])
			}
		}
	}
}

func TestConfigValidate(t *testing.T) {
	ok := stcnn.DefaultConfig(stcnn.Dual, 1)
	for _, tc := range []struct {
		name  string
		edit  func(*stcnn.Config)
		field string
	}{
		{"valid dual", func(*stcnn.Config) {}, ""},
		{"unknown model", func(c *stcnn.Config) { c.Model = "triple" }, `"model"`},
		{"P zero", func(c *stcnn.Config) { c.P = 0 }, `"P"`},
		{"K zero", func(c *stcnn.Config) { c.Model, c.K = stcnn.Primal, 0 }, `"K"`},
		{"even m", func(c *stcnn.Config) { c.M = 4 }, `"m"`},
		{"negative lambda", func(c *stcnn.Config) { c.Lambda = -1 }, `"lambda"`},
		{"NaN beta", func(c *stcnn.Config) { c.Beta = math.NaN() }, `"beta"`},
		{"negative rho", func(c *stcnn.Config) { c.Rho = -0.1 }, `"rho"`},
		{"zero gate std", func(c *stcnn.Config) { c.GateStd = 0 }, `"gate_std"`},
		{"no channels", func(c *stcnn.Config) { c.Channels = 0 }, `"channels"`},
		{"bad dtype", func(c *stcnn.Config) { c.DType = "int8" }, `"dtype"`},
		{"bad activation", func(c *stcnn.Config) { c.Model, c.K, c.Activation = stcnn.Primal, 3, "tanh" }, `"activation"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := ok
			tc.edit(&c)
			err := c.Validate()
			if tc.field == "" {
				if err != nil {
					t.Fatalf("unexpected error %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.field) {
				t.Fatalf("error %v does not name field %s", err, tc.field)
			}
			if _, err := stcnn.New(c); err == nil {
				t.Fatalf("New accepted an invalid config")
			}
		})
	}
}

func TestTrainerErrors(t *testing.T) {
	cfg := stcnn.DefaultConfig(stcnn.Dual, 1)
	cfg.P = 4
	net, store := initNetwork(t, cfg, 1)
	opt := optimizer.Adam().Done().(stcnn.GradientOptimizer)
	tr := newTrainer(t, store, net, opt)
	grey, rgb := tinyImages(2, 4, 4, 1, 1), tinyImages(2, 4, 4, 3, 1)
	other := tinyImages(3, 4, 4, 1, 1)
	checkRefused(t, tr, []refusedBatch{
		{"channel mismatch", rgb, rgb, "3 channels"},
		{"shape mismatch", grey, other, "noisy images are 2x4x4x1"},
		{"nil", nil, grey, "nil images"},
	})
	if _, err := stcnn.NewTrainer(backend(t), model.NewStore(), net, opt, 0); err == nil {
		t.Error("NewTrainer accepted a store without variables")
	}
}

// TestMNISTFloat32Training trains both networks for a few steps on real
// MNIST images (float32, the default) and checks the objective decreases
// and the metrics are sane.
func TestMNISTFloat32Training(t *testing.T) {
	for _, kind := range []stcnn.ModelKind{stcnn.Primal, stcnn.Dual} {
		cfg := stcnn.DefaultConfig(kind, 1)
		cfg.K, cfg.P = 32, 32
		tr, noisy, clean := newMNISTTrainer(t, cfg, 20)
		before := evaluation(t, tr, noisy, clean)
		steps(t, tr, 30, noisy, clean)
		after := evaluation(t, tr, noisy, clean)
		t.Logf("%s: objective %.4f -> %.4f, PSNR %.2f -> %.2f dB", kind, before.Objective, after.Objective, before.PSNR, after.PSNR)
		if !(after.Objective < before.Objective) || math.IsNaN(after.PSNR) || after.Images != 20 {
			t.Errorf("%s: objective %v -> %v, metrics %+v", kind, before.Objective, after.Objective, after)
		}
	}
}
