package reproductions

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/convexst/stcnn/internal/testutil"
	"github.com/convexst/stcnn/stcnn"
	"github.com/convexst/stcnn/stcnn/training"
)

// TestMNISTCurveMeasuredAtTheEnd: a history whose test metrics and gaps
// were measured only at the end (the paper scale) gives training series
// over every epoch, test and gap series at the last one, NaN cells in the
// CSV for the other epochs, a JSON-encodable curve and drawable plots.
func TestMNISTCurveMeasuredAtTheEnd(t *testing.T) {
	gap := &stcnn.Gap{Dual: 4, Primal: 5, Gap: 1, Relative: 0.25}
	h := training.History{Name: "dual", Records: []training.Record{
		{Epoch: 0, Train: stcnn.Metrics{Objective: 9}},
		{Epoch: 1, Train: stcnn.Metrics{Objective: 7}},
		{Epoch: 2, Train: stcnn.Metrics{Objective: 6}, Test: &stcnn.Metrics{Objective: 6.5}, TrainGap: gap, TestGap: gap},
	}}
	c := runCurveOf(h)
	if len(c.Epoch) != 3 || len(c.TestEpoch) != 1 || c.TestEpoch[0] != 2 || c.TestObjective[0] != 6.5 ||
		len(c.TrainGap) != 1 || len(c.TestGap) != 1 {
		t.Fatalf("curve %+v", c)
	}
	if _, err := json.Marshal(c); err != nil {
		t.Fatalf("the curve does not encode: %v", err)
	}
	dir := t.TempDir()
	if err := mnistCurvesCSV(dir, "c.csv", []runCurve{c}); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(dir, "c.csv"))
	if err != nil {
		t.Fatal(err)
	}
	want := "epoch,dual_train_objective,dual_test_objective,dual_rebuilt_primal_train_objective,dual_train_gap," +
		"dual_rebuilt_primal_test_objective,dual_test_gap\n0,9,NaN,NaN,NaN,NaN,NaN\n1,7,NaN,NaN,NaN,NaN,NaN\n2,6,6.5,5,1,5,1\n"
	if string(data) != want {
		t.Errorf("CSV\n%s\nwant\n%s", data, want)
	}
	files, err := mnistObjectivePlots(dir, "c", "test", []runCurve{c}, func(runCurve) bool { return false })
	if err != nil || len(files) != 4 || !strings.HasSuffix(files[2], "c_test.png") {
		t.Fatalf("plots %v, %v", files, err)
	}
}

// TestPredictOncePerRun: a finished run's outputs on an image set are
// computed once per Shared and equal the run's own prediction; a run in
// progress is predicted afresh.
func TestPredictOncePerRun(t *testing.T) {
	cfg := training.DefaultConfig(stcnn.Primal)
	cfg.Model.K, cfg.TrainSize, cfg.TestSize, cfg.BatchSize, cfg.Epochs = 4, 8, 4, 4, 1
	res, err := training.Run(cfg, training.Options{Backend: testutil.Backend(t)})
	if err != nil {
		t.Fatal(err)
	}
	env := Env{Shared: NewShared("", "", "test")}
	first, err := env.predict(res, res.Data.TestNoisy)
	if err != nil {
		t.Fatal(err)
	}
	again, err := env.predict(res, res.Data.TestNoisy)
	if err != nil || again != first {
		t.Errorf("the same run and images predicted again (error %v)", err)
	}
	direct, err := res.Predict(res.Data.TestNoisy)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(direct.Pixels, first.Pixels) {
		t.Error("the shared prediction differs from the run's own")
	}
	other, err := env.predict(res, res.Data.TrainNoisy)
	if err != nil {
		t.Fatal(err)
	}
	if other == first || other.N != cfg.TrainSize {
		t.Errorf("another image set: %d images, the first set's result %v", other.N, other == first)
	}
	inProgress := *res
	inProgress.Epoch = 0
	if fresh, err := env.predict(&inProgress, res.Data.TestNoisy); err != nil || fresh == first {
		t.Errorf("a run in progress was served a stored prediction (error %v)", err)
	}
}
