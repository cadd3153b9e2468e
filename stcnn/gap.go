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
// and evaluates both on (noisy, clean). To measure several data sets, or
// with the dual's metrics already at hand, use NewGapMeter.
func MeasureGap(backend compute.Backend, tr *Trainer, noisy, clean *datasets.Images) (Gap, error) {
	meter, err := NewGapMeter(backend, tr)
	if err != nil {
		return Gap{}, err
	}
	dm, err := tr.Evaluate(noisy, clean)
	if err != nil {
		return Gap{}, err
	}
	return meter.Measure(dm, noisy, clean)
}

// GapMeter measures the eq. 47 gap of one set of dual weights: it holds the
// primal rebuilt from them, built and compiled once for every data set.
type GapMeter struct {
	primal  *PrimalModel
	trainer *Trainer
}

// NewGapMeter rebuilds the primal from the dual weights of tr (eq. 47).
// The meter reads the weights once: after tr's weights change, make a new one.
func NewGapMeter(backend compute.Backend, tr *Trainer) (*GapMeter, error) {
	dual, ok := tr.Network().(*DualModel)
	if !ok {
		return nil, fmt.Errorf("stcnn: the eq. 47 gap needs a dual network, got %s", tr.Network().Kind())
	}
	primal, pstore, err := RebuildPrimal(tr.Store(), dual)
	if err != nil {
		return nil, err
	}
	// The trainer is used for evaluation only; its optimiser is never run.
	ptr, err := NewTrainer(backend, pstore, primal, nil, tr.maxChunk)
	if err != nil {
		return nil, err
	}
	return &GapMeter{primal: primal, trainer: ptr}, nil
}

// Measure evaluates the rebuilt primal on (noisy, clean) and compares it with
// dm, the dual's metrics on the same images (Trainer.Evaluate of the dual
// the meter was built from; evaluating it once serves both a run's record
// and its gap).
func (m *GapMeter) Measure(dm Metrics, noisy, clean *datasets.Images) (Gap, error) {
	if dm.Images != noisy.N {
		return Gap{}, fmt.Errorf("stcnn: the dual's metrics are of %d images but the gap is measured on %d", dm.Images, noisy.N)
	}
	pm, err := m.trainer.Evaluate(noisy, clean)
	if err != nil {
		return Gap{}, err
	}
	g := Gap{Dual: dm.SquaredError + dm.Regularizer, Primal: pm.Objective, ViolatedFraction: dm.ViolatedFraction,
		K: m.primal.Config().K, DualMetrics: dm, PrimalMetrics: pm}
	g.Gap = g.Primal - g.Dual
	g.Relative = g.Gap / g.Dual
	return g, nil
}
