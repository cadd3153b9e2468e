package stcnn

import (
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// DualScope is the store scope of the dual network's variables: "gates"
// [P, D] (row j is the fixed gate ubar_j, not trainable), "w" and "w_prime"
// [C*P, D] (row c*P + j holds w_jc).
const DualScope = "dual"

// DualModel is the convex dual ST-CNN of eq. 22 with the sign constraints of
// eq. 24 enforced by a hinge penalty (see the package documentation).
type DualModel struct{ twoLayer }

// NewDual returns a dual network; cfg.Model must be Dual.
func NewDual(cfg Config) (*DualModel, error) {
	n, err := newTwoLayer(cfg, Dual, "NewDual")
	if err != nil {
		return nil, err
	}
	return &DualModel{n}, nil
}

// HiddenWidth implements Network: P gates for each of the C output channels.
func (d *DualModel) HiddenWidth() int { return d.cfg.P * d.cfg.Outputs() }

// Penalties implements Network: rho and the 2 P C sign constraints per
// pixel of eq. 24 (one per gate, output channel and branch w, w').
func (d *DualModel) Penalties() Penalties {
	return Penalties{Rho: d.cfg.Rho, Constraints: 2 * d.cfg.P * d.cfg.Outputs()}
}

// Scope implements Network.
func (d *DualModel) Scope(store *model.Store) *model.Scope {
	return store.RootScope().At(DualScope)
}

// SampleGates draws the P gate filters ubar_j ~ N(0, GateStd^2 I_D) from
// seed, as the rows of a [P, D] tensor. The same seed gives the same
// gates on every backend (they are drawn on the host).
func SampleGates(cfg Config, seed uint64) *tensors.Tensor {
	rng := newRNG(seed, 2)
	d, p := cfg.PatchSize(), cfg.P
	vals := make([]float64, d*p)
	for i := range vals {
		vals[i] = cfg.GateStd * rng.NormFloat64()
	}
	return TensorFromFloat64s(vals, cfg.GoMLXDType(), p, d)
}

// Init samples the gates from seed and creates w and w' with values from
// init (zeros in the PyTorch reference). The fan-in of w_jc is D.
func (d *DualModel) Init(store *model.Store, init Initializer, seed uint64) error {
	scope, dt := d.Scope(store), d.cfg.GoMLXDType()
	gates := SampleGates(d.cfg, seed)
	if v := scope.GetVariable("gates"); v != nil {
		if err := v.SetValue(gates); err != nil {
			return err
		}
	} else {
		scope.VariableWithValue("gates", gates).SetTrainable(false)
	}
	rng := newRNG(seed, 3)
	rows := d.cfg.P * d.cfg.Outputs()
	if err := sampleInto(scope, "w", init, rng, dt, d.cfg.PatchSize(), rows, d.cfg.PatchSize()); err != nil {
		return err
	}
	return sampleInto(scope, "w_prime", init, rng, dt, d.cfg.PatchSize(), rows, d.cfg.PatchSize())
}

// GatePatterns builds, for patches y [I, D] and gates [P, D], the masks and
// sign regions of eq. 23 in gate-major layout [P, I]: with g_ji = ubar_j . y_i,
//
//	Q_ji = ST_l(g_ji)/g_ji = max(0, 1 - l/|g_ji|)   (0 where |g_ji| < l),
//	s_ji = sign(g_ji) where |g_ji| >= l, else 0.
//
// For l = 0 ST is the identity and Q = 1 everywhere.
func GatePatterns(y, gates *Node, lambda float64) (q, s *Node) {
	g := gateActivations(y, gates)
	return gateMasks(g, lambda), signRegions(g, lambda, 1)
}

// gateActivations is g = gates y^T [P, I], outside the gradient (the gates
// are fixed).
func gateActivations(y, gates *Node) *Node {
	return StopGradient(dotRowsT(gates, y))
}

// gateMasks is Q of GatePatterns for gate activations g (any layout).
func gateMasks(g *Node, lambda float64) *Node {
	if lambda == 0 {
		return OnesLike(g)
	}
	// 1 - l/|g| is negative exactly where |g| < l, and -Inf at g = 0.
	return MaxScalar(OneMinus(Div(Scalar(g.Graph(), g.DType(), lambda), Abs(g))), 0)
}

// signRegions is sign * s of GatePatterns for gate activations g (any
// layout; sign = -1 gives -s, the form the hinge uses).
func signRegions(g *Node, lambda, sign float64) *Node {
	// Comparisons and selects of scalars instead of Sign or bool-to-float
	// conversions, the two slowest elementwise ops of the Go backend (the
	// selects run vectorised).
	gr, dt := g.Graph(), g.DType()
	negative := LessOrEqual(g, Scalar(gr, dt, -lambda))
	if lambda == 0 {
		negative = LessThan(g, ScalarZero(gr, dt))
	}
	return Where(GreaterOrEqual(g, Scalar(gr, dt, lambda)), Scalar(gr, dt, sign),
		Where(negative, Scalar(gr, dt, -sign), ScalarZero(gr, dt)))
}

// DualForward builds sum_j Q_j (.) (y (w'_j - w_j)) for patches y [I, D],
// masks q [P, I] and w, w' [C*P, D]; the result is channel-major [C, I]. It
// contracts the masks with the weights first ((w' - w)^T q is [D*C, I]), so
// no [P, I] product of data and weights is formed, and every product keeps
// its large operand in a layout the Go backend multiplies without transposing.
func DualForward(y, q, w, wPrime *Node) *Node {
	i, d := y.Shape().Dim(0), y.Shape().Dim(1)
	p := q.Shape().Dim(0)
	c := w.Shape().Dim(0) / p
	delta := Reshape(Sub(wPrime, w), c, p, d)                   // [C, P, D]
	deltaT := Reshape(TransposeAllAxes(delta, 2, 0, 1), d*c, p) // [D*C, P], row d*C + c
	z := Reshape(Dot(deltaT, q).Product(), d, c, i)             // [D, C, I]
	yt := Reshape(Transpose(y, 0, 1), d, 1, i)                  // [D, 1, I]
	return ReduceSum(Mul(yt, z), 0)                             // [C, I]
}

// hingeBranch returns, for one branch w [C*P, D] and the negated sign
// regions negS = -s [P, I], the hinge penalty per pixel,
//
//	h_i = sum_jc relu(-s_ji y_i.w_jc) = sum_jc m_jci y_i.w_jc,   m_jci = -s_ji [s_ji y_i.w_jc < 0],
//
// [I], and when countViolations is set the number of violated constraints
// per pixel [I] (else nil). With the violation pattern m held fixed (the
// hinge is linear in w on each region, and the pattern is the subgradient
// relu'(0) = 0 of the elementwise form) the sum over gates is the product
// (w^T m) [D, I]: the hinge and its gradient each read the [C*P, I]
// pattern once, as products, with no elementwise pass or reduction over
// [C*P, I] in the backward pass. For C > 1 the signs are repeated per
// channel (rows c*P + j).
func hingeBranch(y, negS, w *Node, countViolations bool) (hinge, violations *Node) {
	p := negS.Shape().Dim(0)
	if c := w.Shape().Dim(0) / p; c > 1 {
		parts := make([]*Node, c)
		for k := range parts {
			parts[k] = negS
		}
		negS = Concatenate(parts, 0)
	}
	g, dt := negS.Graph(), negS.DType()
	a := StopGradient(dotRowsT(w, y)) // [C*P, I]; only its signs are used
	violated := GreaterThan(Mul(a, negS), ScalarZero(g, dt))
	m := Where(violated, negS, ScalarZero(g, dt))
	z := Dot(Transpose(w, 0, 1), m).Product()        // [D, I]
	hinge = ReduceSum(Mul(Transpose(y, 0, 1), z), 0) // [I]
	if countViolations {
		violations = sumRows(Where(violated, ScalarOne(g, dt), ScalarZero(g, dt)))
	}
	return hinge, violations
}

// sumRows is the sum of the rows of x [R, I], [I], as a product with a row
// of ones (faster than a reduction over the leading axis in the Go backend).
func sumRows(x *Node) *Node {
	ones := Ones(x.Graph(), shapes.Make(x.DType(), 1, x.Shape().Dim(0)))
	return Reshape(Dot(ones, x).Product(), x.Shape().Dim(1))
}

func (d *DualModel) vars(store *model.Store, g *Graph) (gates, w, wPrime *Node) {
	scope := d.Scope(store)
	return scope.GetVariable("gates").NodeValue(g), scope.GetVariable("w").NodeValue(g), scope.GetVariable("w_prime").NodeValue(g)
}

// Restore implements Network.
func (d *DualModel) Restore(store *model.Store) error {
	pd, p, rows := d.cfg.PatchSize(), d.cfg.P, d.cfg.P*d.cfg.Outputs()
	return restoreVariables(d.Scope(store), []varSpec{{"gates", []int{p, pd}, false},
		{"w", []int{rows, pd}, true}, {"w_prime", []int{rows, pd}, true}})
}

// Predict implements Network.
func (d *DualModel) Predict(store *model.Store, noisy *Node) *Node {
	gates, w, wPrime := d.vars(store, noisy.Graph())
	y := Patches(noisy, d.cfg.M)
	q := gateMasks(gateActivations(y, gates), d.cfg.Lambda)
	return pixelsToImages(DualForward(y, q, w, wPrime), noisy.Shape().Dimensions)
}

// Terms implements Network. Violations counts, per image, the sign
// constraints s_ji y_i.w_jc >= 0 (and the same for w') that are violated.
func (d *DualModel) Terms(store *model.Store, noisy, clean *Node, countViolations bool) ImageTerms {
	gates, w, wPrime := d.vars(store, noisy.Graph())
	n := noisy.Shape().Dim(0)
	y := Patches(noisy, d.cfg.M)
	g := gateActivations(y, gates)
	se := channelMajorSquaredError(DualForward(y, gateMasks(g, d.cfg.Lambda), w, wPrime), clean)
	terms := ImageTerms{Data: se}
	perImage := func(x *Node) *Node { return ReduceSum(Reshape(x, n, -1), 1) }
	negS := signRegions(g, d.cfg.Lambda, -1)
	for _, branch := range []*Node{w, wPrime} {
		hinge, violations := hingeBranch(y, negS, branch, countViolations)
		terms.Hinge = addOrSet(terms.Hinge, perImage(hinge))
		if countViolations {
			terms.Violations = addOrSet(terms.Violations, perImage(violations))
		}
	}
	return terms
}

// Regularizer implements Network: 2 beta sum_jc (||w_jc|| + ||w'_jc||).
func (d *DualModel) Regularizer(store *model.Store, g *Graph) *Node {
	_, w, wPrime := d.vars(store, g)
	return MulScalar(Add(ReduceAllSum(RowNorms(w)), ReduceAllSum(RowNorms(wPrime))), 2*d.cfg.Beta)
}

// RowNorms returns the Euclidean norm of every row of w [J, D]: [J].
// Its gradient at a zero row is taken as 0 (a subgradient), as PyTorch's
// norm does, instead of the 0/0 of the plain formula.
func RowNorms(w *Node) *Node {
	sq := ReduceSum(Square(w), 1)
	pos := GreaterThan(sq, ZerosLike(sq))
	return Where(pos, Sqrt(Where(pos, sq, OnesLike(sq))), ZerosLike(sq))
}

func addOrSet(sum, x *Node) *Node {
	if sum == nil {
		return x
	}
	return Add(sum, x)
}
