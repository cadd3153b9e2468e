package certify

import (
	"math"
)

// dualPoint is a candidate dual variable z = (2/N) r, given by a residual r
// of the network at some difference d (r = M d - x), with the quantities
// the dual objective and constraints need.
type dualPoint struct {
	r      []float64 // residual, in the engine's chunk order
	rx, rr float64   // r . x and |r|^2
	v      []float64 // M^T z = (2/N) M^T r, [C*P*D]
	// bw, bp are images (rho/N) B^T m of hinge multipliers meant for this
	// point (from the gate subproblems that produced it; nil: none).
	bw, bp []float64
}

func newDualPoint(ev *evaluation, n int) *dualPoint {
	v := make([]float64, len(ev.mtr))
	for i, x := range ev.mtr {
		v[i] = 2 / float64(n) * x
	}
	return &dualPoint{r: ev.r, rx: ev.rx, rr: ev.se, v: v}
}

// combine returns (1-g) a + g b; residuals, products and M^T z are affine
// in d, so this is the dual point at (1-g) d_a + g d_b.
func combine(a, b *dualPoint, g float64) *dualPoint {
	out := &dualPoint{r: make([]float64, len(a.r)), v: make([]float64, len(a.v))}
	for i := range a.r {
		out.r[i] = (1-g)*a.r[i] + g*b.r[i]
	}
	for i := range a.v {
		out.v[i] = (1-g)*a.v[i] + g*b.v[i]
	}
	out.rx = (1-g)*a.rx + g*b.rx
	out.rr = dot(out.r, out.r)
	return out
}

// mix returns (1-g) a + g b for optional vectors (nil is zero).
func mix(a, b []float64, g float64) []float64 {
	if a == nil && b == nil {
		return nil
	}
	n := max(len(a), len(b))
	out := make([]float64, n)
	for i := range out {
		if a != nil {
			out[i] += (1 - g) * a[i]
		}
		if b != nil {
			out[i] += g * b[i]
		}
	}
	return out
}

// bank keeps the latest images b = (rho/N) B^T m of hinge multipliers m in
// [0, 1] seen in the passes. Any element, and any convex combination of
// elements and 0, is the image of a feasible multiplier 0 <= mu <= rho/N,
// and the multipliers of the two branches and of different rows are
// independent dual variables, so each row of each branch picks its own
// combination (see certificate).
type bank struct {
	size   int
	bw, bp [][]float64
}

func (b *bank) add(btw, btp []float64, c float64) {
	scaled := func(v []float64) []float64 {
		out := make([]float64, len(v))
		for i, x := range v {
			out[i] = c * x
		}
		return out
	}
	b.bw = append(b.bw, scaled(btw))
	b.bp = append(b.bp, scaled(btp))
	if len(b.bw) > b.size {
		b.bw = b.bw[1:]
		b.bp = b.bp[1:]
	}
}

// bound is a certified lower bound and how it was obtained.
type bound struct {
	value float64
	// lambda weighs the candidate against the anchor, theta scales the
	// combination into the feasible set.
	lambda, theta float64
}

// certificate returns the best lower bound on the optimal value over dual
// points theta ((lambda) cand + (1 - lambda) anchor), with lambda on a grid
// refined around its best value, theta in [0, 1], and hinge multipliers
// chosen per row from the bank.
//
// For z with M^T z = v and multiplier images b, b' (rows j), the dual
// constraints are |v_j + b_j| <= 2 beta and |v_j - b'_j| <= 2 beta. With
// e_j the smallest of these left-hand sides over convex combinations of
// the bank, (theta z, theta mu) is feasible for theta <= 2 beta / max_j e_j,
// and the dual objective along theta is the concave quadratic
// theta a - theta^2 b, a = -z.x, b = (N/4)|z|^2, maximised in closed form.
// cand may be nil.
func (s *solver) certificate(cand, anchor *dualPoint) bound {
	eval := func(l float64) bound {
		var p *dualPoint
		switch {
		case cand == nil || l == 0:
			p = anchor
		case l == 1:
			p = cand
		default:
			p = &dualPoint{v: make([]float64, len(cand.v))}
			for i := range p.v {
				p.v[i] = l*cand.v[i] + (1-l)*anchor.v[i]
			}
			p.rx = l*cand.rx + (1-l)*anchor.rx
			p.rr = l*l*cand.rr + 2*l*(1-l)*s.cross(cand, anchor) + (1-l)*(1-l)*anchor.rr
			p.bw, p.bp = mix(anchor.bw, cand.bw, l), mix(anchor.bp, cand.bp, l)
		}
		return s.pointBound(p, l)
	}
	best := eval(0)
	if cand == nil {
		return best
	}
	const grid = 10
	for k := 1; k <= grid; k++ {
		if b := eval(float64(k) / grid); b.value > best.value {
			best = b
		}
	}
	// Golden-section refinement around the best grid point (the bound is
	// not concave in lambda in general, so this only polishes).
	lo, hi := math.Max(0, best.lambda-1.0/grid), math.Min(1, best.lambda+1.0/grid)
	const phi = 0.6180339887498949
	for it := 0; it < 12; it++ {
		a := hi - phi*(hi-lo)
		b := lo + phi*(hi-lo)
		ba, bb := eval(a), eval(b)
		if ba.value > best.value {
			best = ba
		}
		if bb.value > best.value {
			best = bb
		}
		if ba.value >= bb.value {
			hi = b
		} else {
			lo = a
		}
	}
	return best
}

