package stcnn_test

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/convexst/stcnn/internal/testutil"

	"github.com/convexst/stcnn/datasets"
	"github.com/convexst/stcnn/stcnn"
	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train/optimizer"
)

func backend(tb testing.TB) compute.Backend { return testutil.Backend(tb) }

// uniformInit is U(-1/sqrt(fanIn), 1/sqrt(fanIn)), or zeros when zero is set.
type uniformInit struct {
	zero  bool
	scale float64
}

func (u uniformInit) Sample(rng *rand.Rand, dt dtypes.DType, fanIn int, dims ...int) (*tensors.Tensor, error) {
	n := 1
	for _, d := range dims {
		n *= d
	}
	s := u.scale
	if s == 0 {
		s = 1
	}
	b := s / math.Sqrt(float64(fanIn))
	v := make([]float64, n)
	if !u.zero {
		for i := range v {
			v[i] = (2*rng.Float64() - 1) * b
		}
	}
	if dt == dtypes.Float64 {
		return tensors.FromFlatDataAndDimensions(v, dims...), nil
	}
	f := make([]float32, n)
	for i := range v {
		f[i] = float32(v[i])
	}
	return tensors.FromFlatDataAndDimensions(f, dims...), nil
}

// mnistPair returns n MNIST training images and a noisy copy (sigma 0.5).
func mnistPair(tb testing.TB, n int) (noisy, clean *datasets.Images) {
	tb.Helper()
	clean, err := testutil.MNIST(tb, datasets.Train).Subset(n, 1)
	if err != nil {
		tb.Fatal(err)
	}
	noisy, err = datasets.AddGaussianNoise(clean, 0.5, 2)
	if err != nil {
		tb.Fatal(err)
	}
	return noisy, clean
}

