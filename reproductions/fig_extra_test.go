package reproductions_test

import (
	"math"
	"testing"

	"github.com/convexst/stcnn/reproductions"
)

func TestFig18Tiny(t *testing.T) {
	res, _ := runTiny(t, "18")
	d, ok := res.Data.(*reproductions.Fig18Data)
	if !ok {
		t.Fatalf("data is %T", res.Data)
	}
	if len(d.Epochs) == 0 {
		t.Fatal("no epochs")
	}
	for name, curve := range map[string][]float64{"primal test": d.PrimalTest, "dual test": d.DualTest,
		"primal train": d.PrimalTrain, "dual train": d.DualTrain} {
		if len(curve) != len(d.Epochs) {
			t.Fatalf("%s: %d points for %d epochs", name, len(curve), len(d.Epochs))
		}
		for _, a := range curve {
			if !(a >= 0 && a <= 1) {
				t.Errorf("%s: accuracy %v outside [0, 1]", name, a)
			}
		}
	}
	for _, a := range []float64{d.CleanAccuracy, d.NoisyAccuracy} {
		if !(a >= 0 && a <= 1) {
			t.Errorf("reference accuracy %v outside [0, 1]", a)
		}
	}
	for _, p := range append(append([]float64{}, d.PrimalPSNR...), d.DualPSNR...) {
		if math.IsNaN(p) || p <= 0 {
			t.Errorf("PSNR %v", p)
		}
	}
}

func TestFig19Tiny(t *testing.T) {
	res, _ := runTiny(t, "19")
	curves, ok := res.Data.([]reproductions.Fig19Curve)
	if !ok {
		t.Fatalf("data is %T", res.Data)
	}
	seen := map[string]bool{}
	for _, c := range curves {
		seen[c.Model+"/"+c.Optimizer] = true
		if len(c.Epochs) < 2 || len(c.Objective) != len(c.Epochs) || len(c.PSNR) != len(c.Epochs) {
			t.Errorf("%s %s: %d epochs, %d objectives, %d PSNRs", c.Model, c.Optimizer, len(c.Epochs), len(c.Objective), len(c.PSNR))
		}
		for i := range c.Objective {
			if !(c.Objective[i] > 0) || math.IsNaN(c.PSNR[i]) {
				t.Errorf("%s %s epoch %v: objective %v PSNR %v", c.Model, c.Optimizer, c.Epochs[i], c.Objective[i], c.PSNR[i])
			}
		}
	}
	for _, model := range []string{"dual", "resnet"} {
		for _, opt := range []string{"sgdm", "adagrad", "rmsprop", "adam"} {
			if !seen[model+"/"+opt] {
				t.Errorf("no curve for %s under %s", model, opt)
			}
		}
	}
	if _, ok := res.Metrics["resnet_psnr_spread_over_optimizers_db"]; !ok {
		t.Error("missing spread metric")
	}
}
