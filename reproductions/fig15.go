package reproductions

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/convexst/stcnn/datasets"
	"github.com/convexst/stcnn/stcnn"
	"github.com/convexst/stcnn/stcnn/initializers"
	"github.com/convexst/stcnn/stcnn/optimizers"
	"github.com/convexst/stcnn/stcnn/training"
)

// ---------------------------------------------------------------- Fig. 15

// cifarFig15 trains primal and dual with SGDM from N(0, 0.001^2) and shows
// denoised test images at the snapshot epochs (the paper: 8, 16 and 28),
// taken by an epoch hook of the run.
func cifarFig15(env Env) (*Result, error) {
	fig, err := newCifarFigure(env, "15")
	if err != nil {
		return nil, err
	}
	snaps := fig.SnapshotEpochs
	choices := []string{
		fmt.Sprintf("snapshot epochs %v of %d (paper: 8, 16, 28; smaller scales use proportionally earlier epochs)",
			snaps, snaps[len(snaps)-1]),
		fig.sigmaChoice(),
		fmt.Sprintf("the first %d images of the test subset are shown", fig.ShowImages), cifarTestNote}
	var data *training.Data
	var shownNoisy, shownClean *datasets.Images
	labels := []string{"noisy", "clean"}
	var rowsImg []*datasets.Images
	var rows [][]float64
	m := map[string]float64{}
	var summary strings.Builder
	var lastPSNR [2]float64
	for ki, kind := range []stcnn.ModelKind{stcnn.Primal, stcnn.Dual} {
		cfg, err := fig.config(fmt.Sprintf("%s-sgdm", kind), figureRun{Kind: kind, Optimizer: optimizers.NameSGDM,
			Init: initializers.Normal(0.001), Sigma: fig.Sigma, Epochs: snaps[len(snaps)-1]})
		if err != nil {
			return nil, err
		}
		fig.runs = append(fig.runs, cfg)
		if data == nil {
			if data, err = env.data(cfg); err != nil {
				return nil, err
			}
			n := min(fig.ShowImages, data.TestNoisy.N)
			if shownNoisy, err = data.TestNoisy.Slice(0, n); err != nil {
				return nil, err
			}
			if shownClean, err = data.TestClean.Slice(0, n); err != nil {
				return nil, err
			}
			rowsImg = append(rowsImg, shownNoisy, shownClean)
			for i, p := range cifarImagePSNR(shownNoisy, shownClean, n) {
				rows = append(rows, []float64{-1, 0, float64(i), p, math.NaN()})
			}
		}
		fmt.Fprintf(&summary, "%s (SGDM):", kind)
		snapshot := func(res *training.Result, e int) error {
			if !slices.Contains(snaps, e) {
				return nil
			}
			pred, err := env.predict(res, shownNoisy)
			if err != nil {
				return err
			}
			rowsImg = append(rowsImg, pred)
			labels = append(labels, fmt.Sprintf("%s ep %d", kind, e))
			test := res.History.Last().Test.PSNR
			for j, p := range cifarImagePSNR(pred, shownClean, shownNoisy.N) {
				rows = append(rows, []float64{float64(e), float64(ki), float64(j), p, test})
			}
			m[fmt.Sprintf("%s_epoch%d_test_psnr", kind, e)] = test
			lastPSNR[ki] = test
			fmt.Fprintf(&summary, " epoch %d %.2f dB", e, test)
			env.Logf("  %-28s epoch %d: test PSNR %.2f dB", cfg.Name, e, test)
			return nil
		}
		if _, err := training.Run(cfg, training.Options{Backend: env.Backend, Data: data,
			Hooks: training.Hooks{AfterEpoch: snapshot}}); err != nil {
			return nil, fmt.Errorf("run %s: %w", cfg.Name, err)
		}
		summary.WriteString("; ")
	}
	// The noisy input's test PSNR (the identity "denoiser") as the reference.
	noisyPSNR := mean(cifarImagePSNR(data.TestNoisy, data.TestClean, data.TestNoisy.N))
	m["noisy_test_psnr"] = noisyPSNR
	for i := range rows {
		if math.IsNaN(rows[i][4]) {
			rows[i][4] = noisyPSNR
		}
	}
	if err := WriteCSV(fig.dir, "fig15_psnr.csv", []string{"epoch (-1: noisy input)", "model (0 primal, 1 dual)", "image",
		"image_psnr", "mean_test_psnr"}, rows); err != nil {
		return nil, err
	}
	p, err := cifarImagePlot(fmt.Sprintf("SGDM, N(0, 0.001^2), sigma %.2f", fig.Sigma), labels, rowsImg, shownNoisy.N)
	if err != nil {
		return nil, err
	}
	files, err := SavePlot(p, fig.dir, "fig15", 1.2+0.9*float64(shownNoisy.N), 0.6+0.9*float64(len(rowsImg)))
	if err != nil {
		return nil, err
	}
	agrees := "partly"
	if lastPSNR[0] < noisyPSNR+3 && lastPSNR[1] < noisyPSNR+3 {
		agrees = "yes"
	}
	text := fmt.Sprintf("Mean test PSNR at the snapshot epochs %v (%d training / %d test images, sigma %.2f, %s): %s"+
		"the noisy input itself has %.2f dB. Agreement rule: yes if neither network's output at the last snapshot is "+
		"3 dB better than its noisy input (images still far from the noise-free ones).",
		snaps, fig.TrainSize, fig.TestSize, fig.Sigma, cifarTestNote, summary.String(), noisyPSNR)
	return &Result{Files: append([]string{"fig15_psnr.csv"}, files...), Summary: text, Agrees: agrees, Metrics: m,
		Settings: fig.record(choices...)}, nil
}