// initNetwork creates the network of cfg in a new store: dual weights at
// zero (as the PyTorch reference), primal weights Kaiming-uniform.
func initNetwork(tb testing.TB, cfg stcnn.Config, seed uint64) (stcnn.Network, *model.Store) {
	tb.Helper()
	net, err := stcnn.New(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	store := model.NewStore()
	// The reference's defaults: a dual starts at zero, a primal does not.
	if err := net.Init(store, uniformInit{zero: cfg.Model == stcnn.Dual}, seed); err != nil {
		tb.Fatal(err)
	}
	return net, store
}

func newMNISTTrainer(tb testing.TB, cfg stcnn.Config, n int) (*stcnn.Trainer, *datasets.Images, *datasets.Images) {
	tb.Helper()
	noisy, clean := mnistPair(tb, n)
	net, store := initNetwork(tb, cfg, 1)
	return newTrainer(tb, store, net, optimizer.Adam().LearningRate(1e-3).Done().(stcnn.GradientOptimizer)), noisy, clean
}

// newTrainer is stcnn.NewTrainer of net in store with opt (nil: evaluation
// only) and no chunk bound.
func newTrainer(tb testing.TB, store *model.Store, net stcnn.Network, opt stcnn.GradientOptimizer) *stcnn.Trainer {
	tb.Helper()
	tr, err := stcnn.NewTrainer(backend(tb), store, net, opt, 0)
	if err != nil {
		tb.Fatal(err)
	}
	return tr
}

// evaluation is tr.Evaluate on the images.
func evaluation(tb testing.TB, tr *stcnn.Trainer, noisy, clean *datasets.Images) stcnn.Metrics {
	tb.Helper()
	m, err := tr.Evaluate(noisy, clean)
	if err != nil {
		tb.Fatal(err)
	}
	return m
}

// evaluate is the metrics of net in store on the images, from a new Trainer.
func evaluate(tb testing.TB, net stcnn.Network, store *model.Store, noisy, clean *datasets.Images) stcnn.Metrics {
	tb.Helper()
	return evaluation(tb, newTrainer(tb, store, net, nil), noisy, clean)
}

// steps takes n optimiser steps of tr on the images.
func steps(tb testing.TB, tr *stcnn.Trainer, n int, noisy, clean *datasets.Images) {
	tb.Helper()
	for range n {
		if _, err := tr.Step(noisy, clean); err != nil {
			tb.Fatal(err)
		}
	}
}

// newDenoiser is stcnn.NewDenoiser of net in store.
func newDenoiser(tb testing.TB, store *model.Store, net stcnn.Network, maxChunkElements int) *stcnn.Denoiser {
	tb.Helper()
	den, err := stcnn.NewDenoiser(backend(tb), store, net, maxChunkElements)
	if err != nil {
		tb.Fatal(err)
	}
	return den
}

// denoised is den.Denoise(noisy).
func denoised(tb testing.TB, den *stcnn.Denoiser, noisy *datasets.Images) *datasets.Images {
	tb.Helper()
	out, err := den.Denoise(noisy)
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

// predict is net's output f(Y) in store for the images im, in float64,
// from a graph of net.Predict that reads the variables at each call.
func predict(tb testing.TB, net stcnn.Network, store *model.Store, im *datasets.Images) *tensors.Tensor {
	tb.Helper()
	exec, err := model.NewExec(backend(tb), store, func(_ *model.Scope, y *graph.Node) *graph.Node {
		stcnn.ReadVariablesAtEachCall(store, y.Graph())
		return net.Predict(store, y)
	})
	if err != nil {
		tb.Fatal(err)
	}
	out, err := exec.Exec(stcnn.ImagesTensor(im, dtypes.Float64))
	if err != nil {
		tb.Fatal(err)
	}
	return out[0]
}

func scalarF64(v float64) *tensors.Tensor { return tensors.FromScalar(v) }

// checkFiniteDifferences compares the autodiff gradients of the objective of
// net (float64) at random nonzero weights (so that group norms are
// differentiable) with central differences on noisy copies of clean.
func checkFiniteDifferences(t *testing.T, net stcnn.Network, store *model.Store, clean *datasets.Images) {
	t.Helper()
	noisy, _ := datasets.AddGaussianNoise(clean, 0.3, 2)
	yT, xT := stcnn.ImagesTensor(noisy, dtypes.Float64), stcnn.ImagesTensor(clean, dtypes.Float64)
	eval, vars := objectiveExec(t, net, store)
	rng := rand.New(rand.NewPCG(9, 9))
	for _, v := range vars {
		vals := make([]float64, v.Shape().Size())
		for i := range vals {
			vals[i] = 0.5 * rng.NormFloat64()
		}
		setFlat(t, v, vals)
	}
	_, grads := eval(yT, xT)
	const h = 1e-6
	for vi, v := range vars {
		base := f64(t, v.MustValue())
		var num, den float64
		for i := range base {
			p := append([]float64(nil), base...)
			p[i] += h
			setFlat(t, v, p)
			fp, _ := eval(yT, xT)
			p[i] -= 2 * h
			setFlat(t, v, p)
			fm, _ := eval(yT, xT)
			fd := (fp - fm) / (2 * h)
			num += (fd - grads[vi][i]) * (fd - grads[vi][i])
			den += grads[vi][i] * grads[vi][i]
		}
		setFlat(t, v, base)
		if den == 0 || math.IsNaN(num) {
			t.Fatalf("%s: gradient is zero or NaN; the check would be vacuous", v.Name())
		}
		if rel := math.Sqrt(num / den); rel > 1e-6 {
			t.Errorf("%s: relative gradient error %.3g > 1e-6", v.Name(), rel)
		}
	}
}

// refusedBatch is a batch (inputs, targets) that Trainer must refuse, with
// what its error mentions.
type refusedBatch struct {
	name         string
	noisy, clean *datasets.Images
	want         string
}

// checkRefused checks that Step and Evaluate both refuse every batch.
func checkRefused(t *testing.T, tr *stcnn.Trainer, batches []refusedBatch) {
	t.Helper()
	for _, b := range batches {
		if _, err := tr.Step(b.noisy, b.clean); err == nil || !strings.Contains(err.Error(), b.want) {
			t.Errorf("%s: Step error %v, want it to mention %q", b.name, err, b.want)
		}
		if _, err := tr.Evaluate(b.noisy, b.clean); err == nil || !strings.Contains(err.Error(), b.want) {
			t.Errorf("%s: Evaluate error %v, want it to mention %q", b.name, err, b.want)
		}
	}
}
