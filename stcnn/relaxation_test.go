package stcnn_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/convexst/stcnn/datasets"
	"github.com/convexst/stcnn/stcnn"
	"github.com/gomlx/gomlx/ml/model"
)

// dualOfPrimal maps every neuron (u_k, v_k) of a primal network onto a dual
// unit whose gate is u_k itself: ST_l(Y u) = Q (.) Y u for the mask Q of
// gate u (eq. 23), so v_ck ST_l(Y u_k) is the dual unit with
// w'_kc - w_kc = v_ck u_k, put on w' when v_ck > 0 and on w otherwise. The
// sign constraints s_ki y_i . w_kc = |v_ck| |y_i . u_k| >= 0 then hold
// with zero hinge, and the dual's output equals the primal's.
func dualOfPrimal(tb testing.TB, pcfg stcnn.Config, u, v []float64) (*stcnn.DualModel, *model.Store) {
	tb.Helper()
	k, d, c := pcfg.K, pcfg.PatchSize(), pcfg.Outputs()
	dcfg := stcnn.DefaultConfig(stcnn.Dual, pcfg.Channels)
	dcfg.OutChannels, dcfg.M, dcfg.P = pcfg.OutChannels, pcfg.M, k
	dcfg.Lambda, dcfg.Beta, dcfg.Rho, dcfg.DType = pcfg.Lambda, pcfg.Beta, 1, pcfg.DType
	dual, err := stcnn.NewDual(dcfg)
	if err != nil {
		tb.Fatal(err)
	}
	w, wp := make([]float64, c*k*d), make([]float64, c*k*d)
	for ch := 0; ch < c; ch++ {
		for j := 0; j < k; j++ {
			a := v[ch*k+j]
			dst := wp
			if a < 0 {
				dst = w
			}
			for i := 0; i < d; i++ {
				dst[(ch*k+j)*d+i] = math.Abs(a) * u[j*d+i]
			}
		}
	}
	store := model.NewStore()
	scope, dt := dual.Scope(store), dcfg.GoMLXDType()
	scope.VariableWithValue("gates", stcnn.TensorFromFloat64s(u, dt, k, d)).SetTrainable(false)
	scope.VariableWithValue("w", stcnn.TensorFromFloat64s(w, dt, c*k, d))
	scope.VariableWithValue("w_prime", stcnn.TensorFromFloat64s(wp, dt, c*k, d))
	return dual, store
}

