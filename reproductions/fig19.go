package reproductions

import (
	"fmt"
	"math"
	"strings"

	"github.com/convexst/stcnn/stcnn"
	"github.com/convexst/stcnn/stcnn/optimizers"
	"github.com/convexst/stcnn/stcnn/training"
)

// -------------------------------------------------------------- Fig. 19

// Fig19Curve is one model under one optimiser: per epoch (0 = before
// training) the training objective and the test PSNR.
type Fig19Curve struct {
	Model, Optimizer string
	Epochs           []float64
	Objective, PSNR  []float64
	// TrainPSNR is the PSNR on the training images.
	TrainPSNR []float64
	// DivergedAt is the epoch in which training produced a NaN or an
	// infinity (the curve ends before it), 0 if it did not.
	DivergedAt int
}

type fig19Settings struct {
	Dataset  string                            `json:"dataset"`
	Dual     []training.Config                 `json:"dual_runs"`
	ResNet   stcnn.ResNetConfig                `json:"resnet"`
	ResNetHP map[string]optimizers.Hyperparams `json:"resnet_hyperparams"`
	// ResNetRun is what the ResNet shares with the dual runs: data, seeds, batches, epochs.
	ResNetRun string     `json:"resnet_run"`
	Sizes     extraSizes `json:"sizes"`
	Notes     []string   `json:"notes"`
}

// fig19Optimizers are the optimisers of Fig. 19 (those of the CIFAR-10 experiments).
var fig19Optimizers = []string{optimizers.NameSGDM, optimizers.NameAdaGrad, optimizers.NameRMSProp, optimizers.NameAdam}

var fig19OptimizerLabels = map[string]string{optimizers.NameSGDM: "SGDM", optimizers.NameAdaGrad: "AdaGrad",
	optimizers.NameRMSProp: "RMSProp", optimizers.NameAdam: "Adam"}

// fig19Diverged reports whether err is a training failure by NaN or infinity
// (stcnn.Trainer.Step and training.Run report those with these words).
func fig19Diverged(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "NaN") || strings.Contains(msg, "Inf") || strings.Contains(msg, "diverged")
}

