package reproductions

// The MNIST figures of the paper (Section IV-A): Fig. 9 (optimisers), Fig. 10
// (initialisations), Fig. 11 (objectives over noise levels and the measured
// primal-dual gap), Fig. 12 (denoised examples) and Table I (PSNR / RLNE).
// Settings: MNISTSettingsFor in mnist.go.

import (
	"fmt"
	"image"
	"image/color"
	"math"
	"strings"

	"github.com/convexst/stcnn/datasets"
	"github.com/convexst/stcnn/stcnn"
	"github.com/convexst/stcnn/stcnn/initializers"
	"github.com/convexst/stcnn/stcnn/optimizers"
	"github.com/convexst/stcnn/stcnn/training"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
)

func init() {
	register(Figure{ID: "9", Title: "MNIST, sigma 0.25: primal and dual ST-CNN trained with SGD, ASGD and Adam",
		Claim: "the primal's solution depends on the optimiser; the dual converges faster to a lower or equal objective under every optimiser",
		Run:   runFig9})
	register(Figure{ID: "10", Title: "MNIST, sigma 0.25: primal and dual ST-CNN from Kaiming-uniform, N(0, 0.001^2) and N(0, 0.005^2) weights",
		Claim: "the primal depends on the initialisation; the dual reaches the same objective from every initialisation",
		Run:   runFig10})
	register(Figure{ID: "11", Title: "MNIST: primal and dual objectives at sigma 0.25, 0.5, 0.75, with the measured primal-dual gap",
		Claim: "zero duality gap: trained primal and dual reach (nearly) the same objective at every noise level",
		Run:   runFig11})
	register(Figure{ID: "12", Title: "MNIST, sigma 0.25: clean, noisy, primal-denoised and dual-denoised test images",
		Claim: "the primal and dual networks denoise alike",
		Run:   runFig12})
	register(Figure{ID: "table1", Title: "Table I: PSNR / RLNE of MNIST denoising by the primal and dual networks",
		Claim: "primal and dual PSNR differ by less than 1 dB and RLNE by less than 0.1 at every noise level (about 23.1 / 19.2 / 17.2 dB at sigma 0.25 / 0.5 / 0.75)",
		Run:   runTable1})
}

// mnistModels are the two networks, primal first.
var mnistModels = []stcnn.ModelKind{stcnn.Primal, stcnn.Dual}

