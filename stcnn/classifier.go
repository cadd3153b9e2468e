package stcnn

import (
	"errors"
	"fmt"
	"math"

	"github.com/convexst/stcnn/datasets"
	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
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
// The head is a Network of Task Classification: its targets are the labels
// as one-hot vectors (OneHotTargets), its data term the cross-entropy, its
// metric the accuracy; Trainer and training.Run train and evaluate it as
// any other network. It is trained on a frozen denoiser, not jointly with
// it, so the denoiser's objective (eq. 21 or 22) stays the paper's: Fig. 18
// trains the denoiser with training.Run and after every epoch (a hook of
// that run) computes its outputs with a Denoiser and trains the head on
// them with a run of its own, warm-started from the previous epoch (the
// head's weights and optimiser state stay in one store), then reads the
// head's test accuracy from that run's last evaluation.
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

// ClassifierSpec is everything NewClassifierHead needs: the head's
// configuration and the size of the images it classifies, which fixes its
// number of features. A run configuration (training.Config) records it.
type ClassifierSpec struct {
	Head ClassifierConfig `json:"head"`
	// Height, Width and Channels are the size of the input images.
	Height   int `json:"height"`
	Width    int `json:"width"`
	Channels int `json:"channels"`
}

// New returns the head the spec describes.
func (s ClassifierSpec) New() (*ClassifierHead, error) {
	return NewClassifierHead(s.Head, s.Height, s.Width, s.Channels)
}

// Spec returns the head's configuration with its image size.
func (c *ClassifierHead) Spec() ClassifierSpec {
	return ClassifierSpec{Head: c.cfg, Height: c.h, Width: c.w, Channels: c.c}
}

// Config returns the head's configuration.
func (c *ClassifierHead) Config() ClassifierConfig { return c.cfg }

// Features is F, the length of phi(X).
func (c *ClassifierHead) Features() int { return (c.h / c.cfg.Pool) * (c.w / c.cfg.Pool) * c.c }

// Kind implements Network.
func (c *ClassifierHead) Kind() string { return "classifier" }

// Task implements Network: the head classifies.
func (c *ClassifierHead) Task() Task { return Classification }

// Channels implements Network: the image channels in, one logit per class out.
func (c *ClassifierHead) Channels() (in, out int) { return c.c, c.cfg.Classes }

// DType implements Network.
func (c *ClassifierHead) DType() dtypes.DType { return Config{DType: c.cfg.DType}.GoMLXDType() }

// HiddenWidth implements Network: the C channels of a pixel are the widest
// per-pixel values the head holds (its pooled features are fewer).
func (c *ClassifierHead) HiddenWidth() int { return c.c }

// Penalties implements Network: no constraints.
func (c *ClassifierHead) Penalties() Penalties { return Penalties{} }

// Scope implements Network.
func (c *ClassifierHead) Scope(store *model.Store) *model.Scope {
	return store.RootScope().At(ClassifierScope)
}

// varSpecs are W [F, Classes] and b [Classes], both trainable.
func (c *ClassifierHead) varSpecs() []varSpec {
	return []varSpec{{"w", []int{c.Features(), c.cfg.Classes}, true}, {"b", []int{c.cfg.Classes}, true}}
}

// Init implements Network: W and b drawn from init (fan-in F, as PyTorch's
// Linear). The head's problem is convex, so its starting point does not
// change the optimum; Fig. 18 starts from zeros (initializers.Zeros).
func (c *ClassifierHead) Init(store *model.Store, init Initializer, seed uint64) error {
	scope, dt, rng := c.Scope(store), c.DType(), newRNG(seed, 5)
	for _, v := range c.varSpecs() {
		if err := sampleInto(scope, v.name, init, rng, dt, c.Features(), v.dims...); err != nil {
			return err
		}
	}
	return nil
}

// Restore implements Network.
func (c *ClassifierHead) Restore(store *model.Store) error {
	return restoreVariables(c.Scope(store), c.varSpecs())
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

// Predict implements Network: the logits as [N, 1, 1, Classes].
func (c *ClassifierHead) Predict(store *model.Store, images *Node) *Node {
	return Reshape(c.Logits(store, images), images.Shape().Dim(0), 1, 1, c.cfg.Classes)
}

// Terms implements Network: the per-image cross-entropy
// -sum_k t_nk log softmax(z_n)_k against one-hot targets [N, 1, 1, Classes]
// (OneHotTargets), and when measure is set the correct predictions
// (argmax_k z_nk = argmax_k t_nk).
func (c *ClassifierHead) Terms(store *model.Store, images, targets *Node, measure bool) ImageTerms {
	logits := c.Logits(store, images)
	t := Reshape(ConvertDType(targets, logits.DType()), images.Shape().Dim(0), c.cfg.Classes)
	ce := ReduceSum(Neg(Mul(t, LogSoftmax(logits))), -1)
	terms := ImageTerms{Data: ce, Hinge: ZerosLike(ce)}
	if measure {
		terms.Violations = ZerosLike(ce)
		terms.Correct = ConvertDType(Equal(ArgMax(logits, 1, dtypes.Int32), ArgMax(t, 1, dtypes.Int32)), logits.DType())
	}
	return terms
}

// Regularizer implements Network: beta ||W||_F^2 (the bias is not penalised).
func (c *ClassifierHead) Regularizer(store *model.Store, g *Graph) *Node {
	w := c.Scope(store).GetVariable("w").NodeValue(g)
	return MulScalar(ReduceAllSum(Square(w)), c.cfg.Beta)
}

// OneHotTargets returns the labels of im as a classifier's targets: N images
// of 1 x 1 with one channel per class, 1 at the label and 0 elsewhere (and
// im's labels). Every image must have a label below classes.
func OneHotTargets(im *datasets.Images, classes int) (*datasets.Images, error) {
	if im == nil {
		return nil, errors.New("stcnn: OneHotTargets: nil images")
	}
	if len(im.Labels) != im.N {
		return nil, fmt.Errorf("stcnn: OneHotTargets: %d labels for %d images", len(im.Labels), im.N)
	}
	out := &datasets.Images{N: im.N, H: 1, W: 1, C: classes, Pixels: make([]float32, im.N*classes),
		Labels: append([]uint8(nil), im.Labels...)}
	for i, l := range im.Labels {
		if int(l) >= classes {
			return nil, fmt.Errorf("stcnn: OneHotTargets: label %d of image %d is not below the %d classes", l, i, classes)
		}
		out.Pixels[i*classes+int(l)] = 1
	}
	return out, nil
}
