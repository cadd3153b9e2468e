package training_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/convexst/stcnn/stcnn"
	"github.com/convexst/stcnn/stcnn/optimizers"
	"github.com/convexst/stcnn/stcnn/training"
)

// dataCache holds the images of each data configuration the tests use:
// loading MNIST takes longer than a tiny run.
var dataCache sync.Map

func tinyData(t *testing.T, cfg training.Config) *training.Data {
	t.Helper()
	key := [4]float64{float64(cfg.TrainSize), float64(cfg.TestSize), cfg.Sigma, float64(cfg.Seed)}
	if d, ok := dataCache.Load(key); ok {
		return d.(*training.Data)
	}
	d, err := training.LoadData(cfg)
	if err != nil {
		t.Fatal(err)
	}
	dataCache.Store(key, d)
	return d
}

// mustRun runs cfg with the test backend and cached data.
func mustRun(t *testing.T, cfg training.Config, opts training.Options) *training.Result {
	t.Helper()
	opts.Backend = backend(t)
	if opts.Data == nil {
		opts.Data = tinyData(t, cfg)
	}
	res, err := training.Run(cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func readHistory(t *testing.T, dir string) training.History {
	t.Helper()
	var h training.History
	if err := json.Unmarshal(readFile(t, filepath.Join(dir, "history.json")), &h); err != nil {
		t.Fatal(err)
	}
	return h
}

func wantErr(t *testing.T, err error, parts ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want one mentioning %q", parts)
	}
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Fatalf("error %q does not mention %q", err, p)
		}
	}
}

// TestNewRunIntoRunFolder: a new run into a folder holding a run is refused
// and leaves it as it was; with Force it replaces the run's files (and only
// them) and trains from its own initialisation, not the old weights.
func TestNewRunIntoRunFolder(t *testing.T) {
	cfg := tinyConfig(stcnn.Primal, "adam")
	cfg.Epochs = 1
	dir := t.TempDir()
	mustRun(t, cfg, training.Options{Dir: dir})
	manifest := readFile(t, filepath.Join(dir, "state", "manifest.json"))
	config := readFile(t, filepath.Join(dir, "config.json"))
	_, err := training.Run(cfg, training.Options{Backend: backend(t), Dir: dir})
	wantErr(t, err, dir+" holds a run (state, state.prev, config.json", "use -resume to continue it or -force to replace it")
	if !bytes.Equal(manifest, readFile(t, filepath.Join(dir, "state", "manifest.json"))) ||
		!bytes.Equal(config, readFile(t, filepath.Join(dir, "config.json"))) {
		t.Fatal("a refused run changed the folder")
	}
	user := filepath.Join(dir, "notes.txt")
	os.WriteFile(user, []byte("mine"), 0o644)
	other := cfg
	other.Seed = 7
	forced := mustRun(t, other, training.Options{Dir: dir, Force: true})
	fresh := mustRun(t, other, training.Options{})
	sameWeights(t, weights(t, fresh.Store), weights(t, forced.Store))
	sameHistory(t, fresh.History, forced.History)
	if _, err := os.Stat(user); err != nil {
		t.Fatalf("-force removed a file it did not write: %v", err)
	}
	back, err := training.LoadConfig(filepath.Join(dir, "config.json"))
	if err != nil || back.Seed != 7 {
		t.Fatalf("config.json after -force: seed %d, %v", back.Seed, err)
	}
}

