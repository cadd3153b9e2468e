package reproductions

import (
	"fmt"
	"math"
	"strings"

	"github.com/convexst/stcnn/stcnn"
	"github.com/convexst/stcnn/stcnn/optimizers"
	"github.com/convexst/stcnn/stcnn/training"
)

// mnistSigmaRun is a primal and a dual run at one noise level.
type mnistSigmaRun struct {
	Sigma        float64
	Primal, Dual *training.Result
	// Certified is the certified solution of the dual's training problem
	// (certified mode only).
	Certified *mnistCertified
}

// mnistSigmaRuns trains primal (Adam, Kaiming uniform, the paper's choice
// for its strong-duality experiment) and dual (Adam) at every sigma,
// loading MNIST once.
func mnistSigmaRuns(env Env, s MNISTSettings, sigmas []float64, measureGap bool) ([]mnistSigmaRun, []training.Config, error) {
	var out []mnistSigmaRun
	var configs []training.Config
	var base *training.Data
	for _, sigma := range sigmas {
		run := mnistSigmaRun{Sigma: sigma}
		for _, kind := range mnistModels {
			cfg, err := s.config(fmt.Sprintf("%s_sigma%.2f", kind, sigma),
				figureRun{Kind: kind, Optimizer: optimizers.NameAdam, Sigma: sigma, MeasureGap: measureGap && kind == stcnn.Dual})
			if err != nil {
				return nil, nil, err
			}
			first, err := env.sharedImages(&base, cfg)
			if err != nil {
				return nil, nil, err
			}
			data, err := training.WithNoise(first.TrainClean, first.TestClean, cfg)
			if err != nil {
				return nil, nil, err
			}
			res, err := env.train(cfg, data)
			if err != nil {
				return nil, nil, err
			}
			configs = append(configs, cfg)
			if kind == stcnn.Primal {
				run.Primal = res
			} else {
				run.Dual = res
				if env.Certify {
					if run.Certified, _, err = mnistCertify(env, cfg, data); err != nil {
						return nil, nil, err
					}
				}
			}
		}
		out = append(out, run)
	}
	return out, configs, nil
}

// mnistSigmaFigure is what Figs. 11, 12 and Table I start from: the MNIST
// settings of env's scale, the folder of figure id, and the primal and dual
// runs (mnistSigmaRuns) at the noise levels sigmas picks from the settings.
func mnistSigmaFigure(env Env, id string, sigmas func(MNISTSettings) []float64, measureGap bool) (
	s MNISTSettings, dir string, runs []mnistSigmaRun, configs []training.Config, err error) {
	if s, err = MNISTSettingsFor(env.Scale); err != nil {
		return s, "", nil, nil, err
	}
	if dir, err = env.Dir(id); err != nil {
		return s, "", nil, nil, err
	}
	runs, configs, err = mnistSigmaRuns(env, s, sigmas(s), measureGap)
	return s, dir, runs, configs, err
}

// mnistAllSigmas are the noise levels of Fig. 11 and Table I.
func mnistAllSigmas(s MNISTSettings) []float64 { return s.Sigmas }

// mnistFigureSigma is the noise level of Figs. 9, 10 and 12.
func mnistFigureSigma(s MNISTSettings) []float64 { return []float64{s.Sigma} }

// mnistCertifiedSettings is the certified solver's record for a manifest
// (nil outside the certified mode).
func mnistCertifiedSettings(env Env, s MNISTSettings) *CertifiedSettings {
	if !env.Certify {
		return nil
	}
	set, err := CertifiedSettingsFor(env.Scale)
	if err != nil {
		return nil
	}
	set.P = s.P
	return &set
}

// mnistGapRow is the measured gap of Fig. 11 at one noise level and data set.
type mnistGapRow struct {
	Sigma float64 `json:"sigma"`
	Set   string  `json:"set"`
	// Primal and Dual are the final objectives of the two trained networks
	// (the dual's with its hinge penalty); Difference is (Primal - Dual) / Dual.
	Primal, Dual, Difference float64
	// Gap is the eq. 47 measurement on the trained dual: rebuilt primal
	// objective minus dual objective (without hinge).
	Gap stcnn.Gap `json:"gap"`
}

