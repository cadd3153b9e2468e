package training_test

import (
	"errors"
	"testing"

	"github.com/convexst/stcnn/stcnn"
	"github.com/convexst/stcnn/stcnn/initializers"
	"github.com/convexst/stcnn/stcnn/optimizers"
	"github.com/convexst/stcnn/stcnn/training"
	"github.com/gomlx/gomlx/ml/model"
)

// TestHooks checks that the hooks see every step, evaluation and epoch of
// a run, that they do not change its result, and that ErrStopRun ends it
// early without error.
func TestHooks(t *testing.T) {
	cfg := tinyConfig(stcnn.Dual, optimizers.NameAdam)
	data := tinyData(t, cfg)
	plain := mustRun(t, cfg, training.Options{Backend: backend(t), Data: data})

	var steps, evals, epochs []int
	hooked := mustRun(t, cfg, training.Options{Backend: backend(t), Data: data, Hooks: training.Hooks{
		AfterStep:       func(e training.Event) error { steps = append(steps, e.Step); return nil },
		AfterEvaluation: func(_ *training.Result, r training.Record) error { evals = append(evals, r.Epoch); return nil },
		AfterEpoch:      func(_ *training.Result, e int) error { epochs = append(epochs, e); return nil },
	}})
	sameWeights(t, weights(t, plain.Store), weights(t, hooked.Store))
	sameHistory(t, plain.History, hooked.History)
	if len(steps) != 9 || steps[8] != 9 {
		t.Errorf("AfterStep saw steps %v, want 1 ... 9", steps)
	}
	if len(evals) != 4 || evals[0] != 0 || evals[3] != 3 {
		t.Errorf("AfterEvaluation saw epochs %v, want 0 ... 3", evals)
	}
	if len(epochs) != 3 || epochs[2] != 3 {
		t.Errorf("AfterEpoch saw epochs %v, want 1 ... 3", epochs)
	}

	stopped, err := training.Run(cfg, training.Options{Backend: backend(t), Data: data, Hooks: training.Hooks{
		AfterEpoch: func(_ *training.Result, e int) error {
			if e == 2 {
				return training.ErrStopRun
			}
			return nil
		}}})
	if err != nil {
		t.Fatalf("a run ended by ErrStopRun returned %v", err)
	}
	if stopped.Epoch != 2 || stopped.History.Stopped != nil {
		t.Errorf("run ended by a hook: epoch %d, stopped %+v; want epoch 2, not marked stopped", stopped.Epoch, stopped.History.Stopped)
	}

	failing := errors.New("hook failed")
	if _, err := training.Run(cfg, training.Options{Backend: backend(t), Data: data, Hooks: training.Hooks{
		AfterStep: func(training.Event) error { return failing }}}); !errors.Is(err, failing) {
		t.Errorf("a failing hook's error was %v, want %v", err, failing)
	}
}

// TestCallerStoreAndGivenData trains weights created by the caller on
// images handed to Run, as the toys and certify.RunAdam do, and checks that
// it equals the run that creates the same weights itself.
func TestCallerStoreAndGivenData(t *testing.T) {
	cfg := tinyConfig(stcnn.Primal, optimizers.NameAdam)
	cfg.TestSize = 0
	data := tinyData(t, cfg)
	own := mustRun(t, cfg, training.Options{Backend: backend(t), Data: data})

	net, err := cfg.NewNetwork()
	if err != nil {
		t.Fatal(err)
	}
	store := model.NewStore()
	if err := net.Init(store, cfg.Init, cfg.Seeds().Model); err != nil {
		t.Fatal(err)
	}
	given := cfg
	given.Dataset, given.Init = training.Given, initializers.Spec{}
	res := mustRun(t, given, training.Options{Backend: backend(t), Data: data, Network: net, Store: store})
	sameWeights(t, weights(t, own.Store), weights(t, res.Store))
	if res.Store != store {
		t.Error("Run did not train the caller's store in place")
	}

	for _, c := range []struct {
		name string
		cfg  func(*training.Config)
		opts training.Options
		want string
	}{
		{"no data", func(*training.Config) {}, training.Options{}, `"given" is not loaded`},
		{"sizes", func(c *training.Config) { c.TrainSize = 5 }, training.Options{Data: data}, `"train_size" says 5`},
		{"no init", func(*training.Config) {}, training.Options{Data: data}, `"init" is empty`},
		{"store and folder", func(*training.Config) {}, training.Options{Data: data, Store: store, Dir: t.TempDir()}, "cannot be combined"},
	} {
		bad := given
		c.cfg(&bad)
		c.opts.Backend = backend(t)
		_, err := training.Run(bad, c.opts)
		wantErr(t, err, c.want)
	}
}

// TestResNetRun trains the ResNet of Fig. 19 through Run, its network chosen
// by the configuration alone.
func TestResNetRun(t *testing.T) {
	cfg := tinyConfig(stcnn.Dual, optimizers.NameAdam)
	rc := stcnn.DefaultResNetConfig(1)
	rc.Width = 4
	cfg.Model, cfg.ResNet, cfg.Epochs = stcnn.Config{}, &rc, 1
	res := mustRun(t, cfg, training.Options{})
	if k := res.Trainer.Network().Kind(); k != "resnet" {
		t.Errorf("network %q, want resnet", k)
	}
	if first, last := res.History.Records[0].Train.Objective, res.History.Last().Train.Objective; !(last < first) {
		t.Errorf("training objective %v -> %v, want a decrease", first, last)
	}
	both := cfg
	both.Model = stcnn.DefaultConfig(stcnn.Dual, 1)
	wantErr(t, both.Validate(), `"model": must be empty when resnet is set`)
}