// TestResumeRefusesChangedSettings: a resume whose settings change the
// result is refused, naming the fields, before anything is written.
func TestResumeRefusesChangedSettings(t *testing.T) {
	cfg := tinyConfig(stcnn.Dual, "adam")
	dir := t.TempDir()
	mustRun(t, cfg, training.Options{Dir: dir, StopAfterEpoch: 1})
	before := map[string][]byte{}
	for _, f := range []string{"config.json", "history.json", "state/manifest.json", "state.prev/manifest.json"} {
		before[f] = readFile(t, filepath.Join(dir, f))
	}
	for _, tc := range []struct {
		want string
		edit func(*training.Config)
	}{
		{"hyperparams.lr 0.0001 -> 0.001", func(c *training.Config) { c.Hyperparams.LearningRate = 1e-3 }},
		{"optimizer \"adam\" -> \"sgd\"", func(c *training.Config) {
			c.Optimizer = "sgd"
			c.Hyperparams, _ = optimizers.DefaultHyperparams("sgd")
			c.Hyperparams.LearningRate = 1e-4
		}},
		{"hyperparams.beta2", func(c *training.Config) { c.Hyperparams.Beta2 = 0.99 }},
		{"train_size 24 -> 16", func(c *training.Config) { c.TrainSize = 16 }},
		{"test_size", func(c *training.Config) { c.TestSize = 4 }},
		{"seed 1 -> 2", func(c *training.Config) { c.Seed = 2 }},
		{"sigma", func(c *training.Config) { c.Sigma = 0.5 }},
		{"model.lambda", func(c *training.Config) { c.Model.Lambda = 0.2 }},
		{"model.beta", func(c *training.Config) { c.Model.Beta = 0 }},
		{"model.rho", func(c *training.Config) { c.Model.Rho = 1 }},
		{"model.P 8 -> 16", func(c *training.Config) { c.Model.P = 16 }},
		{"model.m", func(c *training.Config) { c.Model.M = 5 }},
		{"model.dtype", func(c *training.Config) { c.Model.DType = "float64" }},
		{"init.", func(c *training.Config) { c.Init.Std = 0.5 }},
		{"batch_size", func(c *training.Config) { c.BatchSize = 4 }},
		{"eval_every_steps", func(c *training.Config) { c.EvalEverySteps = 1 }},
		{"max_chunk_elements", func(c *training.Config) { c.MaxChunkElements = 1000 }},
	} {
		c := cfg
		tc.edit(&c)
		_, err := training.Run(c, training.Options{Backend: backend(t), Dir: dir, Resume: true})
		wantErr(t, err, "cannot resume", tc.want)
	}
	two := cfg
	two.Seed, two.Sigma = 3, 0.1
	_, err := training.Run(two, training.Options{Backend: backend(t), Dir: dir, Resume: true})
	wantErr(t, err, "seed 1 -> 3", "sigma 0.25 -> 0.1")
	for f, b := range before {
		if !bytes.Equal(b, readFile(t, filepath.Join(dir, f))) {
			t.Errorf("a refused resume changed %s", f)
		}
	}
}

// TestResumeExtendsEpochs: more epochs on resume is allowed, recorded in the
// history, and gives the run that had that many epochs from the start.
func TestResumeExtendsEpochs(t *testing.T) {
	cfg := tinyConfig(stcnn.Primal, "sgdm")
	full := mustRun(t, cfg, training.Options{})
	short := cfg
	short.Epochs = 2
	dir := t.TempDir()
	mustRun(t, short, training.Options{Dir: dir})
	var notes []string
	ext := mustRun(t, cfg, training.Options{Dir: dir, Resume: true, Notice: func(s string) { notes = append(notes, s) }})
	sameWeights(t, weights(t, full.Store), weights(t, ext.Store))
	sameHistory(t, full.History, ext.History)
	h := readHistory(t, dir)
	if len(h.Changes) != 1 || h.Changes[0].Field != "epochs" || h.Changes[0].Note != "extended from 2 to 3 epochs at step 6" {
		t.Fatalf("history changes %+v", h.Changes)
	}
	if len(notes) != 1 || !strings.Contains(notes[0], "from state/ (epoch 2, step 6)") {
		t.Fatalf("notices %q", notes)
	}
	fewer := cfg
	fewer.Epochs = 2
	_, err := training.Run(fewer, training.Options{Backend: backend(t), Dir: dir, Resume: true})
	wantErr(t, err, "with 2 epochs: it has completed 3")
}

