package stcnn

import (
	"fmt"
	"math"

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
	// K is the number of filters of the rebuilt primal; Evaluated those of
	// them that can be nonzero on these images (the others are provably in
	// the soft threshold's dead zone on every patch and were not run; see
	// GapMeter).
	K         int `json:"K"`
	Evaluated int `json:"evaluated_filters,omitempty"`
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
// primal rebuilt from them (host copies of its filters u_k and output
// weights v_k).
//
// A rebuilt filter whose norm is small cannot leave the soft threshold's
// dead zone: |u_k . y| <= ||u_k|| ||y|| (Cauchy-Schwarz), so when
// ||u_k|| max_i ||y_i|| < l over the patches y_i of the images evaluated,
// ST_l(Y u_k) = 0 and the filter adds nothing to the output, only
// beta (||u_k||^2 + ||v_k||^2) to the penalty. Measure evaluates the other
// filters in the graph and adds that penalty exactly, so the result is the
// full primal's objective (to float rounding) at a fraction of the cost
// when most rebuilt filters are dead, as they are after Adam at the paper's
// sizes (eq. 47 puts sqrt(||w||) into each filter).
type GapMeter struct {
	backend  compute.Backend
	cfg      Config // the dual's
	us, vs   [][]float64
	maxChunk int
}

// NewGapMeter rebuilds the primal from the dual weights of tr (eq. 47).
// The meter reads the weights once: after tr's weights change, make a new one.
func NewGapMeter(backend compute.Backend, tr *Trainer) (*GapMeter, error) {
	dual, ok := tr.Network().(*DualModel)
	if !ok {
		return nil, fmt.Errorf("stcnn: the eq. 47 gap needs a dual network, got %s", tr.Network().Kind())
	}
	us, vs, err := rebuiltNeurons(tr.Store(), dual)
	if err != nil {
		return nil, err
	}
	return &GapMeter{backend: backend, cfg: dual.Config(), us: us, vs: vs, maxChunk: tr.maxChunk}, nil
}

// deadZoneMargin keeps a filter whose bound ||u|| max||y|| is within float32
// rounding of the threshold: only filters clearly inside are skipped.
const deadZoneMargin = 1e-4

// Measure evaluates the rebuilt primal on (noisy, clean) and compares it with
// dm, the dual's metrics on the same images (Trainer.Evaluate of the dual
// the meter was built from; evaluating it once serves both a run's record
// and its gap).
func (m *GapMeter) Measure(dm Metrics, noisy, clean *datasets.Images) (Gap, error) {
	if dm.Images != noisy.N {
		return Gap{}, fmt.Errorf("stcnn: the dual's metrics are of %d images but the gap is measured on %d", dm.Images, noisy.N)
	}
	bound := MaxPatchNorm(noisy, m.cfg.M)
	var us, vs [][]float64
	dropped := 0.0 // beta (||u||^2 + ||v||^2) of the filters not evaluated
	for k, u := range m.us {
		nu, nv := sumSquares(u), sumSquares(m.vs[k])
		if math.Sqrt(nu)*bound < m.cfg.Lambda*(1-deadZoneMargin) {
			dropped += m.cfg.Beta * (nu + nv)
			continue
		}
		us, vs = append(us, u), append(vs, m.vs[k])
	}
	primal, pstore, err := primalFromNeurons(m.cfg, us, vs)
	if err != nil {
		return Gap{}, err
	}
	// The trainer is used for evaluation only; its optimiser is never run.
	ptr, err := NewTrainer(m.backend, pstore, primal, nil, m.maxChunk)
	if err != nil {
		return Gap{}, err
	}
	pm, err := ptr.Evaluate(noisy, clean)
	if err != nil {
		return Gap{}, err
	}
	pm.Regularizer += dropped
	pm.Objective += dropped
	g := Gap{Dual: dm.SquaredError + dm.Regularizer, Primal: pm.Objective, ViolatedFraction: dm.ViolatedFraction,
		K: max(len(m.us), 1), Evaluated: len(us), DualMetrics: dm, PrimalMetrics: pm}
	g.Gap = g.Primal - g.Dual
	g.Relative = g.Gap / g.Dual
	return g, nil
}

// MaxPatchNorm is max_i ||y_i|| over the m x m patches y_i of the images
// (zero padded, all channels), as Patches extracts them.
func MaxPatchNorm(im *datasets.Images, m int) float64 {
	r := m / 2
	sq := make([]float64, im.H*im.W) // per pixel, summed over channels
	best := 0.0
	for n := 0; n < im.N; n++ {
		for p := range sq {
			s := 0.0
			for c := 0; c < im.C; c++ {
				x := float64(im.Pixels[(n*im.H*im.W+p)*im.C+c])
				s += x * x
			}
			sq[p] = s
		}
		for h := 0; h < im.H; h++ {
			for w := 0; w < im.W; w++ {
				s := 0.0
				for dh := max(h-r, 0); dh <= min(h+r, im.H-1); dh++ {
					for dw := max(w-r, 0); dw <= min(w+r, im.W-1); dw++ {
						s += sq[dh*im.W+dw]
					}
				}
				best = max(best, s)
			}
		}
	}
	return math.Sqrt(best)
}

func sumSquares(x []float64) float64 {
	s := 0.0
	for _, v := range x {
		s += v * v
	}
	return s
}
