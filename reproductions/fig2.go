package reproductions

import (
	"fmt"
	"image/color"
	"math"
	"strings"

	"github.com/convexst/stcnn/datasets"
	"github.com/convexst/stcnn/stcnn"
	"github.com/convexst/stcnn/stcnn/initializers"
	"github.com/convexst/stcnn/stcnn/optimizers"
	"github.com/convexst/stcnn/stcnn/training"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
)

// ---------------------------------------------------------------- Fig. 2

// cifarFig2 trains the primal network with ReLU and with soft-thresholding
// (Adam, Kaiming-uniform initialisation, sigma 0.25) and plots (a) the two
// activations, (b) the distribution of the per-filter mean of the hidden
// activations over the training images, (c) the objective and (d) the PSNR
// over epochs.
func cifarFig2(env Env) (*Result, error) {
	fig, err := newCifarFigure(env, "2")
	if err != nil {
		return nil, err
	}
	choices := []string{
		"optimiser Adam and Kaiming-uniform initialisation for both networks (the paper does not say; " +
			"N(0, 0.001^2) would leave the soft-threshold's dead zone |Yu| < lambda without gradient)",
		fig.sigmaChoice(),
		"(b): mean of each hidden unit's activation act(Y u_k) over all pixels of the training images, one value per filter",
		cifarObjectiveNote, cifarTestNote}
	acts := []stcnn.Activation{stcnn.ActivationReLU, stcnn.ActivationST}
	results := make([]*training.Result, len(acts))
	for i, a := range acts {
		cfg, err := fig.config("primal-"+string(a), figureRun{Kind: stcnn.Primal, Optimizer: optimizers.NameAdam,
			Init: initializers.KaimingUniform(), Sigma: fig.Sigma, Activation: a})
		if err != nil {
			return nil, err
		}
		if results[i], err = fig.train(cfg); err != nil {
			return nil, err
		}
	}

	// (a) The activations on a grid, computed by the library's graph functions.
	lambda := results[1].Config.Model.Lambda
	xs := make([]float64, 201)
	for i := range xs {
		xs[i] = -1 + 2*float64(i)/float64(len(xs)-1)
	}
	out, err := execGraph(env, func(x []*graph.Node) []*graph.Node {
		return []*graph.Node{stcnn.ReLU(x[0]), stcnn.SoftThreshold(x[0], lambda)}
	}, xs)
	if err != nil {
		return nil, fmt.Errorf("reproductions: activations: %w", err)
	}
	relu, st := out[0], out[1]
	rows := make([][]float64, len(xs))
	for i := range xs {
		rows[i] = []float64{xs[i], relu[i], st[i]}
	}
	if err := WriteCSV(fig.dir, "fig2_activations.csv", []string{"x", "relu", "soft_threshold"}, rows); err != nil {
		return nil, err
	}

	// (b) Per-filter mean activations and zero fractions on the training images.
	means := make([][]float64, len(acts))
	zeros := make([][]float64, len(acts))
	for i, r := range results {
		if means[i], zeros[i], err = cifarHiddenStats(env, r, fig.data.TrainNoisy); err != nil {
			return nil, err
		}
	}
	rows = nil
	for k := range means[0] {
		rows = append(rows, []float64{float64(k), means[0][k], means[1][k], zeros[0][k], zeros[1][k]})
	}
	if err := WriteCSV(fig.dir, "fig2_filter_means.csv",
		[]string{"filter", "relu_mean", "st_mean", "relu_zero_fraction", "st_zero_fraction"}, rows); err != nil {
		return nil, err
	}

	// (c), (d) Curves.
	curves := []runCurve{runCurveOf(results[0].History), runCurveOf(results[1].History)}
	rows = nil
	for j := range curves[0].Epoch {
		rows = append(rows, []float64{curves[0].Epoch[j], curves[0].TrainObjective[j], curves[0].TestObjective[j],
			curves[1].TrainObjective[j], curves[1].TestObjective[j], curves[0].TrainPSNR[j], curves[0].TestPSNR[j],
			curves[1].TrainPSNR[j], curves[1].TestPSNR[j]})
	}
	if err := WriteCSV(fig.dir, "fig2_curves.csv", []string{"epoch", "relu_train_objective", "relu_test_objective",
		"st_train_objective", "st_test_objective", "relu_train_psnr", "relu_test_psnr", "st_train_psnr", "st_test_psnr"}, rows); err != nil {
		return nil, err
	}

	pa, err := LinePlot("(a) activation functions", "x", "act(x)", false,
		Series{Label: "ReLU", X: xs, Y: relu}, Series{Label: fmt.Sprintf("ST (lambda=%g)", lambda), X: xs, Y: st})
	if err != nil {
		return nil, err
	}
	pb := cifarHistogramPlot("(b) per-filter mean activation (training images)", "mean activation",
		[]string{"ReLU", "ST"}, means)
	pc, err := LinePlot("(c) objective", "epoch", "objective (per image)", true, cifarActivationSeries(curves,
		func(c runCurve) ([]float64, []float64) { return c.TrainObjective, c.TestObjective })...)
	if err != nil {
		return nil, err
	}
	pd, err := LinePlot("(d) PSNR", "epoch", "PSNR (dB)", false, cifarActivationSeries(curves,
		func(c runCurve) ([]float64, []float64) { return c.TrainPSNR, c.TestPSNR })...)
	if err != nil {
		return nil, err
	}
	files, err := cifarSavePanels(fig.dir, "fig2", [][]*plot.Plot{{pa, pb}, {pc, pd}}, 10, 8)
	if err != nil {
		return nil, err
	}

	last := []training.Record{results[0].History.Last(), results[1].History.Last()}
	stMeanAbs, stZero, reluZero := cifarMeanAbs(means[1]), mean(zeros[1]), mean(zeros[0])
	var reluNeg, stNeg int
	for k := range means[0] {
		if means[0][k] < 0 {
			reluNeg++
		}
		if means[1][k] < 0 {
			stNeg++
		}
	}
	m := map[string]float64{
		"relu_train_objective": last[0].Train.Objective, "st_train_objective": last[1].Train.Objective,
		"relu_train_psnr": last[0].Train.PSNR, "st_train_psnr": last[1].Train.PSNR,
		"relu_test_psnr": last[0].Test.PSNR, "st_test_psnr": last[1].Test.PSNR,
		"st_filters_negative_mean": float64(stNeg), "relu_filters_negative_mean": float64(reluNeg),
		"st_mean_abs_filter_mean": stMeanAbs, "st_zero_fraction": stZero, "relu_zero_fraction": reluZero,
	}
	agrees := "yes"
	diff := last[1].Test.PSNR - last[0].Test.PSNR
	if diff < -1 || last[1].Train.Objective >= curves[1].TrainObjective[0] {
		agrees = "partly"
	}
	summary := fmt.Sprintf("After %d epochs (%d training images, sigma %.2f, Adam): ReLU network objective %.4g, "+
		"PSNR train %.2f / test %.2f dB; ST network objective %.4g, PSNR train %.2f / test %.2f dB (ST - ReLU test PSNR %+.2f dB; %s). "+
		"Hidden activations: %d of %d ST filters have a negative mean (ReLU: %d, necessarily 0); zero (dead-zone) fraction "+
		"%.2f for ST, %.2f for ReLU. Agreement rule: yes if the ST network trains and its test PSNR is within 1 dB of "+
		"or above the ReLU network's.", fig.Epochs, fig.TrainSize, fig.Sigma, last[0].Train.Objective, last[0].Train.PSNR,
		last[0].Test.PSNR, last[1].Train.Objective, last[1].Train.PSNR, last[1].Test.PSNR, diff, cifarTestNote,
		stNeg, len(means[1]), reluNeg, stZero, reluZero)
	return &Result{Files: append([]string{"fig2_activations.csv", "fig2_filter_means.csv", "fig2_curves.csv"}, files...),
		Summary: summary, Agrees: agrees, Metrics: m, Settings: fig.record(choices...),
		Data: map[string]any{"activations_x": xs, "relu": relu, "st": st, "filter_means": means, "curves": curves}}, nil
}

