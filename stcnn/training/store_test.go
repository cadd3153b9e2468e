package training_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/convexst/stcnn/datasets"
	"github.com/convexst/stcnn/stcnn"
	"github.com/convexst/stcnn/stcnn/optimizers"
	"github.com/convexst/stcnn/stcnn/training"
)

func TestConfigID(t *testing.T) {
	base := tinyConfig(stcnn.Dual, optimizers.NameAdam)
	for _, c := range []struct {
		name string
		edit func(*training.Config)
		same bool
	}{
		{"name", func(c *training.Config) { c.Name = "other" }, true},
		{"checkpoint cadence", func(c *training.Config) { c.CheckpointEvery = 7 }, true},
		{"data folder", func(c *training.Config) { c.DataDir = "/elsewhere" }, true},
		{"seed", func(c *training.Config) { c.Seed++ }, false},
		{"sigma", func(c *training.Config) { c.Sigma = 0.5 }, false},
		{"train size", func(c *training.Config) { c.TrainSize++ }, false},
		{"epochs", func(c *training.Config) { c.Epochs++ }, false},
		{"P", func(c *training.Config) { c.Model.P++ }, false},
		{"learning rate", func(c *training.Config) { c.Hyperparams.LearningRate *= 2 }, false},
		{"gap", func(c *training.Config) { c.MeasureGap = true }, false},
		{"clipped noise", func(c *training.Config) { c.ClipNoisy = true }, false},
	} {
		edited := base
		c.edit(&edited)
		if same := edited.ID() == base.ID(); same != c.same {
			t.Errorf("changing %s: same ID %v, want %v", c.name, same, c.same)
		}
	}
}

// TestRunStore checks that a store trains a configuration once, in the
// process and across processes (its run folders), and refuses runs it
// cannot identify.
func TestRunStore(t *testing.T) {
	cfg := tinyConfig(stcnn.Primal, optimizers.NameAdam)
	cfg.Epochs = 2
	data := tinyData(t, cfg)
	dir := t.TempDir()
	store := &training.RunStore{Dir: dir}
	first, reused, err := store.Run(cfg, training.Options{Backend: backend(t), Data: data})
	if err != nil || reused {
		t.Fatalf("first run: reused %v, error %v", reused, err)
	}
	renamed := cfg
	renamed.Name = "renamed"
	again, reused, err := store.Run(renamed, training.Options{Backend: backend(t), Data: data})
	if err != nil || !reused || again.Store != first.Store || again.Config.Name != "renamed" {
		t.Fatalf("same configuration again: reused %v, same store %v, name %q, error %v", reused, again.Store == first.Store,
			again.Config.Name, err)
	}

	fresh := &training.RunStore{Dir: dir} // a later process
	disk, reused, err := fresh.Run(cfg, training.Options{Backend: backend(t), Data: data})
	if err != nil || !reused {
		t.Fatalf("run read back from its folder: reused %v, error %v", reused, err)
	}
	sameWeights(t, weights(t, first.Store), weights(t, disk.Store))
	sameHistory(t, first.History, disk.History)

	other := cfg
	other.Seed++
	if _, reused, err := fresh.Run(other, training.Options{Backend: backend(t), Data: tinyData(t, other)}); err != nil || reused {
		t.Errorf("another seed: reused %v, error %v", reused, err)
	}
	gapCfg := tinyConfig(stcnn.Dual, optimizers.NameAdam)
	gapCfg.Epochs, gapCfg.MeasureGap = 1, true
	withGap, _, err := fresh.Run(gapCfg, training.Options{Backend: backend(t), Data: data})
	if err != nil {
		t.Fatal(err)
	}
	noGap := gapCfg
	noGap.MeasureGap = false
	served, reused, err := fresh.Run(noGap, training.Options{Backend: backend(t), Data: data})
	if err != nil || !reused || served.Store != withGap.Store || served.History.Last().TrainGap != nil ||
		withGap.History.Last().TrainGap == nil {
		t.Errorf("a run without the gap was not served by the run that measured it, without its gaps (reused %v, error %v)", reused, err)
	}
	hooked := training.Options{Backend: backend(t), Data: data,
		Hooks: training.Hooks{AfterEpoch: func(*training.Result, int) error { return nil }}}
	if _, _, err := fresh.Run(cfg, hooked); !errors.Is(err, training.ErrNotStorable) {
		t.Errorf("a run with hooks: error %v, want ErrNotStorable", err)
	}
}

