// Package convexfit solves the convex program of a two-layer ReLU network on
// 1-D data exactly, with a certificate, as the horizontal "convex optimum"
// line of Fig. 1 needs.
//
// # The program
//
// For samples x_i in R^d (rows of X, here [x_i, 1]: the bias is a column of
// ones), labels y and every activation pattern D_p = diag(1[X u >= 0]) the
// data allow (p = 1..P), the convex program equivalent to the nonconvex
// network (Pilanci and Ergen 2020; the paper's eq. 22 has the same form with
// the ST masks Q^S in place of D_p) is
//
//	min  a || sum_p D_p X (v_p - w_p) - y ||^2 + b sum_p (||v_p|| + ||w_p||)
//	s.t. v_p, w_p in K_p = { z : (2 D_p - I) X z >= 0 },
//
// with a the weight of the squared error (1/N in stcnn's per-image
// normalisation, every sample being a 1x1 image) and b = 2 beta. Each K_p is
// the closed cone of filters whose activation pattern is D_p, so the sign
// constraints are exact (not a hinge penalty), and a feasible pair (v_p, w_p)
// is two ReLU neurons: u = v_p/sqrt(||v_p||) with output weight
// +sqrt(||v_p||), and u = w_p/sqrt(||w_p||) with -sqrt(||w_p||) (the
// rescaling of eq. 47), whose weight decay beta (||u||^2 + v^2) equals
// 2 beta ||v_p||. ReLU is positively homogeneous, so this network has exactly
// the convex objective: the convex optimum is the global optimum of the
// nonconvex network with at least as many neurons as nonzero blocks.
//
// # The solver and its certificate
//
// The program is min_z f(A z) + sum_g h_g(z_g) over blocks g (one per pattern
// and sign), with A_g = +-D_p X, f(r) = a ||r - y||^2 and
// h_g = b ||.|| + indicator(K_p). It is solved by FISTA with gradient-based
// adaptive restart (O'Donoghue and Candes 2015), step 1/L with
// L = 2a ||A||_2^2. The proximal map of t||.|| + indicator(K) for a closed
// convex cone K is the block shrinkage of the projection onto K,
// (1 - t/||P_K z||)_+ P_K z (Moreau's decomposition: for z' in K,
// <z', P_{K°} z> <= 0, with equality on the ray of P_K z).
//
// Every few iterations the Fenchel dual
//
//	max_nu  -<nu, y> - ||nu||^2 / (4a)
//	s.t.    sup { <-A_g^T nu, z> : z in K_p, ||z|| <= 1 } <= b   for every g
//
// is evaluated at nu = alpha * 2a (A z - y), the dual point the primal
// iterate defines, with alpha >= 0 the best scaling that keeps it feasible
// (the constraints are positively homogeneous, the objective a concave
// quadratic in alpha). By weak duality the dual value is a lower bound on
// the convex optimum, hence on the nonconvex objective at any weights; the
// solver stops when the best primal value minus the best bound is below the
// tolerance. In R^2 the support function of K ∩ ball is exact: ||s|| when s
// lies in K, else the largest <s, r> over the cone's unit boundary rays r
// (or 0); when in doubt the larger value is taken, which only lowers the bound.
package convexfit

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"

	"gonum.org/v1/gonum/mat"
)

