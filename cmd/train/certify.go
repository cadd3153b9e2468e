package main

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/convexst/stcnn/stcnn"
	"github.com/convexst/stcnn/stcnn/certify"
	"github.com/convexst/stcnn/stcnn/training"
	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/ml/model"
)

// certifiedRun is what -certify writes to certified.json.
type certifiedRun struct {
	Config    training.Config `json:"config"`
	Tol       float64         `json:"tol"`
	MaxTime   string          `json:"max_time"`
	Result    *certify.Result `json:"result"`
	Train     stcnn.Metrics   `json:"train"`
	Test      *stcnn.Metrics  `json:"test,omitempty"`
	TrainGap  *stcnn.Gap      `json:"train_gap,omitempty"`
	TestGap   *stcnn.Gap      `json:"test_gap,omitempty"`
	Completed string          `json:"completed"`
}

// certifyDual solves the dual training problem of cfg (its gates and
// initial weights as training.Run would make them) with stcnn/certify,
// reports the certificate, the metrics and, with cfg.MeasureGap, the eq. 47
// gap, and writes dir/certified.json when dir is set.
func certifyDual(backend compute.Backend, cfg training.Config, data *training.Data, tol float64, maxTime time.Duration, dir string) error {
	dual, err := stcnn.NewDual(cfg.Model)
	if err != nil {
		return err
	}
	store := model.NewStore()
	if err := dual.Init(store, cfg.Init, cfg.Seeds().Model); err != nil {
		return err
	}
	res, err := certify.Solve(backend, store, dual, data.TrainNoisy, data.TrainClean, certify.Options{Tol: tol, MaxTime: maxTime,
		Log: func(it certify.Iter) {
			fmt.Printf("certify %-6s %8.1fs pass %5d objective %.8g bound %.8g relative gap %.3g\n",
				it.Stage, it.Seconds, it.Pass, it.Objective, it.Bound, it.RelGap)
		}})
	if err != nil {
		return err
	}
	out := certifiedRun{Config: cfg, Tol: tol, MaxTime: maxTime.String(), Result: res}
	ev, err := training.EvaluateWeights(backend, store, dual, cfg.MaxChunkElements, data, cfg.MeasureGap)
	if err != nil {
		return err
	}
	out.Train, out.TrainGap, out.TestGap = ev.Train, ev.TrainGap, ev.TestGap
	fmt.Printf("certified: objective %.8g, bound %.8g, relative gap %.3g (converged %v) in %.1fs, %d passes; train PSNR %.2f dB\n",
		res.Objective, res.Bound, res.RelGap, res.Converged, res.Seconds, res.Iterations, out.Train.PSNR)
	if data.TestClean != nil && data.TestClean.N > 0 {
		out.Test = &ev.Test
		fmt.Printf("certified weights on the test images: objective %.6g, PSNR %.2f dB\n", ev.Test.Objective, ev.Test.PSNR)
	}
	if g := ev.TrainGap; g != nil {
		fmt.Printf("dual gap (train) at the certified weights: dual objective %.4f, rebuilt primal (K=%d) %.4f, gap %.4f (%.1f%%)\n",
			g.Dual, g.K, g.Primal, g.Gap, 100*g.Relative)
	}
	if dir == "" {
		return nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	out.Completed = time.Now().UTC().Format(time.RFC3339)
	path := filepath.Join(dir, "certified.json")
	if err := training.WriteJSON(path, out); err != nil {
		return err
	}
	fmt.Println("wrote", path)
	return nil
}