// TestRunStoreCheckpointsEveryEpoch: a run in a run folder whose
// configuration sets no checkpoint cadence still saves its state after
// every epoch, so an interrupted paper-scale run loses at most one.
func TestRunStoreCheckpointsEveryEpoch(t *testing.T) {
	cfg := tinyConfig(stcnn.Primal, optimizers.NameAdam)
	cfg.Epochs, cfg.CheckpointEvery = 2, 0
	dir := t.TempDir()
	store := &training.RunStore{Dir: dir}
	savedAtEpoch2 := -1
	progress := func(e training.Event) {
		if e.Epoch == 2 && savedAtEpoch2 < 0 {
			st, err := training.ReadState(filepath.Join(dir, cfg.ID()))
			if err != nil {
				t.Errorf("during epoch 2: %v", err)
				savedAtEpoch2 = 0
				return
			}
			savedAtEpoch2 = st.Epoch
		}
	}
	if _, _, err := store.Run(cfg, training.Options{Backend: backend(t), Data: tinyData(t, cfg), Progress: progress}); err != nil {
		t.Fatal(err)
	}
	if savedAtEpoch2 != 1 {
		t.Errorf("state saved during epoch 2 is of epoch %d, want 1", savedAtEpoch2)
	}
}

// TestProgressEstimatesTimeLeft: every progress event before the last step,
// the one after an epoch's evaluation included, estimates the time left.
func TestProgressEstimatesTimeLeft(t *testing.T) {
	cfg := tinyConfig(stcnn.Primal, optimizers.NameAdam)
	cfg.Epochs = 2
	events, evaluated := 0, 0
	progress := func(e training.Event) {
		if e.Step == e.TotalSteps {
			return
		}
		events++
		if e.Record != nil {
			evaluated++
		}
		if e.ETA <= 0 {
			t.Errorf("step %d/%d (record %v): ETA %v", e.Step, e.TotalSteps, e.Record != nil, e.ETA)
		}
	}
	if _, err := training.Run(cfg, training.Options{Backend: backend(t), Data: tinyData(t, cfg), Progress: progress}); err != nil {
		t.Fatal(err)
	}
	if events == 0 || evaluated == 0 {
		t.Fatalf("%d progress events, %d after an evaluation", events, evaluated)
	}
}