// runFig11 trains primal and dual at three noise levels and measures the
// primal-dual gap of the rebuilt primal (eq. 47) at the evaluations that
// measure the test metrics (MNISTSettings.TestAndGapEvery).
func runFig11(env Env) (*Result, error) {
	s, dir, runs, configs, err := mnistSigmaFigure(env, "11", mnistAllSigmas, true)
	if err != nil {
		return nil, err
	}
	var curves []runCurve
	var rows []mnistGapRow
	metrics := map[string]float64{}
	closeObjectives, smallGap := true, true
	var parts, certParts []string
	for _, r := range runs {
		pc := runCurveOf(r.Primal.History)
		dc := runCurveOf(r.Dual.History)
		curves = append(curves, pc, dc)
		pl, dl := r.Primal.History.Last(), r.Dual.History.Last()
		if r.Certified != nil {
			curves = append(curves, r.Certified.curve(fmt.Sprintf("dual_certified_sigma%.2f", r.Sigma), dc.Epoch))
			key := fmt.Sprintf("sigma%.2f_", r.Sigma)
			r.Certified.metrics(metrics, key)
			metrics[key+"dual_excess_over_bound"] = r.Certified.excess(dl.Train.Objective)
			metrics[key+"primal_relative_to_bound"] = r.Certified.excess(pl.Train.Objective)
			certParts = append(certParts, fmt.Sprintf("sigma %.2f: %s; trained dual %+.2f%%, trained primal %+.2f%% of the bound",
				r.Sigma, r.Certified.describe(), 100*r.Certified.excess(dl.Train.Objective), 100*r.Certified.excess(pl.Train.Objective)))
		}
		if dl.TrainGap == nil || dl.TestGap == nil {
			return nil, fmt.Errorf("figure 11: dual run at sigma %.2f recorded no gap", r.Sigma)
		}
		for _, set := range []struct {
			name   string
			p, d   float64
			gap    *stcnn.Gap
			suffix string
		}{{"train", pl.Train.Objective, dl.Train.Objective, dl.TrainGap, "train"},
			{"test", pl.Test.Objective, dl.Test.Objective, dl.TestGap, "test"}} {
			row := mnistGapRow{Sigma: r.Sigma, Set: set.name, Primal: set.p, Dual: set.d, Difference: (set.p - set.d) / set.d,
				Gap: *set.gap}
			rows = append(rows, row)
			key := fmt.Sprintf("sigma%.2f_%s_", r.Sigma, set.suffix)
			metrics[key+"primal"], metrics[key+"dual"], metrics[key+"difference"] = row.Primal, row.Dual, row.Difference
			metrics[key+"gap"], metrics[key+"gap_relative"] = row.Gap.Gap, row.Gap.Relative
			metrics[key+"rebuilt_primal"], metrics[key+"dual_without_hinge"] = row.Gap.Primal, row.Gap.Dual
			metrics[key+"violated_fraction"] = row.Gap.ViolatedFraction
			if math.Abs(row.Difference) > 0.05 {
				closeObjectives = false
			}
			if math.Abs(row.Gap.Relative) > 0.05 {
				smallGap = false
			}
		}
		parts = append(parts, fmt.Sprintf("sigma %.2f: primal %.4g, dual %.4g (primal - dual %+.1f%% of the dual); eq. 47 gap %.4g (%+.1f%% of the dual's %.4g; rebuilt primal %.4g, K = %d, %.1f%% of sign constraints violated); test: primal %.4g, dual %.4g, gap %+.1f%%",
			r.Sigma, pl.Train.Objective, dl.Train.Objective, 100*(pl.Train.Objective-dl.Train.Objective)/dl.Train.Objective,
			dl.TrainGap.Gap, 100*dl.TrainGap.Relative, dl.TrainGap.Dual, dl.TrainGap.Primal, dl.TrainGap.K,
			100*dl.TrainGap.ViolatedFraction, pl.Test.Objective, dl.Test.Objective, 100*dl.TestGap.Relative))
	}
	if err := mnistCurvesCSV(dir, "fig11.csv", curves); err != nil {
		return nil, err
	}
	files := []string{"fig11.csv"}
	gapRows := make([][]float64, len(rows))
	for i, r := range rows {
		set := 0.0
		if r.Set == "test" {
			set = 1
		}
		gapRows[i] = []float64{r.Sigma, set, r.Primal, r.Dual, r.Difference, r.Gap.Dual, r.Gap.Primal, r.Gap.Gap,
			r.Gap.Relative, r.Gap.ViolatedFraction, float64(r.Gap.K)}
	}
	if err := WriteCSV(dir, "fig11_gap.csv", []string{"sigma", "set_test", "primal_objective", "dual_objective",
		"relative_difference", "dual_objective_without_hinge", "rebuilt_primal_objective", "gap", "gap_relative",
		"violated_fraction", "rebuilt_K"}, gapRows); err != nil {
		return nil, err
	}
	files = append(files, "fig11_gap.csv")
	// The plots show the trained primal (solid), the trained dual (dashed)
	// and, per sigma, the primal rebuilt from the dual by eq. 47 (dashed).
	var withRebuilt []runCurve
	for _, c := range curves {
		withRebuilt = append(withRebuilt, c)
		if c.RebuiltTrain != nil {
			withRebuilt = append(withRebuilt, runCurve{Name: strings.Replace(c.Name, "dual", "rebuilt", 1),
				Epoch: c.TestEpoch, TrainObjective: c.RebuiltTrain, TestEpoch: c.TestEpoch, TestObjective: c.RebuiltTest})
		}
	}
	plots, err := mnistObjectivePlots(dir, "fig11", "Fig. 11, MNIST, Adam", withRebuilt, func(c runCurve) bool {
		return !strings.HasPrefix(c.Name, string(stcnn.Primal))
	})
	if err != nil {
		return nil, err
	}
	files = append(files, plots...)
	agrees := agreement(closeObjectives && smallGap, closeObjectives || smallGap)
	summary := fmt.Sprintf("Final training objectives after %d epochs (Adam; primal K = %d, dual P = %d): %s. "+
		"Trained objectives within 5%%: %v. Measured eq. 47 gap within 5%% of the dual objective: %v "+
		"(ST is not positively homogeneous, so the rebuilt primal need not attain the dual objective).",
		s.Epochs, s.K, s.P, strings.Join(parts, "; "), closeObjectives, smallGap)
	data := map[string]any{"curves": curves, "gaps": rows}
	if len(certParts) > 0 {
		summary += " Certified solver: " + strings.Join(certParts, "; ") + "."
		var certs []*mnistCertified
		for _, r := range runs {
			certs = append(certs, r.Certified)
		}
		data["certified"] = certs
	}
	return &Result{Files: files, Summary: summary, Agrees: agrees, Metrics: metrics,
		Data: data,
		Settings: mnistSettingsRecord{MNIST: s, Runs: configs, Note: "Adam for both networks; primal Kaiming uniform, dual zeros; gap measured (training.Config.MeasureGap) at every evaluation that measures the test metrics: every epoch, or only at the end where test_and_gap_every says so",
			Certified: mnistCertifiedSettings(env, s)}}, nil
}
