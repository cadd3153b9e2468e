package stcnn

import (
	"errors"
	"fmt"
	"math"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
)

// ResNetScope is the store scope of the ResNet denoiser's variables:
// "in" [m*m*C, Width], "block<b>_conv1" and "block<b>_conv2"
// [m*m*Width, Width] for b = 0 ... Blocks-1, and "out" [Width, C].
const ResNetScope = "resnet"

// ResNetConfig holds the hyperparameters of ResNetModel. The paper names
// the comparison network only as "CNN with ReLU and jump connections"
// (Table III) and gives none of its settings; DefaultResNetConfig documents
// the values chosen here.
type ResNetConfig struct {
	// Blocks is the number of residual blocks (>= 0).
	Blocks int `json:"blocks"`
	// Width is the number of hidden channels.
	Width int `json:"width"`
	// M is the (odd) filter size of the m x m convolutions.
	M int `json:"m"`
	// Channels is C, the image channels (input and output).
	Channels int `json:"channels"`
	// Beta weighs the weight penalty beta * sum of squared weights.
	Beta float64 `json:"beta"`
	// DType is "float32" (default) or "float64".
	DType string `json:"dtype"`
}

// DefaultResNetConfig is a small residual denoiser of about the cost of the
// two-layer networks it is compared with: one residual block of 32 channels,
// 3x3 filters, and the weight penalty beta = 1e-5 of DefaultConfig.
func DefaultResNetConfig(channels int) ResNetConfig {
	return ResNetConfig{Blocks: 1, Width: 32, M: 3, Channels: channels, Beta: 1e-5, DType: "float32"}
}

// Validate checks every field and names the first that is wrong.
func (c ResNetConfig) Validate() error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("stcnn: resnet config field %q: %s", field, fmt.Sprintf(format, args...)))
	}
	if c.Blocks < 0 {
		bad("blocks", "must be >= 0, got %d", c.Blocks)
	}
	if c.Width < 1 {
		bad("width", "must be >= 1, got %d", c.Width)
	}
	if c.M < 1 || c.M%2 == 0 {
		bad("m", "filter size must be odd and >= 1, got %d", c.M)
	}
	if c.Channels < 1 {
		bad("channels", "must be >= 1, got %d", c.Channels)
	}
	if !(c.Beta >= 0) || math.IsInf(c.Beta, 0) {
		bad("beta", "must be finite and >= 0, got %v", c.Beta)
	}
	if _, err := (Config{DType: c.DType}).dtype(); err != nil {
		bad("dtype", "%v", err)
	}
	return errors.Join(errs...)
}

// ResNetModel is the residual CNN denoiser the paper compares the dual
// network with in Fig. 19 ("CNN with ReLU and jump connections"). With
// conv_W(Z) = Patches(Z, m) W (eq. 21's patch-matrix form of a "same"
// convolution, no biases, as in the two-layer networks):
//
//	H_0     = ReLU(conv_in(Y))                                  [N, H, W, Width]
//	H_b     = H_{b-1} + conv_{b,2}(ReLU(conv_{b,1}(H_{b-1})))   b = 1 ... Blocks
//	f(Y)    = Y + H_B W_out                                     (1x1 convolution to C channels)
//	R       = beta * (sum of the squared entries of every weight matrix)
//
// The blocks are identity-skip residual blocks without batch normalisation
// (He et al., "Identity mappings in deep residual networks", 2016, without
// the normalisation layers), and the outer skip makes the network predict
// the clean image as the input plus a learned residual (as DnCNN does).
// Its objective is normalised as the two-layer networks' (squared error
// summed over pixels, averaged over images, plus R), so the objective values
// of Fig. 19 are comparable.
type ResNetModel struct{ cfg ResNetConfig }

var _ Network = (*ResNetModel)(nil)

// NewResNet validates cfg and returns the network.
func NewResNet(cfg ResNetConfig) (*ResNetModel, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &ResNetModel{cfg: cfg}, nil
}

// ResNetConfig returns the network's own configuration.
func (r *ResNetModel) ResNetConfig() ResNetConfig { return r.cfg }

// Kind implements Network.
func (r *ResNetModel) Kind() string { return "resnet" }

// Task implements Network: a denoiser regresses the clean images.
func (r *ResNetModel) Task() Task { return Regression }

// Channels implements Network: the same C channels in and out.
func (r *ResNetModel) Channels() (in, out int) { return r.cfg.Channels, r.cfg.Channels }

// DType implements Network.
func (r *ResNetModel) DType() dtypes.DType { return Config{DType: r.cfg.DType}.GoMLXDType() }

// HiddenWidth implements Network: m*m*max(Width, C), the widest per-pixel
// intermediate of the network (a patch matrix of a hidden layer).
func (r *ResNetModel) HiddenWidth() int { return r.cfg.M * r.cfg.M * max(r.cfg.Width, r.cfg.Channels) }

// Penalties implements Network: no constraints.
func (r *ResNetModel) Penalties() Penalties { return Penalties{} }

// Scope implements Network.
func (r *ResNetModel) Scope(store *model.Store) *model.Scope {
	return store.RootScope().At(ResNetScope)
}

