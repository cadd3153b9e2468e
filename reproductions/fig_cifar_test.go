package reproductions_test

import (
	"bytes"
	"encoding/csv"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/convexst/stcnn/stcnn"
)

// readCIFARCSV reads a numeric CSV written by a CIFAR figure.
func readCIFARCSV(t *testing.T, dir, name string) (header []string, rows [][]float64) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	for i, r := range recs[1:] {
		row := make([]float64, len(r))
		for j, cell := range r {
			if row[j], err = strconv.ParseFloat(cell, 64); err != nil {
				t.Fatalf("%s row %d column %d: %v", name, i+1, j, err)
			}
			if math.IsNaN(row[j]) || math.IsInf(row[j], 0) {
				t.Fatalf("%s row %d column %q: %v", name, i+1, recs[0][j], row[j])
			}
		}
		rows = append(rows, row)
	}
	return recs[0], rows
}

// Tiny-scale sizes (cifarSettingsFor(Tiny)).
const (
	cifarTinyEpochs = 1
	cifarTinyK      = 4
	cifarTinyShow   = 3
	cifarTinyTrain  = 8
	cifarTinyTest   = 8
)

func TestFig2CIFARReLUvsST(t *testing.T) {
	res, dir := runTiny(t, "2")
	_, act := readCIFARCSV(t, dir, "fig2_activations.csv")
	const lambda = 0.1 // stcnn.DefaultConfig
	for _, r := range act {
		x := r[0]
		st := math.Copysign(math.Max(math.Abs(x)-lambda, 0), x)
		if math.Abs(r[1]-math.Max(x, 0)) > 1e-6 || math.Abs(r[2]-st) > 1e-6 {
			t.Fatalf("activations at x=%g: relu %g st %g, want %g %g", x, r[1], r[2], math.Max(x, 0), st)
		}
	}
	_, means := readCIFARCSV(t, dir, "fig2_filter_means.csv")
	if len(means) != cifarTinyK {
		t.Fatalf("%d filter means, want %d", len(means), cifarTinyK)
	}
	for _, r := range means {
		if r[1] < 0 {
			t.Errorf("ReLU filter %g has negative mean activation %g", r[0], r[1])
		}
		if r[3] < 0 || r[3] > 1 || r[4] < 0 || r[4] > 1 {
			t.Errorf("zero fractions out of [0, 1]: %v", r)
		}
	}
	_, curves := readCIFARCSV(t, dir, "fig2_curves.csv")
	if len(curves) != cifarTinyEpochs+1 {
		t.Fatalf("%d curve points, want %d", len(curves), cifarTinyEpochs+1)
	}
	for _, k := range []string{"relu_test_psnr", "st_test_psnr", "st_train_objective"} {
		if _, ok := res.Metrics[k]; !ok {
			t.Errorf("metric %s missing", k)
		}
	}
}

func TestFig13CIFAROptimizersInits(t *testing.T) {
	res, dir := runTiny(t, "13")
	_, rows := readCIFARCSV(t, dir, "fig13_objective.csv")
	// 4 optimisers x 4 initialisations x 2 networks, each epochs+1 points.
	type key struct{ opt, std, model float64 }
	curves := map[key][]float64{}
	for _, r := range rows {
		k := key{r[0], r[1], r[2]}
		curves[k] = append(curves[k], r[4])
		if math.Abs(r[5]*3072-r[4]) > 1e-9*math.Abs(r[4]) {
			t.Fatalf("per-value objective %g is not objective/3072 (%g)", r[5], r[4])
		}
	}
	if len(curves) != 32 {
		t.Fatalf("%d curves, want 32", len(curves))
	}
	for k, c := range curves {
		if len(c) != cifarTinyEpochs+1 {
			t.Fatalf("curve %v has %d points", k, len(c))
		}
		// A primal from all-zero weights has zero gradient: it never moves.
		if k.std == 0 && k.model == 0 && c[len(c)-1] != c[0] {
			t.Errorf("primal from zeros moved under optimiser %g: %v", k.opt, c)
		}
	}
	if mustMetric(t, res, "dual_objective_min") <= 0 || mustMetric(t, res, "dual_objective_max") < mustMetric(t, res, "dual_objective_min") {
		t.Errorf("dual objective range %v %v", mustMetric(t, res, "dual_objective_min"), mustMetric(t, res, "dual_objective_max"))
	}
}

func TestFig14CIFARPSNROptimizers(t *testing.T) {
	res, dir := runTiny(t, "14")
	_, rows := readCIFARCSV(t, dir, "fig14_psnr.csv")
	if len(rows) != 4*2*(cifarTinyEpochs+1) {
		t.Fatalf("%d rows, want %d", len(rows), 4*2*(cifarTinyEpochs+1))
	}
	for _, opt := range []string{"sgdm", "adagrad", "rmsprop", "adam"} {
		for _, kind := range []string{"primal", "dual"} {
			if v, ok := res.Metrics[opt+"_"+kind+"_test_psnr"]; !ok || v <= 0 {
				t.Errorf("%s %s test PSNR %v (present %v)", opt, kind, v, ok)
			}
		}
	}
}

