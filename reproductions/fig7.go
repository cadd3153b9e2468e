package reproductions

import (
	"fmt"
	"math"
	"strconv"

	"github.com/convexst/stcnn/stcnn"
	"github.com/convexst/stcnn/stcnn/initializers"
	"github.com/convexst/stcnn/stcnn/optimizers"
	"github.com/gomlx/gomlx/core/tensors"
	"gonum.org/v1/plot"
)

// Fig7Settings records every choice of Fig. 7.
type Fig7Settings struct {
	X           []float64              `json:"x"`
	Y           []float64              `json:"y"`
	Primal      stcnn.Config           `json:"primal"`
	Dual        stcnn.Config           `json:"dual"`
	Optimizer   string                 `json:"optimizer"`
	Hyperparams optimizers.Hyperparams `json:"hyperparams"`
	PrimalInit  string                 `json:"primal_init"`
	DualInit    string                 `json:"dual_init"`
	Seeds       []uint64               `json:"primal_seeds"`
	GateSeed    uint64                 `json:"gate_seed"`
	Iterations  int                    `json:"iterations"`
	Why         map[string]string      `json:"why"`
}

// Fig7Data is Fig. 7's data.
type Fig7Data struct {
	Primal [][]float64 `json:"-"`
	Dual   []float64   `json:"-"`
	// PrimalFinal and DualFinal are the final evaluations.
	PrimalFinal []stcnn.Metrics `json:"primal_final"`
	DualFinal   stcnn.Metrics   `json:"dual_final"`
	// Gap compares the dual with the primal rebuilt from it (eq. 47).
	Gap stcnn.Gap `json:"gap"`
}