func runFig19(env Env) (*Result, error) {
	dir, err := env.Dir("19")
	if err != nil {
		return nil, err
	}
	sz := extraSizesFor(env.Scale)
	settings := fig19Settings{Dataset: training.CIFAR10, ResNet: sz.ResNet, Sizes: sz,
		ResNetHP: map[string]optimizers.Hyperparams{},
		ResNetRun: "same data, noise, seeds, batches and evaluation cadence as the dual run of the same optimiser " +
			"(training.Config Seeds: Model seed for the weights, Shuffle seed + epoch for the batches), trained by " +
			"training.Run with the ResNet as the configuration's network",
		Notes: []string{
			"Section IV-C: CIFAR-10, N(0, 0.001^2) initialisation of every network, sigma 0.25.",
			"The paper gives no ResNet architecture; stcnn.ResNetModel documents this one (identity-skip blocks, ReLU, " +
				"outer skip predicting the input plus a residual, weight decay beta). At N(0, 0.001^2) it starts next " +
				"to the identity map, a saddle point whose gradients are products of small weights.",
			"Learning rates per model and optimiser: extraLearningRates (best of a sweep, the same for every scale).",
			"Objective: squared error summed over an image's 3072 values, averaged over images, plus the weight penalty " +
				"(and the dual's rho-weighted hinge); PSNR per image with peak 1, averaged, on the test images.",
			"A run that produces a NaN or an infinity is recorded as diverged; its curve ends at its last finite evaluation.",
			extraTestNote,
		}}
	var data *training.Data
	var curves []Fig19Curve
	for _, opt := range fig19Optimizers {
		cfg, err := extraConfig(stcnn.Dual, opt, sz, sz.Train19, sz.Test19, sz.Epochs19)
		if err != nil {
			return nil, err
		}
		if data == nil {
			if data, err = training.LoadData(cfg); err != nil {
				return nil, err
			}
		}
		settings.Dual = append(settings.Dual, cfg)
		c, err := fig19Curve(env, "dual", cfg, data)
		if err != nil {
			return nil, err
		}
		curves = append(curves, c)

		hp, _ := optimizers.DefaultHyperparams(opt)
		hp.LearningRate = extraLearningRates["resnet"][opt]
		settings.ResNetHP[opt] = hp
		if c, err = fig19Curve(env, "resnet", fig19ResNetConfig(cfg, sz.ResNet, opt, hp), data); err != nil {
			return nil, err
		}
		curves = append(curves, c)
		for _, c := range curves[len(curves)-2:] {
			note := ""
			if c.DivergedAt > 0 {
				note = fmt.Sprintf(" (diverged in epoch %d)", c.DivergedAt)
			}
			env.Logf("fig19 %s %s: objective %.4g, test PSNR %.2f dB%s", c.Model, opt,
				c.Objective[len(c.Objective)-1], c.PSNR[len(c.PSNR)-1], note)
		}
	}

	// One CSV per curve: a diverged curve is shorter.
	files := []string{}
	var objSeries, psnrSeries []Series
	for _, c := range curves {
		rows := make([][]float64, len(c.Epochs))
		for i := range rows {
			rows[i] = []float64{c.Epochs[i], c.Objective[i], c.PSNR[i], c.TrainPSNR[i]}
		}
		name := fmt.Sprintf("fig19_%s_%s.csv", c.Model, c.Optimizer)
		if err := WriteCSV(dir, name, []string{"epoch", "train_objective", "test_psnr_db", "train_psnr_db"}, rows); err != nil {
			return nil, err
		}
		files = append(files, name)
		label := "Dual_ST_CNN " + fig19OptimizerLabels[c.Optimizer]
		if c.Model == "resnet" {
			label = "ResNet " + fig19OptimizerLabels[c.Optimizer]
		}
		if c.DivergedAt > 0 {
			label += fmt.Sprintf(" (diverged, epoch %d)", c.DivergedAt)
		}
		objSeries = append(objSeries, Series{Label: label, X: c.Epochs, Y: c.Objective, Dashed: c.Model == "resnet"})
		psnrSeries = append(psnrSeries, Series{Label: label, X: c.Epochs, Y: c.PSNR, Dashed: c.Model == "resnet"})
	}
	for _, pl := range []struct {
		name, title, y string
		logY           bool
		series         []Series
	}{
		{"fig19a_objective", "Fig. 19(a): training objective (CIFAR-10, sigma 0.25)", "objective", true, objSeries},
		{"fig19b_psnr", "Fig. 19(b): test PSNR (CIFAR-10, sigma 0.25)", "PSNR (dB)", false, psnrSeries},
	} {
		p, err := LinePlot(pl.title, "epoch", pl.y, pl.logY, pl.series...)
		if err != nil {
			return nil, err
		}
		f, err := SavePlot(p, dir, pl.name, 7, 4.5)
		if err != nil {
			return nil, err
		}
		files = append(files, f...)
	}
	res := &Result{Files: files, Data: curves, Settings: settings, Metrics: map[string]float64{}}
	for _, c := range curves {
		last, key := len(c.Epochs)-1, c.Model+"_"+c.Optimizer
		res.Metrics[key+"_final_objective"] = c.Objective[last]
		res.Metrics[key+"_final_test_psnr_db"] = c.PSNR[last]
		res.Metrics[key+"_diverged_at_epoch"] = float64(c.DivergedAt)
	}
	res.Summary, res.Agrees = fig19Verdict(curves, sz, res.Metrics)
	return res, nil
}

func fig19CurveOf(modelName, opt string, recs []training.Record) Fig19Curve {
	c := Fig19Curve{Model: modelName, Optimizer: opt}
	for _, r := range recs {
		c.Epochs = append(c.Epochs, float64(r.Epoch))
		c.Objective = append(c.Objective, r.Train.Objective)
		c.PSNR = append(c.PSNR, r.Test.PSNR)
		c.TrainPSNR = append(c.TrainPSNR, r.Train.PSNR)
	}
	return c
}

