package certify

import (
	"github.com/convexst/stcnn/stcnn"
	. "github.com/gomlx/gomlx/core/graph"
)

// The graphs below apply the operators of the problem to one chunk of
// images. With y_i the patches (I = n*H*W rows of D values), q_ji and s_ji
// the masks and sign regions of eq. 23 (stcnn.GatePatterns) and weights of
// shape [C*P, D] (row c*P + j holds the filter of gate j, output channel c):
//
//	(M d)_ci   = sum_j q_ji y_i . d_jc      the dual network, d = w' - w (stcnn.DualForward)
//	(M^T v)_jc = sum_i q_ji v_ci y_i        its adjoint
//	t_jci      = s_ji y_i . w_jc            the constrained activations (B w)
//	(B^T m)_jc = sum_i m_jci s_ji y_i       the adjoint of B
//
// Every adjoint is written in closed form (one matrix product of a
// mask-sized operand with the patch matrix), which is cheaper than
// differentiating the forward graph.

// chunkInputs are the per-chunk graph inputs that do not change during a
// solve: the patches' source images and either the gates or the cached
// masks and sign regions.
type maskSource struct {
	cached bool
}

// patterns returns the patches y [I, D] and the masks q and sign regions s
// [P, I], computed from the gates or taken from the inputs (cached), and the
// number of inputs consumed.
func (ms maskSource) patterns(cfg stcnn.Config, in []*Node) (y, q, s *Node, used int) {
	y = stcnn.Patches(in[0], cfg.M)
	if ms.cached {
		return y, in[1], in[2], 3
	}
	q, s = stcnn.GatePatterns(y, in[1], cfg.Lambda)
	return y, q, s, 2
}

// maskGraph computes the masks and sign regions of one chunk (for caching).
// Inputs: noisy [n,H,W,Cin], gates [P, D].
func maskGraph(cfg stcnn.Config) func([]*Node) []*Node {
	return func(in []*Node) []*Node {
		y := stcnn.Patches(in[0], cfg.M)
		q, s := stcnn.GatePatterns(y, in[1], cfg.Lambda)
		return []*Node{q, s}
	}
}

// channelMajor turns images [n, H, W, C] into [C, n*H*W].
func channelMajor(x *Node) *Node {
	c := x.Shape().Dim(3)
	return Transpose(Reshape(x, -1, c), 0, 1)
}

// adjointM is M^T v for v [C, I]: sum_i q_ji v_ci y_i as [C*P, D]. It is
// written q (v (.) y), a product of the masks with an [I, C*D] matrix, so no
// mask-sized elementwise product is formed.
func adjointM(y, q, v *Node) *Node {
	c, p, d := v.Shape().Dim(0), q.Shape().Dim(0), y.Shape().Dim(1)
	vy := Mul(ExpandDims(Transpose(v, 0, 1), 2), ExpandDims(y, 1)) // [I, C, D]
	out := Dot(q, Reshape(vy, -1, c*d)).Product()                  // [P, C*D]
	if c == 1 {
		return out
	}
	return Reshape(TransposeAllAxes(Reshape(out, p, c, d), 1, 0, 2), c*p, d)
}

// activations is t = s_ji y_i . w_jc for w [C*P, D], as [C*P, I].
func activations(y, s, w *Node) *Node {
	p := s.Shape().Dim(0)
	c := w.Shape().Dim(0) / p
	a := Dot(w, y).General([]int{1}, nil, []int{1}, nil) // [C*P, I]
	if c == 1 {
		return Mul(a, s)
	}
	return Reshape(Mul(Reshape(a, c, p, -1), ExpandDims(s, 0)), c*p, -1)
}

// adjointB is B^T m for m [C*P, I]: sum_i m_jci s_ji y_i as [C*P, D].
func adjointB(y, s, m *Node) *Node {
	p := s.Shape().Dim(0)
	c := m.Shape().Dim(0) / p
	var ms *Node
	if c == 1 {
		ms = Mul(m, s)
	} else {
		ms = Reshape(Mul(Reshape(m, c, p, -1), ExpandDims(s, 0)), c*p, -1)
	}
	return Dot(ms, y).Product()
}

// hingeOut are the per-row hinge quantities of one branch, see hingeParts.
type hingeOut struct {
	relu, rm, mm, bt, band *Node
}

