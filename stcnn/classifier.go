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
	"github.com/gomlx/gomlx/ml/train/loss"
)

// ClassifierScope is the store scope of the classifier head's variables:
// "w" [F, Classes] and "b" [Classes], F = (H/Pool)*(W/Pool)*C.
const ClassifierScope = "classifier"

// ClassifierConfig holds the hyperparameters of a ClassifierHead. The paper
// (Fig. 18) only says "classifiers are added to both the Dual_ST_CNN and
// the Primal_ST_CNN"; the head is this project's design, see ClassifierHead.
type ClassifierConfig struct {
	// Classes is the number of classes (10 for MNIST and CIFAR-10).
	Classes int `json:"classes"`
	// Pool is the side of the non-overlapping average-pooling window; it
	// must divide the image height and width (4: 28x28 -> 7x7, 32x32 -> 8x8).
	Pool int `json:"pool"`
	// Beta weighs the penalty beta ||W||_F^2 (the bias is not penalised).
	Beta float64 `json:"beta"`
	// DType is "float32" (default) or "float64".
	DType string `json:"dtype"`
}

// DefaultClassifierConfig is a 10-class head on 4x4 average pooling with a
// small ridge penalty beta = 1e-4, which makes the head's convex training
// problem strictly convex in W (a unique minimiser) without limiting its fit.
func DefaultClassifierConfig() ClassifierConfig {
	return ClassifierConfig{Classes: 10, Pool: 4, Beta: 1e-4, DType: "float32"}
}

// ClassifierHead is the classifier added to a denoiser for Fig. 18: a linear
// softmax classifier on the average-pooled denoised image. For an image
// X = f(Y) of H x W x C (the denoiser's output),
//
//	phi(X) = AvgPool_p(X)                       (H/p x W/p x C values, flattened)
//	z(X)   = W^T phi(X) + b                     (logits, one per class)
//	L      = (1/N) sum_n -log softmax(z(X_n))[label_n] + beta ||W||_F^2
//
// Its training problem is convex in (W, b), so differences in accuracy
// between denoisers come from their outputs, not from the head's
// optimisation. Pooling makes the head see coarse shapes rather than
// single pixels (and averages part of any residual noise away).
//
// The head is trained on a frozen denoiser, not jointly with it, so the
// denoiser's objective (eq. 21 or 22) stays the paper's: Fig. 18 trains the
// denoiser epoch by epoch and after every epoch computes its outputs with a
// Denoiser and trains the head on them with a ClassifierTrainer,
// warm-started from the previous epoch, then measures its test accuracy.
type ClassifierHead struct {
	cfg     ClassifierConfig
	h, w, c int
}

