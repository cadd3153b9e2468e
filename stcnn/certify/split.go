package certify

import (
	"math"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
)

// The gate subproblems. For a fixed difference d = w' - w the objective
// separates over rows (gate j, output channel c):
//
//	psi(d) = min_w phi(w) + phi(w + d),   phi(v) = 2 beta |v| + (rho/N) sum_i relu(-s_ji y_i . v),
//
// a convex problem in D variables per row whose only data dependence is
// the hinge. split solves all rows at once by Newton's method on a smooth
// surrogate: |v| -> sqrt(|v|^2 + nu^2) and relu -> huber_eps (quadratic on
// [0, eps]), with one pass over the data per Newton trial (hinge values,
// B^T m and the band Grams of hingeGraph) and a backtracking line search
// per row, then eps is divided by 10 until the smoothing slack
// (rho/N) sum_i (relu(-t_i) + m_i t_i) is small (at most slackShare of the
// tolerance); the stage at which it gets there is the last. The exact objective and
// certificate are computed afterwards, so the surrogate only steers the
// iterates; it never enters a reported number.

// splitResult is the outcome of split.
type splitResult struct {
	w, wp []float64 // the split, wp = w + d
	// bw, bp are (rho/N) B^T m of both branches at (w, wp): images of
	// feasible hinge multipliers.
	bw, bp []float64
	// atom is the gradient of the squared error that would make (w, wp)
	// optimal for the full problem: the average of 2 beta n(w) - bw and
	// bp - 2 beta n(wp), equal at an exact split (see doc.go).
	atom   []float64
	passes int
}

// nuSmooth is the smoothing of the norms (in weight units, far below the
// size of any weight that matters).
const nuSmooth = 1e-9

// slackShare is the share of the tolerance (in objective units) that the
// smoothing slack of a split's last stage may take.
const slackShare = 0.1

type rowState struct {
	f, lambda float64
	g, h, dir []float64
	pred      float64 // decrease predicted by the quadratic model for dir
	done      bool
}