// TestRelaxation checks the relaxation of the package documentation: a
// primal's neurons mapped into a dual with their own directions as gates
// (dualOfPrimal) give the same output, no hinge, and a dual objective that
// differs from the primal's by exactly the penalties,
//
//	dual - primal = sum_k [2 beta |u_k| sum_c |v_ck| - beta (|u_k|^2 + |v_k|^2)],
//
// which for one output channel is -beta sum_k (|u_k| - |v_k|)^2 <= 0: the
// dual never lies above the primal, with equality for balanced neurons. For
// several output channels with one group norm per channel (the project's
// colour dual) the difference can be positive: that dual is not a
// relaxation of the colour primal.
func TestRelaxation(t *testing.T) {
	mnistNoisy, mnistClean := mnistPair(t, 6)
	rgbClean := &datasets.Images{N: 4, H: 8, W: 8, C: 3, Pixels: make([]float32, 4*8*8*3)}
	rng := rand.New(rand.NewPCG(21, 22))
	for i := range rgbClean.Pixels {
		rgbClean.Pixels[i] = float32(rng.Float64())
	}
	rgbNoisy, err := datasets.AddGaussianNoise(rgbClean, 0.3, 5)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name         string
		channels, k  int
		lambda, beta float64
		balanced     bool
		noisy, clean *datasets.Images
		wantAbove    bool // whether the dual may lie above the primal
	}{
		{"mnist-balanced", 1, 8, 0.1, 1e-2, true, mnistNoisy, mnistClean, false},
		{"mnist-unbalanced", 1, 8, 0.1, 1e-2, false, mnistNoisy, mnistClean, false},
		{"mnist-lambda0.5", 1, 5, 0.5, 1e-1, false, mnistNoisy, mnistClean, false},
		{"rgb-balanced", 3, 6, 0.1, 1e-2, true, rgbNoisy, rgbClean, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pcfg := stcnn.DefaultConfig(stcnn.Primal, tc.channels)
			pcfg.K, pcfg.Lambda, pcfg.Beta, pcfg.DType = tc.k, tc.lambda, tc.beta, "float64"
			d, c := pcfg.PatchSize(), pcfg.Outputs()
			rng := rand.New(rand.NewPCG(uint64(tc.k), 7))
			u, v := make([]float64, tc.k*d), make([]float64, c*tc.k)
			for i := range u {
				u[i] = rng.NormFloat64() / math.Sqrt(float64(d))
			}
			for i := range v {
				v[i] = rng.NormFloat64()
			}
			if tc.balanced { // |u_k| = |v_k|: the rescaling of Theorem 2
				for j := 0; j < tc.k; j++ {
					nu, nv := 0.0, 0.0
					for i := 0; i < d; i++ {
						nu += u[j*d+i] * u[j*d+i]
					}
					for ch := 0; ch < c; ch++ {
						nv += v[ch*tc.k+j] * v[ch*tc.k+j]
					}
					s := math.Pow(nv/nu, 0.25)
					for i := 0; i < d; i++ {
						u[j*d+i] *= s
					}
					for ch := 0; ch < c; ch++ {
						v[ch*tc.k+j] /= s
					}
				}
			}
			primal, err := stcnn.NewPrimal(pcfg)
			if err != nil {
				t.Fatal(err)
			}
			pstore := model.NewStore()
			ps := primal.Scope(pstore)
			ps.VariableWithValue("u", stcnn.TensorFromFloat64s(u, pcfg.GoMLXDType(), tc.k, d))
			ps.VariableWithValue("v", stcnn.TensorFromFloat64s(v, pcfg.GoMLXDType(), c, tc.k))
			pm := evaluate(t, primal, pstore, tc.noisy, tc.clean)
			dual, dstore := dualOfPrimal(t, pcfg, u, v)
			dm := evaluate(t, dual, dstore, tc.noisy, tc.clean)

			want := 0.0
			for j := 0; j < tc.k; j++ {
				nu, nv, l1 := 0.0, 0.0, 0.0
				for i := 0; i < d; i++ {
					nu += u[j*d+i] * u[j*d+i]
				}
				for ch := 0; ch < c; ch++ {
					a := v[ch*tc.k+j]
					nv += a * a
					l1 += math.Abs(a)
				}
				want += 2*tc.beta*math.Sqrt(nu)*l1 - tc.beta*(nu+nv)
			}
			got := dm.Objective - pm.Objective
			t.Logf("primal %.12g, dual %.12g, difference %.6g (predicted %.6g)", pm.Objective, dm.Objective, got, want)
			if dm.Hinge != 0 || dm.ViolatedFraction != 0 {
				t.Errorf("mapped dual violates its constraints: hinge %g, violated fraction %g", dm.Hinge, dm.ViolatedFraction)
			}
			if rel := math.Abs(dm.SquaredError-pm.SquaredError) / pm.SquaredError; rel > 1e-10 {
				t.Errorf("squared errors differ: dual %.14g, primal %.14g", dm.SquaredError, pm.SquaredError)
			}
			if math.Abs(got-want) > 1e-10*pm.Objective {
				t.Errorf("dual - primal = %.10g, the penalties predict %.10g", got, want)
			}
			if !tc.wantAbove && got > 1e-10*pm.Objective {
				t.Errorf("dual objective %.12g above the primal's %.12g: not a relaxation", dm.Objective, pm.Objective)
			}
			if tc.wantAbove && !(want > 0) {
				t.Errorf("colour case: predicted difference %g, want > 0 (the counterexample)", want)
			}
		})
	}
}
