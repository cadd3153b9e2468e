package convex

import (
	"time"

	"github.com/convexst/stcnn/stcnn"
	"github.com/convexst/stcnn/stcnn/certify"
	"github.com/convexst/stcnn/stcnn/initializers"
	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/ml/model"
)

// dualConfig is the project's dual (stcnn.DefaultConfig: 3x3 filters,
// lambda 0.1, beta 1e-5, float32) with P gates and hinge weight rho.
func dualConfig(p int, rho float64) stcnn.Config {
	cfg := stcnn.DefaultConfig(stcnn.Dual, 1)
	cfg.P, cfg.Rho = p, rho
	return cfg
}

// solved is a dual solved by the certified solver.
type solved struct {
	dual  *stcnn.DualModel
	store *model.Store
	res   *certify.Result
}

// solveDual solves the dual of cfg on the training images of d, starting
// from zero weights, or from the weights of warm (same gates) when given.
func solveDual(backend compute.Backend, s Settings, cfg stcnn.Config, d *Data, warm *solved) (*solved, error) {
	dual, err := stcnn.NewDual(cfg)
	if err != nil {
		return nil, err
	}
	store := model.NewStore()
	if err := dual.Init(store, initializers.Zeros(), s.Seed); err != nil {
		return nil, err
	}
	if warm != nil {
		for _, name := range []string{"w", "w_prime"} {
			v, err := stcnn.VariableFloat64s(warm.dual.Scope(warm.store), name)
			if err != nil {
				return nil, err
			}
			if err := setValues(dual.Scope(store), name, v, cfg); err != nil {
				return nil, err
			}
		}
	}
	opts := certify.Options{Tol: s.Tol, CacheBytes: 3 << 30, Progress: s.Progress}
	if s.MaxSeconds > 0 {
		opts.MaxTime = time.Duration(s.MaxSeconds * float64(time.Second))
	}
	res, err := certify.Solve(backend, store, dual, d.TrainNoisy, d.TrainClean, opts)
	if err != nil {
		return nil, err
	}
	return &solved{dual: dual, store: store, res: res}, nil
}

// CertifiedRow is one certified solve.
type CertifiedRow struct {
	Sigma float64 `json:"sigma"`
	// Objective, Bound and RelGap are the certificate: the optimum lies in
	// [Bound, Objective].
	Objective float64 `json:"objective"`
	Bound     float64 `json:"bound"`
	RelGap    float64 `json:"rel_gap"`
	Converged bool    `json:"converged"`
	Passes    int     `json:"passes"`
	Seconds   float64 `json:"seconds"`
}

// RunCertified solves the dual (P gates, the project's rho 1e-2) at every
// noise level of s from zero weights and reports the certificates.
func RunCertified(backend compute.Backend, s Settings) ([]CertifiedRow, error) {
	var rows []CertifiedRow
	for _, sigma := range s.Sigmas {
		d, err := LoadData(s, sigma)
		if err != nil {
			return nil, err
		}
		sv, err := solveDual(backend, s, dualConfig(s.P, 1e-2), d, nil)
		if err != nil {
			return nil, err
		}
		r := sv.res
		rows = append(rows, CertifiedRow{Sigma: sigma, Objective: r.Objective, Bound: r.Bound, RelGap: r.RelGap,
			Converged: r.Converged, Passes: r.Iterations, Seconds: r.Seconds})
	}
	return rows, nil
}
