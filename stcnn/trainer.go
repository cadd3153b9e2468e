package stcnn

import (
	"errors"
	"fmt"
	"math"

	"github.com/convexst/stcnn/datasets"
	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train/optimizer"
)

// GradientOptimizer is a GoMLX optimiser that can apply gradients computed
// elsewhere; GoMLX's SGD and Adam, and every optimiser in stcnn/optimizers,
// are ones.
type GradientOptimizer interface {
	optimizer.Interface
	UpdateGraphWithGradients(scope *model.Scope, grads []*Node, lossDType dtypes.DType)
}

// Trainer runs optimisation steps and evaluations of one network, of
// either Task: e_n below is the network's data term (squared error or
// cross-entropy, see Task).
//
// A step over a batch of N images splits the batch into equal chunks whose
// largest intermediate holds at most MaxChunkElements values, computes the
// gradient of (1/N) sum_n [e_n + rho h_n] on each chunk, adds them, adds the
// gradient of the weight penalty, and hands the sum to the optimiser. Since
// the objective is a sum over images this is the exact full-batch gradient;
// chunking only bounds memory (a dual step with P = 8000 gates on 50 images
// would otherwise hold several [50*784, 16000] tensors).
type Trainer struct {
	backend   compute.Backend
	store     *model.Store
	net       Network
	opt       GradientOptimizer
	maxChunk  int
	trainable []*model.Variable

	gradExec, applyExec, evalExec, regExec *model.Exec
}

// NewTrainer prepares the executables; the network's variables must already
// be initialised in store. maxChunkElements <= 0 means DefaultMaxChunkElements.
// opt may be nil for a trainer used only to Evaluate.
func NewTrainer(backend compute.Backend, store *model.Store, net Network, opt GradientOptimizer, maxChunkElements int) (*Trainer, error) {
	if maxChunkElements <= 0 {
		maxChunkElements = DefaultMaxChunkElements
	}
	t := &Trainer{backend: backend, store: store, net: net, opt: opt, maxChunk: maxChunkElements}
	for v := range net.Scope(store).IterVariables() {
		if v.Trainable {
			t.trainable = append(t.trainable, v)
		}
	}
	if len(t.trainable) == 0 {
		return nil, fmt.Errorf("stcnn: NewTrainer: no trainable variables under scope %q: call Init first", net.Scope(store).Scope())
	}
	var err error
	if t.gradExec, err = model.NewExec(backend, store, t.gradGraph); err != nil {
		return nil, err
	}
	if t.applyExec, err = model.NewExec(backend, store, t.applyGraph); err != nil {
		return nil, err
	}
	if t.evalExec, err = model.NewExec(backend, store, t.evalGraph); err != nil {
		return nil, err
	}
	if t.regExec, err = model.NewExec(backend, store, func(_ *model.Scope, g *Graph) *Node {
		readVariablesAtEachCall(store, g)
		return net.Regularizer(store, g)
	}); err != nil {
		return nil, err
	}
	return t, nil
}

// Store returns the store holding the network's variables.
func (t *Trainer) Store() *model.Store { return t.store }

// Network returns the trained network.
func (t *Trainer) Network() Network { return t.net }

// gradGraph: inputs noisy, clean, 1/N; outputs sum_n e_n, sum_n h_n, then
// the gradient of (1/N) sum_n (e_n + rho h_n) for every trainable variable.
func (t *Trainer) gradGraph(_ *model.Scope, inputs []*Node) []*Node {
	noisy, clean, invN := inputs[0], inputs[1], inputs[2]
	readVariablesAtEachCall(t.store, noisy.Graph())
	terms := t.net.Terms(t.store, noisy, clean, false)
	e, hinge := ReduceAllSum(terms.Data), ReduceAllSum(terms.Hinge)
	loss := Mul(invN, Add(e, MulScalar(hinge, t.net.Penalties().Rho)))
	nodes := make([]*Node, len(t.trainable))
	for i, v := range t.trainable {
		nodes[i] = v.NodeValue(noisy.Graph())
	}
	return append([]*Node{e, hinge}, Gradient(loss, nodes...)...)
}

// applyGraph: inputs the data gradients; adds the penalty's gradient and
// updates the variables. Output: the penalty before the update.
func (t *Trainer) applyGraph(scope *model.Scope, grads []*Node) []*Node {
	g := grads[0].Graph()
	readVariablesAtEachCall(t.store, g)
	nodes := make([]*Node, len(t.trainable))
	for i, v := range t.trainable {
		nodes[i] = v.NodeValue(g)
	}
	reg := t.net.Regularizer(t.store, g)
	regGrads := Gradient(reg, nodes...)
	total := make([]*Node, len(grads))
	for i := range grads {
		total[i] = Add(grads[i], regGrads[i])
	}
	t.opt.UpdateGraphWithGradients(scope, total, reg.DType())
	return []*Node{reg}
}

