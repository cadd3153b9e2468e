package reproductions

// The MNIST figures of the paper (Section IV-A): Fig. 9 (optimisers), Fig. 10
// (initialisations), Fig. 11 (objectives over noise levels and the measured
// primal-dual gap), Fig. 12 (denoised examples) and Table I (PSNR / RLNE).
// Settings: MNISTSettingsFor in mnist.go.

import (
	"fmt"
	"math"
	"strings"

	"github.com/convexst/stcnn/stcnn"
	"github.com/convexst/stcnn/stcnn/training"
)

// mnistModels are the two networks, primal first.
var mnistModels = []stcnn.ModelKind{stcnn.Primal, stcnn.Dual}

// mnistComparison is the data of Figs. 9 and 10: one objective curve per
// (variant, network) and the final objectives.
type mnistComparison struct {
	Variants []string   `json:"variants"`
	Curves   []runCurve `json:"curves"`
	// FinalTrain[kind][variant] and FinalTest are the last objectives;
	// StartTrain is the training objective at the initial weights and
	// FirstTrain after the first epoch.
	FinalTrain map[stcnn.ModelKind][]float64 `json:"final_train"`
	FinalTest  map[stcnn.ModelKind][]float64 `json:"final_test"`
	StartTrain map[stcnn.ModelKind][]float64 `json:"start_train"`
	FirstTrain map[stcnn.ModelKind][]float64 `json:"first_train"`
	// Spread is (max - min) / min of the final training objectives over the
	// variants, per network.
	Spread map[stcnn.ModelKind]float64 `json:"spread"`
}

// mnistSettingsRecord is what an MNIST figure writes into its manifest.
type mnistSettingsRecord struct {
	MNIST MNISTSettings     `json:"mnist"`
	Runs  []training.Config `json:"runs"`
	Note  string            `json:"note,omitempty"`
	// Certified holds the certified solver's settings in the certified
	// mode (Env.Certify).
	Certified *CertifiedSettings `json:"certified,omitempty"`
}

// mnistCompare trains primal and dual for every variant (sigma s.Sigma) and
// collects their curves; run(variant, kind) gives the run of a variant.
func mnistCompare(env Env, s MNISTSettings, variants []string, run func(v string, kind stcnn.ModelKind) figureRun) (*mnistComparison, []training.Config, error) {
	c := &mnistComparison{Variants: variants, FinalTrain: map[stcnn.ModelKind][]float64{},
		FinalTest: map[stcnn.ModelKind][]float64{}, FirstTrain: map[stcnn.ModelKind][]float64{},
		StartTrain: map[stcnn.ModelKind][]float64{},
		Spread:     map[stcnn.ModelKind]float64{}}
	var configs []training.Config
	var data *training.Data
	for _, v := range variants {
		for _, kind := range mnistModels {
			cfg, err := s.config(fmt.Sprintf("%s_%s", kind, v), run(v, kind))
			if err != nil {
				return nil, nil, err
			}
			res, err := env.trainShared(cfg, &data)
			if err != nil {
				return nil, nil, err
			}
			configs = append(configs, cfg)
			curve := runCurveOf(res.History)
			c.Curves = append(c.Curves, curve)
			last := res.History.Last()
			c.FinalTrain[kind] = append(c.FinalTrain[kind], last.Train.Objective)
			c.FinalTest[kind] = append(c.FinalTest[kind], last.Test.Objective)
			c.StartTrain[kind] = append(c.StartTrain[kind], curve.TrainObjective[0])
			c.FirstTrain[kind] = append(c.FirstTrain[kind], curve.TrainObjective[min(1, len(curve.TrainObjective)-1)])
		}
	}
	for _, kind := range mnistModels {
		c.Spread[kind] = spreadOverMin(c.FinalTrain[kind])
	}
	return c, configs, nil
}

// mnistCompareFigure makes Fig. 9 or 10 (id): it trains the comparison of
// the variants (mnistCompare), writes and judges it (mnistCompareResult);
// finish, when not nil, then adds the figure's own words, before the
// certified mode adds the certified optimum (certifyComparison).
func mnistCompareFigure(env Env, s MNISTSettings, id, title, what string, variants []string,
	run func(v string, kind stcnn.ModelKind) figureRun, finish func(*Result, *mnistComparison, []training.Config)) (*Result, error) {
	c, configs, err := mnistCompare(env, s, variants, run)
	if err != nil {
		return nil, err
	}
	var annotate func(*Result)
	if env.Certify {
		if annotate, err = certifyComparison(env, c, configs); err != nil {
			return nil, err
		}
	}
	res, err := mnistCompareResult(env, id, title, what, s, c, configs)
	if err != nil {
		return nil, err
	}
	if finish != nil {
		finish(res, c, configs)
	}
	if annotate != nil {
		annotate(res)
	}
	return res, nil
}