// NewClassifierHead returns a head for images of h x w x c.
func NewClassifierHead(cfg ClassifierConfig, h, w, c int) (*ClassifierHead, error) {
	var errs []error
	if cfg.Classes < 2 {
		errs = append(errs, fmt.Errorf("stcnn: classifier config field \"classes\": must be >= 2, got %d", cfg.Classes))
	}
	if h < 1 || w < 1 || c < 1 {
		errs = append(errs, fmt.Errorf("stcnn: classifier for images of %dx%dx%d: sizes must be >= 1", h, w, c))
	} else if cfg.Pool < 1 || h%cfg.Pool != 0 || w%cfg.Pool != 0 {
		errs = append(errs, fmt.Errorf("stcnn: classifier config field \"pool\": %d must be >= 1 and divide the image size %dx%d", cfg.Pool, h, w))
	}
	if !(cfg.Beta >= 0) || math.IsInf(cfg.Beta, 0) {
		errs = append(errs, fmt.Errorf("stcnn: classifier config field \"beta\": must be finite and >= 0, got %v", cfg.Beta))
	}
	if _, err := (Config{DType: cfg.DType}).dtype(); err != nil {
		errs = append(errs, fmt.Errorf("stcnn: classifier config field \"dtype\": %w", err))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return &ClassifierHead{cfg: cfg, h: h, w: w, c: c}, nil
}

// Config returns the head's configuration.
func (c *ClassifierHead) Config() ClassifierConfig { return c.cfg }

// Features is F, the length of phi(X).
func (c *ClassifierHead) Features() int { return (c.h / c.cfg.Pool) * (c.w / c.cfg.Pool) * c.c }

// Scope is the store scope of the head's variables.
func (c *ClassifierHead) Scope(store *model.Store) *model.Scope {
	return store.RootScope().At(ClassifierScope)
}

func (c *ClassifierHead) dtype() dtypes.DType { return Config{DType: c.cfg.DType}.GoMLXDType() }

// Init sets W and b to zero (creating them if needed): the head's problem
// is convex, so its starting point does not matter, and zeros keep it
// deterministic.
func (c *ClassifierHead) Init(store *model.Store) error {
	scope, dt := c.Scope(store), c.dtype()
	for _, v := range []struct {
		name string
		dims []int
	}{{"w", []int{c.Features(), c.cfg.Classes}}, {"b", []int{c.cfg.Classes}}} {
		t := TensorFromFloat64s(make([]float64, size(v.dims)), dt, v.dims...)
		if old := scope.GetVariable(v.name); old != nil {
			if err := old.SetValue(t); err != nil {
				return err
			}
			old.SetTrainable(true)
			continue
		}
		scope.VariableWithValue(v.name, t)
	}
	return nil
}

func size(dims []int) int {
	n := 1
	for _, d := range dims {
		n *= d
	}
	return n
}

// Logits builds z(X) [N, Classes] for images [N, H, W, C].
func (c *ClassifierHead) Logits(store *model.Store, images *Node) *Node {
	scope := c.Scope(store)
	g := images.Graph()
	w, b := scope.GetVariable("w").NodeValue(g), scope.GetVariable("b").NodeValue(g)
	n, p := images.Shape().Dim(0), c.cfg.Pool
	x := ConvertDType(images, w.DType())
	pooled := ReduceMean(Reshape(x, n, c.h/p, p, c.w/p, p, c.c), 2, 4) // [N, H/p, W/p, C]
	feats := Reshape(pooled, n, c.Features())
	return Add(Dot(feats, w).Product(), InsertAxes(b, 0))
}

// Loss builds L for images [N, H, W, C] and integer labels [N]: the mean
// sparse softmax cross-entropy plus beta ||W||_F^2.
func (c *ClassifierHead) Loss(store *model.Store, images, labels *Node) *Node {
	logits := c.Logits(store, images)
	ce := loss.SparseCategoricalCrossEntropyLogits([]*Node{InsertAxes(labels, -1)}, []*Node{logits})
	w := c.Scope(store).GetVariable("w").NodeValue(images.Graph())
	return Add(ce, MulScalar(ReduceAllSum(Square(w)), c.cfg.Beta))
}

// checkImages checks that images match the head and carry valid labels.
func (c *ClassifierHead) checkImages(im *datasets.Images) error {
	if im == nil {
		return errors.New("stcnn: classifier: nil images")
	}
	if im.N == 0 {
		return errors.New("stcnn: classifier: no images")
	}
	if im.H != c.h || im.W != c.w || im.C != c.c {
		return fmt.Errorf("stcnn: classifier: images are %dx%dx%d but the head was built for %dx%dx%d", im.H, im.W, im.C, c.h, c.w, c.c)
	}
	if len(im.Labels) != im.N {
		return fmt.Errorf("stcnn: classifier: %d labels for %d images", len(im.Labels), im.N)
	}
	for i, l := range im.Labels {
		if int(l) >= c.cfg.Classes {
			return fmt.Errorf("stcnn: classifier: label %d of image %d is not below the %d classes", l, i, c.cfg.Classes)
		}
	}
	return nil
}

// ClassifierTrainer trains a ClassifierHead and measures its accuracy. It
// updates only the head's variables: the optimiser's update is built from
// the gradients of the head's scope alone, and the images it is given are
// plain data (e.g. a frozen denoiser's outputs, see Denoiser).
type ClassifierTrainer struct {
	head               *ClassifierHead
	store              *model.Store
	stepExec, evalExec *model.Exec
}

// classifierChunk bounds the images of one evaluation execution.
const classifierChunk = 1024

// NewClassifierTrainer prepares the executables; head.Init must have been
// called on store. opt may be nil for evaluation only.
func NewClassifierTrainer(backend compute.Backend, store *model.Store, head *ClassifierHead, opt GradientOptimizer) (*ClassifierTrainer, error) {
	if head == nil {
		return nil, errors.New("stcnn: NewClassifierTrainer: nil head")
	}
	if head.Scope(store).GetVariable("w") == nil {
		return nil, errors.New("stcnn: NewClassifierTrainer: the head has no variables in the store: call Init first")
	}
	t := &ClassifierTrainer{head: head, store: store}
	var err error
	if opt != nil {
		t.stepExec, err = model.NewExec(backend, store, func(_ *model.Scope, images, labels *Node) *Node {
			readVariablesAtEachCall(store, images.Graph())
			l := head.Loss(store, images, labels)
			opt.UpdateGraph(head.Scope(store), images.Graph(), l)
			return l
		})
		if err != nil {
			return nil, err
		}
	}
	t.evalExec, err = model.NewExec(backend, store, func(_ *model.Scope, images, labels *Node) []*Node {
		readVariablesAtEachCall(store, images.Graph())
		logits := head.Logits(store, images)
		ce := loss.SparseCategoricalCrossEntropyLogits([]*Node{InsertAxes(labels, -1)}, []*Node{logits})
		n := float64(images.Shape().Dim(0))
		correct := ReduceAllSum(ConvertDType(Equal(ArgMax(logits, 1, dtypes.Int32), labels), dtypes.Float64))
		return []*Node{MulScalar(ConvertDType(ce, dtypes.Float64), n), correct}
	})
	if err != nil {
		return nil, err
	}
	return t, nil
}

// Head returns the trained head.
func (t *ClassifierTrainer) Head() *ClassifierHead { return t.head }

func labelsTensor(im *datasets.Images) *tensors.Tensor {
	l := make([]int32, im.N)
	for i, v := range im.Labels {
		l[i] = int32(v)
	}
	return tensors.FromFlatDataAndDimensions(l, im.N)
}

// Step performs one optimiser step of the head on the labelled images and
// returns the loss L before the step.
func (t *ClassifierTrainer) Step(images *datasets.Images) (float64, error) {
	if t.stepExec == nil {
		return 0, errors.New("stcnn: classifier Step: trainer has no optimiser (evaluation only)")
	}
	if err := t.head.checkImages(images); err != nil {
		return 0, err
	}
	out, err := t.stepExec.Exec(ImagesTensor(images, t.head.dtype()), labelsTensor(images))
	if err != nil {
		return 0, fmt.Errorf("stcnn: classifier step: %w", err)
	}
	l := scalarOf(out[0])
	if math.IsNaN(l) || math.IsInf(l, 0) {
		return l, fmt.Errorf("stcnn: classifier loss became %v", l)
	}
	return l, nil
}

// Fit runs epochs of mini-batch steps over the images, batches drawn with
// datasets.Batches from shuffleSeed+epoch (epochs counted from 1), and
// returns the mean batch loss of the last epoch.
func (t *ClassifierTrainer) Fit(images *datasets.Images, epochs, batchSize int, shuffleSeed uint64) (float64, error) {
	if err := t.head.checkImages(images); err != nil {
		return 0, err
	}
	if epochs < 1 {
		return 0, fmt.Errorf("stcnn: classifier Fit: epochs must be >= 1, got %d", epochs)
	}
	var last float64
	for e := 1; e <= epochs; e++ {
		batches, err := datasets.Batches(images.N, batchSize, shuffleSeed+uint64(e), true)
		if err != nil {
			return 0, err
		}
		var sum float64
		for _, idx := range batches {
			b, err := images.Gather(idx)
			if err != nil {
				return 0, err
			}
			l, err := t.Step(b)
			if err != nil {
				return 0, err
			}
			sum += l
		}
		last = sum / float64(len(batches))
	}
	return last, nil
}

// ClassifierMetrics are the head's results on one labelled set.
type ClassifierMetrics struct {
	// Loss is the mean cross-entropy (without the weight penalty).
	Loss float64 `json:"loss"`
	// Accuracy is the fraction of images whose largest logit is their label.
	Accuracy float64 `json:"accuracy"`
	// Images is N.
	Images int `json:"images"`
}

// Evaluate computes the head's cross-entropy and accuracy on the images.
func (t *ClassifierTrainer) Evaluate(images *datasets.Images) (ClassifierMetrics, error) {
	if err := t.head.checkImages(images); err != nil {
		return ClassifierMetrics{}, err
	}
	var ce, correct float64
	for from := 0; from < images.N; from += classifierChunk {
		part, err := images.Slice(from, min(images.N, from+classifierChunk))
		if err != nil {
			return ClassifierMetrics{}, err
		}
		out, err := t.evalExec.Exec(ImagesTensor(part, t.head.dtype()), labelsTensor(part))
		if err != nil {
			return ClassifierMetrics{}, fmt.Errorf("stcnn: classifier evaluation: %w", err)
		}
		ce += scalarOf(out[0])
		correct += scalarOf(out[1])
	}
	n := float64(images.N)
	return ClassifierMetrics{Loss: ce / n, Accuracy: correct / n, Images: images.N}, nil
}

// Denoiser computes a trained network's outputs f(Y) as images, for
// feeding a frozen denoiser's outputs to a ClassifierHead.
type Denoiser struct {
	net      Network
	maxChunk int
	exec     *model.Exec
}

// NewDenoiser prepares the executable of net.Predict on the variables in
// store. maxChunkElements bounds the hidden layer of one execution as in
// NewTrainer (<= 0: DefaultMaxChunkElements).
func NewDenoiser(backend compute.Backend, store *model.Store, net Network, maxChunkElements int) (*Denoiser, error) {
	if net == nil {
		return nil, errors.New("stcnn: NewDenoiser: nil network")
	}
	if maxChunkElements <= 0 {
		maxChunkElements = DefaultMaxChunkElements
	}
	exec, err := model.NewExec(backend, store, func(_ *model.Scope, noisy *Node) *Node {
		readVariablesAtEachCall(store, noisy.Graph())
		return ConvertDType(net.Predict(store, noisy), dtypes.Float32)
	})
	if err != nil {
		return nil, err
	}
	return &Denoiser{net: net, maxChunk: maxChunkElements, exec: exec}, nil
}

// Denoise returns f(Y) for every image of noisy, with noisy's labels.
func (d *Denoiser) Denoise(noisy *datasets.Images) (*datasets.Images, error) {
	if noisy == nil || noisy.N == 0 {
		return nil, errors.New("stcnn: Denoise: no images")
	}
	in, outC := d.net.Channels()
	if noisy.C != in {
		return nil, fmt.Errorf("stcnn: Denoise: images have %d channels but the %s network was configured for %d", noisy.C, d.net.Kind(), in)
	}
	out := &datasets.Images{N: noisy.N, H: noisy.H, W: noisy.W, C: outC,
		Pixels: make([]float32, 0, noisy.N*noisy.H*noisy.W*outC)}
	if noisy.Labels != nil {
		out.Labels = append([]uint8(nil), noisy.Labels...)
	}
	for _, ch := range ChunkRanges(noisy.N, noisy.H*noisy.W, d.net.HiddenWidth(), d.maxChunk) {
		part, err := noisy.Slice(ch[0], ch[1])
		if err != nil {
			return nil, err
		}
		res, err := d.exec.Exec(ImagesTensor(part, d.net.DType()))
		if err != nil {
			return nil, fmt.Errorf("stcnn: Denoise: %w", err)
		}
		px, err := tensors.CopyFlatData[float32](res[0])
		if err != nil {
			return nil, err
		}
		out.Pixels = append(out.Pixels, px...)
	}
	return out, nil
}