// split solves the gate subproblems at difference d from the starting w,
// by Levenberg-Marquardt steps per row: dir = -(H + lambda I)^{-1} g, with
// lambda divided by 3 after an accepted step and multiplied by 10 after a
// rejected one (the Hessian is nearly singular along directions where only
// the norms curve, so plain Newton steps are far too long there). (BFGS
// updates instead of the band Grams in most passes were tried: across the
// kinks of the hinge they need far more passes.) Each smoothing stage but the last is solved loosely (it only provides a
// start); rows that still move after a stage's pass budget keep their
// best point, and the certificate accounts for any imprecision.
func (s *solver) split(d, w []float64, gtol float64, maxPasses int) (*splitResult, error) {
	e := s.eng
	dd, rows := e.d, e.rows
	w = append([]float64(nil), w...)
	res := &splitResult{bw: make([]float64, rows*dd), bp: make([]float64, rows*dd)}
	st := make([]rowState, rows)
	for j := range st {
		st[j] = rowState{g: make([]float64, dd), h: make([]float64, dd*dd), dir: make([]float64, dd), lambda: -1}
	}
	// Relative rounding level of a row objective summed over all pixels.
	noise := 1e-13
	if e.dt.Size() < 8 {
		noise = 3e-6
	}
	trial := append([]float64(nil), w...)
	wp := make([]float64, len(w))
	// A later split starts one decade above where the previous one ended:
	// the point moved by a Frank-Wolfe step, not from scratch, and every
	// smoothing stage costs passes.
	eps := math.Min(s.epsStart, 10*s.lastEps)
	fresh := true // the next pass evaluates the current point (no step)
	stageTol, stagePasses, final := gtol, 0, false
	finalNext := false // the next stage is the last, at the same eps
	var hw, hp branch
	var moving []int
	for res.passes < maxPasses && !s.stop() {
		for i := range wp {
			wp[i] = trial[i] + d[i]
		}
		// Late in a stage most rows have converged and keep their point:
		// only the moving rows are evaluated, and the others keep the
		// values of their last pass (the same point, or a rejected trial
		// whose multipliers are as feasible as any).
		moving = moving[:0]
		for j := range st {
			if !fresh && !st[j].done {
				moving = append(moving, j)
			}
		}
		if fresh || len(moving) > rows/4 {
			var err error
			if hw, hp, err = e.hinges(trial, wp, eps); err != nil {
				return nil, err
			}
		} else {
			sw, sp, err := e.hingesOn(moving, trial, wp, eps)
			if err != nil {
				return nil, err
			}
			hw.scatter(sw, moving, dd)
			hp.scatter(sp, moving, dd)
		}
		res.passes++
		stagePasses++
		s.bank.add(hw.bt, hp.bt, e.c)
		slack := e.c * (sum(hw.relu) - sum(hw.rm) + sum(hp.relu) - sum(hp.rm))
		if fresh {
			final = finalNext || slack <= s.slackTarget || eps <= s.epsMin
			stageTol = gtol
			if !final {
				stageTol = math.Max(gtol, 0.1*e.beta2)
			}
		}
		active, rejected := 0, 0
		for j := range st {
			r := &st[j]
			if r.done && !fresh {
				continue
			}
			lo, hi := j*dd, (j+1)*dd
			f, g, h := s.rowModel(trial[lo:hi], wp[lo:hi], hw, hp, j, eps)
			accept := fresh || f < r.f-1e-4*r.pred ||
				(r.pred <= noise*math.Abs(r.f) && norm(g) < norm(r.g))
			if accept {
				copy(r.h, h)
				copy(w[lo:hi], trial[lo:hi])
				r.f = f
				copy(r.g, g)
				for i := lo; i < hi; i++ {
					res.bw[i] = e.c * hw.bt[i]
					res.bp[i] = e.c * hp.bt[i]
				}
				switch {
				case r.lambda < 0:
					r.lambda = 1e-6 * trace(r.h, dd) / float64(dd)
				case !fresh:
					r.lambda /= 3
				}
				r.done = norm(r.g) <= stageTol
			} else {
				rejected++
				r.lambda = math.Max(10*r.lambda, 1e-9*trace(r.h, dd)/float64(dd))
			}
			if !r.done {
				r.pred = lmDir(r.dir, r.h, r.g, r.lambda)
				if !(r.pred > 1e-16*math.Abs(r.f)) {
					r.done = true // nothing left to gain at this precision
				}
			}
			if r.done {
				copy(trial[lo:hi], w[lo:hi])
				continue
			}
			active++
			for i := range r.dir {
				trial[lo+i] = w[lo+i] + r.dir[i]
			}
		}
		fresh = false
		s.logf("split", "pass %d: eps %.1e, %d of %d rows moving (%d steps rejected), smoothing slack %.3g",
			e.passes, eps, active, rows, rejected, slack)
		stageEnd := active == 0 ||
			(!final && (active <= rows/100 || stagePasses >= 40)) ||
			(final && stagePasses >= 80)
		// A loose stage whose smoothing slack has already fallen to the
		// target ends early and is solved again at the same eps as the
		// final one: sharpening the smoothing further would only make the
		// Newton steps harder (a smaller eps curves the hinge over fewer
		// pixels), not the atom better.
		smoothEnough := !final && slack <= s.slackTarget
		if !stageEnd && !smoothEnough {
			continue
		}
		if final {
			break
		}
		// Before sharpening the smoothing, see whether this split already
		// certifies the tolerance against the bound at hand: the remaining
		// stages only refine the atom.
		for i := range wp {
			wp[i] = w[i] + d[i]
		}
		s.lastEps = eps
		if _, err := s.consider(w, wp); err != nil {
			return nil, err
		}
		if s.gapReached() {
			break
		}
		if !smoothEnough {
			eps = math.Max(eps/10, s.epsMin)
		}
		// The slack that ended the stage early was measured at trial
		// points; the stage solved again is the last whatever the slack
		// at its start, so that the two cannot alternate.
		finalNext = smoothEnough
		fresh, stagePasses = true, 0
		copy(trial, w)
		for j := range st {
			st[j].done = false
		}
	}
	res.w = w
	res.wp = make([]float64, len(w))
	res.atom = make([]float64, len(w))
	for j := 0; j < rows; j++ {
		lo, hi := j*dd, (j+1)*dd
		for i := lo; i < hi; i++ {
			res.wp[i] = w[i] + d[i]
		}
		nw, nwp := s.beta2Unit(w[lo:hi]), s.beta2Unit(res.wp[lo:hi])
		// v = xi_w = 2 beta n(w) - bw = -xi_w' at an exact split; the
		// subgradient of the branch farther from the kink of its norm is
		// the accurate one (at w = 0 the smoothed n(w) is ill-determined).
		nwn, nwpn := norm(w[lo:hi]), norm(res.wp[lo:hi])
		for i := 0; i < dd; i++ {
			a, b := nw[i]-res.bw[lo+i], res.bp[lo+i]-nwp[i]
			switch {
			case nwn > 1e3*nwpn:
				res.atom[lo+i] = a
			case nwpn > 1e3*nwn:
				res.atom[lo+i] = b
			default:
				res.atom[lo+i] = (a + b) / 2
			}
		}
	}
	for j := 0; j < rows; j++ {
		lo, hi := j*dd, (j+1)*dd
		projectLens(res.atom[lo:hi], res.bw[lo:hi], res.bp[lo:hi], e.beta2)
	}
	s.lastEps = eps
	return res, nil
}

