package reproductions_test

import (
	"encoding/csv"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/convexst/stcnn/reproductions"
	"github.com/convexst/stcnn/stcnn"
)

// mnistReadCSV reads a CSV written by a figure: its header and numeric rows.
func mnistReadCSV(t *testing.T, path string) ([]string, [][]float64) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	rows := make([][]float64, len(recs)-1)
	for i, rec := range recs[1:] {
		for _, cell := range rec {
			v, err := strconv.ParseFloat(cell, 64)
			if err != nil {
				t.Fatalf("%s row %d: %v", path, i+1, err)
			}
			rows[i] = append(rows[i], v)
		}
	}
	return recs[0], rows
}

// mnistColumn returns the values of the named column.
func mnistColumn(t *testing.T, header []string, rows [][]float64, name string) []float64 {
	t.Helper()
	for j, h := range header {
		if h == name {
			out := make([]float64, len(rows))
			for i, r := range rows {
				out[i] = r[j]
			}
			return out
		}
	}
	t.Fatalf("no column %q in %v", name, header)
	return nil
}

// mnistCheckCurves checks an objective-curve CSV: the expected training and test
// curves, one row per evaluation (initial + tiny epochs), finite positive
// values, and a decreasing training objective for every dual run.
func mnistCheckCurves(t *testing.T, path string, names []string) (header []string, rows [][]float64) {
	t.Helper()
	s, err := reproductions.MNISTSettingsFor(reproductions.Tiny)
	if err != nil {
		t.Fatal(err)
	}
	header, rows = mnistReadCSV(t, path)
	if len(rows) != s.Epochs+1 {
		t.Fatalf("%s: %d rows, want %d (initial + one per epoch)", path, len(rows), s.Epochs+1)
	}
	for _, name := range names {
		for _, set := range []string{"train", "test"} {
			y := mnistColumn(t, header, rows, name+"_"+set+"_objective")
			for i, v := range y {
				if !(v > 0) || math.IsInf(v, 0) {
					t.Errorf("%s %s objective at row %d = %v", name, set, i, v)
				}
			}
			if strings.HasPrefix(name, "dual") && set == "train" && !(y[len(y)-1] < y[0]) {
				t.Errorf("%s: training objective did not decrease: %v", name, y)
			}
		}
	}
	return header, rows
}

func TestFig9Fig10Tiny(t *testing.T) {
	for _, tc := range []struct {
		id       string
		variants []string
	}{
		{"9", []string{"sgd", "asgd", "adam"}},
		{"10", []string{"kaiming", "normal0.001", "normal0.005"}},
	} {
		t.Run("Fig"+tc.id, func(t *testing.T) {
			res, dir := runTiny(t, tc.id)
			var names []string
			for _, v := range tc.variants {
				names = append(names, "primal_"+v, "dual_"+v)
			}
			header, _ := mnistCheckCurves(t, filepath.Join(dir, "fig"+tc.id+".csv"), names)
			if want := 1 + 2*len(names); len(header) != want {
				t.Errorf("fig%s.csv has %d columns, want %d (6 training and 6 test curves)", tc.id, len(header), want)
			}
			for _, k := range []string{"primal_spread", "dual_spread", "dual_" + tc.variants[0] + "_train_final"} {
				if _, ok := res.Metrics[k]; !ok {
					t.Errorf("metric %s missing", k)
				}
			}
		})
	}
}

func TestFig11Tiny(t *testing.T) {
	res, dir := runTiny(t, "11")
	s, _ := reproductions.MNISTSettingsFor(reproductions.Tiny)
	var names []string
	for _, sigma := range s.Sigmas {
		names = append(names, "primal_sigma"+strconv.FormatFloat(sigma, 'f', 2, 64), "dual_sigma"+strconv.FormatFloat(sigma, 'f', 2, 64))
	}
	header, rows := mnistCheckCurves(t, filepath.Join(dir, "fig11.csv"), names)
	// A gap at every evaluation of every dual run, train and test.
	for _, sigma := range s.Sigmas {
		for _, set := range []string{"train", "test"} {
			name := "dual_sigma" + strconv.FormatFloat(sigma, 'f', 2, 64) + "_" + set + "_gap"
			if g := mnistColumn(t, header, rows, name); len(g) != s.Epochs+1 {
				t.Errorf("%s: %d values", name, len(g))
			}
		}
	}
	gh, gaps := mnistReadCSV(t, filepath.Join(dir, "fig11_gap.csv"))
	if len(gaps) != 2*len(s.Sigmas) {
		t.Fatalf("fig11_gap.csv: %d rows, want %d", len(gaps), 2*len(s.Sigmas))
	}
	rebuilt, dual, gap := mnistColumn(t, gh, gaps, "rebuilt_primal_objective"), mnistColumn(t, gh, gaps, "dual_objective_without_hinge"), mnistColumn(t, gh, gaps, "gap")
	for i := range gaps {
		if math.Abs(rebuilt[i]-dual[i]-gap[i]) > 1e-6*math.Abs(rebuilt[i]) {
			t.Errorf("row %d: gap %v is not rebuilt %v - dual %v", i, gap[i], rebuilt[i], dual[i])
		}
	}
	for _, k := range []string{"sigma0.25_train_gap", "sigma0.25_train_gap_relative", "sigma0.75_test_gap", "sigma0.50_train_difference"} {
		if _, ok := res.Metrics[k]; !ok {
			t.Errorf("metric %s missing", k)
		}
	}
}