// ReLUPatterns2D returns every activation pattern 1[x_i . u > 0] of the rows
// of x (points in R^2) over the directions u of the open cells of their
// hyperplane arrangement, in order of angle. A pattern on a cell boundary
// needs no entry of its own: a filter on the boundary lies in the closed cone
// of a neighbouring cell and has the same ReLU output there. The pattern that
// activates no sample is dropped (its neurons output zero). Rows that are
// zero never activate.
func ReLUPatterns2D(x [][]float64) ([][]bool, error) {
	if len(x) == 0 {
		return nil, errors.New("reproductions: ReLUPatterns2D: no samples")
	}
	var crit []float64
	for i, row := range x {
		if len(row) != 2 {
			return nil, fmt.Errorf("reproductions: ReLUPatterns2D: sample %d has %d coordinates, want 2", i, len(row))
		}
		if row[0] == 0 && row[1] == 0 {
			continue
		}
		// x_i . u = 0 for u at angle atan2(x_i) +- pi/2.
		a := math.Atan2(row[1], row[0])
		crit = append(crit, convexWrapAngle(a+math.Pi/2), convexWrapAngle(a-math.Pi/2))
	}
	if len(crit) == 0 {
		return nil, nil
	}
	sort.Float64s(crit)
	var cells []float64
	for i, a := range crit {
		b := crit[(i+1)%len(crit)]
		if i == len(crit)-1 {
			b += 2 * math.Pi
		}
		if b-a > 1e-12 {
			cells = append(cells, (a+b)/2)
		}
	}
	seen := map[string]bool{}
	var out [][]bool
	for _, th := range cells {
		u := [2]float64{math.Cos(th), math.Sin(th)}
		pat := make([]bool, len(x))
		var key strings.Builder
		active := false
		for i, row := range x {
			pat[i] = row[0]*u[0]+row[1]*u[1] > 0
			active = active || pat[i]
			if pat[i] {
				key.WriteByte('1')
			} else {
				key.WriteByte('0')
			}
		}
		if !active || seen[key.String()] {
			continue
		}
		seen[key.String()] = true
		out = append(out, pat)
	}
	return out, nil
}

func convexWrapAngle(a float64) float64 {
	a = math.Mod(a, 2*math.Pi)
	if a < 0 {
		a += 2 * math.Pi
	}
	return a
}

// ConvexReLUProblem is the convex program described at the top of this file.
type ConvexReLUProblem struct {
	// X holds the samples as rows in R^2 (include a bias coordinate yourself).
	X [][]float64
	// Y holds the labels.
	Y []float64
	// Patterns are the activation patterns D_p, e.g. from ReLUPatterns2D.
	Patterns [][]bool
	// DataWeight is a, the factor of the squared error (> 0).
	DataWeight float64
	// Penalty is b = 2 beta, the factor of the group norms (> 0).
	Penalty float64
}

// ConvexSolveOptions bounds the solver.
type ConvexSolveOptions struct {
	// Tol is the target of objective minus certified bound (default 1e-10).
	Tol float64
	// MaxIter bounds the FISTA iterations (default 2,000,000).
	MaxIter int
}

// ReLUNeuron is one ReLU unit relu(x . U) V of a two-layer network.
type ReLUNeuron struct {
	U []float64 `json:"u"`
	V float64   `json:"v"`
}

// ConvexReLUSolution is the solver's result.
type ConvexReLUSolution struct {
	// Objective is the convex objective at the returned weights.
	Objective float64 `json:"objective"`
	// Bound is the certified lower bound: the dual value at Dual.
	Bound float64 `json:"bound"`
	// Gap is Objective - Bound (>= 0 up to rounding).
	Gap float64 `json:"gap"`
	// Iterations is the number of FISTA iterations.
	Iterations int `json:"iterations"`
	// Pos and Neg are v_p and w_p for every pattern.
	Pos, Neg [][]float64 `json:"-"`
	// Fit is sum_p D_p X (v_p - w_p), the fitted values.
	Fit []float64 `json:"fit"`
	// Dual is the feasible dual point nu certifying Bound.
	Dual []float64 `json:"dual"`
	// Neurons is the network rebuilt from the nonzero blocks (eq. 47's
	// rescaling); its nonconvex objective equals Objective.
	Neurons []ReLUNeuron `json:"neurons"`
}

// cone2D is K = {z in R^2 : rows . z >= 0} with its unit boundary rays.
type cone2D struct {
	rows [][2]float64
	rays [][2]float64
}