// evalGraph: outputs per-image data term, hinge, violations and, for
// Regression, ||x||^2 (for RLNE) or, for Classification, the correct
// predictions.
func (t *Trainer) evalGraph(_ *model.Scope, noisy, clean *Node) []*Node {
	readVariablesAtEachCall(t.store, noisy.Graph())
	terms := t.net.Terms(t.store, noisy, clean, true)
	last := perImageSum(Square(clean))
	if t.net.Task() == Classification {
		last = terms.Correct
	}
	return []*Node{terms.Data, terms.Hinge, terms.Violations, last}
}

// chunks splits n images into equal-sized contiguous ranges within the memory bound.
func (t *Trainer) chunks(n, pixels int) [][2]int {
	return ChunkRanges(n, pixels, t.net.HiddenWidth(), t.maxChunk)
}

// StepResult reports the objective of the batch at the weights before the
// step: Data is (1/N) sum_n e_n, the data term of the network's Task.
type StepResult struct {
	Objective, Data, Regularizer, Hinge float64
}

// Step performs one optimiser step on the batch (noisy, clean).
func (t *Trainer) Step(noisy, clean *datasets.Images) (StepResult, error) {
	if t.opt == nil {
		return StepResult{}, errors.New("stcnn: Step: trainer has no optimiser (evaluation only)")
	}
	if err := CheckPair(noisy, clean, t.net); err != nil {
		return StepResult{}, err
	}
	dt := t.net.DType()
	invN := scalarTensor(1/float64(noisy.N), dt)
	var e, hinge float64
	var acc []*tensors.Tensor
	for _, ch := range t.chunks(noisy.N, noisy.H*noisy.W) {
		y, x, err := chunkTensors(noisy, clean, ch, dt)
		if err != nil {
			return StepResult{}, err
		}
		out, err := t.gradExec.Exec(y, x, invN)
		if err != nil {
			return StepResult{}, fmt.Errorf("stcnn: gradient step: %w", err)
		}
		e += scalarOf(out[0])
		hinge += scalarOf(out[1])
		if acc, err = addTensors(acc, out[2:]); err != nil {
			return StepResult{}, err
		}
	}
	args := make([]any, len(acc))
	for i := range acc {
		if err := checkFinite(acc[i]); err != nil {
			return StepResult{}, fmt.Errorf("stcnn: gradient of variable %s: %w", t.trainable[i].Path(), err)
		}
		args[i] = acc[i]
	}
	out, err := t.applyExec.Exec(args...)
	if err != nil {
		return StepResult{}, fmt.Errorf("stcnn: optimiser update: %w", err)
	}
	n := float64(noisy.N)
	r := StepResult{Data: e / n, Hinge: hinge / n, Regularizer: scalarOf(out[0])}
	r.Objective = r.Data + r.Regularizer + t.net.Penalties().Rho*r.Hinge
	if math.IsNaN(r.Objective) || math.IsInf(r.Objective, 0) {
		return r, fmt.Errorf("stcnn: objective became %v", r.Objective)
	}
	return r, nil
}

// Evaluate computes Metrics of the network on (noisy, clean): inputs and
// targets, one-hot classes for a Classification network.
func (t *Trainer) Evaluate(noisy, clean *datasets.Images) (Metrics, error) {
	if err := CheckPair(noisy, clean, t.net); err != nil {
		return Metrics{}, err
	}
	dt := t.net.DType()
	var e, hinge, viol, last []float64
	for _, ch := range t.chunks(noisy.N, noisy.H*noisy.W) {
		y, x, err := chunkTensors(noisy, clean, ch, dt)
		if err != nil {
			return Metrics{}, err
		}
		out, err := t.evalExec.Exec(y, x)
		if err != nil {
			return Metrics{}, fmt.Errorf("stcnn: evaluation: %w", err)
		}
		parts := make([][]float64, 4)
		for i := range parts {
			if parts[i], err = Float64s(out[i]); err != nil {
				return Metrics{}, err
			}
		}
		e, hinge = append(e, parts[0]...), append(hinge, parts[1]...)
		viol, last = append(viol, parts[2]...), append(last, parts[3]...)
	}
	regOut, err := t.regExec.Exec()
	if err != nil {
		return Metrics{}, fmt.Errorf("stcnn: evaluation: %w", err)
	}
	pen := t.net.Penalties()
	var m Metrics
	var data float64
	if t.net.Task() == Classification {
		m = Metrics{CrossEntropy: mean(e), Accuracy: mean(last), Images: len(e)}
		data = m.CrossEntropy
	} else {
		m = ImageMetrics(e, last, clean.H*clean.W*clean.C)
		data = m.SquaredError
	}
	m.Regularizer = scalarOf(regOut[0])
	m.Hinge = mean(hinge)
	if pen.Constraints > 0 {
		m.ViolatedFraction = mean(viol) / float64(noisy.H*noisy.W*pen.Constraints)
	}
	m.Objective = data + m.Regularizer + pen.Rho*m.Hinge
	return m, nil
}