// runFig7 trains the primal ST-CNN from three seeds and the dual ST-CNN with
// Adam on the caption's data. The paper gives no hyperparameter; the choices
// are in Fig7Settings.Why.
func runFig7(env Env) (*Result, error) {
	dir, err := env.Dir("7")
	if err != nil {
		return nil, err
	}
	xs, ys := []float64{-1, 2, 0, 1, 2}, []float64{2, 1, 2, 1, 2}
	const (
		lambda, beta = 0.1, 1e-2
		gateSeed     = 1
	)
	primal := stcnn.Config{Model: stcnn.Primal, K: 10, M: 1, Channels: 2, OutChannels: 1, Lambda: lambda, Beta: beta,
		Activation: stcnn.ActivationST, DType: "float64"}
	dual := stcnn.Config{Model: stcnn.Dual, P: 64, M: 1, Channels: 2, OutChannels: 1, Lambda: lambda, Beta: beta,
		Rho: 1, GateStd: 1, DType: "float64"}
	iters := toyIterations(env.Scale, 200, 3000, 20000)
	seeds := toySeeds(3)
	hp, err := optimizers.DefaultHyperparams("adam") // lr 1e-3
	if err != nil {
		return nil, err
	}
	set := Fig7Settings{X: xs, Y: ys, Primal: primal, Dual: dual, Optimizer: "adam", Hyperparams: hp,
		PrimalInit: initializers.KaimingUniform().String(), DualInit: initializers.Zeros().String(),
		Seeds: seeds, GateSeed: gateSeed, Iterations: iters,
		Why: map[string]string{
			"lambda":    "0.1 as stcnn.DefaultConfig; the inputs are O(1), so a filter's band |[x,1].u| < lambda holds few samples",
			"beta":      "1e-2 as Fig. 1 (the paper gives none)",
			"K":         "10 = 2I filters, above Theorem 1's k*+1 <= I+1 = 6",
			"P":         "64 Gaussian gates: in R^2 they sample the few ST patterns of 5 points many times over",
			"rho":       "1: the hinge must outweigh the squared error (O(1) here) to hold the sign constraints of eq. 24",
			"adam_lr":   "PyTorch's default 1e-3 for both networks (the caption says Adam, no rate); with 1e-2 the dual's objective rises again after 400 steps (Adam's normalised steps bounce on the hinge and norm kinks): 0.175 at best, 0.199 after 3000",
			"dual_init": "zeros, as the PyTorch reference (the dual does not depend on it: it is convex)",
			"dtype":     "float64, so that small objective differences are not rounding",
		}}

	inputs, targets := toyImages(xs, ys)
	data := &Fig7Data{}
	for i, seed := range seeds {
		run, err := toyTrain(env, primal, initializers.KaimingUniform(), seed, "adam", hp, iters, inputs, targets, fmt.Sprintf("primal, init %d", i+1))
		if err != nil {
			return nil, err
		}
		data.Primal = append(data.Primal, run.Objective)
		data.PrimalFinal = append(data.PrimalFinal, run.Final)
	}
	drun, err := toyTrain(env, dual, initializers.Zeros(), gateSeed, "adam", hp, iters, inputs, targets, "dual")
	if err != nil {
		return nil, err
	}
	data.Dual, data.DualFinal = drun.Objective, drun.Final
	if data.Gap, err = stcnn.MeasureGap(env.Backend, drun.trainer, inputs, targets); err != nil {
		return nil, err
	}

	rows := make([][]float64, iters+1)
	it := make([]float64, iters+1)
	for t := range rows {
		it[t] = float64(t)
		rows[t] = []float64{float64(t), data.Primal[0][t], data.Primal[1][t], data.Primal[2][t], data.Dual[t]}
	}
	if err := WriteCSV(dir, "fig7_objective.csv", []string{"iteration", "primal_init1", "primal_init2", "primal_init3", "dual"}, rows); err != nil {
		return nil, err
	}
	var ps []Series
	for r := range data.Primal {
		ps = append(ps, Series{Label: fmt.Sprintf("init %d", r+1), X: it, Y: data.Primal[r]})
	}
	pa, err := LinePlot("(a) nonconvex primal ST-CNN", "iteration", "objective", true, ps...)
	if err != nil {
		return nil, err
	}
	bestPrimal := math.Inf(1)
	for _, m := range data.PrimalFinal {
		bestPrimal = math.Min(bestPrimal, m.Objective)
	}
	pb, err := LinePlot("(b) convex dual ST-CNN", "iteration", "objective", true, Series{Label: "dual", X: it, Y: data.Dual},
		Series{Label: "best final primal", X: []float64{0, float64(iters)}, Y: []float64{bestPrimal, bestPrimal}, Dashed: true})
	if err != nil {
		return nil, err
	}
	// Same y range on both panels, so that the levels compare.
	lo, hi := math.Min(pa.Y.Min, pb.Y.Min), math.Max(pa.Y.Max, pb.Y.Max)
	for _, p := range []*plot.Plot{pa, pb} {
		p.Y.Min, p.Y.Max = lo, hi
		p.Y.Tick.Marker = toyLogTicks(lo, hi)
	}
	figFiles, err := SavePanels(dir, "fig7", [][]*plot.Plot{{pa, pb}}, 10, 4, 5)
	if err != nil {
		return nil, err
	}
	files := append([]string{"fig7_objective.csv"}, figFiles...)

	worstPrimal := math.Inf(-1)
	metrics := map[string]float64{}
	for r, m := range data.PrimalFinal {
		metrics[fmt.Sprintf("primal_final_init%d", r+1)] = m.Objective
		worstPrimal = math.Max(worstPrimal, m.Objective)
	}
	d := data.DualFinal
	metrics["dual_final"] = d.Objective
	metrics["dual_final_without_hinge"] = data.Gap.Dual
	metrics["dual_hinge"] = d.Hinge
	metrics["dual_violated_fraction"] = d.ViolatedFraction
	metrics["rebuilt_primal_objective"] = data.Gap.Primal
	metrics["rebuilt_gap"] = data.Gap.Gap
	metrics["dual_minus_best_primal"] = d.Objective - bestPrimal
	metrics["primal_spread"] = worstPrimal - bestPrimal
	// "Equal" within 1% of the best primal objective.
	relation := "higher than"
	switch {
	case d.Objective < bestPrimal*(1-0.01):
		relation = "lower than"
	case d.Objective <= bestPrimal*(1+0.01):
		relation = "equal (within 1%) to"
	}
	agrees := "no"
	if relation != "higher than" {
		agrees = "yes"
		if worstPrimal-bestPrimal <= 0.01*bestPrimal {
			agrees = "partly" // the primal did not depend on the initialisation here
		}
	}
	summary := fmt.Sprintf("After %d Adam steps (lr 1e-3) the primal ST-CNN (K = %d) ends at %.5f, %.5f, %.5f from three seeds; the dual ST-CNN (P = %d gates) at %.5f "+
		"(%.5f without the hinge term, %.2g%% of the sign constraints violated), %s the best primal. "+
		"The primal rebuilt from the dual by eq. 47 evaluates to %.5f (gap %.3g): for ST the dual (sampled gates, hinge-penalised constraints) is not an exact reformulation, so its lower value does not certify that the primal runs are suboptimal.",
		iters, primal.K, data.PrimalFinal[0].Objective, data.PrimalFinal[1].Objective, data.PrimalFinal[2].Objective,
		dual.P, d.Objective, data.Gap.Dual, 100*d.ViolatedFraction, relation, data.Gap.Primal, data.Gap.Gap)
	return &Result{Files: files, Summary: summary, Agrees: agrees, Metrics: metrics, Data: data, Settings: set}, nil
}

// toyLogTicks labels a log axis over [lo, hi] at 1, 1.5, 2, 3, 5 times
// powers of ten (plot.LogTicks labels powers of ten only, often none here).
func toyLogTicks(lo, hi float64) plot.Ticker {
	var ticks plot.ConstantTicks
	for e := math.Floor(math.Log10(lo)); e <= math.Ceil(math.Log10(hi)); e++ {
		for _, m := range []float64{1, 1.5, 2, 3, 5, 7} {
			v := m * math.Pow(10, e)
			if v < lo || v > hi {
				continue
			}
			label := ""
			if m != 7 {
				label = strconv.FormatFloat(v, 'g', 3, 64)
			}
			ticks = append(ticks, plot.Tick{Value: v, Label: label})
		}
	}
	return ticks
}

// tensorsFromFloat64 makes a float64 tensor of the given shape.
func tensorsFromFloat64(v []float64, dims ...int) *tensors.Tensor {
	return tensors.FromFlatDataAndDimensions(append([]float64(nil), v...), dims...)
}
