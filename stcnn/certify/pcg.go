package certify

import (
	"math"

	"gonum.org/v1/gonum/floats"
)

// linearSolve runs preconditioned conjugate gradients on the normal
// equations of the squared error with a prescribed gradient g_t,
//
//	grad SE(d) = (2/N) M^T (M d - x) = g_t,   i.e.   (2/N) M^T M d = (2/N) M^T x + g_t,
//
// starting from d with the exact residual rho = g_t - grad SE(d) (from a
// residual pass). It stops when every row of the recursively updated
// residual has norm <= tol, after maxIter Hessian passes, or when stop()
// says so, or when it stagnates, and returns the best d seen and the
// number of passes. The recursive
// residual drifts from the true one in floating point, so callers check
// the result with an exact residual pass and call again if needed
// (iterative refinement).
func (s *solver) linearSolve(d, rho []float64, tol float64, maxIter int) ([]float64, int, error) {
	e := s.eng
	n := len(d)
	d = append([]float64(nil), d...)
	rho = append([]float64(nil), rho...)
	z := make([]float64, n)
	s.pre.apply(z, rho)
	p := append([]float64(nil), z...)
	rz := dot(rho, z)
	scale := 2 / float64(e.n)
	iters := 0
	// In floating point the residual stagnates at a level set by the
	// rounding of the Hessian products (about 1e-6 relative in float32);
	// the best iterate is kept and the loop ends when no new best was
	// seen for `patience` iterations.
	best, bestD, since := rowMax(rho, e.d), append([]float64(nil), d...), 0
	const patience = 100
	for iters < maxIter && best > tol && since < patience && !s.stop() {
		out, err := e.gramMul(p)
		if err != nil {
			return nil, iters, err
		}
		iters++
		ap := out[0]
		for i := range ap {
			ap[i] *= scale
		}
		pap := dot(p, ap)
		if !(pap > 0) {
			break // no curvature left along p (numerically converged)
		}
		alpha := rz / pap
		for i := range d {
			d[i] += alpha * p[i]
			rho[i] -= alpha * ap[i]
		}
		s.pre.apply(z, rho)
		rzNew := dot(rho, z)
		beta := rzNew / rz
		rz = rzNew
		for i := range p {
			p[i] = z[i] + beta*p[i]
		}
		res := rowMax(rho, e.d)
		if res < best {
			best, since = res, 0
			copy(bestD, d)
		} else {
			since++
		}
		s.logf("cg", "pass %d: max row residual %.3g (target %.3g)", e.passes, res, tol)
	}
	return bestD, iters, nil
}

func dot(a, b []float64) float64 { return floats.Dot(a, b) }

// rowMax is the largest Euclidean norm of the rows of v (rows of length d).
func rowMax(v []float64, d int) float64 {
	m := 0.0
	for i := 0; i < len(v); i += d {
		m = math.Max(m, norm(v[i:i+d]))
	}
	return m
}

func norm(v []float64) float64 { return floats.Norm(v, 2) }
