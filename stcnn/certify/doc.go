// Package certify solves the training problem of the dual ST-CNN (eqs.
// 22-24 of Xiong et al., with the hinge penalty of the Remark under
// Theorem 1) for fixed gates, and returns with the weights a lower bound on
// the optimal value, so that every result carries a certified relative gap
// (objective - bound)/objective.
//
// # The problem
//
// The objective is exactly what stcnn.Trainer minimises for a dual network
// (see package stcnn). Write M for the network as a linear map of
// d = w' - w (M d = sum_j Q_j (.) (Y d_j), channel-major, one row per pixel
// and output channel), x for the clean images, N for the number of images,
// c = rho/N, and t(w) = B w for the constrained activations
// t_jci = s_ji y_i . w_jc of one branch. Then
//
//	F(w, w') = (1/N) |M (w' - w) - x|^2 + 2 beta sum_jc (|w_jc| + |w'_jc|)
//	           + c sum_jci [relu(-t_jci(w)) + relu(-t_jci(w'))].
//
// # The dual problem certified against
//
// Two conjugate representations,
//
//	(1/N)|r|^2 = max_z  z.r - (N/4)|z|^2             (maximiser z = 2r/N),
//	c relu(-t) = max_{0 <= mu <= c}  -mu t,
//
// turn F into max over (z, mu, mu') of the Lagrangian
//
//	L = z.(M(w' - w) - x) - (N/4)|z|^2 - mu.Bw - mu'.Bw' + 2 beta sum (|w_jc| + |w'_jc|).
//
// For fixed (z, mu, mu') the minimum of L over w is that of
// sum_jc [2 beta |w_jc| - (M^T z + B^T mu)_jc . w_jc], which is 0 when
// |(M^T z + B^T mu)_jc| <= 2 beta and -infinity otherwise (Cauchy-Schwarz);
// likewise for w' with (M^T z - B^T mu')_jc. Hence the dual problem
//
//	D* = max  D(z) = -z.x - (N/4)|z|^2
//	     s.t. |(M^T z + B^T mu)_jc| <= 2 beta,  |(M^T z - B^T mu')_jc| <= 2 beta  for every j, c,
//	          0 <= mu, mu' <= rho/N,
//
// and weak duality: for all weights and every feasible (z, mu, mu'),
// F(w, w') = max L >= L(w, w', z, mu, mu') >= min_w L = D(z), so
// D(z) <= F* <= F(w, w'). With
// z = 2r/N at the residual r of (w, w') the gap splits into nonnegative
// terms,
//
//	F - D = sum_jc [2 beta |w_jc| - g_jc . w_jc] + sum_jc [2 beta |w'_jc| - g'_jc . w'_jc]
//	        + sum_i [c relu(-t_i) + mu_i t_i],
//
// g = M^T z + B^T mu, g' = -(M^T z - B^T mu'): it vanishes exactly at
// optimal pairs. The problem is strictly convex in d along the range of
// M^T and convex overall; both F and the bound are evaluated exactly (in
// the configured dtype) over all images, never estimated.
//
// # Structure used
//
// For fixed d = w' - w the problem separates over rows (gate j, channel c):
//
//	psi_jc(d) = min_w phi(w) + phi(w + d),   phi(v) = 2 beta |v| + c sum_i relu(-s_ji y_i . v),
//
// so F* = min_d SE(d) + Psi(d) with SE(d) = (1/N)|M d - x|^2 and
// Psi = sum psi_jc, the support function of a set U (psi is convex and
// positively homogeneous). In the dual, D depends on z only, and a z with
// M^T z = v is dual feasible exactly when each row of v lies in the lens
// {v : |v + b| <= 2 beta, |v - b'| <= 2 beta} for some multiplier images
// b = B^T mu, b' = B^T mu' in the boxes. The z of an exact least-squares
// solution (M^T z = 0) is feasible with mu = mu' = 0, and its value is the
// least-squares error SE_LS <= F*: with the project's beta = 1e-5 and
// rho = 1e-2 this simple bound is already within about 1e-3 of F* on MNIST
// (the weights' penalty is that small a part of the objective).
//
// # Method
//
//  1. Anchor. Conjugate gradients on the normal equations
//     (2/N) M^T M d = (2/N) M^T x, preconditioned by the exact Gram
//     matrix of M's rows at a sample of pixels, factored once (Cholesky,
//     precondition.go; Options.GramRows), or where P*D is too large for a
//     dense factor by a Kronecker-factored approximation of M^T M
//     (kfac.go), with iterative refinement by exact
//     (float64) residual passes: mixed-precision refinement, the inner
//     solves in the graphs' dtype. Its z = 2r/N is a strictly feasible dual point.
//  2. Gate subproblems (split.go). For the current d, Newton steps with a
//     Levenberg-Marquardt safeguard on every row at once (one pass over the
//     data per step: hinge values, B^T m and the band Grams), on the
//     surrogate with |v| -> sqrt(|v|^2 + nu^2) and relu -> Huber_eps, eps
//     lowered by decades until the smoothing slack sum_i [relu(-t_i) + m_i t_i]
//     is small (a later split starts one decade above where the previous
//     one ended; each stage ends with an exact evaluation of F, so a
//     split stops as soon as its point certifies the tolerance; a stage
//     whose slack reaches the target ends early and is solved again at the
//     same eps as the last one, since a smaller eps curves the hinge over
//     fewer pixels and only makes the Newton steps harder). The split gives the primal point (w, w + d), whose exact F is
//     evaluated, feasible multipliers mu = c m (m in [0, 1]), and an atom:
//     the gradient v_s = 2 beta n(w) - c B^T m(w) = -(2 beta n(w') - c B^T m(w'))
//     of the squared error at which (w, w') would be optimal, projected into
//     its row lens so it is exactly dual feasible.
//  3. Fully corrective Frank-Wolfe on the dual. Each atom defines the point
//     d_s solving grad SE(d) = v_s (conjugate gradients, warm started), whose
//     residual gives a dual point with M^T z = v_s; D is a concave quadratic
//     in the residual, which is affine in d, so the best convex combination
//     of all atoms (including the anchor, v = 0) is a small quadratic
//     program on the host. Its d is the next point of step 2 (this is
//     Frank-Wolfe on max_{u in U} -SE*(-u): the gate subproblems are the
//     linear minimisation oracle, since the subgradient of Psi at d
//     maximises u.d over U).
//  4. Certificates (certificate.go), after every step: for dual points
//     theta(lambda z + (1 - lambda) z_anchor) the hinge multipliers of each
//     row and branch are chosen independently as the best convex
//     combination of the multipliers seen in recent passes (any of them is
//     feasible), theta is the largest scale that satisfies every row's
//     constraints exactly, and the concave quadratic D along theta and a
//     search over lambda give the bound. Bounds are kept only if they
//     improve; the stopping rule is the certified relative gap.
//
// Everything touching the data is a GoMLX graph over chunks of images
// (graphs.go: the masks of stcnn.GatePatterns, the network of
// stcnn.DualForward, closed-form adjoints M^T and B^T; masks can be cached
// between passes), summed on the host in float64; all the rest (conjugate
// gradient vectors, 9x9 Newton systems, the quadratic programs) is small
// host work in float64.
//
// Precision: the operator graphs of the iterations (conjugate gradients,
// gate subproblems, objective) run in the configured dtype, but every
// residual that a certificate or the iterative refinement relies on is
// recomputed by a float64 graph (engine.residualExact), and certificates
// are formed on the host in float64. This matters: near an optimum each
// row of M^T z is a sum over hundreds of thousands of pixels that cancels
// to within 2 beta of zero, and its float32 rounding (about 5e-5 on 100
// MNIST images, P = 64) exceeds 2 beta = 2e-5 itself. With float32 residuals
// the refinement could not push the exact residual below that floor, the
// anchor's certificate had to shrink z far into the feasible set, and the
// Frank-Wolfe steps stalled (sigma 0.75: stuck at a relative gap of 8.5e-2);
// with float64 residuals the same problems certify 1e-4 (see
// BenchmarkCertifiedSmall and BenchmarkCertifiedSigma). The multiplier
// images B^T m of the hinge passes stay in the graphs' dtype: their terms
// all lie on the positive side of their gate (s_ji ubar_j . y_i >= lambda),
// so they cancel far less than those of M^T z; the float32 rounding that
// remains is below the certified gaps reported (the dense reference tests
// bound it).
//
// Limitation: every step is a pass over all images. With the sampled Gram
// the conjugate gradients take a few to twenty passes per solve, and the
// gate subproblems (about ten to twenty passes per split) dominate; with
// the Kronecker-factored preconditioner (condition number about 1e3) the
// conjugate gradients need hundreds of passes on large problems. When the
// Frank-Wolfe steps stop adding to the bound, Solve stops after five steps
// without progress and reports the (valid) bound it has with Converged
// false.
//
// Correctness does not depend on any step above being accurate: every
// reported bound is D at an explicitly constructed (z, mu, mu') whose
// constraints are checked row by row.
package certify
