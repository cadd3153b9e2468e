package certify_test

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/convexst/stcnn/datasets"
	"github.com/convexst/stcnn/internal/testutil"
	"github.com/convexst/stcnn/stcnn"
	"github.com/convexst/stcnn/stcnn/certify"
	"github.com/convexst/stcnn/stcnn/initializers"
	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/ml/model"
)

func backend(tb testing.TB) compute.Backend { return testutil.Backend(tb) }

// mnistNoisy returns the first n MNIST training images of subset seed 1
// and a copy with Gaussian noise sigma (seed 2).
func mnistNoisy(tb testing.TB, n int, sigma float64) (noisy, clean *datasets.Images) {
	tb.Helper()
	clean, err := testutil.MNIST(tb, datasets.Train).Subset(n, 1)
	if err != nil {
		tb.Fatal(err)
	}
	if noisy, err = datasets.AddGaussianNoise(clean, sigma, 2); err != nil {
		tb.Fatal(err)
	}
	return noisy, clean
}

// zeroDual returns the dual network of cfg in a new store, with zero
// weights and the gates of seed.
func zeroDual(tb testing.TB, cfg stcnn.Config, seed uint64) (*stcnn.DualModel, *model.Store) {
	tb.Helper()
	dual, err := stcnn.NewDual(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	store := model.NewStore()
	if err := dual.Init(store, initializers.Zeros(), seed); err != nil {
		tb.Fatal(err)
	}
	return dual, store
}

// mnistCrops returns n noisy/clean pairs of size x size cut from the
// centres of MNIST training images (sigma = 0.25).
func mnistCrops(tb testing.TB, n, size int) (noisy, clean *datasets.Images) {
	tb.Helper()
	sub, err := testutil.MNIST(tb, datasets.Train).Subset(n, 3)
	if err != nil {
		tb.Fatal(err)
	}
	clean = &datasets.Images{N: n, H: size, W: size, C: 1, Pixels: make([]float32, n*size*size)}
	off := (28 - size) / 2
	for k := 0; k < n; k++ {
		for h := 0; h < size; h++ {
			for w := 0; w < size; w++ {
				clean.Pixels[(k*size+h)*size+w] = sub.Pixels[(k*28+h+off)*28+w+off]
			}
		}
	}
	noisy, err = datasets.AddGaussianNoise(clean, 0.25, 4)
	if err != nil {
		tb.Fatal(err)
	}
	return noisy, clean
}

// toy1D is the paper's 1-D setting as images of one row: inputs [x, 1]
// (two channels, 1x1 filters) and the target 0.5 sin(3x) + 0.3|x|.
func toy1D(points int) (inputs, targets *datasets.Images) {
	inputs = &datasets.Images{N: 1, H: 1, W: points, C: 2, Pixels: make([]float32, 2*points)}
	targets = &datasets.Images{N: 1, H: 1, W: points, C: 1, Pixels: make([]float32, points)}
	for i := 0; i < points; i++ {
		x := -1 + 2*float64(i)/float64(points-1)
		inputs.Pixels[2*i], inputs.Pixels[2*i+1] = float32(x), 1
		targets.Pixels[i] = float32(0.5*math.Sin(3*x) + 0.3*math.Abs(x))
	}
	return inputs, targets
}

// synthRGB returns n random 3-channel images of size x size (seeded
// uniform pixels, so that the patches span all D = 27 directions and M has
// full column rank) and noisy copies (sigma 0.25).
func synthRGB(n, size int) (noisy, clean *datasets.Images) {
	clean = &datasets.Images{N: n, H: size, W: size, C: 3, Pixels: make([]float32, n*size*size*3)}
	rng := rand.New(rand.NewPCG(11, 12))
	for i := range clean.Pixels {
		clean.Pixels[i] = float32(rng.Float64())
	}
	noisy, _ = datasets.AddGaussianNoise(clean, 0.25, 5)
	return noisy, clean
}

type smallCase struct {
	name          string
	cfg           stcnn.Config
	noisy, clean  *datasets.Images
	objectiveTol  float64 // |objective - reference| / reference
	solverTol     float64
	maxIterations int
	gramRows      int // certify.Options.GramRows
	// mayStall skips the convergence check (every other check stays).
	mayStall bool
}

func smallCases(tb testing.TB) []smallCase {
	crops, cropsClean := mnistCrops(tb, 2, 4)
	toyIn, toyOut := toy1D(24)
	mnist := func(beta, rho float64, dtype string) stcnn.Config {
		c := stcnn.DefaultConfig(stcnn.Dual, 1)
		c.P, c.Beta, c.Rho, c.DType = 3, beta, rho, dtype
		return c
	}
	rgb := stcnn.DefaultConfig(stcnn.Dual, 3)
	rgb.M, rgb.P, rgb.Beta, rgb.Rho, rgb.DType = 1, 3, 1e-3, 1e-1, "float64"
	rgbNoisy, rgbClean := synthRGB(2, 4)
	toy := stcnn.DefaultConfig(stcnn.Dual, 2)
	toy.OutChannels, toy.M, toy.P, toy.Beta, toy.Rho, toy.DType = 1, 1, 6, 1e-3, 1e-1, "float64"
	return []smallCase{
		// The project's defaults (beta = 1e-5, rho = 1e-2): the squared error dominates.
		{name: "mnist-4x4-defaults", cfg: mnist(1e-5, 1e-2, "float64"), noisy: crops, clean: cropsClean, objectiveTol: 1e-6, solverTol: 1e-6},
		// A strong penalty and hinge, where the constraints shape the solution.
		{name: "mnist-4x4-strong", cfg: mnist(1e-2, 1, "float64"), noisy: crops, clean: cropsClean, objectiveTol: 1e-6, solverTol: 1e-6},
		// Three channels in and out (the layout of CIFAR-10), 1x1 filters
		// so that the 32 pixels determine the 3 x 3 x 3 weights of d.
		{name: "rgb-4x4", cfg: rgb, noisy: rgbNoisy, clean: rgbClean, objectiveTol: 1e-6, solverTol: 1e-6},
		{name: "toy-1d", cfg: toy, noisy: toyIn, clean: toyOut, objectiveTol: 1e-6, solverTol: 1e-6},
		// float32 passes with float64 certificates (the exact residual
		// passes), with the default (sampled-Gram) preconditioner: it must
		// converge.
		{name: "mnist-4x4-float32", cfg: mnist(1e-3, 1e-1, "float32"), noisy: crops, clean: cropsClean, objectiveTol: 1e-4, solverTol: 3e-4},
		// The same with the Kronecker-factored preconditioner: the bound
		// must stay valid and the objective right, but its Frank-Wolfe
		// steps stall at a certified gap of about 8e-4 (the float32 stall of
		// the package documentation's Limitation, which the preconditioner
		// does not cause but changes the path to: before the gate splits
		// ended a stage once its smoothing slack was small enough, it was
		// the sampled Gram's path that stalled, at 7.5e-4).
		{name: "mnist-4x4-float32-kfac", cfg: mnist(1e-3, 1e-1, "float32"), noisy: crops, clean: cropsClean, objectiveTol: 1e-4, solverTol: 3e-4, gramRows: -1, mayStall: true},
	}
}

func newDual(tb testing.TB, cfg stcnn.Config) (*stcnn.DualModel, *model.Store, []float64) {
	tb.Helper()
	dual, store := zeroDual(tb, cfg, 7)
	gt, err := dual.Scope(store).GetVariable("gates").Value()
	if err != nil {
		tb.Fatal(err)
	}
	gates, err := stcnn.Float64s(gt)
	if err != nil {
		tb.Fatal(err)
	}
	return dual, store, gates
}

// TestMatchesDenseReference compares the certified solution with an
// interior-point solve of the same problem written with dense gonum
// matrices, and checks that every bound lies below both the reference
// optimum and the objective found.
func TestMatchesDenseReference(t *testing.T) {
	for _, tc := range smallCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			dual, store, gates := newDual(t, tc.cfg)
			dp := newDenseProblem(tc.cfg, gates, tc.noisy, tc.clean)
			_, ref, err := dp.solveBarrier(1e-11)
			if err != nil {
				t.Fatal(err)
			}
			res, err := certify.Solve(backend(t), store, dual, tc.noisy, tc.clean, certify.Options{Tol: tc.solverTol, MaxIter: 100000, MaxTime: 5 * time.Minute, GramRows: tc.gramRows})
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("reference %.12g, objective %.12g, bound %.12g, certified gap %.3g, %d passes, %.1fs",
				ref, res.Objective, res.Bound, res.RelGap, res.Iterations, res.Seconds)
			if rel := math.Abs(res.Objective-ref) / ref; rel > tc.objectiveTol {
				t.Errorf("objective %.12g differs from the reference %.12g by %.3g relative (want <= %g)", res.Objective, ref, rel, tc.objectiveTol)
			}
			// A certified bound can never exceed the optimum (up to the
			// reference's own accuracy and the rounding of the passes).
			slack := 1e-9
			if tc.cfg.DType == "float32" {
				slack = 1e-6
			}
			if res.Bound > ref*(1+slack) {
				t.Errorf("bound %.12g is above the reference optimum %.12g", res.Bound, ref)
			}
			for i, it := range res.History {
				if it.Bound > it.Objective {
					t.Errorf("pass %d: bound %.12g above objective %.12g", it.Pass, it.Bound, it.Objective)
				}
				// The reported objective and bound are the best so far, so
				// the certified gap never grows.
				if i > 0 {
					prev := res.History[i-1]
					if it.Objective > prev.Objective || it.Bound < prev.Bound || it.Pass < prev.Pass {
						t.Errorf("history %d -> %d: objective %.12g -> %.12g, bound %.12g -> %.12g, pass %d -> %d",
							i-1, i, prev.Objective, it.Objective, prev.Bound, it.Bound, prev.Pass, it.Pass)
					}
				}
			}
			if !res.Converged && !tc.mayStall {
				t.Errorf("certified gap %.3g did not reach the tolerance %g", res.RelGap, tc.solverTol)
			}
			// The weights written to the store have the reported objective
			// under the project's own evaluation.
			dense := make([]float64, 0, dp.nx)
			for _, name := range []string{"w", "w_prime"} {
				v, err := dual.Scope(store).GetVariable(name).Value()
				if err != nil {
					t.Fatal(err)
				}
				f, err := stcnn.Float64s(v)
				if err != nil {
					t.Fatal(err)
				}
				dense = append(dense, f...)
			}
			if got := dp.objective(dense); math.Abs(got-res.Objective) > 1e-5*ref {
				t.Errorf("dense objective at the returned weights %.12g, solver reported %.12g", got, res.Objective)
			}
			tr, err := stcnn.NewTrainer(backend(t), store, dual, nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			m, err := tr.Evaluate(tc.noisy, tc.clean)
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(m.Objective-res.Objective) > 1e-5*ref {
				t.Errorf("Trainer.Evaluate gives %.12g, solver reported %.12g", m.Objective, res.Objective)
			}
		})
	}
}