func TestFig15CIFARSnapshots(t *testing.T) {
	res, dir := runTiny(t, "15")
	_, rows := readCIFARCSV(t, dir, "fig15_psnr.csv")
	snaps := map[float64]int{}
	for _, r := range rows {
		snaps[r[0]]++
	}
	// Noisy input plus two snapshot epochs (1, 2) for two networks.
	if snaps[-1] != cifarTinyShow || snaps[1] != 2*cifarTinyShow || snaps[2] != 2*cifarTinyShow {
		t.Fatalf("rows per epoch %v", snaps)
	}
	for _, k := range []string{"primal_epoch2_test_psnr", "dual_epoch2_test_psnr", "noisy_test_psnr"} {
		if _, ok := res.Metrics[k]; !ok {
			t.Errorf("metric %s missing", k)
		}
	}
	f, err := os.Open(filepath.Join(dir, "fig15.png"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := png.Decode(f); err != nil {
		t.Fatal(err)
	}
}

func TestFig16CIFARGap(t *testing.T) {
	res, dir := runTiny(t, "16")
	header, rows := readCIFARCSV(t, dir, "fig16_final.csv")
	if len(rows) != 3 {
		t.Fatalf("%d sigmas, want 3", len(rows))
	}
	col := map[string]int{}
	for i, h := range header {
		col[h] = i
	}
	for _, r := range rows {
		gap := r[col["rebuilt_train_objective"]] - r[col["dual_train_no_hinge"]]
		if math.Abs(gap-r[col["train_gap"]]) > 1e-6*math.Max(1, math.Abs(gap)) {
			t.Errorf("sigma %g: gap %g, want rebuilt - dual = %g", r[0], r[col["train_gap"]], gap)
		}
		if r[col["rebuilt_K"]] < 1 {
			t.Errorf("sigma %g: rebuilt primal has %g filters", r[0], r[col["rebuilt_K"]])
		}
	}
	for _, s := range []string{"0.25", "0.5", "0.75"} {
		for _, k := range []string{"_rebuilt_train_gap", "_rebuilt_test_gap", "_primal_train_objective", "_dual_test_objective"} {
			if _, ok := res.Metrics["sigma"+s+k]; !ok {
				t.Errorf("metric sigma%s%s missing", s, k)
			}
		}
	}
	_, curves := readCIFARCSV(t, dir, "fig16_curves.csv")
	if len(curves) != 3*(cifarTinyEpochs+1) {
		t.Fatalf("%d curve rows", len(curves))
	}
}

func TestTable2CIFARPSNR(t *testing.T) {
	res, dir := runTiny(t, "table2")
	header, table := readCIFARCSV(t, dir, "table2.csv")
	_, images := readCIFARCSV(t, dir, "table2_image_errors.csv")
	if len(table) != 3 {
		t.Fatalf("%d rows, want 3", len(table))
	}
	paper := map[float64][4]float64{0.25: {23.44, 23.46, 23.17, 23.20}, 0.5: {19.45, 19.50, 19.36, 19.40},
		0.75: {17.41, 17.45, 17.36, 17.41}}
	for _, row := range table {
		for i := range 4 {
			if row[5+i] != paper[row[0]][i] {
				t.Errorf("sigma %g %s: paper value %g, want %g", row[0], header[5+i], row[5+i], paper[row[0]][i])
			}
			model, set := float64(i/2), float64(i%2)
			var se, cs []float64
			for _, r := range images {
				if r[0] == row[0] && r[1] == model && r[2] == set {
					se, cs = append(se, r[4]), append(cs, r[5])
				}
			}
			want := cifarTinyTrain
			if set == 1 {
				want = cifarTinyTest
			}
			if len(se) != want {
				t.Fatalf("sigma %g %s: %d per-image errors, want %d", row[0], header[1+i], len(se), want)
			}
			m := stcnn.ImageMetrics(se, cs, 3072)
			if math.Abs(m.PSNR-row[1+i]) > 1e-6 || math.Abs(m.RLNE-row[9+i]) > 1e-6 {
				t.Errorf("sigma %g %s: table %g / %g, recomputed %g / %g", row[0], header[1+i], row[1+i], row[9+i], m.PSNR, m.RLNE)
			}
			name := []string{"primal_train", "primal_test", "dual_train", "dual_test"}[i]
			key := "sigma" + strconv.FormatFloat(row[0], 'g', -1, 64) + "_" + name + "_psnr"
			if v, ok := res.Metrics[key]; !ok || math.Abs(v-row[1+i]) > 1e-6 {
				t.Errorf("metric %s = %v (present %v), table %g", key, v, ok, row[1+i])
			}
		}
	}
}

func TestFig17CIFARImages(t *testing.T) {
	res, dir := runTiny(t, "17")
	_, rows := readCIFARCSV(t, dir, "fig17_psnr.csv")
	if len(rows) != cifarTinyShow {
		t.Fatalf("%d rows, want %d", len(rows), cifarTinyShow)
	}
	for _, r := range rows {
		if math.Abs(r[4]-(r[3]-r[2])) > 1e-6 {
			t.Errorf("image %g: difference %g, want %g", r[0], r[4], r[3]-r[2])
		}
	}
	if _, ok := res.Metrics["dual_test_psnr"]; !ok {
		t.Error("metric dual_test_psnr missing")
	}
}