// fig19ResNetConfig is the ResNet's run: the configuration like (its data,
// seeds, initialisation, epochs, batches and per-epoch evaluation) with the
// ResNet rc as its network and optimiser opt.
func fig19ResNetConfig(like training.Config, rc stcnn.ResNetConfig, opt string, hp optimizers.Hyperparams) training.Config {
	cfg := like
	cfg.Name, cfg.Model, cfg.ResNet = "resnet-"+opt, stcnn.Config{}, &rc
	cfg.Optimizer, cfg.Hyperparams, cfg.MeasureGap = opt, hp, false
	return cfg
}

// fig19Curve trains one network of Fig. 19. A run that diverges (a NaN, an
// infinity, or the divergence factor) ends its curve at its last finite
// evaluation, with DivergedAt the epoch after it.
func fig19Curve(env Env, modelName string, cfg training.Config, data *training.Data) (Fig19Curve, error) {
	run, err := env.train(cfg, data)
	var recs []training.Record
	if run != nil {
		recs = run.History.Records
	}
	c := fig19CurveOf(modelName, cfg.Optimizer, recs)
	if err != nil {
		if !fig19Diverged(err) || len(recs) == 0 {
			return c, fmt.Errorf("%s: %w", cfg.Name, err)
		}
		c.DivergedAt = int(c.Epochs[len(c.Epochs)-1]) + 1
	}
	return c, nil
}

// fig19Verdict compares the final test PSNRs: the paper's claim holds if
// the ResNet's PSNR varies more over the optimisers than the dual's with
// SGDM its worst (or diverged), and the dual is within 0.1 dB of the ResNet
// or better under every optimiser.
func fig19Verdict(curves []Fig19Curve, sz extraSizes, metrics map[string]float64) (string, string) {
	final := map[string]float64{}
	div := map[string]int{}
	for _, c := range curves {
		final[c.Model+"_"+c.Optimizer] = c.PSNR[len(c.PSNR)-1]
		div[c.Model+"_"+c.Optimizer] = c.DivergedAt
	}
	var parts []string
	dualBest := true
	for _, opt := range fig19Optimizers {
		d, r := final["dual_"+opt], final["resnet_"+opt]
		part := fmt.Sprintf("%s %.2f vs %.2f dB", fig19OptimizerLabels[opt], d, r)
		for _, m := range []string{"dual", "resnet"} {
			if e := div[m+"_"+opt]; e > 0 {
				part += fmt.Sprintf(" (%s diverged in epoch %d)", m, e)
			}
		}
		parts = append(parts, part)
		if d < r-0.1 || div["dual_"+opt] > 0 {
			dualBest = false
		}
	}
	spread := func(m string) float64 {
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, opt := range fig19Optimizers {
			lo, hi = min(lo, final[m+"_"+opt]), max(hi, final[m+"_"+opt])
		}
		return hi - lo
	}
	ds, rs := spread("dual"), spread("resnet")
	metrics["dual_psnr_spread_over_optimizers_db"], metrics["resnet_psnr_spread_over_optimizers_db"] = ds, rs
	resnetSGDMWorst := div["resnet_sgdm"] > 0
	if !resnetSGDMWorst {
		resnetSGDMWorst = true
		for _, opt := range fig19Optimizers[1:] {
			if final["resnet_sgdm"] > final["resnet_"+opt] {
				resnetSGDMWorst = false
			}
		}
	}
	s := fmt.Sprintf("Final test PSNR after %d epochs on %d CIFAR-10 images (sigma 0.25), dual vs ResNet: %s. Spread over "+
		"the four optimisers: %.2f dB (dual) vs %.2f dB (ResNet).", sz.Epochs19, sz.Train19, strings.Join(parts, "; "), ds, rs)
	dependence := rs > ds && resnetSGDMWorst
	switch {
	case dependence && dualBest:
		return s + " The ResNet depends more on the optimiser (SGDM worst) and the dual is at least as good under every optimiser, as the paper reports.", "yes"
	case dependence:
		return s + " The ResNet depends more on the optimiser (SGDM worst), but the dual is not the best under every optimiser.", "partly"
	case dualBest:
		return s + " The dual is at least as good under every optimiser, but the ResNet's PSNR does not vary more over the optimisers than the dual's, or SGDM is not its worst.", "partly"
	}
	return s + " Neither part of the paper's claim holds at this scale.", "no"
}
