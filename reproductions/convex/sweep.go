package convex

import (
	"fmt"
	"math"

	"github.com/convexst/stcnn/datasets"
	"github.com/convexst/stcnn/stcnn"
	"github.com/gomlx/compute"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
	"gonum.org/v1/gonum/floats"
)

// RhoRow is the dual solved to a certified gap at one hinge weight rho.
type RhoRow struct {
	Rho float64 `json:"rho"`
	// Objective is the hinge-penalised objective at the returned weights,
	// Bound its certified lower bound; RelGap (Objective - Bound)/Objective.
	Objective float64 `json:"objective"`
	Bound     float64 `json:"bound"`
	RelGap    float64 `json:"rel_gap"`
	// SquaredError, Regularizer and Hinge (before the factor rho) are the
	// parts of Objective; ViolatedFraction is the fraction of the sign
	// constraints s_ji y_i . w_jc >= 0 violated on the training images.
	SquaredError     float64 `json:"squared_error"`
	Regularizer      float64 `json:"regularizer"`
	Hinge            float64 `json:"hinge"`
	ViolatedFraction float64 `json:"violated_fraction"`
	// TestPSNR is the dual's mean PSNR on the test images (dB).
	TestPSNR float64 `json:"test_psnr"`
	// Eq47 is the primal objective of eq. 47's rebuild and Eq47Rel its
	// excess over the dual objective of eq. 22 (squared error + 2 beta sum
	// ||w||, no hinge); Refit and RefitRel the same for stcnn.RefitPrimal.
	Eq47     float64 `json:"eq47"`
	Eq47Rel  float64 `json:"eq47_rel"`
	Refit    float64 `json:"refit"`
	RefitRel float64 `json:"refit_rel"`
	// Feasible is the objective of the dual with its sign constraints as
	// constraints at a feasible point built from the solution (every row
	// projected onto its gate's ray, where all constraints hold); with
	// Bound it brackets the constrained optimum: Bound <= min <= Feasible.
	Feasible float64 `json:"feasible"`
	// FeasibleViolated is the fraction of constraints violated at that
	// point (zero up to rounding).
	FeasibleViolated float64 `json:"feasible_violated"`
	Seconds          float64 `json:"seconds"`
	Passes           int     `json:"passes"`
}

// RunRhoSweep solves the dual at sigma s.Sigma for every rho of s.Rhos in
// increasing order, each warm started from the previous solution (same
// gates), and measures each solution.
//
// Why the bounds also bound the constrained dual: on the feasible set the
// hinge is zero, so min (constrained) = min over feasible points of the
// penalised objective >= min (penalised) >= Bound, at every rho.
func RunRhoSweep(backend compute.Backend, s Settings) ([]RhoRow, error) {
	d, err := LoadData(s, s.Sigma)
	if err != nil {
		return nil, err
	}
	var rows []RhoRow
	var prev *solved
	for _, rho := range s.Rhos {
		cfg := dualConfig(s.P, rho)
		sv, err := solveDual(backend, s, cfg, d, prev)
		if err != nil {
			return nil, err
		}
		prev = sv
		row := RhoRow{Rho: rho, Objective: sv.res.Objective, Bound: sv.res.Bound, RelGap: sv.res.RelGap,
			Seconds: sv.res.Seconds, Passes: sv.res.Iterations}
		if err := measureSolution(backend, sv, d, &row); err != nil {
			return nil, err
		}
		rows = append(rows, row)
	}
	return rows, nil
}

// measureSolution fills the metrics, rebuilds and the feasible point of row.
func measureSolution(backend compute.Backend, sv *solved, d *Data, row *RhoRow) error {
	m, err := evaluate(backend, sv.store, sv.dual, d.TrainNoisy, d.TrainClean)
	if err != nil {
		return err
	}
	row.SquaredError, row.Regularizer, row.Hinge, row.ViolatedFraction = m.SquaredError, m.Regularizer, m.Hinge, m.ViolatedFraction
	test, err := evaluate(backend, sv.store, sv.dual, d.TestNoisy, d.TestClean)
	if err != nil {
		return err
	}
	row.TestPSNR = test.PSNR
	gap, err := measureGap(backend, sv.store, sv.dual, d.TrainNoisy, d.TrainClean)
	if err != nil {
		return err
	}
	row.Eq47, row.Eq47Rel = gap.Primal, gap.Relative
	refit, rstore, _, err := stcnn.RefitPrimal(backend, sv.store, sv.dual, d.TrainNoisy, d.TrainClean, stcnn.RefitOptions{})
	if err != nil {
		return err
	}
	rm, err := evaluate(backend, rstore, refit, d.TrainNoisy, d.TrainClean)
	if err != nil {
		return err
	}
	row.Refit, row.RefitRel = rm.Objective, rm.Objective/gap.Dual-1
	fstore, err := feasiblePoint(backend, sv, d)
	if err != nil {
		return err
	}
	fm, err := evaluate(backend, fstore, sv.dual, d.TrainNoisy, d.TrainClean)
	if err != nil {
		return err
	}
	row.Feasible, row.FeasibleViolated = fm.Objective, fm.ViolatedFraction
	return nil
}

