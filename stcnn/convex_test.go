package stcnn_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/convexst/stcnn/datasets"
	"github.com/convexst/stcnn/stcnn"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train/optimizer"
)

func randomWeights(rng *rand.Rand, vars []*model.Variable, std float64) [][]float64 {
	out := make([][]float64, len(vars))
	for i, v := range vars {
		out[i] = make([]float64, v.Shape().Size())
		for j := range out[i] {
			out[i][j] = std * rng.NormFloat64()
		}
	}
	return out
}

// TestDualIsConvexPrimalIsNot checks the midpoint inequality
// f((a+b)/2) <= (f(a)+f(b))/2 along many random segments of the dual
// objective (eq. 22 plus the hinge penalty, a sum of convex terms), and that
// the primal objective violates it on the segment between (u, v) and
// (-u, -v), whose midpoint is the zero network.
func TestDualIsConvexPrimalIsNot(t *testing.T) {
	clean := tinyImages(2, 6, 6, 1, 8)
	noisy, _ := datasets.AddGaussianNoise(clean, 0.2, 3)
	yT, xT := stcnn.ImagesTensor(noisy, dtypes.Float64), stcnn.ImagesTensor(clean, dtypes.Float64)
	value := func(eval func() float64, vars []*model.Variable, w [][]float64) float64 {
		for i, v := range vars {
			setFlat(t, v, w[i])
		}
		return eval()
	}

	cfg := stcnn.DefaultConfig(stcnn.Dual, 1)
	cfg.P, cfg.DType, cfg.Beta, cfg.Rho = 6, "float64", 1e-2, 1
	net, store := initNetwork(t, cfg, 3)
	obj, vars := objectiveExec(t, net, store)
	eval := func() float64 { f, _ := obj(yT, xT); return f }
	rng := rand.New(rand.NewPCG(5, 5))
	for trial := 0; trial < 200; trial++ {
		a, b := randomWeights(rng, vars, 0.3), randomWeights(rng, vars, 0.3)
		if trial%4 == 0 { // segments through zero rows, where the norms kink
			for j := range a[0][:9] {
				a[0][j] = 0
			}
		}
		mid := make([][]float64, len(a))
		for i := range a {
			mid[i] = make([]float64, len(a[i]))
			for j := range a[i] {
				mid[i][j] = (a[i][j] + b[i][j]) / 2
			}
		}
		fa, fb, fm := value(eval, vars, a), value(eval, vars, b), value(eval, vars, mid)
		if fm > (fa+fb)/2+1e-12*math.Abs(fa+fb) {
			t.Fatalf("dual trial %d: f(mid) = %v > (f(a)+f(b))/2 = %v", trial, fm, (fa+fb)/2)
		}
	}

	pcfg := stcnn.DefaultConfig(stcnn.Primal, 1)
	pcfg.K, pcfg.DType, pcfg.Lambda = 1, "float64", 0.05
	pnet, pstore := initNetwork(t, pcfg, 3)
	pobj, pvars := objectiveExec(t, pnet, pstore)
	peval := func() float64 { f, _ := pobj(yT, xT); return f }
	// u = identity filter (the centre of the 3x3 patch), v = 1: f(Y) ~ Y, a
	// better fit than the zero network at the midpoint.
	u := make([]float64, 9)
	u[4] = 1
	a := [][]float64{u, {1}}
	b := [][]float64{{0, 0, 0, 0, -1, 0, 0, 0, 0}, {-1}}
	mid := [][]float64{make([]float64, 9), {0}}
	fa, fb, fm := value(peval, pvars, a), value(peval, pvars, b), value(peval, pvars, mid)
	if !(fm > (fa+fb)/2) {
		t.Errorf("primal: f(mid) = %v <= (f(a)+f(b))/2 = %v; expected a convexity violation", fm, (fa+fb)/2)
	}
}

// TestDualIndependentOfInitialisation trains a small dual, full batch, from
// three different initialisations and checks the final objectives agree to
// 1e-3 relative (the paper's claim for the convex network).
func TestDualIndependentOfInitialisation(t *testing.T) {
	clean := tinyImages(2, 6, 6, 1, 12)
	noisy, _ := datasets.AddGaussianNoise(clean, 0.5, 13)
	cfg := stcnn.DefaultConfig(stcnn.Dual, 1)
	cfg.P, cfg.DType, cfg.Beta, cfg.Rho = 4, "float64", 1e-2, 1
	var finals []float64
	for _, init := range []stcnn.Initializer{uniformInit{zero: true}, uniformInit{scale: 1}, uniformInit{scale: 0.1}} {
		net, err := stcnn.NewDual(cfg)
		if err != nil {
			t.Fatal(err)
		}
		store := model.NewStore()
		if err := net.Init(store, init, 21); err != nil { // same gates, different weights
			t.Fatal(err)
		}
		opt := optimizer.Adam().LearningRate(1e-2).Epsilon(1e-8).Done().(stcnn.GradientOptimizer)
		tr, err := stcnn.NewTrainer(backend(t), store, net, opt, 0)
		if err != nil {
			t.Fatal(err)
		}
		lrVar := optimizer.LearningRateVar(store.RootScope(), dtypes.Float64, 1e-2)
		// Adam at 1e-2, then 1e-4 to settle: first-order methods converge
		// slowly on this nonsmooth objective, so the test problem is tiny.
		for step := 0; step < 10000; step++ {
			if step == 8000 {
				if err := lrVar.SetValue(scalarF64(1e-4)); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := tr.Step(noisy, clean); err != nil {
				t.Fatal(err)
			}
		}
		m, err := tr.Evaluate(noisy, clean)
		if err != nil {
			t.Fatal(err)
		}
		finals = append(finals, m.Objective)
	}
	t.Logf("final objectives from three initialisations: %v", finals)
	for _, f := range finals[1:] {
		if rel := math.Abs(f-finals[0]) / finals[0]; rel > 1e-3 {
			t.Errorf("final objectives %v differ by %.3g relative > 1e-3", finals, rel)
		}
	}
}