// cifarActivationSeries are the training (solid) and test (dashed) series
// of the ReLU and the ST network's curves, values giving a curve's two.
func cifarActivationSeries(curves []runCurve, values func(runCurve) (train, test []float64)) []Series {
	labels := []string{"ReLU", "ST"}
	var train, test []Series
	for i, c := range curves {
		tr, te := values(c)
		train = append(train, Series{Label: labels[i] + " train", X: c.Epoch, Y: tr})
		test = append(test, Series{Label: labels[i] + " test", X: c.Epoch, Y: te, Dashed: true})
	}
	return append(train, test...)
}

// cifarHiddenStats returns, for every filter k of a trained primal network,
// the mean of its hidden activation act(Y u_k) over every pixel of the images
// and the fraction of those activations that are exactly zero.
func cifarHiddenStats(env Env, res *training.Result, images *datasets.Images) (means, zeroFrac []float64, err error) {
	net, ok := res.Trainer.Network().(*stcnn.PrimalModel)
	if !ok {
		return nil, nil, fmt.Errorf("reproductions: hidden activations of a %s network: only a primal has filters u_k", res.Trainer.Network().Kind())
	}
	store, cfg := res.Store, net.Config()
	exec, err := model.NewExec(env.Backend, store, func(_ *model.Scope, y *graph.Node) []*graph.Node {
		u := net.Scope(store).GetVariable("u").NodeValue(y.Graph())
		h := cfg.Activation.Apply(graph.Einsum("id,kd->ik", stcnn.Patches(y, cfg.M), u), cfg.Lambda)
		isZero := graph.ConvertDType(graph.Equal(h, graph.ZerosLike(h)), h.DType())
		return []*graph.Node{graph.ReduceSum(h, 0), graph.ReduceSum(isZero, 0)}
	})
	if err != nil {
		return nil, nil, err
	}
	means, zeroFrac = make([]float64, cfg.K), make([]float64, cfg.K)
	per := cifarChunk(net, images)
	for from := 0; from < images.N; from += per {
		part, err := images.Slice(from, min(images.N, from+per))
		if err != nil {
			return nil, nil, err
		}
		t, err := exec.Exec(stcnn.ImagesTensor(part, cfg.GoMLXDType()))
		if err != nil {
			return nil, nil, fmt.Errorf("reproductions: hidden activations: %w", err)
		}
		for i, acc := range [][]float64{means, zeroFrac} {
			v, err := stcnn.Float64s(t[i])
			if err != nil {
				return nil, nil, err
			}
			for k := range acc {
				acc[k] += v[k]
			}
		}
	}
	count := float64(images.N * images.H * images.W)
	for k := range means {
		means[k] /= count
		zeroFrac[k] /= count
	}
	return means, zeroFrac, nil
}

