package stcnn

import (
	"fmt"

	"github.com/convexst/stcnn/datasets"
	"github.com/gomlx/compute"
)

// Gap is the measured primal-dual gap on one data set.
type Gap struct {
	// Dual is the dual objective of eq. 22 at the trained weights: squared
	// error plus 2 beta sum ||w||, without the hinge penalty.
	Dual float64 `json:"dual"`
	// Primal is the primal objective of eq. 21 at the weights rebuilt by eq. 47.
	Primal float64 `json:"primal"`
	// Gap is Primal - Dual; Relative is Gap / Dual.
	Gap      float64 `json:"gap"`
	Relative float64 `json:"relative"`
	// ViolatedFraction is the fraction of the dual's sign constraints violated.
	ViolatedFraction float64 `json:"violated_fraction"`
	// K is the number of filters of the rebuilt primal.
	K int `json:"K"`
	// DualMetrics and PrimalMetrics are the full evaluations.
	DualMetrics   Metrics `json:"dual_metrics"`
	PrimalMetrics Metrics `json:"primal_metrics"`
}

// MeasureGap rebuilds a primal network from the dual trained by tr (eq. 47)
// and evaluates both on (noisy, clean).
func MeasureGap(backend compute.Backend, tr *Trainer, noisy, clean *datasets.Images) (Gap, error) {
	dual, ok := tr.Network().(*DualModel)
	if !ok {
		return Gap{}, fmt.Errorf("stcnn: MeasureGap needs a dual network, got %s", tr.Network().Kind())
	}
	dm, err := tr.Evaluate(noisy, clean)
	if err != nil {
		return Gap{}, err
	}
	primal, pstore, err := RebuildPrimal(tr.Store(), dual)
	if err != nil {
		return Gap{}, err
	}
	// The trainer is used for evaluation only; its optimiser is never run.
	ptr, err := NewTrainer(backend, pstore, primal, nil, tr.maxChunk)
	if err != nil {
		return Gap{}, err
	}
	pm, err := ptr.Evaluate(noisy, clean)
	if err != nil {
		return Gap{}, err
	}
	g := Gap{Dual: dm.SquaredError + dm.Regularizer, Primal: pm.Objective, ViolatedFraction: dm.ViolatedFraction,
		K: primal.Config().K, DualMetrics: dm, PrimalMetrics: pm}
	g.Gap = g.Primal - g.Dual
	g.Relative = g.Gap / g.Dual
	return g, nil
}