// projectLens makes (v, bw, bp) exactly dual feasible for one row:
// |v + bw| <= r and |v - bp| <= r (r = 2 beta). v is replaced by its
// projection onto the lens between the balls B(-bw, r) and B(bp, r); if
// the balls do not meet, the multipliers are first scaled down (which keeps
// them in their box) until they touch. The split's imprecision thus never
// makes an atom infeasible, and convex combinations of atoms stay feasible.
func projectLens(v, bw, bp []float64, r float64) {
	n := len(v)
	c1 := make([]float64, n)
	c2 := make([]float64, n)
	for i := range v {
		c1[i], c2[i] = -bw[i], bp[i]
	}
	dist := 0.0
	for i := range v {
		dist += (c2[i] - c1[i]) * (c2[i] - c1[i])
	}
	dist = math.Sqrt(dist)
	if dist > 2*r {
		k := 2 * r / dist
		for i := range v {
			bw[i] *= k
			bp[i] *= k
			c1[i], c2[i] = -bw[i], bp[i]
		}
		dist = 2 * r
	}
	inside := func(x, c []float64) bool {
		s := 0.0
		for i := range x {
			s += (x[i] - c[i]) * (x[i] - c[i])
		}
		return s <= r*r*(1-1e-12)
	}
	if inside(v, c1) && inside(v, c2) {
		return
	}
	onto := func(c []float64) []float64 {
		out := make([]float64, n)
		s := 0.0
		for i := range v {
			s += (v[i] - c[i]) * (v[i] - c[i])
		}
		s = math.Sqrt(s)
		for i := range v {
			out[i] = c[i] + (v[i]-c[i])*math.Min(1, r/s)
		}
		return out
	}
	for _, pair := range [][2][]float64{{c1, c2}, {c2, c1}} {
		if p := onto(pair[0]); inside(p, pair[1]) {
			copy(v, p)
			return
		}
	}
	// The projection lies on the intersection of the two spheres: the
	// sphere of radius rho around the midpoint m in the bisecting hyperplane.
	m := make([]float64, n)
	u := make([]float64, n)
	for i := range v {
		m[i] = (c1[i] + c2[i]) / 2
		if dist > 0 {
			u[i] = (c2[i] - c1[i]) / dist
		}
	}
	rho := math.Sqrt(math.Max(r*r-dist*dist/4, 0)) * (1 - 1e-12)
	h := make([]float64, n)
	along := 0.0
	for i := range v {
		along += (v[i] - m[i]) * u[i]
	}
	hn := 0.0
	for i := range v {
		h[i] = v[i] - m[i] - along*u[i]
		hn += h[i] * h[i]
	}
	hn = math.Sqrt(hn)
	for i := range v {
		if hn > 0 {
			v[i] = m[i] + rho*h[i]/hn
		} else {
			v[i] = m[i]
		}
	}
}

