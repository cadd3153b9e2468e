package stcnn_test

import (
	"math"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/convexst/stcnn/datasets"
	gb "github.com/convexst/stcnn/gomlx_backend"
	"github.com/convexst/stcnn/stcnn"
	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train/optimizer"
)

// testBackend is the backend the package tests run on: the safe pure-Go
// configuration unless GOMLX_BACKEND says otherwise.
var testBackend = sync.OnceValues(func() (compute.Backend, error) {
	b, _, err := gb.Default()
	return b, err
})

func backend(tb testing.TB) compute.Backend {
	tb.Helper()
	b, err := testBackend()
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

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

var mnistTrain = sync.OnceValues(func() (*datasets.Images, error) {
	dir, err := datasets.MNISTDir("")
	if err != nil {
		return nil, err
	}
	return datasets.LoadMNIST(dir, datasets.Train)
})

// mnistPair returns n MNIST training images and a noisy copy (sigma 0.5).
func mnistPair(tb testing.TB, n int) (noisy, clean *datasets.Images) {
	tb.Helper()
	all, err := mnistTrain()
	if err != nil {
		tb.Fatal(err)
	}
	clean, err = all.Subset(n, 1)
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
	opt := optimizer.Adam().LearningRate(1e-3).Done().(stcnn.GradientOptimizer)
	tr, err := stcnn.NewTrainer(backend(tb), store, net, opt, 0)
	if err != nil {
		tb.Fatal(err)
	}
	return tr, noisy, clean
}

func scalarF64(v float64) *tensors.Tensor { return tensors.FromScalar(v) }