// TestCaps stops the solver early: the bound it returns is still a bound.
func TestCaps(t *testing.T) {
	tc := smallCases(t)[1]
	dual, store, gates := newDual(t, tc.cfg)
	dp := newDenseProblem(tc.cfg, gates, tc.noisy, tc.clean)
	_, ref, err := dp.solveBarrier(1e-11)
	if err != nil {
		t.Fatal(err)
	}
	for _, maxIter := range []int{1, 40, 200} {
		res, err := certify.Solve(backend(t), store, dual, tc.noisy, tc.clean, certify.Options{Tol: 1e-9, MaxIter: maxIter})
		if err != nil {
			t.Fatal(err)
		}
		if res.Converged {
			t.Errorf("MaxIter %d: converged to 1e-9", maxIter)
		}
		if res.Bound > ref*(1+1e-9) || res.Objective < ref*(1-1e-9) {
			t.Errorf("MaxIter %d: bound %.12g, objective %.12g around the optimum %.12g", maxIter, res.Bound, res.Objective, ref)
		}
		t.Logf("MaxIter %d: %d passes, objective %.10g, bound %.10g", maxIter, res.Iterations, res.Objective, res.Bound)
	}
}

func TestSolveErrors(t *testing.T) {
	tc := smallCases(t)[0]
	dual, store, _ := newDual(t, tc.cfg)
	rgb, rgbClean := synthRGB(2, 4)
	other, otherClean := mnistCrops(t, 3, 4)
	for _, c := range []struct {
		name         string
		dual         *stcnn.DualModel
		noisy, clean *datasets.Images
		want         string
	}{
		{"nil model", nil, tc.noisy, tc.clean, "nil model"},
		{"nil images", dual, nil, tc.clean, "nil images"},
		{"unpaired", dual, tc.noisy, otherClean, "do not pair up"},
		{"channels", dual, rgb, rgbClean, "channels"},
		{"paired other", dual, other, otherClean, ""},
	} {
		_, err := certify.Solve(backend(t), store, c.dual, c.noisy, c.clean, certify.Options{MaxIter: 5})
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s: %v", c.name, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.want)
		}
	}
	// A store without the model's variables.
	_, err := certify.Solve(backend(t), model.NewStore(), dual, tc.noisy, tc.clean, certify.Options{})
	if err == nil || !strings.Contains(err.Error(), "DualModel.Init") {
		t.Errorf("empty store: %v", err)
	}
}
