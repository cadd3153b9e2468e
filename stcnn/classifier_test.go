package stcnn_test

import (
	"math"
	"strings"
	"testing"

	"github.com/convexst/stcnn/internal/testutil"

	"github.com/convexst/stcnn/datasets"
	"github.com/convexst/stcnn/stcnn"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train/optimizer"
)

func newHead(tb testing.TB, store *model.Store, h, w, c int, lr float64) (*stcnn.ClassifierHead, *stcnn.ClassifierTrainer) {
	tb.Helper()
	head, err := stcnn.NewClassifierHead(stcnn.DefaultClassifierConfig(), h, w, c)
	if err != nil {
		tb.Fatal(err)
	}
	if err := head.Init(store); err != nil {
		tb.Fatal(err)
	}
	opt := optimizer.Adam().LearningRate(lr).Done().(stcnn.GradientOptimizer)
	tr, err := stcnn.NewClassifierTrainer(backend(tb), store, head, opt)
	if err != nil {
		tb.Fatal(err)
	}
	return head, tr
}

// TestClassifierHeadLearnsMNIST: the head trained on clean MNIST images
// classifies held-out test images far above the 10% of chance.
func TestClassifierHeadLearnsMNIST(t *testing.T) {
	train, test := testutil.MNIST(t, datasets.Train), testutil.MNIST(t, datasets.Test)
	tr0, _ := train.Subset(300, 1)
	te0, _ := test.Subset(200, 2)
	_, tr := newHead(t, model.NewStore(), 28, 28, 1, 1e-2)
	before, err := tr.Evaluate(te0)
	if err != nil {
		t.Fatal(err)
	}
	loss, err := tr.Fit(tr0, 15, 50, 3)
	if err != nil {
		t.Fatal(err)
	}
	after, err := tr.Evaluate(te0)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("test loss %.3f -> %.3f, accuracy %.3f -> %.3f (last training loss %.3f)", before.Loss, after.Loss,
		before.Accuracy, after.Accuracy, loss)
	if math.Abs(before.Loss-math.Log(10)) > 1e-5 {
		t.Errorf("zero head: loss %v, want log 10", before.Loss)
	}
	if after.Accuracy < 0.6 || after.Images != 200 || !(after.Loss < before.Loss) {
		t.Errorf("trained head: %+v, want accuracy >= 0.6", after)
	}
}

// TestClassifierTrainsOnlyTheHead: a head sharing its store with a denoiser
// changes none of the denoiser's variables, and Denoise gives the outputs
// whose squared error Trainer.Evaluate reports, chunked or not.
func TestClassifierTrainsOnlyTheHead(t *testing.T) {
	noisy, clean := mnistPair(t, 8)
	for _, kind := range []stcnn.ModelKind{stcnn.Primal, stcnn.Dual} {
		cfg := stcnn.DefaultConfig(kind, 1)
		cfg.K, cfg.P = 6, 6
		net, store := initNetwork(t, cfg, 1)
		if kind == stcnn.Dual { // nonzero dual weights, so the outputs are not all zero
			if err := net.(*stcnn.DualModel).Init(store, uniformInit{}, 1); err != nil {
				t.Fatal(err)
			}
		}
		var before []float64
		for v := range net.Scope(store).IterVariables() {
			before = append(before, f64(t, v.MustValue())...)
		}
		_, htr := newHead(t, store, 28, 28, 1, 1e-2)
		den, err := stcnn.NewDenoiser(backend(t), store, net, 0)
		if err != nil {
			t.Fatal(err)
		}
		out, err := den.Denoise(noisy)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := htr.Fit(out, 2, 4, 1); err != nil {
			t.Fatal(err)
		}
		var after []float64
		for v := range net.Scope(store).IterVariables() {
			after = append(after, f64(t, v.MustValue())...)
		}
		for i := range before {
			if before[i] != after[i] {
				t.Fatalf("%s: training the head changed denoiser weight %d: %v -> %v", kind, i, before[i], after[i])
			}
		}
		// Denoise agrees with Trainer.Evaluate, also in chunks of 3 images.
		tr, err := stcnn.NewTrainer(backend(t), store, net, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		m, err := tr.Evaluate(noisy, clean)
		if err != nil {
			t.Fatal(err)
		}
		width := cfg.K
		if kind == stcnn.Dual {
			width = cfg.P
		}
		chunked, err := stcnn.NewDenoiser(backend(t), store, net, 3*28*28*width)
		if err != nil {
			t.Fatal(err)
		}
		out2, err := chunked.Denoise(noisy)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range []*datasets.Images{out, out2} {
			var se float64
			for i, x := range clean.Pixels {
				d := float64(o.Pixels[i]) - float64(x)
				se += d * d
			}
			se /= float64(clean.N)
			if math.Abs(se-m.SquaredError) > 1e-4*m.SquaredError || o.Labels[3] != noisy.Labels[3] {
				t.Errorf("%s: squared error of Denoise %v, Evaluate %v", kind, se, m.SquaredError)
			}
		}
	}
}

func TestClassifierErrors(t *testing.T) {
	if _, err := stcnn.NewClassifierHead(stcnn.ClassifierConfig{Classes: 10, Pool: 3}, 28, 28, 1); err == nil ||
		!strings.Contains(err.Error(), `"pool"`) {
		t.Errorf("pool not dividing 28: %v", err)
	}
	if _, err := stcnn.NewClassifierHead(stcnn.ClassifierConfig{Classes: 1, Pool: 4}, 28, 28, 1); err == nil ||
		!strings.Contains(err.Error(), `"classes"`) {
		t.Errorf("one class: %v", err)
	}
	_, tr := newHead(t, model.NewStore(), 8, 8, 1, 1e-2)
	good := tinyImages(4, 8, 8, 1, 1)
	good.Labels = []uint8{0, 1, 2, 3}
	wrongLen := *good
	wrongLen.Labels = good.Labels[:3]
	unlabelled := *good
	unlabelled.Labels = nil
	badLabel := *good
	badLabel.Labels = []uint8{0, 1, 2, 10}
	rgb := tinyImages(4, 8, 8, 3, 1)
	rgb.Labels = good.Labels
	for _, tc := range []struct {
		name string
		im   *datasets.Images
		want string
	}{
		{"mismatched labels", &wrongLen, "3 labels for 4 images"},
		{"no labels", &unlabelled, "0 labels for 4 images"},
		{"label out of range", &badLabel, "label 10 of image 3"},
		{"channels", rgb, "8x8x3"},
		{"nil", nil, "nil images"},
	} {
		if _, err := tr.Step(tc.im); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: Step error %v, want %q", tc.name, err, tc.want)
		}
		if _, err := tr.Evaluate(tc.im); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: Evaluate error %v, want %q", tc.name, err, tc.want)
		}
	}
	if _, err := tr.Step(good); err != nil {
		t.Errorf("valid batch: %v", err)
	}
	head, _ := stcnn.NewClassifierHead(stcnn.DefaultClassifierConfig(), 8, 8, 1)
	if _, err := stcnn.NewClassifierTrainer(backend(t), model.NewStore(), head, nil); err == nil {
		t.Error("NewClassifierTrainer accepted a store without the head's variables")
	}
}
