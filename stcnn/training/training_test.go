package training_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/convexst/stcnn/internal/testutil"

	"github.com/convexst/stcnn/stcnn"
	"github.com/convexst/stcnn/stcnn/initializers"
	"github.com/convexst/stcnn/stcnn/optimizers"
	"github.com/convexst/stcnn/stcnn/training"
	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/ml/model"
)

func backend(tb testing.TB) compute.Backend { return testutil.Backend(tb) }

// tinyConfig is a small real-MNIST run: 24 training and 8 test images.
func tinyConfig(kind stcnn.ModelKind, optimizer string) training.Config {
	c := training.DefaultConfig(kind)
	c.Model.K, c.Model.P = 8, 8
	c.TrainSize, c.TestSize, c.BatchSize, c.Epochs = 24, 8, 8, 3
	hp, _ := optimizers.DefaultHyperparams(optimizer)
	hp.LearningRate = 1e-4 // small enough for every optimiser on this problem
	c.Optimizer, c.Hyperparams = optimizer, hp
	c.Init = initializers.Normal(0.01)
	return c
}

func weights(tb testing.TB, store *model.Store) map[string][]float64 {
	out := map[string][]float64{}
	for v := range store.IterVariables() {
		vals, err := stcnn.Float64s(v.MustValue())
		if err == nil {
			out[v.Path()] = vals
		}
	}
	return out
}

func sameWeights(tb testing.TB, a, b map[string][]float64) {
	tb.Helper()
	if len(a) != len(b) {
		tb.Fatalf("%d variables vs %d", len(a), len(b))
	}
	for path, va := range a {
		vb, ok := b[path]
		if !ok || len(va) != len(vb) {
			tb.Fatalf("variable %s missing or resized", path)
		}
		for i := range va {
			if va[i] != vb[i] {
				tb.Fatalf("variable %s[%d]: %v vs %v", path, i, va[i], vb[i])
			}
		}
	}
}

func sameHistory(tb testing.TB, a, b training.History) {
	tb.Helper()
	if len(a.Records) != len(b.Records) {
		tb.Fatalf("%d records vs %d", len(a.Records), len(b.Records))
	}
	for i := range a.Records {
		ra, rb := a.Records[i], b.Records[i]
		if ra.Epoch != rb.Epoch || ra.Step != rb.Step || ra.Train != rb.Train || !samePointee(ra.Test, rb.Test) ||
			!samePointee(ra.TrainGap, rb.TrainGap) || !samePointee(ra.TestGap, rb.TestGap) {
			tb.Fatalf("record %d differs:\n%s\n%s", i, recordString(ra), recordString(rb))
		}
	}
}

// samePointee reports whether a and b are both nil or point to equal values.
func samePointee[T comparable](a, b *T) bool {
	return (a == nil) == (b == nil) && (a == nil || *a == *b)
}

// recordString shows a record with what its pointers hold.
func recordString(r training.Record) string {
	s := fmt.Sprintf("epoch %d step %d train %+v", r.Epoch, r.Step, r.Train)
	if r.Test != nil {
		s += fmt.Sprintf(" test %+v", *r.Test)
	}
	if r.TrainGap != nil {
		s += fmt.Sprintf(" train gap %+v", *r.TrainGap)
	}
	if r.TestGap != nil {
		s += fmt.Sprintf(" test gap %+v", *r.TestGap)
	}
	return s
}

func TestDeterminism(t *testing.T) {
	for _, kind := range []stcnn.ModelKind{stcnn.Primal, stcnn.Dual} {
		cfg := tinyConfig(kind, "adam")
		a, err := training.Run(cfg, training.Options{Backend: backend(t)})
		if err != nil {
			t.Fatal(err)
		}
		b, err := training.Run(cfg, training.Options{Backend: backend(t)})
		if err != nil {
			t.Fatal(err)
		}
		sameWeights(t, weights(t, a.Store), weights(t, b.Store))
		sameHistory(t, a.History, b.History)
		if n := len(a.History.Records); n != cfg.Epochs+1 {
			t.Errorf("%s: %d records, want one per epoch plus the initial one", kind, n)
		}
		cfg.Seed++
		c, err := training.Run(cfg, training.Options{Backend: backend(t)})
		if err != nil {
			t.Fatal(err)
		}
		if c.History.Last().Train == a.History.Last().Train {
			t.Errorf("%s: a different seed gave the same result", kind)
		}
	}
}

// TestResumeEqualsUninterrupted: a run stopped after epoch 1 and resumed
// from its checkpoint ends with the same weights (bitwise) and history as an
// uninterrupted run, for every optimiser (their state is checkpointed too).
func TestResumeEqualsUninterrupted(t *testing.T) {
	for _, tc := range []struct {
		kind stcnn.ModelKind
		opt  string
	}{{stcnn.Dual, "adam"}, {stcnn.Primal, "sgdm"}, {stcnn.Dual, "asgd"}, {stcnn.Primal, "adagrad"}, {stcnn.Dual, "rmsprop"}, {stcnn.Primal, "sgd"}} {
		t.Run(string(tc.kind)+"/"+tc.opt, func(t *testing.T) {
			cfg := tinyConfig(tc.kind, tc.opt)
			cfg.CheckpointEvery = 1
			full, err := training.Run(cfg, training.Options{Backend: backend(t), Dir: t.TempDir()})
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			first, err := training.Run(cfg, training.Options{Backend: backend(t), Dir: dir, StopAfterEpoch: 1})
			if err != nil {
				t.Fatal(err)
			}
			if first.Epoch != 1 {
				t.Fatalf("stopped run reached epoch %d, want 1", first.Epoch)
			}
			resumed, err := training.Run(cfg, training.Options{Backend: backend(t), Dir: dir, Resume: true})
			if err != nil {
				t.Fatal(err)
			}
			sameWeights(t, weights(t, full.Store), weights(t, resumed.Store))
			sameHistory(t, full.History, resumed.History)
			for _, f := range []string{"config.json", "history.csv", "history.json", "state/state.json", "state/variables.bin", "state/manifest.json"} {
				if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
					t.Errorf("missing output: %v", err)
				}
			}
		})
	}
}

