package certify_test

import (
	"fmt"
	"math"

	"github.com/convexst/stcnn/datasets"
	"github.com/convexst/stcnn/stcnn"
	"gonum.org/v1/gonum/mat"
)

// denseProblem is the dual ST-CNN training problem written out with dense
// matrices, built on the host without GoMLX (patches, masks and sign
// regions recomputed here from their definitions, eq. 21-23), so that it
// checks the graphs as well as the solver.
//
// Variables x = (w, w'), each [C*P, D] row-major (row c*P + j). With r the
// channel-major residual,
//
//	F(x) = (1/N) |A x - b|^2 + 2 beta sum_g |x_g| + (rho/N) sum_k relu(-t_k(x)),
//
// where A = [-M, M], b the clean pixels, and t_k the signed activations of
// both branches (only those with s != 0 are kept: the others are 0).
type denseProblem struct {
	n          int // images N
	nx         int // 2*C*P*D
	d, rows    int
	beta, c    float64
	a          *mat.Dense // [C*I, nx]
	b          []float64  // [C*I]
	hinge      [][]float64
	hingeIndex [][]int // nonzero entries of each hinge row (indices into x)
}

func newDenseProblem(cfg stcnn.Config, gates []float64, noisy, clean *datasets.Images) *denseProblem {
	m, cin, cout, p := cfg.M, cfg.Channels, cfg.Outputs(), cfg.P
	d := m * m * cin
	i := noisy.N * noisy.H * noisy.W
	rows := cout * p
	dp := &denseProblem{n: noisy.N, nx: 2 * rows * d, d: d, rows: rows, beta: cfg.Beta, c: cfg.Rho / float64(noisy.N)}
	// Patches, eq. 21.
	y := make([]float64, i*d)
	for n := 0; n < noisy.N; n++ {
		for h := 0; h < noisy.H; h++ {
			for w := 0; w < noisy.W; w++ {
				row := (n*noisy.H+h)*noisy.W + w
				for dy := 0; dy < m; dy++ {
					for dx := 0; dx < m; dx++ {
						hh, ww := h+dy-m/2, w+dx-m/2
						if hh < 0 || hh >= noisy.H || ww < 0 || ww >= noisy.W {
							continue
						}
						for c := 0; c < cin; c++ {
							y[row*d+(dy*m+dx)*cin+c] = float64(noisy.Pixels[((n*noisy.H+hh)*noisy.W+ww)*cin+c])
						}
					}
				}
			}
		}
	}
	// Masks and sign regions, eq. 23.
	lam := cfg.Lambda
	q := make([]float64, p*i)
	s := make([]float64, p*i)
	for j := 0; j < p; j++ {
		for k := 0; k < i; k++ {
			g := 0.0
			for e := 0; e < d; e++ {
				g += gates[j*d+e] * y[k*d+e]
			}
			if math.Abs(g) >= lam && g != 0 {
				q[j*i+k] = 1 - lam/math.Abs(g)
				s[j*i+k] = math.Copysign(1, g)
			}
		}
	}
	dp.a = mat.NewDense(cout*i, dp.nx, nil)
	dp.b = make([]float64, cout*i)
	for c := 0; c < cout; c++ {
		for k := 0; k < i; k++ {
			dp.b[c*i+k] = float64(clean.Pixels[k*cout+c])
			for j := 0; j < p; j++ {
				row := c*p + j
				for e := 0; e < d; e++ {
					v := q[j*i+k] * y[k*d+e]
					dp.a.Set(c*i+k, row*d+e, -v)       // w
					dp.a.Set(c*i+k, rows*d+row*d+e, v) // w'
				}
			}
		}
	}
	for br := 0; br < 2; br++ {
		for c := 0; c < cout; c++ {
			for j := 0; j < p; j++ {
				row := c*p + j
				for k := 0; k < i; k++ {
					if s[j*i+k] == 0 {
						continue
					}
					coef := make([]float64, d)
					idx := make([]int, d)
					for e := 0; e < d; e++ {
						coef[e] = s[j*i+k] * y[k*d+e]
						idx[e] = br*rows*d + row*d + e
					}
					dp.hinge = append(dp.hinge, coef)
					dp.hingeIndex = append(dp.hingeIndex, idx)
				}
			}
		}
	}
	return dp
}