func newCone2D(x [][]float64, pattern []bool) cone2D {
	var c cone2D
	for i, r := range x {
		s := -1.0
		if pattern[i] {
			s = 1
		}
		if r[0] == 0 && r[1] == 0 {
			continue
		}
		c.rows = append(c.rows, [2]float64{s * r[0], s * r[1]})
	}
	for _, a := range c.rows {
		n := math.Hypot(a[0], a[1])
		for _, t := range [][2]float64{{-a[1] / n, a[0] / n}, {a[1] / n, -a[0] / n}} {
			if c.containsTol(t, 1e-12) {
				c.rays = append(c.rays, t)
			}
		}
	}
	return c
}

// containsTol reports whether a . z >= -tol ||a|| ||z|| for every row a.
func (c cone2D) containsTol(z [2]float64, tol float64) bool {
	nz := math.Hypot(z[0], z[1])
	for _, a := range c.rows {
		if a[0]*z[0]+a[1]*z[1] < -tol*math.Hypot(a[0], a[1])*nz {
			return false
		}
	}
	return true
}

// project returns the Euclidean projection of z onto K: z itself when it
// lies in K, else the nearest point of the boundary rays or the origin.
func (c cone2D) project(z [2]float64) [2]float64 {
	if c.containsTol(z, 0) {
		return z
	}
	best, bestD := [2]float64{}, z[0]*z[0]+z[1]*z[1]
	for _, r := range c.rays {
		t := r[0]*z[0] + r[1]*z[1]
		if t <= 0 {
			continue
		}
		p := [2]float64{t * r[0], t * r[1]}
		if d := (z[0]-p[0])*(z[0]-p[0]) + (z[1]-p[1])*(z[1]-p[1]); d < bestD {
			best, bestD = p, d
		}
	}
	return best
}

// support returns sup { s . z : z in K, ||z|| <= 1 }, rounded upwards: the
// larger of the boundary-ray value and ||s|| when s is in K up to rounding.
func (c cone2D) support(s [2]float64) float64 {
	v := 0.0
	for _, r := range c.rays {
		v = math.Max(v, r[0]*s[0]+r[1]*s[1])
	}
	if c.containsTol(s, 1e-12) {
		v = math.Max(v, math.Hypot(s[0], s[1]))
	}
	return v
}

// validate checks the problem's sizes and weights.
func (p ConvexReLUProblem) validate() error {
	n := len(p.X)
	switch {
	case n == 0:
		return errors.New("reproductions: convex problem: no samples")
	case len(p.Y) != n:
		return fmt.Errorf("reproductions: convex problem: %d labels for %d samples", len(p.Y), n)
	case len(p.Patterns) == 0:
		return errors.New("reproductions: convex problem: no activation patterns")
	case !(p.DataWeight > 0) || math.IsInf(p.DataWeight, 0):
		return fmt.Errorf("reproductions: convex problem: data weight must be finite and > 0, got %v", p.DataWeight)
	case !(p.Penalty > 0) || math.IsInf(p.Penalty, 0):
		return fmt.Errorf("reproductions: convex problem: penalty must be finite and > 0, got %v", p.Penalty)
	}
	for i, r := range p.X {
		if len(r) != 2 {
			return fmt.Errorf("reproductions: convex problem: sample %d has %d coordinates, want 2", i, len(r))
		}
	}
	for j, pat := range p.Patterns {
		if len(pat) != n {
			return fmt.Errorf("reproductions: convex problem: pattern %d has length %d, want %d", j, len(pat), n)
		}
	}
	return nil
}

// convexState holds the blocks: index 2p is v_p (sign +1), 2p+1 is w_p (sign -1).
type convexState struct {
	prob  ConvexReLUProblem
	cones []cone2D
}

// fit returns sum_g sign_g D_p X z_g.
func (s *convexState) fit(z [][2]float64) []float64 {
	r := make([]float64, len(s.prob.X))
	for g, zg := range z {
		pat, sign := s.prob.Patterns[g/2], 1-2*float64(g%2)
		for i, x := range s.prob.X {
			if pat[i] {
				r[i] += sign * (x[0]*zg[0] + x[1]*zg[1])
			}
		}
	}
	return r
}