// weightSpecs lists the weight matrices in order with their fan-ins.
func (r *ResNetModel) weightSpecs() (specs []varSpec, fanIns []int) {
	c, w, m := r.cfg.Channels, r.cfg.Width, r.cfg.M
	specs = append(specs, varSpec{"in", []int{m * m * c, w}, true})
	fanIns = append(fanIns, m*m*c)
	for b := range r.cfg.Blocks {
		for _, conv := range []string{"conv1", "conv2"} {
			specs = append(specs, varSpec{fmt.Sprintf("block%d_%s", b, conv), []int{m * m * w, w}, true})
			fanIns = append(fanIns, m*m*w)
		}
	}
	specs = append(specs, varSpec{"out", []int{w, c}, true})
	fanIns = append(fanIns, w)
	return specs, fanIns
}

// Init creates every weight matrix with values from init (fan-in: the
// patch length m*m*C_in of its convolution, Width for the 1x1 output layer,
// as PyTorch's conv2d), drawn from seed.
func (r *ResNetModel) Init(store *model.Store, init Initializer, seed uint64) error {
	scope, dt, rng := r.Scope(store), r.DType(), newRNG(seed, 4)
	specs, fanIns := r.weightSpecs()
	for i, s := range specs {
		if err := sampleInto(scope, s.name, init, rng, dt, fanIns[i], s.dims...); err != nil {
			return err
		}
	}
	return nil
}

// Restore implements Network.
func (r *ResNetModel) Restore(store *model.Store) error {
	specs, _ := r.weightSpecs()
	return restoreVariables(r.Scope(store), specs)
}

// weights returns the weight nodes in weightSpecs order.
func (r *ResNetModel) weights(store *model.Store, g *Graph) []*Node {
	scope := r.Scope(store)
	specs, _ := r.weightSpecs()
	out := make([]*Node, len(specs))
	for i, s := range specs {
		out[i] = scope.GetVariable(s.name).NodeValue(g)
	}
	return out
}

// Predict implements Network.
func (r *ResNetModel) Predict(store *model.Store, noisy *Node) *Node {
	return ResNetForward(noisy, r.weights(store, noisy.Graph()), r.cfg.M)
}

// ResNetForward builds f(Y) of ResNetModel for images [N, H, W, C] and the
// weights in the order in, (block_b conv1, conv2) for every block, out.
func ResNetForward(images *Node, weights []*Node, m int) *Node {
	dims := images.Shape().Dimensions
	conv := func(patches, w *Node) *Node {
		out := Dot(patches, w).Product() // [N*H*W, C_out]
		return Reshape(out, dims[0], dims[1], dims[2], w.Shape().Dim(1))
	}
	h := ReLU(conv(Patches(images, m), weights[0]))
	blocks := weights[1 : len(weights)-1]
	for b := 0; b+1 < len(blocks); b += 2 {
		t := ReLU(conv(hiddenPatches(h, m), blocks[b]))
		h = Add(h, conv(hiddenPatches(t, m), blocks[b+1]))
	}
	return Add(images, conv(hiddenPatches(h, 1), weights[len(weights)-1]))
}

// hiddenPatches is Patches (same layout) for a hidden layer, which the
// gradient must flow through: GoMLX v0.28.1 defines no gradient for Pad,
// so the zero border is concatenated instead (Concatenate has one). The
// input images need no gradient and use Patches itself.
func hiddenPatches(x *Node, m int) *Node {
	n, h, w, c := x.Shape().Dim(0), x.Shape().Dim(1), x.Shape().Dim(2), x.Shape().Dim(3)
	if m == 1 {
		return Reshape(x, n*h*w, c)
	}
	r := m / 2
	g, dt := x.Graph(), x.DType()
	rows := Zeros(g, shapes.Make(dt, n, r, w, c))
	padded := Concatenate([]*Node{rows, x, rows}, 1)
	cols := Zeros(g, shapes.Make(dt, n, h+2*r, r, c))
	padded = Concatenate([]*Node{cols, padded, cols}, 2)
	parts := make([]*Node, 0, m*m)
	for dy := 0; dy < m; dy++ {
		for dx := 0; dx < m; dx++ {
			parts = append(parts, Slice(padded, AxisRange(), AxisRange(dy, dy+h), AxisRange(dx, dx+w), AxisRange()))
		}
	}
	return Reshape(Stack(parts, 3), n*h*w, m*m*c)
}

// Terms implements Network: the per-image squared error; the hinge and
// violation terms are zero (there are no constraints).
func (r *ResNetModel) Terms(store *model.Store, noisy, clean *Node, countViolations bool) ImageTerms {
	se := perImageSum(Square(Sub(r.Predict(store, noisy), clean)))
	terms := ImageTerms{Data: se, Hinge: ZerosLike(se)}
	if countViolations {
		terms.Violations = ZerosLike(se)
	}
	return terms
}

// Regularizer implements Network: beta times the sum of the squared
// entries of every weight matrix.
func (r *ResNetModel) Regularizer(store *model.Store, g *Graph) *Node {
	var sum *Node
	for _, w := range r.weights(store, g) {
		sum = addOrSet(sum, ReduceAllSum(Square(w)))
	}
	return MulScalar(sum, r.cfg.Beta)
}
