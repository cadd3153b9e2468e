package reproductions

import (
	"fmt"
	"image"
	"image/color"
	"math"

	"github.com/convexst/stcnn/datasets"
	"github.com/convexst/stcnn/stcnn"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
)

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
	s, dir, runs, configs, err := mnistSigmaFigure(env, "12", mnistFigureSigma, false)
	if err != nil {
		return nil, err
	}
	r := runs[0]
	data := r.Primal.Data
	primal, err := env.predict(r.Primal, data.TestNoisy)
	if err != nil {
		return nil, err
	}
	dual, err := env.predict(r.Dual, data.TestNoisy)
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