// objective returns the convex objective of z and its fitted values.
func (s *convexState) objective(z [][2]float64) (float64, []float64) {
	r := s.fit(z)
	var se, norms float64
	for i := range r {
		se += (r[i] - s.prob.Y[i]) * (r[i] - s.prob.Y[i])
	}
	for _, zg := range z {
		norms += math.Hypot(zg[0], zg[1])
	}
	return s.prob.DataWeight*se + s.prob.Penalty*norms, r
}

// xtd returns X^T D_p nu.
func (s *convexState) xtd(p int, nu []float64) [2]float64 {
	var out [2]float64
	for i, x := range s.prob.X {
		if s.prob.Patterns[p][i] {
			out[0] += x[0] * nu[i]
			out[1] += x[1] * nu[i]
		}
	}
	return out
}

// bound returns the certified dual value at the best feasible scaling of
// nu = 2a (r - y), and that dual point.
func (s *convexState) bound(r []float64) (float64, []float64) {
	a, b := s.prob.DataWeight, s.prob.Penalty
	nu := make([]float64, len(r))
	var ny, nn float64
	for i := range r {
		nu[i] = 2 * a * (r[i] - s.prob.Y[i])
		ny += nu[i] * s.prob.Y[i]
		nn += nu[i] * nu[i]
	}
	if nn == 0 {
		return 0, nu
	}
	c := 0.0
	for p := range s.prob.Patterns {
		v := s.xtd(p, nu)
		// Block v_p: s = -X^T D nu; block w_p: s = +X^T D nu.
		c = math.Max(c, s.cones[p].support([2]float64{-v[0], -v[1]})/b)
		c = math.Max(c, s.cones[p].support(v)/b)
	}
	alpha := math.Max(0, -2*a*ny/nn)
	if c > 0 {
		alpha = math.Min(alpha, 1/c)
	}
	for i := range nu {
		nu[i] *= alpha
	}
	return -alpha*ny - alpha*alpha*nn/(4*a), nu
}

// lipschitz returns 2a ||A||_2^2 with A A^T = 2 sum_p D_p X X^T D_p.
func (s *convexState) lipschitz() (float64, error) {
	n := len(s.prob.X)
	g := mat.NewSymDense(n, nil)
	for _, pat := range s.prob.Patterns {
		for i := 0; i < n; i++ {
			for j := i; j < n; j++ {
				if pat[i] && pat[j] {
					xi, xj := s.prob.X[i], s.prob.X[j]
					g.SetSym(i, j, g.At(i, j)+2*(xi[0]*xj[0]+xi[1]*xj[1]))
				}
			}
		}
	}
	var eig mat.EigenSym
	if !eig.Factorize(g, false) {
		return 0, errors.New("reproductions: convex problem: eigendecomposition failed")
	}
	vals := eig.Values(nil)
	l := 2 * s.prob.DataWeight * vals[len(vals)-1]
	if !(l > 0) {
		return 0, errors.New("reproductions: convex problem: the patterns activate no sample")
	}
	return l, nil
}