// feasiblePoint returns a store holding the dual of sv moved, row by row,
// the least distance along the segment towards the ray of its gate that
// satisfies every sign constraint on the training images: with n_j the unit
// gate, a = max(0, n_j . w_jc) and t_i = s_ji y_i . w_jc, the point
// (1 - theta) w_jc + theta a n_j has activations
// (1 - theta) t_i + theta a |y_i . n_j| (s_ji = sign(y_i . n_j)), which are
// >= 0 for theta >= max over violated i of -t_i / (a |y_i . n_j| - t_i).
// Rows without violations stay (theta = 0); the hinge is zero at the result
// up to the rounding of the activations.
func feasiblePoint(backend compute.Backend, sv *solved, d *Data) (*model.Store, error) {
	cfg := sv.dual.Config()
	scope := sv.dual.Scope(sv.store)
	gates, err := stcnn.VariableFloat64s(scope, "gates")
	if err != nil {
		return nil, err
	}
	dd, p, dt := cfg.PatchSize(), cfg.P, cfg.GoMLXDType()
	units := append([]float64(nil), gates...)
	for j := 0; j < p; j++ {
		if gn := floats.Norm(units[j*dd:(j+1)*dd], 2); gn > 0 {
			floats.Scale(1/gn, units[j*dd:(j+1)*dd])
		}
	}
	store := model.NewStore()
	out := sv.dual.Scope(store)
	out.VariableWithValue("gates", stcnn.TensorFromFloat64s(gates, dt, p, dd)).SetTrainable(false)
	for _, name := range []string{"w", "w_prime"} {
		w, err := stcnn.VariableFloat64s(scope, name)
		if err != nil {
			return nil, err
		}
		rows := len(w) / dd
		along := make([]float64, rows)
		for r := range along {
			along[r] = math.Max(0, floats.Dot(units[(r%p)*dd:(r%p+1)*dd], w[r*dd:(r+1)*dd]))
		}
		theta, err := repairSteps(backend, cfg, gates, units, w, along, d.TrainNoisy)
		if err != nil {
			return nil, err
		}
		for r := 0; r < rows; r++ {
			if theta[r] == 0 {
				continue
			}
			// A margin, so that the activations brought to zero stay >= 0
			// under the float32 rounding of the evaluation.
			th := math.Min(1, theta[r]*(1+1e-2)+1e-6)
			row, n := w[r*dd:(r+1)*dd], units[(r%p)*dd:(r%p+1)*dd]
			for i := range row {
				row[i] = (1-th)*row[i] + th*along[r]*n[i]
			}
		}
		out.VariableWithValue(name, stcnn.TensorFromFloat64s(w, dt, rows, dd))
	}
	return store, nil
}

// repairSteps returns per row of w [C*P, D] the smallest theta of
// feasiblePoint, max over patches of relu(-t_i) / (a |y_i . n_j| + relu(-t_i)),
// over the images.
func repairSteps(backend compute.Backend, cfg stcnn.Config, gates, units, w, along []float64, images *datasets.Images) ([]float64, error) {
	dd, p, dt := cfg.PatchSize(), cfg.P, cfg.GoMLXDType()
	rows := len(w) / dd
	c := rows / p
	exec, err := NewExec(backend, func(in []*Node) []*Node {
		y := stcnn.Patches(in[0], cfg.M)
		_, s := stcnn.GatePatterns(y, in[1], cfg.Lambda) // [P, I]
		contract := func(a *Node) *Node { return Dot(a, y).General([]int{1}, nil, []int{1}, nil) }
		t := Mul(Reshape(contract(in[2]), c, p, -1), ExpandDims(s, 0))                      // [C, P, I]
		r := Mul(Reshape(in[4], c, p, 1), ExpandDims(Mul(Abs(contract(in[3])), Abs(s)), 0)) // [C, P, I]
		v := MaxScalar(Neg(t), 0)
		ratio := Div(v, Add(Add(r, v), Scalar(t.Graph(), dt, 1e-30)))
		return []*Node{Reshape(ReduceMax(ratio, 2), rows)}
	})
	if err != nil {
		return nil, err
	}
	per := max(1, stcnn.DefaultMaxChunkElements/max(1, 3*images.H*images.W*rows))
	gt, ut := stcnn.TensorFromFloat64s(gates, dt, p, dd), stcnn.TensorFromFloat64s(units, dt, p, dd)
	wt, at := stcnn.TensorFromFloat64s(w, dt, rows, dd), stcnn.TensorFromFloat64s(along, dt, rows)
	theta := make([]float64, rows)
	for from := 0; from < images.N; from += per {
		ch, err := images.Slice(from, min(images.N, from+per))
		if err != nil {
			return nil, err
		}
		res, err := exec.Exec(stcnn.ImagesTensor(ch, dt), gt, wt, ut, at)
		if err != nil {
			return nil, fmt.Errorf("convex: repairing the sign constraints: %w", err)
		}
		th, err := stcnn.Float64s(res[0])
		if err != nil {
			return nil, err
		}
		for i := range theta {
			theta[i] = math.Max(theta[i], th[i])
		}
	}
	return theta, nil
}