// mnistComparison is the data of Figs. 9 and 10: one objective curve per
// (variant, network) and the final objectives.
type mnistComparison struct {
	Variants []string     `json:"variants"`
	Curves   []mnistCurve `json:"curves"`
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
func mnistCompare(env Env, s MNISTSettings, variants []string, run func(v string, kind stcnn.ModelKind) mnistRun) (*mnistComparison, []training.Config, error) {
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
			if data == nil {
				if data, err = env.data(cfg); err != nil {
					return nil, nil, err
				}
			}
			res, err := mnistTrain(env, cfg, data)
			if err != nil {
				return nil, nil, err
			}
			configs = append(configs, cfg)
			curve := mnistCurveOf(cfg.Name, res.History)
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
	plots, err := mnistObjectivePlots(dir, name, title, c.Curves, func(cv mnistCurve) bool {
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
	agrees := "no"
	switch {
	case dualNotWorse && dualSteadier:
		agrees = "yes"
	case dualNotWorse || dualSteadier:
		agrees = "partly"
	}
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

// runFig9 trains primal and dual with SGD, ASGD and Adam (Fig. 9).
func runFig9(env Env) (*Result, error) {
	s, err := MNISTSettingsFor(env.Scale)
	if err != nil {
		return nil, err
	}
	c, configs, err := mnistCompare(env, s, mnistOptimizers, func(opt string, kind stcnn.ModelKind) mnistRun {
		return mnistRun{Kind: kind, Optimizer: opt, Sigma: s.Sigma}
	})
	if err != nil {
		return nil, err
	}
	var annotate func(*Result)
	if env.Certify {
		if annotate, err = certifyComparison(env, c, configs); err != nil {
			return nil, err
		}
	}
	res, err := mnistCompareResult(env, "9", "Fig. 9, MNIST sigma 0.25", "optimiser", s, c, configs)
	if err == nil && annotate != nil {
		annotate(res)
	}
	return res, err
}

// mnistInits are the initialisations of Fig. 10, by label.
var mnistInits = []struct {
	Label string
	Spec  initializers.Spec
}{
	{"kaiming", initializers.KaimingUniform()},
	{"normal0.001", initializers.Normal(0.001)},
	{"normal0.005", initializers.Normal(0.005)},
}

// runFig10 trains primal and dual from three initialisations with Adam
// (Fig. 10; the paper does not name the optimiser, Adam is the one it uses
// for its strong-duality experiment).
func runFig10(env Env) (*Result, error) {
	s, err := MNISTSettingsFor(env.Scale)
	if err != nil {
		return nil, err
	}
	labels := make([]string, len(mnistInits))
	specs := map[string]initializers.Spec{}
	for i, in := range mnistInits {
		labels[i], specs[in.Label] = in.Label, in.Spec
	}
	c, configs, err := mnistCompare(env, s, labels, func(label string, kind stcnn.ModelKind) mnistRun {
		return mnistRun{Kind: kind, Optimizer: optimizers.NameAdam, Init: specs[label], Sigma: s.Sigma}
	})
	if err != nil {
		return nil, err
	}
	var annotate func(*Result)
	if env.Certify {
		if annotate, err = certifyComparison(env, c, configs); err != nil {
			return nil, err
		}
	}
	res, err := mnistCompareResult(env, "10", "Fig. 10, MNIST sigma 0.25, Adam", "initialisation", s, c, configs)
	if err != nil {
		return nil, err
	}
	// The dual is convex, so what the initialisation changes is the
	// distance to travel: say how far the Kaiming-uniform start is.
	if k := c.StartTrain[stcnn.Dual][0]; k > 2*c.StartTrain[stcnn.Dual][1] {
		rate := s.Rates[optimizers.NameAdam].Dual
		res.Summary += fmt.Sprintf(" The dual objective is convex, so its initialisation only sets where training starts: "+
			"Kaiming-uniform weights U(-1/3, 1/3) on all 2P filter vectors start it at %.4g, and Adam, which moves each "+
			"weight by about its rate %.2g per step, needs of the order of (1/3)/%.2g = %.0f steps to undo them; these runs took %d.",
			k, rate, rate, 1/(3*rate), s.Epochs*((s.TrainSize+s.BatchSize-1)/s.BatchSize))
	}
	res.Settings = mnistSettingsRecord{MNIST: s, Runs: configs,
		Note: "optimiser Adam (not named by the paper for Fig. 10); both networks get each initialisation"}
	if annotate != nil {
		annotate(res)
	}
	return res, nil
}

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
				mnistRun{Kind: kind, Optimizer: optimizers.NameAdam, Sigma: sigma, MeasureGap: measureGap && kind == stcnn.Dual})
			if err != nil {
				return nil, nil, err
			}
			if base == nil {
				if base, err = env.data(cfg); err != nil {
					return nil, nil, err
				}
			}
			data, err := mnistRenoise(base, cfg)
			if err != nil {
				return nil, nil, err
			}
			res, err := mnistTrain(env, cfg, data)
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
// primal-dual gap of the rebuilt primal (eq. 47) at every evaluation.
func runFig11(env Env) (*Result, error) {
	s, err := MNISTSettingsFor(env.Scale)
	if err != nil {
		return nil, err
	}
	dir, err := env.Dir("11")
	if err != nil {
		return nil, err
	}
	runs, configs, err := mnistSigmaRuns(env, s, s.Sigmas, true)
	if err != nil {
		return nil, err
	}
	var curves []mnistCurve
	var rows []mnistGapRow
	metrics := map[string]float64{}
	closeObjectives, smallGap := true, true
	var parts, certParts []string
	for _, r := range runs {
		pc := mnistCurveOf(fmt.Sprintf("primal_sigma%.2f", r.Sigma), r.Primal.History)
		dc := mnistCurveOf(fmt.Sprintf("dual_sigma%.2f", r.Sigma), r.Dual.History)
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
	var withRebuilt []mnistCurve
	for _, c := range curves {
		withRebuilt = append(withRebuilt, c)
		if c.RebuiltTrain != nil {
			withRebuilt = append(withRebuilt, mnistCurve{Name: strings.Replace(c.Name, "dual", "rebuilt", 1),
				Epoch: c.Epoch, TrainObjective: c.RebuiltTrain, TestObjective: c.RebuiltTest})
		}
	}
	plots, err := mnistObjectivePlots(dir, "fig11", "Fig. 11, MNIST, Adam", withRebuilt, func(c mnistCurve) bool {
		return !strings.HasPrefix(c.Name, string(stcnn.Primal))
	})
	if err != nil {
		return nil, err
	}
	files = append(files, plots...)
	agrees := "no"
	switch {
	case closeObjectives && smallGap:
		agrees = "yes"
	case closeObjectives || smallGap:
		agrees = "partly"
	}
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
		Settings: mnistSettingsRecord{MNIST: s, Runs: configs, Note: "Adam for both networks; primal Kaiming uniform, dual zeros; gap measured at every evaluation (training.Config.MeasureGap)",
			Certified: mnistCertifiedSettings(env, s)}}, nil
}

// mnistGridColumns labels the columns of Fig. 12.
var mnistGridColumns = []string{"clean", "noisy", "primal", "dual"}

// mnistGrid tiles images (one column per set, one row per index) into a
// grey image, zoom pixels per image pixel, pad pixels between tiles, values
// clipped to [0, 1] for display.
func mnistGrid(cols []*datasets.Images, idx []int, zoom, pad int) *image.Gray {
	h, w := cols[0].H, cols[0].W
	tw, th := w*zoom+pad, h*zoom+pad
	img := image.NewGray(image.Rect(0, 0, len(cols)*tw-pad, len(idx)*th-pad))
	for i := range img.Pix {
		img.Pix[i] = 128
	}
	for c, im := range cols {
		for r, n := range idx {
			for y := range h * zoom {
				for x := range w * zoom {
					v := float64(im.Pixels[(n*h+y/zoom)*w+x/zoom])
					img.SetGray(c*tw+x, r*th+y, color.Gray{Y: uint8(math.Round(255 * min(1, max(0, v))))})
				}
			}
		}
	}
	return img
}

// runFig12 trains primal and dual at sigma 0.25 and shows denoised test images.
func runFig12(env Env) (*Result, error) {
	s, err := MNISTSettingsFor(env.Scale)
	if err != nil {
		return nil, err
	}
	dir, err := env.Dir("12")
	if err != nil {
		return nil, err
	}
	runs, configs, err := mnistSigmaRuns(env, s, []float64{s.Sigma}, false)
	if err != nil {
		return nil, err
	}
	r := runs[0]
	data := r.Primal.Data
	primal, err := mnistPredict(env, r.Primal, data.TestNoisy)
	if err != nil {
		return nil, err
	}
	dual, err := mnistPredict(env, r.Dual, data.TestNoisy)
	if err != nil {
		return nil, err
	}
	cols := []*datasets.Images{data.TestClean, data.TestNoisy, primal, dual}
	// Per-image PSNR of every test image, noisy input and both outputs.
	psnr := make([][]float64, len(cols)-1)
	for i, im := range cols[1:] {
		se, _, err := stcnn.ImageErrors(im, data.TestClean)
		if err != nil {
			return nil, err
		}
		for _, e := range se {
			psnr[i] = append(psnr[i], mnistPSNR(e, mnistPixels))
		}
	}
	rows := make([][]float64, data.TestClean.N)
	means := make([]float64, len(psnr))
	for n := range rows {
		rows[n] = []float64{float64(n), psnr[0][n], psnr[1][n], psnr[2][n]}
		for i := range psnr {
			means[i] += psnr[i][n] / float64(len(rows))
		}
	}
	if err := WriteCSV(dir, "fig12_psnr.csv", []string{"test_image", "noisy_psnr", "primal_psnr", "dual_psnr"}, rows); err != nil {
		return nil, err
	}
	files := []string{"fig12_psnr.csv"}
	// The shown examples: the first test images of the seeded subset.
	idx := make([]int, min(s.Examples, data.TestClean.N))
	var pix [][]float64
	for i := range idx {
		idx[i] = i
		for p := range mnistPixels {
			k := i*mnistPixels + p
			pix = append(pix, []float64{float64(i), float64(p / 28), float64(p % 28), float64(cols[0].Pixels[k]),
				float64(cols[1].Pixels[k]), float64(cols[2].Pixels[k]), float64(cols[3].Pixels[k])})
		}
	}
	if err := WriteCSV(dir, "fig12_pixels.csv", []string{"test_image", "row", "col", "clean", "noisy", "primal", "dual"}, pix); err != nil {
		return nil, err
	}
	files = append(files, "fig12_pixels.csv")
	p := plot.New()
	p.Title.Text = fmt.Sprintf("Fig. 12: MNIST test images, sigma %.2f", s.Sigma)
	p.Add(plotter.NewImage(mnistGrid(cols, idx, 4, 8), 0, 0, float64(len(cols)), float64(len(idx))))
	var xt, yt []plot.Tick
	for c, name := range mnistGridColumns {
		mean := ""
		if c > 0 {
			mean = fmt.Sprintf("\n%.2f dB", means[c-1])
		}
		xt = append(xt, plot.Tick{Value: float64(c) + 0.5, Label: name + mean})
	}
	for i, n := range idx {
		yt = append(yt, plot.Tick{Value: float64(len(idx)-1-i) + 0.5, Label: fmt.Sprintf("#%d", n)})
	}
	p.X.Tick.Marker, p.Y.Tick.Marker = plot.ConstantTicks(xt), plot.ConstantTicks(yt)
	p.X.Label.Text = "mean test PSNR"
	pf, err := SavePlot(p, dir, "fig12", 1.3*float64(len(cols))+1, 1.3*float64(len(idx))+1.2)
	if err != nil {
		return nil, err
	}
	files = append(files, pf...)
	diff := means[1] - means[2]
	agrees := "no"
	if math.Abs(diff) < 1 {
		agrees = "yes"
	}
	summary := fmt.Sprintf("Mean PSNR over %d test images at sigma %.2f after %d epochs: noisy %.2f dB, primal %.2f dB, dual %.2f dB "+
		"(primal - dual %+.2f dB; the paper's criterion for alike is under 1 dB).",
		len(rows), s.Sigma, s.Epochs, means[0], means[1], means[2], diff)
	return &Result{Files: files, Summary: summary, Agrees: agrees,
		Metrics:  map[string]float64{"noisy_psnr": means[0], "primal_psnr": means[1], "dual_psnr": means[2], "primal_minus_dual_psnr": diff},
		Data:     map[string]any{"psnr": rows, "examples": idx},
		Settings: mnistSettingsRecord{MNIST: s, Runs: configs, Note: "Adam for both networks; primal Kaiming uniform, dual zeros; PSNR per image, peak 1, of the raw (unclipped) outputs; display clipped to [0, 1]"}}, nil
}

// mnistPaperTable1 is the paper's Table I: PSNR (dB) / RLNE per sigma for
// primal train, primal test, dual train, dual test.
var mnistPaperTable1 = map[float64][8]float64{
	0.25: {23.09, 0.197, 23.09, 0.205, 23.11, 0.197, 23.11, 0.205},
	0.50: {19.20, 0.309, 19.12, 0.324, 19.21, 0.308, 19.12, 0.324},
	0.75: {17.20, 0.388, 17.16, 0.406, 17.21, 0.388, 17.15, 0.407},
}

// mnistTableSets are the columns of Table I: network and data set.
var mnistTableSets = []struct {
	Kind stcnn.ModelKind
	Test bool
	Name string
}{{stcnn.Primal, false, "primal_train"}, {stcnn.Primal, true, "primal_test"},
	{stcnn.Dual, false, "dual_train"}, {stcnn.Dual, true, "dual_test"}}

// mnistTable1Header is the header of table1.csv: sigma, our PSNR and RLNE per
// column of Table I, then the paper's (NaN where the paper has no value).
var mnistTable1Header = []string{"sigma",
	"primal_train_psnr", "primal_train_rlne", "primal_test_psnr", "primal_test_rlne",
	"dual_train_psnr", "dual_train_rlne", "dual_test_psnr", "dual_test_rlne",
	"paper_primal_train_psnr", "paper_primal_train_rlne", "paper_primal_test_psnr", "paper_primal_test_rlne",
	"paper_dual_train_psnr", "paper_dual_train_rlne", "paper_dual_test_psnr", "paper_dual_test_rlne"}

// mnistTable1ImagesHeader is the header of table1_images.csv, one row per image
// and run: sigma, model (0 primal, 1 dual), set (0 training, 1 test), image
// index, ||xhat - x||^2 and ||x||^2. stcnn.ImageMetrics of each (sigma,
// model, set) group, with 784 values per image, gives the row of table1.csv.
var mnistTable1ImagesHeader = []string{"sigma", "model_dual", "set_test", "image", "squared_error", "clean_energy"}

// runTable1 trains primal and dual at three noise levels and tabulates PSNR
// and RLNE on training and test images from the networks' predictions.
func runTable1(env Env) (*Result, error) {
	s, err := MNISTSettingsFor(env.Scale)
	if err != nil {
		return nil, err
	}
	dir, err := env.Dir("table1")
	if err != nil {
		return nil, err
	}
	runs, configs, err := mnistSigmaRuns(env, s, s.Sigmas, false)
	if err != nil {
		return nil, err
	}
	var table, images [][]float64
	metrics := map[string]float64{}
	alike := true
	var parts []string
	var check float64 // largest |PSNR from predictions - PSNR from Trainer.Evaluate|
	var certRows [][]float64
	var certParts []string
	for _, r := range runs {
		row := []float64{r.Sigma}
		for _, set := range mnistTableSets {
			res := r.Primal
			if set.Kind == stcnn.Dual {
				res = r.Dual
			}
			noisy, clean := res.Data.TrainNoisy, res.Data.TrainClean
			if set.Test {
				noisy, clean = res.Data.TestNoisy, res.Data.TestClean
			}
			out, err := mnistPredict(env, res, noisy)
			if err != nil {
				return nil, err
			}
			se, cs, err := stcnn.ImageErrors(out, clean)
			if err != nil {
				return nil, err
			}
			m := stcnn.ImageMetrics(se, cs, mnistPixels)
			row = append(row, m.PSNR, m.RLNE)
			// Cross-check: the training run's own final evaluation (a
			// different graph, summed in the model's dtype) must agree.
			ev := res.History.Last().Train
			if set.Test {
				ev = res.History.Last().Test
			}
			check = max(check, math.Abs(m.PSNR-ev.PSNR))
			key := fmt.Sprintf("sigma%.2f_%s_", r.Sigma, set.Name)
			metrics[key+"psnr"], metrics[key+"rlne"] = m.PSNR, m.RLNE
			for n := range se {
				images = append(images, []float64{r.Sigma, mnistB2F(set.Kind == stcnn.Dual), mnistB2F(set.Test), float64(n), se[n], cs[n]})
			}
		}
		paper, ok := mnistPaperTable1[r.Sigma]
		for i := range paper {
			if !ok {
				paper[i] = math.NaN()
			}
		}
		row = append(row, paper[:]...)
		table = append(table, row)
		for i := 1; i <= 3; i += 2 { // train, test: primal column i, dual column i+4
			if math.Abs(row[i]-row[i+4]) >= 1 || math.Abs(row[i+1]-row[i+5]) >= 0.1 {
				alike = false
			}
		}
		parts = append(parts, fmt.Sprintf("sigma %.2f: primal %.2f/%.3f train, %.2f/%.3f test; dual %.2f/%.3f train, %.2f/%.3f test (paper: primal %.2f/%.3f, %.2f/%.3f; dual %.2f/%.3f, %.2f/%.3f)",
			r.Sigma, row[1], row[2], row[3], row[4], row[5], row[6], row[7], row[8],
			row[9], row[10], row[11], row[12], row[13], row[14], row[15], row[16]))
		if c := r.Certified; c != nil {
			certRows = append(certRows, []float64{r.Sigma, c.Train.PSNR, c.Train.RLNE, c.Test.PSNR, c.Test.RLNE,
				c.Result.Objective, c.Result.Bound, c.Result.RelGap, c.Result.Seconds, r.Dual.History.Last().Train.Objective})
			key := fmt.Sprintf("sigma%.2f_", r.Sigma)
			c.metrics(metrics, key)
			metrics[key+"certified_train_rlne"], metrics[key+"certified_test_rlne"] = c.Train.RLNE, c.Test.RLNE
			certParts = append(certParts, fmt.Sprintf("sigma %.2f: %.2f/%.3f train, %.2f/%.3f test (objective %.6g, bound %.6g; trained dual %.6g)",
				r.Sigma, c.Train.PSNR, c.Train.RLNE, c.Test.PSNR, c.Test.RLNE, c.Result.Objective, c.Result.Bound, r.Dual.History.Last().Train.Objective))
		}
	}
	metrics["check_psnr_predict_vs_evaluate_db"] = check
	if err := WriteCSV(dir, "table1.csv", mnistTable1Header, table); err != nil {
		return nil, err
	}
	if err := WriteCSV(dir, "table1_images.csv", mnistTable1ImagesHeader, images); err != nil {
		return nil, err
	}
	files := []string{"table1.csv", "table1_images.csv"}
	if len(certRows) > 0 {
		// The dual with certified optimal weights, as an extra row per sigma.
		if err := WriteCSV(dir, "table1_certified.csv", []string{"sigma", "train_psnr", "train_rlne", "test_psnr", "test_rlne",
			"objective", "bound", "rel_gap", "seconds", "trained_dual_objective"}, certRows); err != nil {
			return nil, err
		}
		files = append(files, "table1_certified.csv")
	}
	var series []Series
	for i, set := range mnistTableSets {
		ours, paper := Series{Label: set.Name}, Series{Label: "paper " + set.Name, Dashed: true}
		for _, row := range table {
			ours.X, ours.Y = append(ours.X, row[0]), append(ours.Y, row[1+2*i])
			if !math.IsNaN(row[9+2*i]) {
				paper.X, paper.Y = append(paper.X, row[0]), append(paper.Y, row[9+2*i])
			}
		}
		series = append(series, ours, paper)
	}
	p, err := LinePlot("Table I: MNIST PSNR (ours solid, paper dashed)", "noise sigma", "PSNR (dB)", false, series...)
	if err != nil {
		return nil, err
	}
	// The legend goes to the bottom left, below the curves.
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, sr := range series {
		for _, y := range sr.Y {
			if !math.IsNaN(y) {
				lo, hi = min(lo, y), max(hi, y)
			}
		}
	}
	if lo < hi {
		p.Y.Min, p.Y.Max = lo-0.8*(hi-lo), hi+0.05*(hi-lo)
	}
	p.Legend.Top, p.Legend.Left = false, true
	pf, err := SavePlot(p, dir, "table1", 6, 4.5)
	if err != nil {
		return nil, err
	}
	files = append(files, pf...)
	agrees := "no"
	if alike {
		agrees = "yes"
	}
	summary := fmt.Sprintf("PSNR (dB) / RLNE after %d epochs on %d training and %d test images (Adam; K = %d, P = %d): %s. "+
		"Primal and dual within 1 dB and 0.1 RLNE everywhere (the paper's criterion): %v.",
		s.Epochs, s.TrainSize, s.TestSize, s.K, s.P, strings.Join(parts, "; "), alike)
	if s.Scale != Paper {
		summary += " Absolute values are below the paper's because this scale trains far less."
	}
	if len(certParts) > 0 {
		summary += " Dual with certified optimal weights (stcnn/certify, PSNR/RLNE from Trainer.Evaluate): " + strings.Join(certParts, "; ") + "."
	}
	return &Result{Files: files, Summary: summary, Agrees: agrees, Metrics: metrics,
		Data: table,
		Settings: mnistSettingsRecord{MNIST: s, Runs: configs,
			Note:      "Adam for both networks; primal Kaiming uniform, dual zeros; PSNR per image, peak 1, averaged; RLNE = ||xhat - x|| / ||x|| per image, averaged; recomputable from table1_images.csv with stcnn.ImageMetrics",
			Certified: mnistCertifiedSettings(env, s)}}, nil
}

// mnistB2F is 1 for true, 0 for false.
func mnistB2F(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