// SolveConvexReLU solves the program to a certified optimum (see the file
// comment): it returns when Objective - Bound <= opts.Tol, or with an error
// when MaxIter iterations did not get there.
func SolveConvexReLU(prob ConvexReLUProblem, opts ConvexSolveOptions) (*ConvexReLUSolution, error) {
	if err := prob.validate(); err != nil {
		return nil, err
	}
	if opts.Tol <= 0 {
		opts.Tol = 1e-10
	}
	if opts.MaxIter <= 0 {
		opts.MaxIter = 2_000_000
	}
	st := &convexState{prob: prob}
	for _, pat := range prob.Patterns {
		st.cones = append(st.cones, newCone2D(prob.X, pat))
	}
	lip, err := st.lipschitz()
	if err != nil {
		return nil, err
	}
	nb := 2 * len(prob.Patterns)
	x, xOld, yk := make([][2]float64, nb), make([][2]float64, nb), make([][2]float64, nb)
	t := 1.0
	bestF, bestBound := math.Inf(1), math.Inf(-1)
	var bestX [][2]float64
	var bestNu []float64
	const checkEvery = 10
	it := 0
	for ; it < opts.MaxIter; it++ {
		r := st.fit(yk)
		res := make([]float64, len(r))
		for i := range r {
			res[i] = 2 * prob.DataWeight * (r[i] - prob.Y[i])
		}
		copy(xOld, x)
		restart := 0.0
		for g := range x {
			v := st.xtd(g/2, res)
			sign := 1 - 2*float64(g%2)
			z := [2]float64{yk[g][0] - sign*v[0]/lip, yk[g][1] - sign*v[1]/lip}
			pz := st.cones[g/2].project(z)
			if n := math.Hypot(pz[0], pz[1]); n > prob.Penalty/lip {
				f := 1 - prob.Penalty/(lip*n)
				x[g] = [2]float64{f * pz[0], f * pz[1]}
			} else {
				x[g] = [2]float64{}
			}
			// Gradient restart test: <y - x_new, x_new - x_old> > 0.
			restart += (yk[g][0]-x[g][0])*(x[g][0]-xOld[g][0]) + (yk[g][1]-x[g][1])*(x[g][1]-xOld[g][1])
		}
		tNew := (1 + math.Sqrt(1+4*t*t)) / 2
		mom := (t - 1) / tNew
		if restart > 0 {
			tNew, mom = 1, 0
		}
		for g := range x {
			yk[g] = [2]float64{x[g][0] + mom*(x[g][0]-xOld[g][0]), x[g][1] + mom*(x[g][1]-xOld[g][1])}
		}
		t = tNew
		if it%checkEvery == checkEvery-1 {
			f, fit := st.objective(x)
			if f < bestF {
				bestF, bestX = f, append([][2]float64(nil), x...)
			}
			if lb, nu := st.bound(fit); lb > bestBound {
				bestBound, bestNu = lb, nu
			}
			if bestF-bestBound <= opts.Tol {
				it++
				break
			}
		}
	}
	if bestX == nil {
		return nil, fmt.Errorf("reproductions: convex solver ran %d iterations without a check (MaxIter too small)", it)
	}
	sol := st.solution(bestX, bestBound, bestNu, it)
	if sol.Gap > opts.Tol {
		return sol, fmt.Errorf("reproductions: convex solver: gap %.3g after %d iterations, want <= %.3g", sol.Gap, it, opts.Tol)
	}
	return sol, nil
}

func (s *convexState) solution(z [][2]float64, bound float64, nu []float64, iters int) *ConvexReLUSolution {
	f, fit := s.objective(z)
	sol := &ConvexReLUSolution{Objective: f, Bound: bound, Gap: f - bound, Iterations: iters, Fit: fit, Dual: nu}
	for g, zg := range z {
		v := []float64{zg[0], zg[1]}
		if g%2 == 0 {
			sol.Pos = append(sol.Pos, v)
		} else {
			sol.Neg = append(sol.Neg, v)
		}
		n := math.Hypot(zg[0], zg[1])
		if n == 0 {
			continue
		}
		sq := math.Sqrt(n)
		sol.Neurons = append(sol.Neurons, ReLUNeuron{U: []float64{zg[0] / sq, zg[1] / sq}, V: (1 - 2*float64(g%2)) * sq})
	}
	return sol
}

// ReLUNetworkObjective is the nonconvex objective of eq. 3 with stcnn's
// normalisation: a sum_i (sum_k relu(x_i . u_k) v_k - y_i)^2
// + beta sum_k (||u_k||^2 + v_k^2).
func ReLUNetworkObjective(x [][]float64, y []float64, neurons []ReLUNeuron, a, beta float64) float64 {
	var se, reg float64
	for i, xi := range x {
		f := 0.0
		for _, nr := range neurons {
			h := 0.0
			for j := range xi {
				h += xi[j] * nr.U[j]
			}
			if h > 0 {
				f += h * nr.V
			}
		}
		se += (f - y[i]) * (f - y[i])
	}
	for _, nr := range neurons {
		for _, u := range nr.U {
			reg += u * u
		}
		reg += nr.V * nr.V
	}
	return a*se + beta*reg
}
