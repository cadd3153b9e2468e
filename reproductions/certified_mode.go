package reproductions

// The certified mode (Env.Certify, reproduce -certify) of Figs. 9, 10, 11
// and Table I: every dual training problem those figures train with the
// paper's optimisers is also solved by stcnn/certify, so the plots and
// summaries show where each optimiser stands against a proven optimum.
// The problem is the same one the optimisers minimise: the same training
// images and noise (the figure's training.Data), the same gates
// (DualModel.Init with the run's model seed, as training.Run does) and
// the same lambda, beta and rho.

import (
	"fmt"
	"strings"
	"time"

	"github.com/convexst/stcnn/stcnn"
	"github.com/convexst/stcnn/stcnn/certify"
	"github.com/convexst/stcnn/stcnn/initializers"
	"github.com/convexst/stcnn/stcnn/training"
	"github.com/gomlx/gomlx/ml/model"
)

// mnistCertified is the certified solution of one dual training problem.
type mnistCertified struct {
	Sigma  float64         `json:"sigma"`
	P      int             `json:"P"`
	Result *certify.Result `json:"result"`
	// Train and Test evaluate the certified weights (stcnn.Trainer.Evaluate).
	Train stcnn.Metrics `json:"train"`
	Test  stcnn.Metrics `json:"test"`
	// Gap is the eq. 47 measurement at the certified weights on the
	// training images: the zero-gap claim is about optimal duals, and
	// these are proven optimal to within the certified gap.
	Gap stcnn.Gap `json:"gap"`
}

// mnistCertify solves the training problem of the dual run cfg on data.
// Unlike the "certified" figure it keeps the run's own P, so at the paper
// scale (P = 8000) it is limited by CertifiedSettings.MaxTime.
// The solution is computed once per Env.Shared.
func mnistCertify(env Env, cfg training.Config, data *training.Data) (*mnistCertified, *CertifiedSettings, error) {
	set, err := CertifiedSettingsFor(env.Scale)
	if err != nil {
		return nil, nil, err
	}
	set.P = cfg.Model.P
	out, err := env.certified(cfg, func() (*mnistCertified, error) { return mnistSolveCertified(env, set, cfg, data) })
	if err != nil {
		return nil, nil, err
	}
	return out, &set, nil
}

// mnistSolveCertified solves the training problem of the dual run cfg on
// data and evaluates the certified weights.
func mnistSolveCertified(env Env, set CertifiedSettings, cfg training.Config, data *training.Data) (*mnistCertified, error) {
	dual, err := stcnn.NewDual(cfg.Model)
	if err != nil {
		return nil, fmt.Errorf("certified mode, run %s: %w", cfg.Name, err)
	}
	store := model.NewStore()
	if err := dual.Init(store, initializers.Zeros(), cfg.Seeds().Model); err != nil {
		return nil, err
	}
	res, err := certify.Solve(env.Backend, store, dual, data.TrainNoisy, data.TrainClean, certify.Options{
		Tol: set.Tol, MaxTime: time.Duration(set.MaxTime * float64(time.Second)), CacheBytes: set.CacheBytes,
		ChunkImages: 0})
	if err != nil {
		return nil, fmt.Errorf("certified mode, run %s: %w", cfg.Name, err)
	}
	ev, err := training.EvaluateWeights(env.Backend, store, dual, cfg.MaxChunkElements, data, true)
	if err != nil {
		return nil, err
	}
	out := &mnistCertified{Sigma: cfg.Sigma, P: cfg.Model.P, Result: res, Train: ev.Train, Test: ev.Test, Gap: *ev.TrainGap}
	env.Logf("  %-22s certified objective %.6g, bound %.6g (relative gap %.2g, %d passes, %.1fs), PSNR train %.2f dB test %.2f dB",
		strings.Replace(cfg.Name, string(stcnn.Dual), "certified", 1), res.Objective, res.Bound, res.RelGap,
		res.Iterations, res.Seconds, out.Train.PSNR, out.Test.PSNR)
	return out, nil
}

