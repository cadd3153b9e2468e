package training_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/convexst/stcnn/stcnn"
	"github.com/convexst/stcnn/stcnn/optimizers"
	"github.com/convexst/stcnn/stcnn/training"
)

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