// TestClipNoisy: with ClipNoisy the noisy images are the unclipped ones
// clipped to [0, 1] (same noise draws), training and test alike.
func TestClipNoisy(t *testing.T) {
	cfg := tinyConfig(stcnn.Primal, optimizers.NameAdam)
	cfg.Sigma = 0.5
	plain := tinyData(t, cfg)
	cfg.ClipNoisy = true
	clipped, err := training.WithNoise(plain.TrainClean, plain.TestClean, cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, set := range []struct{ plain, clipped *datasets.Images }{{plain.TrainNoisy, clipped.TrainNoisy}, {plain.TestNoisy, clipped.TestNoisy}} {
		outside := 0
		for i, p := range set.plain.Pixels {
			if p < 0 || p > 1 {
				outside++
			}
			if want := min(max(p, 0), 1); set.clipped.Pixels[i] != want {
				t.Fatalf("pixel %d: clipped %v, want %v", i, set.clipped.Pixels[i], want)
			}
		}
		if outside == 0 {
			t.Fatal("no noisy pixel outside [0, 1] at sigma 0.5: the test checks nothing")
		}
	}
}

// TestRunStoreServesFromGapFolder: a finished run folder that measured the
// gap serves the same configuration without it in a later process, with no
// new folder and no training.
func TestRunStoreServesFromGapFolder(t *testing.T) {
	gapCfg := tinyConfig(stcnn.Dual, optimizers.NameAdam)
	gapCfg.Epochs, gapCfg.MeasureGap = 1, true
	dir := t.TempDir()
	data := tinyData(t, gapCfg)
	if _, _, err := (&training.RunStore{Dir: dir}).Run(gapCfg, training.Options{Backend: backend(t), Data: data}); err != nil {
		t.Fatal(err)
	}
	noGap := gapCfg
	noGap.MeasureGap = false
	res, reused, err := (&training.RunStore{Dir: dir}).Run(noGap, training.Options{Backend: backend(t), Data: data})
	if err != nil || !reused {
		t.Fatalf("reused %v, error %v", reused, err)
	}
	if res.Config.MeasureGap || res.History.Last().TrainGap != nil {
		t.Errorf("the run served without the gap has gap records")
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("%d run folders, want 1", len(entries))
	}
}

// TestArchiveRuns checks that a finished run archived from one store's
// folder is read back, unchanged and with its provenance, by a store on
// another folder and by one without a folder, that an unfinished run is
// not archived, and that a damaged entry is an error naming it.
func TestArchiveRuns(t *testing.T) {
	cfg := tinyConfig(stcnn.Dual, optimizers.NameAdam)
	cfg.Epochs, cfg.MeasureGap = 2, true
	data := tinyData(t, cfg)
	storeDir, archive := t.TempDir(), filepath.Join(t.TempDir(), "runs")
	trained := &training.RunStore{Dir: storeDir, Provenance: training.Provenance{Commit: "abc123", Backend: "go", Machine: "test"}}
	first, _, err := trained.Run(cfg, training.Options{Backend: backend(t), Data: data})
	if err != nil {
		t.Fatal(err)
	}
	partial := cfg
	partial.Seed++
	partial.Epochs = 3
	stop := make(chan struct{})
	close(stop)
	if _, _, err := trained.Run(partial, training.Options{Backend: backend(t), Data: tinyData(t, partial), Stop: stop}); err == nil || !strings.Contains(err.Error(), "interrupted") {
		t.Fatalf("a run stopped at its start: error %v, want an interruption", err)
	}

	back, reused, err := (&training.RunStore{Dir: storeDir}).Run(cfg, training.Options{Backend: backend(t), Data: data})
	if err != nil {
		t.Fatal(err)
	}
	if !reused || back.Provenance == nil || back.Provenance.Commit != "abc123" {
		t.Errorf("the run read back from its folder: reused %v, provenance %+v; want commit abc123", reused, back.Provenance)
	}
	archived, skipped, err := training.ArchiveRuns(storeDir, archive)
	if err != nil {
		t.Fatal(err)
	}
	if len(archived) != 1 || archived[0].ID != cfg.ID() || archived[0].Commit != "abc123" || archived[0].Machine != "test" {
		t.Fatalf("archived %+v, want the finished run with its provenance", archived)
	}
	if len(skipped) != 1 || !strings.HasPrefix(skipped[0], partial.ID()) {
		t.Errorf("skipped %q, want the unfinished run", skipped)
	}
	// A run that has created its folder but not saved a state yet (one
	// starting while the store is archived) is skipped, not an error.
	starting := filepath.Join(storeDir, strings.Repeat("0", 64))
	if err := os.MkdirAll(starting, 0o755); err != nil {
		t.Fatal(err)
	}
	if _, skipped, err := training.ArchiveRuns(storeDir, archive); err != nil || len(skipped) != 2 {
		t.Errorf("archiving with a run starting: skipped %q, error %v; want it skipped", skipped, err)
	}
	if err := os.Remove(starting); err != nil {
		t.Fatal(err)
	}
	if again, _, err := training.ArchiveRuns(storeDir, archive); err != nil || len(again) != 1 {
		t.Errorf("archiving again: %d runs, error %v", len(again), err)
	}

	for _, store := range []*training.RunStore{{Dir: t.TempDir(), Archive: archive}, {Archive: archive}} {
		got, reused, err := store.Run(cfg, training.Options{Backend: backend(t), Data: data})
		if err != nil || !reused {
			t.Fatalf("store %q: reused %v, error %v", store.Dir, reused, err)
		}
		if got.Provenance == nil || got.Provenance.Commit != "abc123" {
			t.Errorf("store %q: provenance %+v, want commit abc123", store.Dir, got.Provenance)
		}
		sameWeights(t, weights(t, first.Store), weights(t, got.Store))
		sameHistory(t, first.History, got.History)
	}
	noGap := cfg
	noGap.MeasureGap = false
	if got, reused, err := (&training.RunStore{Archive: archive}).Run(noGap, training.Options{Backend: backend(t), Data: data}); err != nil || !reused ||
		got.History.Last().TrainGap != nil {
		t.Errorf("the run without the gap from the archived run with it: reused %v, error %v", reused, err)
	}
	other := cfg
	other.Hyperparams.LearningRate *= 2
	if got, reused, err := (&training.RunStore{Archive: archive}).Run(other, training.Options{Backend: backend(t), Data: data}); err != nil || reused ||
		got.Provenance != nil {
		t.Errorf("another learning rate: reused %v, error %v", reused, err)
	}

	vars := filepath.Join(archive, cfg.ID(), "state", "variables.bin")
	if err := os.Truncate(vars, 8); err != nil {
		t.Fatal(err)
	}
	_, _, err = (&training.RunStore{Archive: archive}).Run(cfg, training.Options{Backend: backend(t), Data: data})
	if err == nil || !strings.Contains(err.Error(), filepath.Join(archive, cfg.ID())) {
		t.Errorf("damaged archive entry: error %v, want one naming %s", err, filepath.Join(archive, cfg.ID()))
	}
}