// TestInterruptMidEpoch: closing Options.Stop ends the run after the step
// in progress with its state saved; resuming gives the uninterrupted run.
func TestInterruptMidEpoch(t *testing.T) {
	cfg := tinyConfig(stcnn.Dual, "rmsprop")
	cfg.EvalEverySteps = 2
	full := mustRun(t, cfg, training.Options{})
	dir := t.TempDir()
	stop := make(chan struct{})
	_, err := training.Run(cfg, training.Options{Backend: backend(t), Dir: dir, Stop: stop, Progress: func(e training.Event) {
		if e.Step == 4 {
			close(stop)
		}
	}})
	var se *training.StopError
	if !errors.As(err, &se) || se.Reason != training.StopInterrupted || se.Step != 4 {
		t.Fatalf("interrupted run: %v", err)
	}
	if h := readHistory(t, dir); h.Stopped == nil || h.Stopped.Reason != training.StopInterrupted || h.Stopped.Step != 4 {
		t.Fatalf("history.json does not record the interruption: %+v", h.Stopped)
	}
	resumed := mustRun(t, cfg, training.Options{Dir: dir, Resume: true})
	sameWeights(t, weights(t, full.Store), weights(t, resumed.Store))
	sameHistory(t, full.History, resumed.History)
	if h := readHistory(t, dir); h.Stopped != nil {
		t.Fatalf("a completed run's history says it stopped: %+v", h.Stopped)
	}
}

// TestDamagedStateFallsBack: a damaged or missing newest state unit falls
// back to the previous one, saying so; the result is the uninterrupted one.
// With no good unit the resume is refused.
func TestDamagedStateFallsBack(t *testing.T) {
	cfg := tinyConfig(stcnn.Primal, "adam")
	full := mustRun(t, cfg, training.Options{})
	for _, tc := range []struct {
		name, notice string
		damage       func(dir string)
	}{
		{"truncated variables", "state/ is damaged: variables.bin has 33 bytes", func(dir string) {
			os.Truncate(filepath.Join(dir, "state", "variables.bin"), 33)
		}},
		{"empty state.json", "state/ is damaged: state.json has 0 bytes", func(dir string) {
			os.WriteFile(filepath.Join(dir, "state", "state.json"), nil, 0o644)
		}},
		{"no manifest", "state/ is damaged: manifest.json is missing", func(dir string) {
			os.Remove(filepath.Join(dir, "state", "manifest.json"))
		}},
		{"flipped byte", "state/ is damaged: variables.bin has", func(dir string) {
			p := filepath.Join(dir, "state", "variables.bin")
			b, _ := os.ReadFile(p)
			b[len(b)/2] ^= 1
			os.WriteFile(p, b, 0o644)
		}},
		{"interrupted switch", "state/ is missing", func(dir string) {
			os.RemoveAll(filepath.Join(dir, "state"))
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			mustRun(t, cfg, training.Options{Dir: dir, StopAfterEpoch: 2})
			for _, view := range []string{"config.json", "history.json", "history.csv"} {
				os.Remove(filepath.Join(dir, view)) // the views may be lost too
			}
			tc.damage(dir)
			var notes []string
			res := mustRun(t, cfg, training.Options{Dir: dir, Resume: true, Notice: func(s string) { notes = append(notes, s) }})
			if len(notes) != 1 || !strings.Contains(notes[0], "from state.prev/ (epoch 1, step 3), the previous good state, because "+tc.notice) {
				t.Fatalf("notices %q", notes)
			}
			sameWeights(t, weights(t, full.Store), weights(t, res.Store))
			sameHistory(t, full.History, res.History)
		})
	}
	dir := t.TempDir()
	mustRun(t, cfg, training.Options{Dir: dir, StopAfterEpoch: 2})
	os.WriteFile(filepath.Join(dir, "state", "state.json"), []byte("{"), 0o644)
	os.Truncate(filepath.Join(dir, "state.prev", "variables.bin"), 0)
	_, err := training.Run(cfg, training.Options{Backend: backend(t), Dir: dir, Resume: true})
	wantErr(t, err, "no good saved state", "state/ is damaged", "state.prev/ is damaged", "-force")
}

// TestResumeWithoutState: a folder with run files but no state unit (an
// earlier version's, or one stopped before its first save) is not
// silently restarted; a folder without a run starts one.
func TestResumeWithoutState(t *testing.T) {
	cfg := tinyConfig(stcnn.Primal, "sgd")
	cfg.Epochs = 1
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "progress.json"), []byte(`{"epoch": 3}`), 0o644)
	os.Mkdir(filepath.Join(dir, "checkpoints"), 0o755)
	_, err := training.Run(cfg, training.Options{Backend: backend(t), Dir: dir, Resume: true})
	wantErr(t, err, "holds a run (progress.json, checkpoints) but no saved state", "-force")
	if training.HasRun(t.TempDir()) {
		t.Fatal("an empty folder holds a run")
	}
	res := mustRun(t, cfg, training.Options{Dir: filepath.Join(t.TempDir(), "new"), Resume: true})
	if res.Epoch != 1 {
		t.Fatalf("resume into an empty folder reached epoch %d", res.Epoch)
	}
}