// hingeParts computes, for activations t [C*P, I] and the smoothing width
// eps (given as its inverse), with r = relu(-t) and m = min(r/eps, 1):
//
//	relu: sum_i r_i per row              (the exact hinge)
//	rm:   sum_i r_i m_i per row
//	mm:   sum_i m_i^2 per row
//	bt:   B^T m [C*P, D]
//
// From these the host forms the Huber smoothing of the hinge,
// sum_i huber_eps(r_i) = rm - (eps/2) mm, and the gap the multiplier m
// leaves, sum_i (r_i + m_i t_i) = relu - rm (zero outside the band
// -eps < t < 0). m is the multiplier of the smoothed hinge: it lies in
// [0, 1], so (rho/N) m is a feasible multiplier of the exact hinge. Given
// yy (outerPatches) it also returns the band Gram sum_{0 < r_i < eps} y_i y_i^T per
// row, its upper triangle as [C*P, D(D+1)/2] (the Huber Hessian up to the
// factor 1/eps).
func hingeParts(y, s, t, invEps *Node, yy *Node) hingeOut {
	r := MaxScalar(Neg(t), 0)
	m := MinScalar(Mul(r, invEps), 1)
	o := hingeOut{
		relu: ReduceSum(r, 1),
		rm:   ReduceSum(Mul(r, m), 1),
		mm:   ReduceSum(Square(m), 1),
		bt:   adjointB(y, s, m),
	}
	if yy != nil {
		dt := t.DType()
		in := And(GreaterThan(m, ScalarZero(t.Graph(), dt)), LessThan(m, ScalarOne(t.Graph(), dt)))
		o.band = Dot(ConvertDType(in, dt), yy).Product()
	}
	return o
}

func (o hingeOut) nodes() []*Node {
	out := []*Node{o.relu, o.rm, o.mm, o.bt}
	if o.band != nil {
		out = append(out, o.band)
	}
	return out
}

// outerPatches is the upper triangle (a <= b, row by row) of y_i y_i^T:
// [I, D(D+1)/2].
func outerPatches(y *Node) *Node {
	d := y.Shape().Dim(1)
	var cols []*Node
	for a := 0; a < d; a++ {
		ya := Slice(y, AxisRange(), AxisRange(a, a+1))
		cols = append(cols, Mul(ya, Slice(y, AxisRange(), AxisRange(a, d))))
	}
	return Concatenate(cols, 1)
}

// fullGraph evaluates, at weights (w, w'), everything a certificate needs
// on one chunk. Inputs: noisy [n,H,W,Cin], (gates [P, D] | q, s [P, I]),
// clean [n,H,W,C], w, w' [C*P, D], 1/eps (scalar). Outputs:
//
//	0 sum of r^2, with r = M(w' - w) - x channel-major
//	1 sum of r . x
//	2 M^T r [C*P, D]
//	3-6 hingeParts of w (relu, rm, mm rows [C*P]; B^T m [C*P, D])
//	7-10 the same for w'
//	11 r [C, I]
func fullGraph(cfg stcnn.Config, ms maskSource) func([]*Node) []*Node {
	return func(in []*Node) []*Node {
		y, q, s, k := ms.patterns(cfg, in)
		clean, w, wp, invEps := in[k], in[k+1], in[k+2], in[k+3]
		x := channelMajor(clean)
		r := Sub(stcnn.DualForward(y, q, w, wp), x)
		out := []*Node{ReduceAllSum(Square(r)), ReduceAllSum(Mul(r, x)), adjointM(y, q, r)}
		for _, branch := range []*Node{w, wp} {
			out = append(out, hingeParts(y, s, activations(y, s, branch), invEps, nil).nodes()...)
		}
		return append(out, r)
	}
}

// residualGraph is the data half of fullGraph at d = w' - w. Inputs:
// noisy, (gates | q, s), clean, d [C*P, D]. Outputs: sum r^2, sum r.x,
// M^T r [C*P, D] and r [C, I], with r = M d - x channel-major.
func residualGraph(cfg stcnn.Config, ms maskSource) func([]*Node) []*Node {
	return func(in []*Node) []*Node {
		y, q, _, k := ms.patterns(cfg, in)
		clean, d := in[k], in[k+1]
		x := channelMajor(clean)
		r := Sub(stcnn.DualForward(y, q, ZerosLike(d), d), x)
		return []*Node{ReduceAllSum(Square(r)), ReduceAllSum(Mul(r, x)), adjointM(y, q, r), r}
	}
}