func TestNaNStopsWithStepAndVariable(t *testing.T) {
	cfg := tinyConfig(stcnn.Primal, "sgd")
	cfg.Hyperparams.LearningRate = 1e30
	cfg.CheckpointEvery = 1
	dir := t.TempDir()
	_, err := training.Run(cfg, training.Options{Backend: backend(t), Dir: dir})
	if err == nil {
		t.Fatal("a learning rate of 1e30 trained without error")
	}
	msg := err.Error()
	if !strings.Contains(msg, "step ") || !(strings.Contains(msg, "/primal/") || strings.Contains(msg, "objective")) {
		t.Fatalf("error %q does not name the step and the variable", msg)
	}
	t.Log(msg)
}

// classifierSpec is the default head on 28 x 28 grey images.
func classifierSpec() *stcnn.ClassifierSpec {
	return &stcnn.ClassifierSpec{Head: stcnn.DefaultClassifierConfig(), Height: 28, Width: 28, Channels: 1}
}

func TestConfigValidateAndJSON(t *testing.T) {
	ok := tinyConfig(stcnn.Dual, "adam")
	for _, tc := range []struct {
		name, want string
		edit       func(*training.Config)
	}{
		{"unknown optimiser", "lbfgs", func(c *training.Config) { c.Optimizer = "lbfgs" }},
		{"negative sigma", `"sigma"`, func(c *training.Config) { c.Sigma = -0.1 }},
		{"K zero", `"K"`, func(c *training.Config) { c.Model.Model, c.Model.K = stcnn.Primal, 0; c.MeasureGap = false }},
		{"unknown dataset", `"dataset"`, func(c *training.Config) { c.Dataset = "imagenet" }},
		{"cifar needs rgb", `"model.channels"`, func(c *training.Config) { c.Dataset = training.CIFAR10 }},
		{"zero epochs", `"epochs"`, func(c *training.Config) { c.Epochs = 0 }},
		{"zero batch", `"batch_size"`, func(c *training.Config) { c.BatchSize = 0 }},
		{"gap on primal", `"measure_gap"`, func(c *training.Config) { c.Model = stcnn.DefaultConfig(stcnn.Primal, 1); c.MeasureGap = true }},
		{"bad init", `"init"`, func(c *training.Config) { c.Init = initializers.Spec{Kind: "ones"} }},
		{"classifier loads no data", `"dataset": a classifier`, func(c *training.Config) {
			c.Model, c.Classifier = stcnn.Config{}, classifierSpec()
		}},
		{"classifier and model", `"model": must be empty when classifier`, func(c *training.Config) {
			c.Dataset, c.Classifier = training.Given, classifierSpec()
		}},
		{"classifier image size", `"pool"`, func(c *training.Config) {
			c.Model, c.Dataset, c.Classifier = stcnn.Config{}, training.Given, classifierSpec()
			c.Classifier.Height = 30
		}},
		{"gap on classifier", `"measure_gap"`, func(c *training.Config) {
			c.Model, c.Dataset, c.Classifier, c.MeasureGap = stcnn.Config{}, training.Given, classifierSpec(), true
		}},
		{"negative test cadence", `"test_and_gap_every"`, func(c *training.Config) { c.TestAndGapEvery = -1 }},
	} {
		c := ok
		tc.edit(&c)
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want it to mention %s", tc.name, err, tc.want)
		}
	}
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "run.json")
	if err := ok.Save(path); err != nil {
		t.Fatal(err)
	}
	back, err := training.LoadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	if back != ok {
		t.Fatalf("round trip changed the config:\n%+v\n%+v", ok, back)
	}
	bad := filepath.Join(t.TempDir(), "bad.json")
	os.WriteFile(bad, []byte(`{"optimiser": "adam"}`), 0o644)
	if _, err := training.LoadConfig(bad); err == nil || !strings.Contains(err.Error(), "optimiser") {
		t.Fatalf("unknown field: error %v", err)
	}
}

func TestHistoryOutputsAndProgress(t *testing.T) {
	cfg := tinyConfig(stcnn.Dual, "adam")
	cfg.Epochs, cfg.EvalEverySteps, cfg.MeasureGap = 1, 1, true
	var buf bytes.Buffer
	var events int
	progress := training.LineProgress(&buf, "dual")
	res, err := training.Run(cfg, training.Options{Backend: backend(t), Dir: t.TempDir(),
		Progress: func(e training.Event) { events++; progress(e) }})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(res.History.Records); n != 4 { // initial + 3 steps
		t.Fatalf("%d records with eval every step, want 4", n)
	}
	if res.History.Last().TrainGap == nil || res.History.Last().TestGap == nil {
		t.Fatal("gap not measured")
	}
	csv := string(res.History.CSV())
	if lines := strings.Count(csv, "\n"); lines != 5 || !strings.HasPrefix(csv, "epoch,step,train_objective") {
		t.Fatalf("CSV has %d lines:\n%s", lines, csv)
	}
	if events != 3 || strings.Count(buf.String(), "\n") != 3 || !strings.Contains(buf.String(), "gap") {
		t.Fatalf("%d events, progress output:\n%s", events, buf.String())
	}
}