// mnistCompareResult writes the CSV and plots of a comparison and judges it:
// the paper's claim holds ("yes") when the dual ends at most 5% above the
// primal under every variant and its final objectives spread less over the
// variants than the primal's; "partly" when one of the two holds.
func mnistCompareResult(env Env, id, title, what string, s MNISTSettings, c *mnistComparison, configs []training.Config) (*Result, error) {
	dir, err := env.Dir(id)
	if err != nil {
		return nil, err
	}
	name := "fig" + id
	if err := mnistCurvesCSV(dir, name+".csv", c.Curves); err != nil {
		return nil, err
	}
	files := []string{name + ".csv"}
	plots, err := mnistObjectivePlots(dir, name, title, c.Curves, func(cv runCurve) bool {
		return strings.HasPrefix(cv.Name, string(stcnn.Dual))
	})
	if err != nil {
		return nil, err
	}
	files = append(files, plots...)

	metrics := map[string]float64{}
	dualNotWorse := true
	var parts []string
	for i, v := range c.Variants {
		p, d := c.FinalTrain[stcnn.Primal][i], c.FinalTrain[stcnn.Dual][i]
		metrics["primal_"+v+"_train_final"], metrics["dual_"+v+"_train_final"] = p, d
		metrics["primal_"+v+"_test_final"] = c.FinalTest[stcnn.Primal][i]
		metrics["dual_"+v+"_test_final"] = c.FinalTest[stcnn.Dual][i]
		metrics["primal_"+v+"_train_epoch1"] = c.FirstTrain[stcnn.Primal][i]
		metrics["dual_"+v+"_train_epoch1"] = c.FirstTrain[stcnn.Dual][i]
		if d > 1.05*p {
			dualNotWorse = false
		}
		parts = append(parts, fmt.Sprintf("%s: primal %.4g -> %.4g -> %.4g (test %.4g), dual %.4g -> %.4g -> %.4g (test %.4g)",
			v, c.StartTrain[stcnn.Primal][i], c.FirstTrain[stcnn.Primal][i], p, c.FinalTest[stcnn.Primal][i],
			c.StartTrain[stcnn.Dual][i], c.FirstTrain[stcnn.Dual][i], d, c.FinalTest[stcnn.Dual][i]))
	}
	metrics["primal_spread"], metrics["dual_spread"] = c.Spread[stcnn.Primal], c.Spread[stcnn.Dual]
	dualSteadier := c.Spread[stcnn.Dual] < c.Spread[stcnn.Primal]
	var stuck, faster []string
	for i, v := range c.Variants {
		if c.FirstTrain[stcnn.Dual][i] < c.FirstTrain[stcnn.Primal][i] {
			faster = append(faster, v)
		}
		if st := c.StartTrain[stcnn.Primal][i]; math.Abs(c.FinalTrain[stcnn.Primal][i]-st) <= 1e-6*st {
			stuck = append(stuck, v)
		}
	}
	agrees := agreement(dualNotWorse && dualSteadier, dualNotWorse || dualSteadier)
	summary := fmt.Sprintf("Training objective (per image; initial -> epoch 1 -> epoch %d) on %d images, by %s: %s. "+
		"Spread of the final objectives over the %ss: primal %.1f%%, dual %.1f%%. "+
		"Dual within 5%% of (or below) the primal at the end under every %s: %v; dual spread smaller: %v; "+
		"dual below the primal after epoch 1 under %d of %d %ss.",
		s.Epochs, s.TrainSize, what, strings.Join(parts, "; "), what, 100*c.Spread[stcnn.Primal],
		100*c.Spread[stcnn.Dual], what, dualNotWorse, dualSteadier, len(faster), len(c.Variants), what)
	if len(stuck) > 0 {
		summary += fmt.Sprintf(" The primal never left its initial objective under %s (its output stays zero: "+
			"every pre-activation lies in the soft threshold's dead zone |a| < lambda, where all gradients vanish).",
			strings.Join(stuck, ", "))
	}
	return &Result{Files: files, Summary: summary, Agrees: agrees, Metrics: metrics, Data: c,
		Settings: mnistSettingsRecord{MNIST: s, Runs: configs}}, nil
}
