package stcnn_test

import (
	"math"
	"strings"
	"testing"

	"github.com/convexst/stcnn/stcnn"
	"github.com/convexst/stcnn/stcnn/certify"
	"github.com/gomlx/gomlx/ml/model"
)

// TestRefitPrimal solves a small dual to a certified optimum, rebuilds a
// primal by eq. 47 and by RefitPrimal, and checks that the refitted primal
// is the better network (its objective at most eq. 47's), that its output
// weights are the exact ridge solution (moving them only raises the
// objective), and that it keeps one neuron per nonzero dual row.
func TestRefitPrimal(t *testing.T) {
	noisy, clean := mnistPair(t, 20)
	cfg := stcnn.DefaultConfig(stcnn.Dual, 1)
	cfg.P, cfg.DType = 16, "float64"
	net, store := initNetwork(t, cfg, 1)
	dual := net.(*stcnn.DualModel)
	res, err := certify.Solve(backend(t), store, dual, noisy, clean, certify.Options{Tol: 1e-4})
	if err != nil {
		t.Fatal(err)
	}
	dm := evaluate(t, dual, store, noisy, clean)
	eq47, eq47Store, err := stcnn.RebuildPrimal(store, dual)
	if err != nil {
		t.Fatal(err)
	}
	em := evaluate(t, eq47, eq47Store, noisy, clean)
	refit, refitStore, info, err := stcnn.RefitPrimal(backend(t), store, dual, noisy, clean, stcnn.RefitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rm := evaluate(t, refit, refitStore, noisy, clean)
	dualObj := dm.SquaredError + dm.Regularizer
	t.Logf("dual %.8g (certified gap %.2g), eq. 47 primal %.8g (%+.1f%%), refitted primal %.8g (%+.1f%%), K = %d of %d rows",
		dualObj, res.RelGap, em.Objective, 100*(em.Objective/dualObj-1), rm.Objective, 100*(rm.Objective/dualObj-1), info.K, info.Rows)
	if info.Rows != cfg.P || info.K != refit.Config().K || info.K < 1 || info.K > info.Rows {
		t.Errorf("rows %d, kept %d, primal K %d (P = %d)", info.Rows, info.K, refit.Config().K, cfg.P)
	}
	var kept float64
	for i, f := range []float64{0.5, 0.71, 1, 1.41, 2} {
		if f == info.ScaleFactor {
			kept = info.Objectives[i]
		}
	}
	if math.Abs(kept-rm.Objective) > 1e-9*rm.Objective {
		t.Errorf("objective computed from the Gram matrix %.12g, evaluated %.12g (factor %g)", kept, rm.Objective, info.ScaleFactor)
	}
	if !(rm.Objective <= em.Objective) {
		t.Errorf("refitted primal %.10g worse than eq. 47's %.10g", rm.Objective, em.Objective)
	}
	// The output weights minimise the objective for the fixed filters.
	v := refit.Scope(refitStore).GetVariable("v")
	vt, err := v.Value()
	if err != nil {
		t.Fatal(err)
	}
	v0, err := stcnn.Float64s(vt)
	if err != nil {
		t.Fatal(err)
	}
	for _, step := range []float64{1e-3, -1e-3} {
		moved := make([]float64, len(v0))
		for i := range v0 {
			moved[i] = v0[i] * (1 + step)
		}
		if err := v.SetValue(stcnn.TensorFromFloat64s(moved, cfg.GoMLXDType(), 1, info.K)); err != nil {
			t.Fatal(err)
		}
		if m := evaluate(t, refit, refitStore, noisy, clean); m.Objective < rm.Objective*(1-1e-12) {
			t.Errorf("scaling v by %g lowers the objective to %.12g from %.12g: not the ridge solution", 1+step, m.Objective, rm.Objective)
		}
	}
}

func TestRefitPrimalErrors(t *testing.T) {
	noisy, clean := mnistPair(t, 2)
	cfg := stcnn.DefaultConfig(stcnn.Dual, 1)
	cfg.P = 4
	net, store := initNetwork(t, cfg, 1)
	dual := net.(*stcnn.DualModel)
	for _, c := range []struct {
		name  string
		store *model.Store
		dual  *stcnn.DualModel
		want  string
	}{
		{"nil dual", store, nil, "nil dual"},
		{"empty store", model.NewStore(), dual, "not found"},
		{"zero weights", store, dual, "all zero"},
	} {
		_, _, _, err := stcnn.RefitPrimal(backend(t), c.store, c.dual, noisy, clean, stcnn.RefitOptions{})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.want)
		}
	}
}