// objective is F at x.
func (dp *denseProblem) objective(x []float64) float64 {
	r := make([]float64, len(dp.b))
	xv := mat.NewVecDense(dp.nx, x)
	rv := mat.NewVecDense(len(r), r)
	rv.MulVec(dp.a, xv)
	se := 0.0
	for i := range r {
		e := r[i] - dp.b[i]
		se += e * e
	}
	f := se / float64(dp.n)
	for g := 0; g < 2*dp.rows; g++ {
		f += 2 * dp.beta * floatsNorm(x[g*dp.d:(g+1)*dp.d])
	}
	for k, coef := range dp.hinge {
		t := 0.0
		for e, i := range dp.hingeIndex[k] {
			t += coef[e] * x[i]
		}
		f += dp.c * math.Max(-t, 0)
	}
	return f
}

func floatsNorm(v []float64) float64 {
	s := 0.0
	for _, x := range v {
		s += x * x
	}
	return math.Sqrt(s)
}

// solveBarrier minimises F by a primal barrier (interior-point) method on
// the smooth conic reformulation
//
//	min (1/N)|A x - b|^2 + 2 beta sum_g tau_g + (rho/N) sum_k xi_k
//	s.t. |x_g| <= tau_g,  xi_k >= 0,  xi_k >= -t_k(x),
//
// with barrier -log(tau^2 - |x_g|^2) - log xi - log(xi + t), Newton's
// method with a backtracking line search for each barrier weight, and the
// weight raised tenfold until the duality-gap bound (number of barrier
// terms)/weight is below gapTol. A method unrelated to the package's
// (no masks on graphs, no splitting, no first-order steps).
func (dp *denseProblem) solveBarrier(gapTol float64) ([]float64, float64, error) {
	g, k := 2*dp.rows, len(dp.hinge)
	nv := dp.nx + g + k
	v := make([]float64, nv)
	for i := dp.nx; i < nv; i++ {
		v[i] = 1
	}
	ata := mat.NewSymDense(dp.nx, nil)
	ata.SymOuterK(2/float64(dp.n), dp.a.T())
	atb := mat.NewVecDense(dp.nx, nil)
	atb.MulVec(dp.a.T(), mat.NewVecDense(len(dp.b), dp.b))
	atb.ScaleVec(2/float64(dp.n), atb)
	barrierTerms := float64(2*g + 2*k)
	value := func(v []float64, t float64) float64 {
		x := v[:dp.nx]
		f := dp.objectiveSmooth(x, v[dp.nx:dp.nx+g], v[dp.nx+g:])
		phi := t * f
		for gi := 0; gi < g; gi++ {
			xg := x[gi*dp.d : (gi+1)*dp.d]
			tau := v[dp.nx+gi]
			u := tau*tau - dot64(xg, xg)
			if !(u > 0) || !(tau > 0) {
				return math.Inf(1)
			}
			phi -= math.Log(u)
		}
		for ki := 0; ki < k; ki++ {
			xi := v[dp.nx+g+ki]
			tk := 0.0
			for e, i := range dp.hingeIndex[ki] {
				tk += dp.hinge[ki][e] * x[i]
			}
			if !(xi > 0) || !(xi+tk > 0) {
				return math.Inf(1)
			}
			phi -= math.Log(xi) + math.Log(xi+tk)
		}
		return phi
	}
	for t := 1.0; barrierTerms/t > gapTol; t *= 10 {
		for it := 0; it < 200; it++ {
			grad := make([]float64, nv)
			hess := mat.NewSymDense(nv, nil)
			x := v[:dp.nx]
			// t * objective: quadratic in x, linear in tau and xi.
			hx := mat.NewVecDense(dp.nx, nil)
			hx.MulVec(ata, mat.NewVecDense(dp.nx, x))
			for i := 0; i < dp.nx; i++ {
				grad[i] = t * (hx.AtVec(i) - atb.AtVec(i))
				for j := 0; j <= i; j++ {
					hess.SetSym(i, j, t*ata.At(i, j))
				}
			}
			for gi := 0; gi < g; gi++ {
				grad[dp.nx+gi] += t * 2 * dp.beta
			}
			for ki := 0; ki < k; ki++ {
				grad[dp.nx+g+ki] += t * dp.c
			}
			// Cone barriers: -log(tau^2 - |x|^2).
			for gi := 0; gi < g; gi++ {
				ti := dp.nx + gi
				tau := v[ti]
				xg := x[gi*dp.d : (gi+1)*dp.d]
				u := tau*tau - dot64(xg, xg)
				// d/dx = 2x/u, d/dtau = -2tau/u.
				idx := make([]int, 0, dp.d+1)
				gr := make([]float64, 0, dp.d+1)
				for e := 0; e < dp.d; e++ {
					idx = append(idx, gi*dp.d+e)
					gr = append(gr, 2*xg[e]/u)
				}
				idx = append(idx, ti)
				gr = append(gr, -2*tau/u)
				for a, ia := range idx {
					grad[ia] += gr[a]
					for b, ib := range idx {
						if ib > ia {
							continue
						}
						h := gr[a] * gr[b] / 1 // outer product of the gradient
						// plus the Hessian of u divided by -u: diag(2, ..., 2, -2)/u
						if ia == ib {
							if ia == ti {
								h += -2 / u
							} else {
								h += 2 / u
							}
						}
						hess.SetSym(ia, ib, hess.At(ia, ib)+h)
					}
				}
			}
			// Hinge barriers: -log xi - log(xi + t).
			for ki := 0; ki < k; ki++ {
				xi := dp.nx + g + ki
				tk := 0.0
				for e, i := range dp.hingeIndex[ki] {
					tk += dp.hinge[ki][e] * x[i]
				}
				s1, s2 := v[xi], v[xi]+tk
				grad[xi] += -1/s1 - 1/s2
				hess.SetSym(xi, xi, hess.At(xi, xi)+1/(s1*s1)+1/(s2*s2))
				w := 1 / (s2 * s2)
				for e, i := range dp.hingeIndex[ki] {
					ce := dp.hinge[ki][e]
					grad[i] += -ce / s2
					hess.SetSym(xi, i, hess.At(xi, i)+w*ce)
					for f, j := range dp.hingeIndex[ki] {
						if j > i {
							continue
						}
						hess.SetSym(i, j, hess.At(i, j)+w*ce*dp.hinge[ki][f])
					}
				}
			}
			var chol mat.Cholesky
			if !chol.Factorize(hess) {
				return nil, 0, fmt.Errorf("barrier Hessian not positive definite at t=%g", t)
			}
			step := mat.NewVecDense(nv, nil)
			if err := chol.SolveVecTo(step, mat.NewVecDense(nv, grad)); err != nil {
				return nil, 0, err
			}
			dec := dot64(grad, step.RawVector().Data)
			if dec/2 < 1e-12 {
				break
			}
			phi0 := value(v, t)
			alpha := 1.0
			trial := make([]float64, nv)
			for ; alpha > 1e-12; alpha /= 2 {
				for i := range trial {
					trial[i] = v[i] - alpha*step.AtVec(i)
				}
				if value(trial, t) <= phi0-0.25*alpha*dec {
					break
				}
			}
			copy(v, trial)
		}
	}
	x := append([]float64(nil), v[:dp.nx]...)
	return x, dp.objective(x), nil
}

func (dp *denseProblem) objectiveSmooth(x, tau, xi []float64) float64 {
	r := mat.NewVecDense(len(dp.b), nil)
	r.MulVec(dp.a, mat.NewVecDense(dp.nx, x))
	se := 0.0
	for i := range dp.b {
		e := r.AtVec(i) - dp.b[i]
		se += e * e
	}
	f := se / float64(dp.n)
	for _, t := range tau {
		f += 2 * dp.beta * t
	}
	for _, v := range xi {
		f += dp.c * v
	}
	return f
}

func dot64(a, b []float64) float64 {
	s := 0.0
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}
