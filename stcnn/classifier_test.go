package stcnn_test

import (
	"bytes"
	"math"
	"strings"
	"testing"

	"github.com/convexst/stcnn/internal/testutil"

	"github.com/convexst/stcnn/datasets"
	"github.com/convexst/stcnn/stcnn"
	"github.com/convexst/stcnn/stcnn/initializers"
	"github.com/convexst/stcnn/stcnn/optimizers"
	"github.com/convexst/stcnn/stcnn/training"
	"github.com/gomlx/gomlx/ml/model"
)

// newHead creates a zero head for images of h x w x c in store.
func newHead(tb testing.TB, store *model.Store, h, w, c int) *stcnn.ClassifierHead {
	tb.Helper()
	head, err := stcnn.NewClassifierHead(stcnn.DefaultClassifierConfig(), h, w, c)
	if err != nil {
		tb.Fatal(err)
	}
	if err := head.Init(store, initializers.Zeros(), 1); err != nil {
		tb.Fatal(err)
	}
	return head
}

// trainHead trains the head in store on the labelled images through
// training.Run (Adam, rate 1e-2), evaluating on test (nil: no test set).
func trainHead(tb testing.TB, store *model.Store, head *stcnn.ClassifierHead, train, test *datasets.Images, epochs, batch int) *training.Result {
	tb.Helper()
	classes := head.Config().Classes
	data := &training.Data{TrainNoisy: train}
	var err error
	if data.TrainClean, err = stcnn.OneHotTargets(train, classes); err != nil {
		tb.Fatal(err)
	}
	if test != nil {
		data.TestNoisy = test
		if data.TestClean, err = stcnn.OneHotTargets(test, classes); err != nil {
			tb.Fatal(err)
		}
	}
	hp, _ := optimizers.DefaultHyperparams(optimizers.NameAdam)
	hp.LearningRate = 1e-2
	spec := head.Spec()
	cfg := training.Config{Name: "head", Classifier: &spec, Optimizer: optimizers.NameAdam, Hyperparams: hp,
		Dataset: training.Given, TrainSize: train.N, Seed: 3, Epochs: epochs, BatchSize: batch}
	if test != nil {
		cfg.TestSize = test.N
	}
	res, err := training.Run(cfg, training.Options{Backend: backend(tb), Network: head, Store: store, Data: data})
	if err != nil {
		tb.Fatal(err)
	}
	return res
}

