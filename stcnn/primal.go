package stcnn

import (
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
)

// PrimalScope is the store scope of the primal network's variables:
// "u" [K, D] (row k is the filter u_k, PyTorch's conv weight layout) and
// "v" [C, K] (column k is v_k).
const PrimalScope = "primal"

// PrimalModel is the two-layer ST-CNN of eq. 21:
//
//	f(Y) = ST_l(Patches(Y) U^T) V^T,   R = beta (||U||_F^2 + ||V||_F^2)
//
// with U = [u_1 ... u_K]^T in R^{K x D} and V = [v_1 ... v_K] in R^{C x K}.
type PrimalModel struct{ twoLayer }

// NewPrimal returns a primal network; cfg.Model must be Primal.
func NewPrimal(cfg Config) (*PrimalModel, error) {
	n, err := newTwoLayer(cfg, Primal, "NewPrimal")
	if err != nil {
		return nil, err
	}
	return &PrimalModel{n}, nil
}

// HiddenWidth implements Network: the K hidden channels.
func (p *PrimalModel) HiddenWidth() int { return p.cfg.K }

// Penalties implements Network: the primal has no constraints.
func (p *PrimalModel) Penalties() Penalties { return Penalties{} }

// Scope implements Network.
func (p *PrimalModel) Scope(store *model.Store) *model.Scope {
	return store.RootScope().At(PrimalScope)
}

// Init creates u and v with values from init, as PyTorch initialises the
// two convolutions (fan-in D for u, K for v).
func (p *PrimalModel) Init(store *model.Store, init Initializer, seed uint64) error {
	scope, dt, rng := p.Scope(store), p.cfg.GoMLXDType(), newRNG(seed, 1)
	if err := sampleInto(scope, "u", init, rng, dt, p.cfg.PatchSize(), p.cfg.K, p.cfg.PatchSize()); err != nil {
		return err
	}
	return sampleInto(scope, "v", init, rng, dt, p.cfg.K, p.cfg.Outputs(), p.cfg.K)
}

// Restore implements Network.
func (p *PrimalModel) Restore(store *model.Store) error {
	d, k, c := p.cfg.PatchSize(), p.cfg.K, p.cfg.Outputs()
	return restoreVariables(p.Scope(store), []varSpec{{"u", []int{k, d}, true}, {"v", []int{c, k}, true}})
}

// Predict implements Network.
func (p *PrimalModel) Predict(store *model.Store, noisy *Node) *Node {
	scope := p.Scope(store)
	u := scope.GetVariable("u").NodeValue(noisy.Graph())
	v := scope.GetVariable("v").NodeValue(noisy.Graph())
	return PrimalForward(noisy, u, v, p.cfg.M, p.cfg.Lambda, p.cfg.activation())
}

// PrimalForward builds act(Patches(Y) U^T) V^T for images [N, H, W, C],
// U [K, D] and V [C_out, K], returning [N, H, W, C_out].
func PrimalForward(images, u, v *Node, m int, lambda float64, act Activation) *Node {
	return pixelsToImages(primalOutput(Patches(images, m), u, v, lambda, act), images.Shape().Dimensions)
}

// primalOutput is the network output in channel-major layout [C, I]. The
// hidden layer is kept as [K, I] so that the first layer's weight gradient
// contracts over I with the large operand in the layout the Go backend
// multiplies without transposing it (measured faster than [I, K], whose
// weight gradient needs a transpose of the hidden layer).
func primalOutput(y, u, v *Node, lambda float64, act Activation) *Node {
	hidden := act.Apply(dotRowsT(u, y), lambda) // [K, I]
	return Dot(v, hidden).Product()             // [C, I]
}

// Terms implements Network.
func (p *PrimalModel) Terms(store *model.Store, noisy, clean *Node, countViolations bool) ImageTerms {
	scope := p.Scope(store)
	u := scope.GetVariable("u").NodeValue(noisy.Graph())
	v := scope.GetVariable("v").NodeValue(noisy.Graph())
	out := primalOutput(Patches(noisy, p.cfg.M), u, v, p.cfg.Lambda, p.cfg.activation())
	se := channelMajorSquaredError(out, clean)
	terms := ImageTerms{Data: se, Hinge: ZerosLike(se)}
	if countViolations {
		terms.Violations = ZerosLike(se)
	}
	return terms
}

// Regularizer implements Network: beta sum_k (||u_k||^2 + ||v_k||^2).
func (p *PrimalModel) Regularizer(store *model.Store, g *Graph) *Node {
	scope := p.Scope(store)
	u := scope.GetVariable("u").NodeValue(g)
	v := scope.GetVariable("v").NodeValue(g)
	return MulScalar(Add(ReduceAllSum(Square(u)), ReduceAllSum(Square(v))), p.cfg.Beta)
}