// CheckPair checks that noisy and clean are a batch of net: the same
// number of images, with net's input and output channels, and targets of
// the inputs' size (Regression) or 1 x 1 (Classification, one-hot classes).
func CheckPair(noisy, clean *datasets.Images, net Network) error {
	if noisy == nil || clean == nil {
		return errors.New("stcnn: nil images")
	}
	if net.Task() == Classification {
		if noisy.N != clean.N || clean.H != 1 || clean.W != 1 {
			return fmt.Errorf("stcnn: %d images but targets of %dx%dx%dx%d: a classifier's targets are N x 1 x 1 x classes (OneHotTargets)",
				noisy.N, clean.N, clean.H, clean.W, clean.C)
		}
	} else if noisy.N != clean.N || noisy.H != clean.H || noisy.W != clean.W {
		return fmt.Errorf("stcnn: noisy images are %dx%dx%dx%d but clean images are %dx%dx%dx%d",
			noisy.N, noisy.H, noisy.W, noisy.C, clean.N, clean.H, clean.W, clean.C)
	}
	if noisy.N == 0 {
		return errors.New("stcnn: no images")
	}
	in, out := net.Channels()
	if noisy.C != in {
		return fmt.Errorf("stcnn: images have %d channels but the %s network was configured for %d", noisy.C, net.Kind(), in)
	}
	if clean.C != out {
		return fmt.Errorf("stcnn: targets have %d channels but the %s network outputs %d", clean.C, net.Kind(), out)
	}
	return nil
}

func chunkTensors(noisy, clean *datasets.Images, ch [2]int, dt dtypes.DType) (y, x *tensors.Tensor, err error) {
	ny, err := noisy.Slice(ch[0], ch[1])
	if err != nil {
		return nil, nil, err
	}
	nx, err := clean.Slice(ch[0], ch[1])
	if err != nil {
		return nil, nil, err
	}
	return ImagesTensor(ny, dt), ImagesTensor(nx, dt), nil
}

// ImagesTensor converts images to an [N, H, W, C] tensor of dtype dt.
func ImagesTensor(im *datasets.Images, dt dtypes.DType) *tensors.Tensor {
	return tensorFromFloat32(im.Pixels, dt, im.N, im.H, im.W, im.C)
}

func scalarTensor(v float64, dt dtypes.DType) *tensors.Tensor {
	if dt == dtypes.Float64 {
		return tensors.FromScalar(v)
	}
	return tensors.FromScalar(float32(v))
}

func scalarOf(t *tensors.Tensor) float64 {
	switch t.DType() {
	case dtypes.Float64:
		return tensors.ToScalar[float64](t)
	case dtypes.Float32:
		return float64(tensors.ToScalar[float32](t))
	}
	return math.NaN()
}

// addTensors returns acc + add elementwise (acc nil: add itself).
func addTensors(acc, add []*tensors.Tensor) ([]*tensors.Tensor, error) {
	if acc == nil {
		return add, nil
	}
	for i := range acc {
		var err error
		switch acc[i].DType() {
		case dtypes.Float32:
			err = addInto[float32](acc[i], add[i])
		case dtypes.Float64:
			err = addInto[float64](acc[i], add[i])
		default:
			err = fmt.Errorf("stcnn: cannot accumulate gradients of dtype %s", acc[i].DType())
		}
		if err != nil {
			return nil, err
		}
	}
	return acc, nil
}

func addInto[T float32 | float64](acc, add *tensors.Tensor) error {
	src, err := tensors.CopyFlatData[T](add)
	if err != nil {
		return err
	}
	return tensors.MutableFlatData[T](acc, func(dst []T) {
		for i := range dst {
			dst[i] += src[i]
		}
	})
}

// checkFinite returns an error if t holds a NaN or an infinity.
func checkFinite(t *tensors.Tensor) error {
	vals, err := Float64s(t)
	if err != nil {
		return err
	}
	for i, v := range vals {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("element %d is %v", i, v)
		}
	}
	return nil
}