// TestSecondRunOnFolderFails: a run cannot start in a folder another run is using.
func TestSecondRunOnFolderFails(t *testing.T) {
	cfg := tinyConfig(stcnn.Primal, "sgd")
	cfg.Epochs = 1
	dir := t.TempDir()
	var second error
	mustRun(t, cfg, training.Options{Dir: dir, Progress: func(e training.Event) {
		if e.Step == 1 {
			_, second = training.Run(cfg, training.Options{Backend: backend(t), Dir: dir, Resume: true})
		}
	}})
	wantErr(t, second, dir+" is in use by process", ".lock")
}

// TestDivergence: a non-finite objective, or one far above its start, stops
// the run, naming the step, and history.json records why; the state saved
// before is kept.
func TestDivergence(t *testing.T) {
	cfg := tinyConfig(stcnn.Primal, "adam")
	cfg.Hyperparams.LearningRate = 1e9
	dir := t.TempDir()
	_, err := training.Run(cfg, training.Options{Backend: backend(t), Dir: dir})
	var se *training.StopError
	if !errors.As(err, &se) || se.Reason != training.StopDiverged {
		t.Fatalf("adam with lr 1e9: %v", err)
	}
	wantErr(t, err, "diverged at epoch 1, step ", "the saved state (epoch 0, step 0) is kept")
	h := readHistory(t, dir)
	if h.Stopped == nil || h.Stopped.Reason != training.StopDiverged || h.Stopped.Step != se.Step || h.Stopped.Message != err.Error() {
		t.Fatalf("history.json: stopped %+v", h.Stopped)
	}
	// A finite objective far above its start: the default factor, and a chosen one.
	for _, tc := range []struct {
		lr, factor float64
		want       string
	}{{1e3, 0, "exceeds 1e+06 times the starting objective"}, {1, 2, "exceeds 2 times the starting objective"}} {
		c := tinyConfig(stcnn.Primal, "adam")
		c.Hyperparams.LearningRate, c.DivergeFactor = tc.lr, tc.factor
		_, err := training.Run(c, training.Options{Backend: backend(t)})
		wantErr(t, err, "diverged at epoch 1, step 2: the batch objective", tc.want, "(diverge_factor)")
	}
	cfg.DivergeFactor = 0.5
	wantErr(t, cfg.Validate(), `"diverge_factor"`)
}

func TestLoadConfigTrailingData(t *testing.T) {
	js, _ := json.Marshal(tinyConfig(stcnn.Dual, "adam"))
	for _, tc := range []struct {
		tail string
		ok   bool
	}{{"", true}, {"\n \t\n", true}, {"{}", false}, {"\n}", false}, {" x", false}, {`{"name": "b"}`, false}} {
		path := filepath.Join(t.TempDir(), "c.json")
		os.WriteFile(path, append(append([]byte{}, js...), tc.tail...), 0o644)
		_, err := training.LoadConfig(path)
		if (err == nil) != tc.ok {
			t.Errorf("tail %q: error %v", tc.tail, err)
		}
		if err != nil && !strings.Contains(err.Error(), "trailing data") {
			t.Errorf("tail %q: error %v does not say trailing data", tc.tail, err)
		}
	}
}

// TestMemoryRefused: sizes whose working set exceeds the machine's memory
// are refused by Validate with the estimate.
func TestMemoryRefused(t *testing.T) {
	cfg := tinyConfig(stcnn.Dual, "adam")
	cfg.Model.P = 2000000000
	wantErr(t, cfg.Validate(), "needs about ", "TB of memory", "but this machine has", `reduce "model.P"`)
	if e := cfg.EstimateMemory(); e.Variables < 2e9*9*3*4 {
		t.Fatalf("estimate %+v below the weights alone", e)
	}
	ok := training.DefaultConfig(stcnn.Dual)
	if e := ok.EstimateMemory(); e.Total() > 4e9 || e.Total() < 1e8 {
		t.Fatalf("default configuration estimated at %g bytes", e.Total())
	}
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
}