func TestFig12Tiny(t *testing.T) {
	res, dir := runTiny(t, "12")
	s, _ := reproductions.MNISTSettingsFor(reproductions.Tiny)
	h, rows := mnistReadCSV(t, filepath.Join(dir, "fig12_psnr.csv"))
	if len(rows) != s.TestSize {
		t.Fatalf("fig12_psnr.csv: %d rows, want %d", len(rows), s.TestSize)
	}
	// The noisy PSNR is about 10 log10(1/sigma^2) dB.
	noisy := mnistColumn(t, h, rows, "noisy_psnr")
	want := -20 * math.Log10(s.Sigma)
	for i, v := range noisy {
		if math.Abs(v-want) > 1 {
			t.Errorf("image %d: noisy PSNR %.2f dB, want about %.2f", i, v, want)
		}
	}
	_, pix := mnistReadCSV(t, filepath.Join(dir, "fig12_pixels.csv"))
	if len(pix) != s.Examples*28*28 {
		t.Errorf("fig12_pixels.csv: %d rows, want %d", len(pix), s.Examples*28*28)
	}
	if mustMetric(t, res, "primal_psnr") == 0 || mustMetric(t, res, "dual_psnr") == 0 {
		t.Errorf("metrics: %v", res.Metrics)
	}
}

// TestTable1Tiny recomputes every PSNR and RLNE of table1.csv from the
// per-image errors in table1_images.csv with stcnn.ImageMetrics.
func TestTable1Tiny(t *testing.T) {
	res, dir := runTiny(t, "table1")
	s, _ := reproductions.MNISTSettingsFor(reproductions.Tiny)
	th, table := mnistReadCSV(t, filepath.Join(dir, "table1.csv"))
	ih, images := mnistReadCSV(t, filepath.Join(dir, "table1_images.csv"))
	if len(table) != len(s.Sigmas) {
		t.Fatalf("table1.csv: %d rows, want %d", len(table), len(s.Sigmas))
	}
	if want := len(s.Sigmas) * 2 * (s.TrainSize + s.TestSize); len(images) != want {
		t.Fatalf("table1_images.csv: %d rows, want %d", len(images), want)
	}
	sig, dual, test := mnistColumn(t, ih, images, "sigma"), mnistColumn(t, ih, images, "model_dual"), mnistColumn(t, ih, images, "set_test")
	se, ce := mnistColumn(t, ih, images, "squared_error"), mnistColumn(t, ih, images, "clean_energy")
	paper := map[float64]float64{0.25: 23.09, 0.5: 19.20, 0.75: 17.20}
	for _, row := range table {
		sigma := row[0]
		for _, c := range []struct {
			name       string
			dual, test float64
		}{{"primal_train", 0, 0}, {"primal_test", 0, 1}, {"dual_train", 1, 0}, {"dual_test", 1, 1}} {
			var e, x []float64
			for i := range images {
				if sig[i] == sigma && dual[i] == c.dual && test[i] == c.test {
					e, x = append(e, se[i]), append(x, ce[i])
				}
			}
			m := stcnn.ImageMetrics(e, x, 28*28)
			for _, q := range []struct {
				name string
				got  float64
			}{{"psnr", m.PSNR}, {"rlne", m.RLNE}} {
				col := mnistColumn(t, th, table, c.name+"_"+q.name)
				var stored float64
				for i := range table {
					if table[i][0] == sigma {
						stored = col[i]
					}
				}
				if math.Abs(q.got-stored) > 1e-6*math.Abs(stored) {
					t.Errorf("sigma %v %s %s: recomputed %v, table %v", sigma, c.name, q.name, q.got, stored)
				}
			}
		}
		if got := mnistColumn(t, th, [][]float64{row}, "paper_primal_train_psnr")[0]; got != paper[sigma] {
			t.Errorf("sigma %v: paper's primal training PSNR %v, want %v", sigma, got, paper[sigma])
		}
	}
	if _, ok := res.Metrics["sigma0.25_dual_test_psnr"]; !ok {
		t.Errorf("metrics: %v", res.Metrics)
	}
	// The predictions behind the table agree with the training runs' own evaluation.
	if d, ok := res.Metrics["check_psnr_predict_vs_evaluate_db"]; !ok || d > 1e-3 {
		t.Errorf("PSNR from predictions differs from Trainer.Evaluate by %v dB", d)
	}
}

// TestMNISTSettings checks every scale's settings: the paper's sizes at
// Paper scale, and a valid configuration for every run the figures make.
func TestMNISTSettings(t *testing.T) {
	for _, sc := range []reproductions.Scale{reproductions.Tiny, reproductions.Quick, reproductions.Paper} {
		s, err := reproductions.MNISTSettingsFor(sc)
		if err != nil {
			t.Fatal(err)
		}
		if sc == reproductions.Paper && (s.TrainSize != 600 || s.TestSize != 10000 || s.K != 512 || s.P != 8000 || s.Model.M != 3) {
			t.Errorf("paper scale: %+v", s)
		}
		if want := map[reproductions.Scale]int{reproductions.Paper: s.Epochs}[sc]; s.TestAndGapEvery != want {
			t.Errorf("%s: test metrics and gaps every %d epochs, want %d (paper: only at the end)", sc, s.TestAndGapEvery, want)
		}
		if len(s.Sigmas) != 3 || s.Sigma != 0.25 {
			t.Errorf("%s: sigmas %v, sigma %v", sc, s.Sigmas, s.Sigma)
		}
		for _, opt := range []string{"sgd", "asgd", "adam"} {
			r, ok := s.Rates[opt]
			if !ok || !(r.Primal > 0) || !(r.Dual > 0) {
				t.Errorf("%s: %s rates %+v", sc, opt, r)
			}
		}
	}
	if _, err := reproductions.MNISTSettingsFor("huge"); err == nil {
		t.Error("unknown scale accepted")
	}
}