// hingeGraph is the hinge half of fullGraph (no data term), for the gate
// subproblems. Inputs: noisy, (gates | q, s), w, w', 1/eps. Outputs:
// hingeParts of w then of w', each with its band Gram.
func hingeGraph(cfg stcnn.Config, ms maskSource) func([]*Node) []*Node {
	return func(in []*Node) []*Node {
		y, _, s, k := ms.patterns(cfg, in)
		return bothHinges(y, s, in[k], in[k+1], in[k+2])
	}
}

// bothHinges is hingeParts of w then of w' (each with its band Gram), as
// graph outputs.
func bothHinges(y, s, w, wp, invEps *Node) []*Node {
	yy := outerPatches(y)
	var out []*Node
	for _, branch := range []*Node{w, wp} {
		out = append(out, hingeParts(y, s, activations(y, s, branch), invEps, yy).nodes()...)
	}
	return out
}

// gramGraph applies M^T M to k directions at once, d [k, C*P, D] (the
// Hessian of the squared error up to the factor 2/N); the masks are read
// once for all k. Inputs: noisy, (gates | q, s), d. Output: [k, C*P, D].
func gramGraph(cfg stcnn.Config, ms maskSource) func([]*Node) []*Node {
	return func(in []*Node) []*Node {
		y, q, _, k := ms.patterns(cfg, in)
		d := in[k]
		nk, cp, dd := d.Shape().Dim(0), d.Shape().Dim(1), d.Shape().Dim(2)
		// The k directions act as k*C output channels: [k*C, I].
		flat := Reshape(d, nk*cp, dd)
		md := stcnn.DualForward(y, q, ZerosLike(flat), flat)
		return []*Node{Reshape(adjointM(y, q, md), nk, cp, dd)}
	}
}

// kfacGraph accumulates the Kronecker factors of the preconditioner (see
// kfac.go): sum_i |y_i|^2 q_i q_i^T [P, P], sum_i y_i y_i^T / |y_i|^2
// [D, D] (over y_i != 0) and the number of patches y_i != 0. Inputs: noisy,
// gates (a sample of images; see engine.samplePass).
func kfacGraph(cfg stcnn.Config) func([]*Node) []*Node {
	return func(in []*Node) []*Node {
		y, q, _, _ := maskSource{}.patterns(cfg, in)
		dt := y.DType()
		g := y.Graph()
		n2 := ReduceSum(Square(y), 1) // [I]
		pos := GreaterThan(n2, ScalarZero(g, dt))
		safe := Where(pos, n2, OnesLike(n2))
		qw := Mul(q, ExpandDims(Sqrt(n2), 0))
		gq := Dot(qw, qw).General([]int{1}, nil, []int{1}, nil)
		yn := Div(y, ExpandDims(Sqrt(safe), 1))
		gy := Dot(yn, yn).General([]int{0}, nil, []int{0}, nil)
		count := ReduceAllSum(ConvertDType(pos, dt))
		return []*Node{gq, gy, count}
	}
}

// sampledGramGraph accumulates the exact Gram matrix of the rows of M for
// one output channel over a chunk, sum_i (q_i (x) y_i)(q_i (x) y_i)^T as
// [P*D, P*D] (index j*D + a), for the sampled-Gram preconditioner
// (precondition.go). Inputs: noisy, gates (a sample of images; see
// engine.samplePass).
func sampledGramGraph(cfg stcnn.Config) func([]*Node) []*Node {
	return func(in []*Node) []*Node {
		y, q, _, _ := maskSource{}.patterns(cfg, in)
		p, d := q.Shape().Dim(0), y.Shape().Dim(1)
		rows := Reshape(Mul(ExpandDims(Transpose(q, 0, 1), 2), ExpandDims(y, 1)), -1, p*d) // [I, P*D]
		return []*Node{Dot(rows, rows).General([]int{0}, nil, []int{0}, nil)}
	}
}

// hingeRowsGraph is hingeGraph on k of the C*P rows only, for the late
// passes of the gate subproblems in which most rows have converged.
// Inputs: noisy, (gates | q, s), the gate j of each row c*P + j as [k, 1]
// int32, w, w' [k, D], 1/eps. Outputs: hingeParts of the k rows of w then
// of w', each with its band Gram.
func hingeRowsGraph(cfg stcnn.Config, ms maskSource) func([]*Node) []*Node {
	return func(in []*Node) []*Node {
		y := stcnn.Patches(in[0], cfg.M)
		var s *Node
		k := 3
		if ms.cached {
			s, k = Gather(in[2], in[3]), 4
		} else {
			_, s = stcnn.GatePatterns(y, Gather(in[1], in[2]), cfg.Lambda)
		}
		return bothHinges(y, s, in[k], in[k+1], in[k+2])
	}
}