// curve is the certified solution drawn over the epochs of the trained runs
// (constant: it is one point, not a trajectory).
func (c *mnistCertified) curve(name string, epochs []float64) runCurve {
	cv := runCurve{Name: name, Epoch: epochs, TestEpoch: epochs}
	for range epochs {
		cv.TrainObjective = append(cv.TrainObjective, c.Result.Objective)
		cv.TestObjective = append(cv.TestObjective, c.Test.Objective)
	}
	return cv
}

// metrics records the certificate under prefix.
func (c *mnistCertified) metrics(m map[string]float64, prefix string) {
	r := c.Result
	m[prefix+"certified_objective"], m[prefix+"certified_bound"] = r.Objective, r.Bound
	m[prefix+"certified_rel_gap"], m[prefix+"certified_seconds"] = r.RelGap, r.Seconds
	m[prefix+"certified_test_objective"] = c.Test.Objective
	m[prefix+"certified_train_psnr"], m[prefix+"certified_test_psnr"] = c.Train.PSNR, c.Test.PSNR
	m[prefix+"certified_gap_rebuilt_primal"], m[prefix+"certified_gap_relative"] = c.Gap.Primal, c.Gap.Relative
}

// excess is how far a training objective lies above the certified bound,
// relative to it.
func (c *mnistCertified) excess(objective float64) float64 {
	return (objective - c.Result.Bound) / c.Result.Bound
}

// describe is the summary sentence of one certificate.
func (c *mnistCertified) describe() string {
	r := c.Result
	s := fmt.Sprintf("the dual training problem's optimum (P = %d) lies in [%.6g, %.6g] (certified relative gap %.2g, %.1fs)",
		c.P, r.Bound, r.Objective, r.RelGap, r.Seconds)
	if !r.Converged {
		s += " (tolerance not reached within the time cap)"
	}
	s += fmt.Sprintf("; the primal rebuilt from the certified weights by eq. 47 has objective %.6g (gap %+.1f%%)",
		c.Gap.Primal, 100*c.Gap.Relative)
	return s
}

// mnistCertifyDual solves the problem of the first dual run in configs.
func mnistCertifyDual(env Env, configs []training.Config) (*mnistCertified, *CertifiedSettings, error) {
	for _, cfg := range configs {
		if cfg.Model.Model != stcnn.Dual {
			continue
		}
		data, err := env.data(cfg)
		if err != nil {
			return nil, nil, err
		}
		return mnistCertify(env, cfg, data)
	}
	return nil, nil, fmt.Errorf("certified mode: no dual run")
}

// certifyComparison adds the certified optimum to Figs. 9 and 10: a curve
// (before the outputs are written) and, through annotate, metrics and a
// summary sentence on how far each optimiser's dual run ends above it.
func certifyComparison(env Env, c *mnistComparison, configs []training.Config) (annotate func(*Result), err error) {
	ref, set, err := mnistCertifyDual(env, configs)
	if err != nil {
		return nil, err
	}
	c.Curves = append(c.Curves, ref.curve("dual_certified", c.Curves[0].Epoch))
	return func(res *Result) {
		ref.metrics(res.Metrics, "")
		var parts []string
		for i, v := range c.Variants {
			d, p := c.FinalTrain[stcnn.Dual][i], c.FinalTrain[stcnn.Primal][i]
			res.Metrics["dual_"+v+"_excess_over_bound"] = ref.excess(d)
			res.Metrics["primal_"+v+"_relative_to_bound"] = ref.excess(p)
			parts = append(parts, fmt.Sprintf("%s %+.2f%%", v, 100*ref.excess(d)))
		}
		res.Summary += fmt.Sprintf(" Certified solver: %s; the trained duals end above its bound by %s.",
			ref.describe(), strings.Join(parts, ", "))
		if rec, ok := res.Settings.(mnistSettingsRecord); ok {
			rec.Certified = set
			res.Settings = rec
		}
		res.Data = map[string]any{"comparison": c, "certified": ref}
	}, nil
}
