package convex

import (
	"github.com/convexst/stcnn/stcnn"
	"github.com/convexst/stcnn/stcnn/initializers"
	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/ml/model"
)

// RebuildResult compares the primal networks built from one dual solution
// (rho 1e-2, certified) with primal networks trained from random starts.
type RebuildResult struct {
	// Dual is the dual objective of eq. 22 (squared error + 2 beta sum
	// ||w||, no hinge) at the certified solution; DualPenalised adds the
	// hinge (the solver's objective) and DualBound is its certified bound.
	Dual          float64 `json:"dual"`
	DualPenalised float64 `json:"dual_penalised"`
	DualBound     float64 `json:"dual_bound"`
	// Eq47 and Refit are the training objectives of eq. 47's rebuild and of
	// stcnn.RefitPrimal, with their relative excess over Dual.
	Eq47     float64 `json:"eq47"`
	Eq47Rel  float64 `json:"eq47_rel"`
	Refit    float64 `json:"refit"`
	RefitRel float64 `json:"refit_rel"`
	// K is the width of the refitted primal and of the random starts.
	K int `json:"K"`
	// Starts are the Adam runs: the refitted primal (convex warm start),
	// Kaiming uniform and N(0, 0.001^2) (Figs. 9-11's initialisations).
	Starts []StartRun `json:"starts"`
}

// StartRun is one Adam fine-tuning of a primal.
type StartRun struct {
	Start string `json:"start"`
	// Objective is the training objective before the first epoch and
	// after each epoch.
	Objective []float64 `json:"objective"`
	// TestPSNR is the mean test PSNR at the end (dB).
	TestPSNR float64 `json:"test_psnr"`
}

// RunRebuild solves the dual at sigma s.Sigma (rho 1e-2), rebuilds a
// primal by eq. 47 and by refitting, and fine-tunes with Adam the refitted
// primal and primals of the same width from Kaiming-uniform and
// small-normal starts.
func RunRebuild(backend compute.Backend, s Settings) (*RebuildResult, error) {
	d, err := LoadData(s, s.Sigma)
	if err != nil {
		return nil, err
	}
	sv, err := solveDual(backend, s, dualConfig(s.P, 1e-2), d, nil)
	if err != nil {
		return nil, err
	}
	gap, err := measureGap(backend, sv.store, sv.dual, d.TrainNoisy, d.TrainClean)
	if err != nil {
		return nil, err
	}
	r := &RebuildResult{Dual: gap.Dual, DualPenalised: sv.res.Objective, DualBound: sv.res.Bound, Eq47: gap.Primal, Eq47Rel: gap.Relative}
	refit, rstore, info, err := stcnn.RefitPrimal(backend, sv.store, sv.dual, d.TrainNoisy, d.TrainClean, stcnn.RefitOptions{})
	if err != nil {
		return nil, err
	}
	rm, err := evaluate(backend, rstore, refit, d.TrainNoisy, d.TrainClean)
	if err != nil {
		return nil, err
	}
	r.Refit, r.RefitRel, r.K = rm.Objective, rm.Objective/gap.Dual-1, info.K
	starts := []struct {
		name string
		init initializers.Spec
	}{{"refit (convex warm start)", initializers.Spec{}}, {"kaiming", initializers.KaimingUniform()}, {"normal0.001", initializers.Normal(0.001)}}
	for _, st := range starts {
		primal, store := refit, rstore
		if st.init.Kind != "" {
			pcfg := refit.Config()
			if primal, err = stcnn.NewPrimal(pcfg); err != nil {
				return nil, err
			}
			store = model.NewStore()
			if err := primal.Init(store, st.init, s.Seed); err != nil {
				return nil, err
			}
		}
		curve, test, err := fineTune(backend, s, store, primal, d)
		if err != nil {
			return nil, err
		}
		r.Starts = append(r.Starts, StartRun{Start: st.name, Objective: curve, TestPSNR: test.PSNR})
	}
	return r, nil
}
