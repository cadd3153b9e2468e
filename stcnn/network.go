package stcnn

import (
	"fmt"
	"math/rand/v2"

	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// Initializer samples the initial value of a weight tensor. fanIn is the
// number of inputs of one unit (PyTorch's fan_in). The package
// stcnn/initializers provides the paper's choices.
type Initializer interface {
	Sample(rng *rand.Rand, dtype dtypes.DType, fanIn int, dims ...int) (*tensors.Tensor, error)
}

// Task is what a network's targets are; it decides the data term of the
// objective, how Trainer checks a batch, and which metrics it reports.
type Task string

const (
	// Regression: the targets are images of the inputs' height and width
	// with the network's output channels (the clean images of a denoiser,
	// the values of a 1-D toy); the data term is the squared error
	// e_n = ||f(Y_n) - X_n||^2, and the metrics include PSNR and RLNE.
	Regression Task = "regression"
	// Classification: the targets are one-hot class vectors t_n, stored as
	// 1 x 1 images with one channel per class (OneHotTargets), and f(Y_n)
	// are the logits z_n; the data term is the cross-entropy
	// e_n = -sum_k t_nk log softmax(z_n)_k, and the metric is the accuracy.
	// Such a network has no squared error, PSNR or RLNE.
	Classification Task = "classification"
)

// ImageTerms are per-image sums, the parts of an objective that add up over
// images (so they can be accumulated over chunks of a batch).
type ImageTerms struct {
	// Data is [N]: the data term e_n of the network's Task, the squared
	// error summed over pixels and channels (Regression) or the
	// cross-entropy against the one-hot target (Classification).
	Data *Node
	// Hinge is [N]: the summed hinge penalty (dual), zeros otherwise.
	Hinge *Node
	// Violations is [N]: how many sign constraints are violated (dual),
	// zeros otherwise; nil unless measurements are asked for.
	Violations *Node
	// Correct is [N]: 1 where the largest logit is the target's class, else
	// 0 (Classification only, when measurements are asked for); nil otherwise.
	Correct *Node
}

// Penalties are the weights of an objective's penalty terms that Trainer
// needs outside the network's graphs.
type Penalties struct {
	// Rho weighs the per-image hinge term of ImageTerms (the dual's sign
	// constraints, eq. 24); 0 for a network without constraints.
	Rho float64
	// Constraints is the number of sign constraints per pixel (2 P C for
	// the dual, one per gate, output channel and branch w, w'); 0 without.
	Constraints int
}

// Network is a trainable model whose variables live in a model.Store under
// its own scope: the primal (eq. 21) and dual (eq. 22) ST-CNNs, the ResNet
// denoiser of Fig. 19, the classifier head of Fig. 18. Trainer,
// training.Run and every figure handle networks only through this
// interface, so none of them asks which kind a network is.
type Network interface {
	// Kind names the network ("primal", "dual", "resnet", "classifier") in
	// messages and labels.
	Kind() string
	// Task says what the targets are and so which data term and metrics apply.
	Task() Task
	// Channels are the input channels of the images and the output
	// channels of f(Y) (the classes of a classifier).
	Channels() (in, out int)
	// DType is the floating-point type of the variables and graphs.
	DType() dtypes.DType
	// HiddenWidth is the number of hidden values per pixel of the widest
	// intermediate (K for the primal, P*C for the dual); Trainer sizes its
	// memory-bounding chunks by it (ChunkRanges).
	HiddenWidth() int
	// Penalties are the weights of the objective's penalty terms.
	Penalties() Penalties
	// Scope is the store scope holding the network's variables.
	Scope(store *model.Store) *model.Scope
	// Init creates (or overwrites) the network's variables in store, the
	// trainable ones drawn from init, every sample from seed.
	Init(store *model.Store, init Initializer, seed uint64) error
	// Restore checks that store holds the network's variables with the
	// right shapes (e.g. after loading a checkpoint, which does not record
	// which variables are trainable) and marks exactly the trainable ones.
	Restore(store *model.Store) error
	// Predict builds f(Y) for noisy images [N, H, W, C]; the output is
	// [N, H, W, C_out] (Regression) or the logits [N, 1, 1, classes]
	// (Classification).
	Predict(store *model.Store, noisy *Node) *Node
	// Terms builds the per-image data term and (dual) hinge terms of inputs
	// and targets, and when measure is set the per-image measurements of an
	// evaluation: the count of violated constraints and, for a classifier,
	// the correct predictions.
	Terms(store *model.Store, noisy, clean *Node, measure bool) ImageTerms
	// Regularizer builds the weight penalty of the objective.
	Regularizer(store *model.Store, g *Graph) *Node
}

// New validates cfg and returns the network it describes.
func New(cfg Config) (Network, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	switch cfg.Model {
	case Primal:
		return &PrimalModel{twoLayer{cfg}}, nil
	default:
		return &DualModel{twoLayer{cfg}}, nil
	}
}

// twoLayer is what the primal and the dual network share: the validated
// Config they were made from, and the Network methods that read only it.
type twoLayer struct{ cfg Config }

// newTwoLayer validates cfg, which must describe a network of kind; fn
// names the constructor in the error.
func newTwoLayer(cfg Config, kind ModelKind, fn string) (twoLayer, error) {
	if cfg.Model != kind {
		return twoLayer{}, fmt.Errorf("stcnn: %s: config model is %q, want %q", fn, cfg.Model, kind)
	}
	if err := cfg.Validate(); err != nil {
		return twoLayer{}, err
	}
	return twoLayer{cfg}, nil
}

// Config returns the network's hyperparameters.
func (n twoLayer) Config() Config { return n.cfg }

// Kind implements Network.
func (n twoLayer) Kind() string { return string(n.cfg.Model) }

// Task implements Network: a denoiser regresses the clean images.
func (n twoLayer) Task() Task { return Regression }

// Channels implements Network.
func (n twoLayer) Channels() (in, out int) { return n.cfg.Channels, n.cfg.Outputs() }

// DType implements Network.
func (n twoLayer) DType() dtypes.DType { return n.cfg.GoMLXDType() }

// newRNG returns the seeded generator used for every host-side sample.
func newRNG(seed uint64, stream uint64) *rand.Rand {
	return rand.New(rand.NewPCG(seed, stream^0x9e3779b97f4a7c15))
}

// sampleInto creates (or overwrites) a variable with a sampled value.
func sampleInto(scope *model.Scope, name string, init Initializer, rng *rand.Rand, dtype dtypes.DType, fanIn int, dims ...int) error {
	t, err := init.Sample(rng, dtype, fanIn, dims...)
	if err != nil {
		return fmt.Errorf("stcnn: initialising %s/%s: %w", scope.Scope(), name, err)
	}
	if v := scope.GetVariable(name); v != nil {
		return v.SetValue(t)
	}
	scope.VariableWithValue(name, t)
	return nil
}

// restoreVariables checks the shapes of the named variables of scope and
// sets their trainable flags.
func restoreVariables(scope *model.Scope, specs []varSpec) error {
	for _, s := range specs {
		v := scope.GetVariable(s.name)
		if v == nil {
			return fmt.Errorf("stcnn: variable %s/%s not found", scope.Scope(), s.name)
		}
		if dims := v.Shape().Dimensions; fmt.Sprint(dims) != fmt.Sprint(s.dims) {
			return fmt.Errorf("stcnn: variable %s has shape %v, the config needs %v", v.Path(), dims, s.dims)
		}
		v.SetTrainable(s.trainable)
	}
	return nil
}

type varSpec struct {
	name      string
	dims      []int
	trainable bool
}

// perImageSum sums x [N, ...] over all axes but the first.
func perImageSum(x *Node) *Node {
	if x.Rank() == 1 {
		return x
	}
	axes := make([]int, x.Rank()-1)
	for i := range axes {
		axes[i] = i + 1
	}
	return ReduceSum(x, axes...)
}

// dotRowsT is a b^T for a [R, D] and b [I, D]: [R, I].
func dotRowsT(a, b *Node) *Node {
	return Dot(a, b).General([]int{1}, nil, []int{1}, nil)
}

// pixelsToImages turns a channel-major [C, N*H*W] output into [N, H, W, C]
// for inputs of shape in ([N, H, W, C_in]).
func pixelsToImages(out *Node, in []int) *Node {
	return Reshape(Transpose(out, 0, 1), in[0], in[1], in[2], out.Shape().Dim(0))
}

// channelMajorSquaredError is sum over pixels and channels of (out - clean)^2
// per image, for out [C, N*H*W] and clean [N, H, W, C]: [N].
func channelMajorSquaredError(out, clean *Node) *Node {
	n, c := clean.Shape().Dim(0), clean.Shape().Dim(3)
	x := Transpose(Reshape(clean, -1, c), 0, 1) // [C, I]
	sq := Square(Sub(out, x))
	return ReduceSum(Reshape(sq, c, n, -1), 0, 2)
}

// Objective builds the full objective on one batch, the quantity Trainer
// minimises: (1/N) sum_n e_n + R + rho (1/N) sum_n h_n, with e_n the data
// term of the network's Task.
func Objective(store *model.Store, net Network, noisy, clean *Node) *Node {
	terms := net.Terms(store, noisy, clean, false)
	n := float64(noisy.Shape().Dim(0))
	data := DivScalar(Add(ReduceAllSum(terms.Data), MulScalar(ReduceAllSum(terms.Hinge), net.Penalties().Rho)), n)
	return Add(data, net.Regularizer(store, noisy.Graph()))
}