// TestClassifierHeadLearnsMNIST: the head trained by training.Run on clean
// MNIST images classifies held-out test images far above the 10% of
// chance; its records hold cross-entropy and accuracy and no PSNR, and the
// accuracy is the share of logits (Denoiser) whose largest entry is the label.
func TestClassifierHeadLearnsMNIST(t *testing.T) {
	train, test := testutil.MNIST(t, datasets.Train), testutil.MNIST(t, datasets.Test)
	tr0, _ := train.Subset(300, 1)
	te0, _ := test.Subset(200, 2)
	store := model.NewStore()
	head := newHead(t, store, 28, 28, 1)
	res := trainHead(t, store, head, tr0, te0, 15, 50)
	before, after := res.History.Records[0].Test, res.History.Last().Test
	t.Logf("test cross-entropy %.3f -> %.3f, accuracy %.3f -> %.3f", before.CrossEntropy, after.CrossEntropy,
		before.Accuracy, after.Accuracy)
	if math.Abs(before.CrossEntropy-math.Log(10)) > 1e-5 || before.Objective != before.CrossEntropy {
		t.Errorf("zero head: %+v, want cross-entropy log 10 and no penalty", before)
	}
	if after.Accuracy < 0.6 || after.Images != 200 || !(after.CrossEntropy < before.CrossEntropy) {
		t.Errorf("trained head: %+v, want accuracy >= 0.6", after)
	}
	if after.PSNR != 0 || after.RLNE != 0 || after.SquaredError != 0 {
		t.Errorf("a classifier has no PSNR, RLNE or squared error: %+v", after)
	}
	if res.History.Task != stcnn.Classification {
		t.Errorf("history task %q", res.History.Task)
	}
	header, _, _ := bytes.Cut(res.History.CSV(), []byte("\n"))
	if h := string(header); strings.Contains(h, "psnr") || !strings.Contains(h, "test_accuracy") {
		t.Errorf("classifier history columns %s", h)
	}

	den, err := stcnn.NewDenoiser(backend(t), store, head, 0)
	if err != nil {
		t.Fatal(err)
	}
	logits, err := den.Denoise(te0)
	if err != nil {
		t.Fatal(err)
	}
	if logits.H != 1 || logits.W != 1 || logits.C != 10 {
		t.Fatalf("logits are %dx%dx%d, want 1x1x10", logits.H, logits.W, logits.C)
	}
	correct := 0
	for n := range logits.N {
		z, best := logits.Image(n), 0
		for k := range z {
			if z[k] > z[best] {
				best = k
			}
		}
		if best == int(te0.Labels[n]) {
			correct++
		}
	}
	if got := float64(correct) / float64(te0.N); got != after.Accuracy {
		t.Errorf("accuracy from the logits %v, evaluation %v", got, after.Accuracy)
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
		head := newHead(t, store, 28, 28, 1)
		out := denoised(t, newDenoiser(t, store, net, 0), noisy)
		res := trainHead(t, store, head, out, nil, 2, 4)
		if res.Step != 4 {
			t.Errorf("%s: head trained %d steps, want 4", kind, res.Step)
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
		m := evaluate(t, net, store, noisy, clean)
		width := cfg.K
		if kind == stcnn.Dual {
			width = cfg.P
		}
		out2 := denoised(t, newDenoiser(t, store, net, 3*28*28*width), noisy)
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
	good := tinyImages(4, 8, 8, 1, 1)
	good.Labels = []uint8{0, 1, 2, 3}
	wrongLen := *good
	wrongLen.Labels = good.Labels[:3]
	unlabelled := *good
	unlabelled.Labels = nil
	badLabel := *good
	badLabel.Labels = []uint8{0, 1, 2, 10}
	for _, tc := range []struct {
		name string
		im   *datasets.Images
		want string
	}{
		{"mismatched labels", &wrongLen, "3 labels for 4 images"},
		{"no labels", &unlabelled, "0 labels for 4 images"},
		{"label out of range", &badLabel, "label 10 of image 3"},
		{"nil", nil, "nil images"},
	} {
		if _, err := stcnn.OneHotTargets(tc.im, 10); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: OneHotTargets error %v, want %q", tc.name, err, tc.want)
		}
	}
	targets, err := stcnn.OneHotTargets(good, 10)
	if err != nil || targets.Pixels[2*10+2] != 1 || targets.Pixels[2*10+3] != 0 {
		t.Fatalf("OneHotTargets: %v %v", targets, err)
	}

	store := model.NewStore()
	head := newHead(t, store, 8, 8, 1)
	opt, err := optimizers.New(optimizers.NameAdam, optimizers.Hyperparams{LearningRate: 1e-2})
	if err != nil {
		t.Fatal(err)
	}
	tr, err := stcnn.NewTrainer(backend(t), store, head, opt, 0)
	if err != nil {
		t.Fatal(err)
	}
	rgb := tinyImages(4, 8, 8, 3, 1)
	big := tinyImages(4, 12, 12, 1, 1)
	checkRefused(t, tr, []refusedBatch{
		{"channels", rgb, targets, "3 channels"},
		{"images as targets", good, good, "1 x 1 x classes"},
		{"fewer targets", tinyImages(5, 8, 8, 1, 1), targets, "5 images but targets of 4x1x1x10"},
		{"image size", big, targets, ""}, // an error from building the graph, not a panic
	})
	if _, err := tr.Step(good, targets); err != nil {
		t.Errorf("valid batch: %v", err)
	}
	if err := head.Restore(model.NewStore()); err == nil {
		t.Error("Restore accepted a store without the head's variables")
	}
}