// cross is cand.r . anchor.r, cached for the pair.
func (s *solver) cross(a, b *dualPoint) float64 {
	if s.crossA != a || s.crossB != b {
		s.crossA, s.crossB, s.crossV = a, b, dot(a.r, b.r)
	}
	return s.crossV
}

// pointBound is the bound at one dual point (given by v, rx, rr).
func (s *solver) pointBound(p *dualPoint, lambda float64) bound {
	e := s.eng
	worst := 0.0
	dd := e.d
	bw, bp := s.bank.bw, s.bank.bp
	if p.bw != nil {
		bw = append(append([][]float64(nil), bw...), p.bw)
		bp = append(append([][]float64(nil), bp...), p.bp)
	}
	for j := 0; j < e.rows; j++ {
		v := p.v[j*dd : (j+1)*dd]
		worst = math.Max(worst, minCombination(v, bw, j*dd, 1))
		worst = math.Max(worst, minCombination(v, bp, j*dd, -1))
	}
	theta := 1.0
	if worst > e.beta2 {
		theta = e.beta2 / worst
	}
	n := float64(e.n)
	a := -2 / n * p.rx
	b := p.rr / n
	t := theta
	if b > 0 {
		t = math.Min(theta, math.Max(0, a/(2*b)))
	}
	return bound{value: t*a - t*t*b, lambda: lambda, theta: t}
}

// minCombination returns min |v + sign sum_k l_k b_k[off:off+D]| over
// l >= 0, sum l <= 1 (accelerated projected gradient; the set of
// combinations includes 0, so the result is at most |v|).
func minCombination(v []float64, bs [][]float64, off int, sign float64) float64 {
	k, dd := len(bs), len(v)
	best := norm(v)
	if k == 0 {
		return best
	}
	// G = B^T B (k x k) and h = sign B^T v.
	g := make([]float64, k*k)
	h := make([]float64, k)
	lip := 0.0
	for a := 0; a < k; a++ {
		ba := bs[a][off : off+dd]
		h[a] = sign * dot(ba, v)
		for b := 0; b <= a; b++ {
			x := dot(ba, bs[b][off:off+dd])
			g[a*k+b], g[b*k+a] = x, x
		}
		lip += g[a*k+a]
	}
	if lip == 0 {
		return best
	}
	// f(l) = |v|^2 + 2 h.l + l^T G l.
	vv := dot(v, v)
	value := func(l []float64) float64 {
		f := vv
		for a := 0; a < k; a++ {
			f += 2 * h[a] * l[a]
			for b := 0; b < k; b++ {
				f += l[a] * g[a*k+b] * l[b]
			}
		}
		return math.Sqrt(math.Max(f, 0))
	}
	l := make([]float64, k)
	y := make([]float64, k)
	prev := make([]float64, k)
	tk := 1.0
	for it := 0; it < 200; it++ {
		copy(prev, l)
		for a := 0; a < k; a++ {
			grad := h[a]
			for b := 0; b < k; b++ {
				grad += g[a*k+b] * y[b]
			}
			l[a] = y[a] - grad/lip
		}
		projectCappedSimplex(l)
		tn := (1 + math.Sqrt(1+4*tk*tk)) / 2
		for a := range y {
			y[a] = l[a] + (tk-1)/tn*(l[a]-prev[a])
		}
		tk = tn
	}
	return math.Min(best, value(l))
}

// projectCappedSimplex projects l onto {l >= 0, sum l <= 1}.
func projectCappedSimplex(l []float64) {
	s := 0.0
	for i := range l {
		l[i] = math.Max(l[i], 0)
		s += l[i]
	}
	if s <= 1 {
		return
	}
	// Projection onto the simplex sum = 1 (sort-free bisection on the shift).
	lo, hi := 0.0, 0.0
	for _, x := range l {
		hi = math.Max(hi, x)
	}
	for it := 0; it < 60; it++ {
		mid := (lo + hi) / 2
		t := 0.0
		for _, x := range l {
			t += math.Max(x-mid, 0)
		}
		if t > 1 {
			lo = mid
		} else {
			hi = mid
		}
	}
	for i := range l {
		l[i] = math.Max(l[i]-hi, 0)
	}
}
