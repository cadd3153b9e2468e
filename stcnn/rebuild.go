package stcnn

import (
	"fmt"
	"math"

	"github.com/gomlx/gomlx/ml/model"
)

// RebuildPrimal builds the primal network of eq. 47 from a dual solution:
// every nonzero w_jc gives a filter u = w_jc / sqrt(||w_jc||) with output
// weight v = -sqrt(||w_jc||) on channel c, every nonzero w'_jc the same with
// +sqrt(||w'_jc||) (the dual output uses w' - w). Then
// beta (||u||^2 + ||v||^2) = 2 beta ||w_jc||, so the rebuilt primal has the
// dual's weight penalty, and its output sum_k ST_l(Y u_k) v_k equals the
// dual's sum_j Q_j (.) Y (w'_j - w_j) only where ST_l(Y u) = Q Y u, which
// holds for l = 0 (ST is then the identity) but not in general: ST is not
// positively homogeneous, so the gate's mask differs from the rebuilt
// filter's. Evaluating both measures the resulting duality gap.
//
// The primal has K = number of nonzero w_jc and w'_jc (at least 1; an
// all-zero dual gives one zero filter) and the dual's m, lambda, beta and
// channels; it is written into a new store, which is returned.
func RebuildPrimal(dualStore *model.Store, dual *DualModel) (*PrimalModel, *model.Store, error) {
	us, vs, err := rebuiltNeurons(dualStore, dual)
	if err != nil {
		return nil, nil, err
	}
	return primalFromNeurons(dual.Config(), us, vs)
}

// rebuiltNeurons returns the filters u_k [D] and output weights v_k [C] of
// eq. 47 for the dual's weights, in RebuildPrimal's order (w rows, then w'
// rows; zero rows skipped).
func rebuiltNeurons(dualStore *model.Store, dual *DualModel) (us, vs [][]float64, err error) {
	cfg := dual.Config()
	scope := dual.Scope(dualStore)
	var rows [2][]float64
	for b, name := range []string{"w", "w_prime"} {
		v := scope.GetVariable(name)
		if v == nil {
			return nil, nil, fmt.Errorf("stcnn: RebuildPrimal: dual variable %q not found (call Init first)", name)
		}
		t, err := v.Value()
		if err != nil {
			return nil, nil, err
		}
		if rows[b], err = Float64s(t); err != nil {
			return nil, nil, err
		}
	}
	d, c, p := cfg.PatchSize(), cfg.Outputs(), cfg.P
	for b, sign := range []float64{-1, 1} {
		for ch := 0; ch < c; ch++ {
			for j := 0; j < p; j++ {
				row := rows[b][(ch*p+j)*d : (ch*p+j+1)*d]
				norm := math.Sqrt(sumSquares(row))
				if norm == 0 {
					continue
				}
				s := math.Sqrt(norm)
				u := make([]float64, d)
				for i, x := range row {
					u[i] = x / s
				}
				v := make([]float64, c)
				v[ch] = sign * s
				us, vs = append(us, u), append(vs, v)
			}
		}
	}
	return us, vs, nil
}

// primalFromNeurons builds, in a new store, the primal ST network with
// filters us and output weights vs and the dual configuration cfg's m,
// lambda, beta and channels (one zero filter when us is empty).
func primalFromNeurons(cfg Config, us, vs [][]float64) (*PrimalModel, *model.Store, error) {
	d, c := cfg.PatchSize(), cfg.Outputs()
	if len(us) == 0 {
		us, vs = [][]float64{make([]float64, d)}, [][]float64{make([]float64, c)}
	}
	k := len(us)
	pcfg := Config{Model: Primal, K: k, M: cfg.M, Channels: cfg.Channels, OutChannels: cfg.OutChannels, Lambda: cfg.Lambda, Beta: cfg.Beta,
		Activation: ActivationST, DType: cfg.DType}
	primal, err := NewPrimal(pcfg)
	if err != nil {
		return nil, nil, err
	}
	uFlat := make([]float64, 0, k*d)
	for _, u := range us {
		uFlat = append(uFlat, u...)
	}
	vFlat := make([]float64, c*k) // [C, K]
	for kk, v := range vs {
		for ch := range v {
			vFlat[ch*k+kk] = v[ch]
		}
	}
	store := model.NewStore()
	ps := primal.Scope(store)
	dt := pcfg.GoMLXDType()
	ps.VariableWithValue("u", TensorFromFloat64s(uFlat, dt, k, d))
	ps.VariableWithValue("v", TensorFromFloat64s(vFlat, dt, c, k))
	return primal, store, nil
}
