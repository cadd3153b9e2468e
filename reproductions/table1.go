package reproductions

import (
	"fmt"
	"math"
	"strings"

	"github.com/convexst/stcnn/stcnn"
)

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
	s, dir, runs, configs, err := mnistSigmaFigure(env, "table1", mnistAllSigmas, false)
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
			out, err := env.predict(res, noisy)
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
				ev = *res.History.Last().Test // env.train checks that the last record has them
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