func trace(h []float64, n int) float64 {
	t := 0.0
	for i := 0; i < n; i++ {
		t += h[i*n+i]
	}
	return t
}

// lmDir writes -(H + lambda I)^{-1} g into dir and returns the decrease
// the quadratic model predicts, -(g.dir + dir^T H dir / 2).
func lmDir(dir, h, g []float64, lambda float64) float64 {
	n := len(g)
	hl := append([]float64(nil), h...)
	for i := 0; i < n; i++ {
		hl[i*n+i] += lambda
	}
	newtonDir(dir, hl, g)
	q := 0.0
	for a := 0; a < n; a++ {
		for b := 0; b < n; b++ {
			q += dir[a] * h[a*n+b] * dir[b]
		}
	}
	return -(dot(g, dir) + q/2)
}

// beta2Unit is 2 beta v / sqrt(|v|^2 + nu^2), the smoothed 2 beta n(v).
func (s *solver) beta2Unit(v []float64) []float64 {
	nv := math.Sqrt(dot(v, v) + nuSmooth*nuSmooth)
	out := make([]float64, len(v))
	for i := range v {
		out[i] = s.eng.beta2 * v[i] / nv
	}
	return out
}

// rowModel returns the smoothed row objective, its gradient and Hessian at
// (w, wp) from the hinge pass.
func (s *solver) rowModel(w, wp []float64, hw, hp branch, j int, eps float64) (f float64, g, h []float64) {
	e := s.eng
	dd := e.d
	b2, c := e.beta2, e.c
	g = make([]float64, dd)
	h = make([]float64, dd*dd)
	for _, v := range [][]float64{w, wp} {
		nv := math.Sqrt(dot(v, v) + nuSmooth*nuSmooth)
		f += b2 * nv
		for a := 0; a < dd; a++ {
			g[a] += b2 * v[a] / nv
			for b := 0; b < dd; b++ {
				x := -v[a] * v[b] / (nv * nv)
				if a == b {
					x++
				}
				h[a*dd+b] += b2 * x / nv
			}
		}
	}
	for _, br := range []branch{hw, hp} {
		f += c * (br.rm[j] - eps/2*br.mm[j])
		for a := 0; a < dd; a++ {
			g[a] -= c * br.bt[j*dd+a]
		}
		tri := dd * (dd + 1) / 2
		k := j * tri
		for a := 0; a < dd; a++ {
			for b := a; b < dd; b++ {
				x := c / eps * br.band[k]
				k++
				h[a*dd+b] += x
				if b != a {
					h[b*dd+a] += x
				}
			}
		}
	}
	return f, g, h
}

// newtonDir writes -H^{-1} g into dir (Cholesky, with a growing ridge when
// H is not numerically positive definite).
func newtonDir(dir, h, g []float64) {
	n := len(g)
	scale := 0.0
	for i := 0; i < n; i++ {
		scale = math.Max(scale, math.Abs(h[i*n+i]))
	}
	sym := mat.NewSymDense(n, nil)
	var chol mat.Cholesky
	for ridge := 0.0; ; {
		for i := 0; i < n; i++ {
			for j := i; j < n; j++ {
				sym.SetSym(i, j, h[i*n+j])
			}
			sym.SetSym(i, i, h[i*n+i]+ridge)
		}
		if chol.Factorize(sym) {
			break
		}
		if ridge == 0 {
			ridge = 1e-12*scale + 1e-300
		} else {
			ridge *= 100
		}
	}
	neg := make([]float64, n)
	floats.ScaleTo(neg, -1, g)
	x := mat.NewVecDense(n, dir)
	// A mat.Condition error only reports a large condition number; the
	// solution is written all the same, and the line search judges it.
	_ = chol.SolveVecTo(x, mat.NewVecDense(n, neg))
}

func sum(v []float64) float64 { return floats.Sum(v) }
