package training_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/convexst/stcnn/stcnn"
	"github.com/convexst/stcnn/stcnn/training"
)

// cadenceConfig is a tiny dual run with the gap: 3 epochs of 3 steps.
func cadenceConfig(every, evalSteps int) training.Config {
	cfg := tinyConfig(stcnn.Dual, "adam")
	cfg.MeasureGap, cfg.TestAndGapEvery, cfg.EvalEverySteps = true, every, evalSteps
	return cfg
}

// testedSteps are the steps of the records that measured the test metrics,
// checking that exactly those have both gaps and the others none.
func testedSteps(t *testing.T, h training.History) []int {
	t.Helper()
	var steps []int
	for _, r := range h.Records {
		tested := r.Test != nil
		if (r.TrainGap != nil) != tested || (r.TestGap != nil) != tested {
			t.Fatalf("record at step %d: test metrics %v, train gap %v, test gap %v: want all or none",
				r.Step, tested, r.TrainGap != nil, r.TestGap != nil)
		}
		if tested {
			steps = append(steps, r.Step)
		}
	}
	return steps
}

// TestTestAndGapEvery: the test metrics and the gaps are measured at the
// ends of every n-th epoch and at the last evaluation, which always has
// them; every record has the training metrics, and the values measured are
// those of the run that measures everything (the cadence changes no weight).
func TestTestAndGapEvery(t *testing.T) {
	cases := []struct {
		name             string
		every, evalSteps int
		wantSteps        []int // the steps whose records have test metrics and gaps
		records          int
	}{
		{"every evaluation (default)", 0, 0, []int{0, 3, 6, 9}, 4},
		{"every epoch", 1, 0, []int{3, 6, 9}, 4},
		{"every 2 epochs and the end", 2, 0, []int{6, 9}, 4},
		{"only the end", 3, 0, []int{9}, 4},
		{"longer than the run: the end", 5, 0, []int{9}, 4},
		// Evaluations at steps 0, 2, 4, 6, 8: the end of epoch 2 and the last one.
		{"step evaluations", 2, 2, []int{6, 8}, 5},
	}
	full := map[int]training.Result{} // by evalSteps: the run measuring everything
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := mustRun(t, cadenceConfig(tc.every, tc.evalSteps), training.Options{})
			if len(res.History.Records) != tc.records {
				t.Fatalf("%d records, want %d", len(res.History.Records), tc.records)
			}
			if got := testedSteps(t, res.History); !slices.Equal(got, tc.wantSteps) {
				t.Fatalf("test metrics and gaps at steps %v, want %v", got, tc.wantSteps)
			}
			if res.History.Last().Test == nil {
				t.Fatal("the last record has no test metrics")
			}
			ref, ok := full[tc.evalSteps]
			if !ok {
				ref = *mustRun(t, cadenceConfig(0, tc.evalSteps), training.Options{})
				full[tc.evalSteps] = ref
			}
			for i, r := range res.History.Records {
				want := ref.History.Records[i]
				if r.Train != want.Train || (r.Test != nil && (*r.Test != *want.Test || *r.TrainGap != *want.TrainGap ||
					*r.TestGap != *want.TestGap)) {
					t.Fatalf("record %d differs from the run measuring everything:\n%s\n%s", i, recordString(r), recordString(want))
				}
			}
		})
	}
}

// TestTestAndGapEveryResume: a run stopped before, at and after a
// measuring epoch and resumed has the history of the uninterrupted run.
func TestTestAndGapEveryResume(t *testing.T) {
	cfg := cadenceConfig(2, 0)
	full := mustRun(t, cfg, training.Options{})
	for _, stop := range []int{1, 2} {
		dir := t.TempDir()
		mustRun(t, cfg, training.Options{Dir: dir, StopAfterEpoch: stop})
		resumed := mustRun(t, cfg, training.Options{Dir: dir, Resume: true})
		sameWeights(t, weights(t, full.Store), weights(t, resumed.Store))
		sameHistory(t, full.History, resumed.History)
		sameHistory(t, full.History, readHistory(t, dir))
	}
}

// TestUnmeasuredRecordFiles: a record without test metrics writes no
// "test" object and empty CSV cells; an old history with zeros for a run
// without test images loads, and a run without test images records none.
func TestUnmeasuredRecordFiles(t *testing.T) {
	res := mustRun(t, cadenceConfig(3, 0), training.Options{})
	js, err := json.Marshal(res.History.Records[1])
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(js), `"test"`) || strings.Contains(string(js), "gap") {
		t.Errorf("an unmeasured record's JSON %s has test metrics or gaps", js)
	}
	rows := strings.Split(strings.TrimSpace(string(res.History.CSV())), "\n")
	header, second, last := strings.Split(rows[0], ","), strings.Split(rows[2], ","), strings.Split(rows[len(rows)-1], ",")
	for i, col := range header {
		if !strings.HasPrefix(col, "test_") && !strings.Contains(col, "gap") {
			continue
		}
		if second[i] != "" || last[i] == "" {
			t.Errorf("column %s: %q at epoch 1 (want empty), %q at the end (want a value)", col, second[i], last[i])
		}
	}
	var old training.Record
	if err := json.Unmarshal([]byte(`{"epoch":1,"step":3,"train":{"objective":2},"test":{"objective":1.5,"images":8}}`), &old); err != nil ||
		old.Test == nil || old.Test.Objective != 1.5 {
		t.Fatalf("a record of the earlier format: %+v, %v", old, err)
	}
	noTest := tinyConfig(stcnn.Primal, "adam")
	noTest.TestSize, noTest.Epochs = 0, 1
	if r := mustRun(t, noTest, training.Options{}).History.Last(); r.Test != nil {
		t.Errorf("a run without test images recorded test metrics %+v", *r.Test)
	}
}

// TestTestAndGapEveryID: the setting enters the ID, and at 0 it leaves the
// canonical JSON (and so every existing run's ID) as it was.
func TestTestAndGapEveryID(t *testing.T) {
	base := tinyConfig(stcnn.Dual, "adam")
	js, err := json.Marshal(base)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(js), "test_and_gap_every") {
		t.Errorf("canonical JSON with the default cadence names it: %s", js)
	}
	every := base
	every.TestAndGapEvery = 2
	if every.ID() == base.ID() {
		t.Error("the test cadence does not change the run's ID")
	}
}