// cifarHistogramPlot overlays histograms of the value sets on common bins.
func cifarHistogramPlot(title, xLabel string, labels []string, sets [][]float64) *plot.Plot {
	lo, hi := math.Inf(1), math.Inf(-1)
	n := 0
	for _, v := range sets {
		for _, x := range v {
			lo, hi = math.Min(lo, x), math.Max(hi, x)
		}
		n = max(n, len(v))
	}
	if !(hi > lo) {
		lo, hi = lo-0.5, hi+0.5
	}
	bins := max(4, min(30, n/2))
	width := (hi - lo) / float64(bins)
	p := plot.New()
	p.Title.Text, p.X.Label.Text, p.Y.Label.Text = title, xLabel, "filters"
	for s, v := range sets {
		h := &plotter.Histogram{Width: width, LineStyle: plotter.DefaultLineStyle}
		for b := range bins {
			h.Bins = append(h.Bins, plotter.HistogramBin{Min: lo + float64(b)*width, Max: lo + float64(b+1)*width})
		}
		for _, x := range v {
			b := min(bins-1, int((x-lo)/width))
			h.Bins[b].Weight++
		}
		r, g, b, _ := palette[s%len(palette)].RGBA()
		h.FillColor = color.NRGBA{R: uint8(r >> 8), G: uint8(g >> 8), B: uint8(b >> 8), A: 120}
		h.LineStyle.Color = palette[s%len(palette)]
		p.Add(h)
		p.Legend.Add(labels[s], h)
	}
	p.Legend.Top = true
	return p
}

// cifarStuck reports whether an objective curve ended within 1% of its start.
func cifarStuck(obj []float64) bool {
	return len(obj) > 0 && math.Abs(cifarLast(obj)-obj[0]) <= 0.01*math.Abs(obj[0])
}

// cifarOr lists names, or says "none".
func cifarOr(names []string) string {
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}

func cifarMeanAbs(v []float64) float64 {
	var s float64
	for _, x := range v {
		s += math.Abs(x)
	}
	return s / float64(len(v))
}
