package certify

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"time"

	"github.com/convexst/stcnn/datasets"
	"github.com/convexst/stcnn/stcnn"
	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/ml/model"
)

// Options control Solve. The zero value gives the defaults.
type Options struct {
	// Tol is the certified relative gap (objective - bound)/objective at
	// which Solve stops; default 1e-4.
	Tol float64
	// MaxIter caps the number of passes over the data (each pass applies
	// one operator to every image); default 10000.
	MaxIter int
	// MaxTime caps the wall time (0: no cap). The time is checked between
	// passes.
	MaxTime time.Duration
	// ChunkImages is the number of images per graph execution (0: as
	// stcnn.Trainer, stcnn.DefaultMaxChunkElements mask values per chunk).
	ChunkImages int
	// CacheBytes is the memory Solve may spend on keeping the masks and
	// sign regions (2 P N H W values) between passes instead of
	// recomputing them in every pass; 0 means 1 GiB, negative never.
	CacheBytes int64
	// KFACImages is the number of images the Kronecker-factored
	// preconditioner's factors are estimated from (0: 64).
	KFACImages int
	// GramRows sets the sampled-Gram preconditioner (precondition.go): its
	// sample holds at least GramRows*P*D pixels (whole images). 0 means 4;
	// negative uses the Kronecker-factored preconditioner (kfac.go)
	// instead. The sampled Gram is also skipped when P*D exceeds MaxGramSize.
	GramRows int
	// Log, when set, receives every certificate as it is computed.
	Log func(Iter)
	// Progress, when set, receives one line per pass.
	Progress io.Writer
}

// Iter is one point of the solver's history.
type Iter struct {
	// Pass is the number of data passes so far, Seconds the wall time.
	Pass    int     `json:"pass"`
	Seconds float64 `json:"seconds"`
	// Stage is what produced this point: "start", "anchor", "split",
	// "step" or "final".
	Stage string `json:"stage"`
	// Objective is the best primal objective found so far (+Inf before the
	// first), Bound the best certified lower bound so far, RelGap
	// (Objective - Bound)/Objective.
	Objective float64 `json:"objective"`
	Bound     float64 `json:"bound"`
	RelGap    float64 `json:"rel_gap"`
}

// Result is the outcome of Solve. The weights with objective Objective are
// written to the store's /dual/w and /dual/w_prime.
type Result struct {
	// Objective is F at the returned weights (the exact objective of
	// stcnn.Trainer, evaluated in the configured dtype); Bound is a
	// certified lower bound on the optimal value; RelGap is
	// (Objective - Bound)/Objective.
	Objective, Bound, RelGap float64
	// SquaredError, Regularizer and Hinge are the parts of Objective as in
	// stcnn.Metrics (Hinge before the factor rho).
	SquaredError, Regularizer, Hinge float64
	// Converged is RelGap <= Tol.
	Converged bool
	// Iterations is the number of passes over the data, Seconds the wall time.
	Iterations int
	Seconds    float64
	History    []Iter
}

// solver is the state of one Solve call.
type solver struct {
	eng   *engine
	pre   preconditioner
	bank  bank
	opts  Options
	start time.Time

	epsStart, epsMin, slackTarget, lastEps float64

	crossA, crossB *dualPoint
	crossV         float64

	best    float64 // best objective
	bestW   []float64
	bestWp  []float64
	bestRes Result
	lower   float64 // best bound
	history []Iter
}

func (s *solver) stop() bool {
	if s.opts.MaxIter > 0 && s.eng.passes >= s.opts.MaxIter {
		return true
	}
	return s.opts.MaxTime > 0 && time.Since(s.start) >= s.opts.MaxTime
}

func (s *solver) logf(stage, format string, args ...any) {
	if s.opts.Progress != nil {
		fmt.Fprintf(s.opts.Progress, "certify %-6s %7.1fs  %s\n", stage, time.Since(s.start).Seconds(), fmt.Sprintf(format, args...))
	}
}

func (s *solver) record(stage string) {
	it := Iter{Pass: s.eng.passes, Seconds: time.Since(s.start).Seconds(), Stage: stage,
		Objective: s.best, Bound: s.lower, RelGap: relGap(s.best, s.lower)}
	s.history = append(s.history, it)
	if s.opts.Log != nil {
		s.opts.Log(it)
	}
	s.logf(stage, "objective %.10g bound %.10g relative gap %.3g", it.Objective, it.Bound, it.RelGap)
}

// MarshalJSON writes infinite values (the bound before the first
// certificate) as null, which encoding/json cannot do for float64.
func (it Iter) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Pass      int      `json:"pass"`
		Seconds   float64  `json:"seconds"`
		Stage     string   `json:"stage"`
		Objective *float64 `json:"objective"`
		Bound     *float64 `json:"bound"`
		RelGap    *float64 `json:"rel_gap"`
	}{it.Pass, it.Seconds, it.Stage, finite(it.Objective), finite(it.Bound), finite(it.RelGap)})
}

// MarshalJSON writes the result with snake_case names; a bound that was
// never certified (-Inf) and its gap are written as null.
func (r Result) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Objective    *float64 `json:"objective"`
		Bound        *float64 `json:"bound"`
		RelGap       *float64 `json:"rel_gap"`
		SquaredError float64  `json:"squared_error"`
		Regularizer  float64  `json:"regularizer"`
		Hinge        float64  `json:"hinge"`
		Converged    bool     `json:"converged"`
		Iterations   int      `json:"passes"`
		Seconds      float64  `json:"seconds"`
		History      []Iter   `json:"history"`
	}{finite(r.Objective), finite(r.Bound), finite(r.RelGap), r.SquaredError, r.Regularizer, r.Hinge,
		r.Converged, r.Iterations, r.Seconds, r.History})
}

// finite is v, or nil for an infinity or NaN (JSON null).
func finite(v float64) *float64 {
	if math.IsInf(v, 0) || math.IsNaN(v) {
		return nil
	}
	return &v
}

func relGap(obj, lower float64) float64 {
	if math.IsInf(obj, 1) || math.IsInf(lower, -1) {
		return math.Inf(1)
	}
	return (obj - lower) / math.Abs(obj)
}

func (s *solver) gapReached() bool { return relGap(s.best, s.lower) <= s.opts.Tol }

// Solve minimises the dual ST-CNN's training objective over w and w' for
// the gates in store (see the package documentation for the problem, its
// dual and the method), starting from the weights in store, and writes the
// best weights found back. It stops when the certified relative gap is at
// most opts.Tol, or at the caps on passes and time; the returned Bound is a
// valid lower bound on the optimal value in every case.
func Solve(backend compute.Backend, store *model.Store, dual *stcnn.DualModel, noisy, clean *datasets.Images, opts Options) (*Result, error) {
	if dual == nil || store == nil {
		return nil, errors.New("certify: nil model or store")
	}
	cfg := dual.Config()
	if err := checkImages(noisy, clean, cfg); err != nil {
		return nil, err
	}
	if opts.Tol <= 0 {
		opts.Tol = 1e-4
	}
	if opts.MaxIter <= 0 {
		opts.MaxIter = 10000
	}
	if opts.KFACImages <= 0 {
		opts.KFACImages = 64
	}
	cache := opts.CacheBytes
	if cache == 0 {
		cache = 1 << 30
	}
	scope := dual.Scope(store)
	vars := map[string][]float64{}
	for _, name := range []string{"gates", "w", "w_prime"} {
		var err error
		if vars[name], err = stcnn.VariableFloat64s(scope, name); err != nil {
			return nil, fmt.Errorf("certify: %w (call DualModel.Init first)", err)
		}
	}
	gatesT, err := scope.GetVariable("gates").Value()
	if err != nil {
		return nil, err
	}
	s := &solver{opts: opts, start: time.Now(), best: math.Inf(1), lower: math.Inf(-1), bank: bank{size: 8}}
	if s.eng, err = newEngine(backend, cfg, gatesT, noisy, clean, opts.ChunkImages, cache); err != nil {
		return nil, err
	}
	e := s.eng
	if len(vars["w"]) != e.rows*e.d || len(vars["w_prime"]) != e.rows*e.d {
		return nil, fmt.Errorf("certify: weights have %d values, the config needs %d", len(vars["w"]), e.rows*e.d)
	}
	if err := s.run(vars["gates"], vars["w"], vars["w_prime"]); err != nil {
		return nil, err
	}
	for name, v := range map[string][]float64{"w": s.bestW, "w_prime": s.bestWp} {
		if err := scope.GetVariable(name).SetValue(hostTensor(v, e.dt, e.rows, e.d)); err != nil {
			return nil, err
		}
	}
	r := s.bestRes
	r.Bound = s.lower
	r.RelGap = relGap(r.Objective, s.lower)
	r.Converged = r.RelGap <= opts.Tol
	r.Iterations = e.passes
	r.Seconds = time.Since(s.start).Seconds()
	s.record("final")
	r.History = s.history
	return &r, nil
}

// consider evaluates the objective at (w, wp) (a full pass, which also
// yields the dual point at d = wp - w) and keeps the best.
func (s *solver) consider(w, wp []float64) (*dualPoint, error) {
	e := s.eng
	ev, err := e.evaluate(w, wp, s.lastEps)
	if err != nil {
		return nil, err
	}
	s.bank.add(ev.w.bt, ev.wp.bt, e.c)
	n := float64(e.n)
	reg := 0.0
	for j := 0; j < e.rows; j++ {
		reg += norm(w[j*e.d:(j+1)*e.d]) + norm(wp[j*e.d:(j+1)*e.d])
	}
	res := Result{SquaredError: ev.se / n, Regularizer: e.beta2 * reg, Hinge: (sum(ev.w.relu) + sum(ev.wp.relu)) / n}
	res.Objective = res.SquaredError + res.Regularizer + e.cfg.Rho*res.Hinge
	if math.IsNaN(res.Objective) || math.IsInf(res.Objective, 0) {
		return nil, fmt.Errorf("certify: objective became %v", res.Objective)
	}
	if res.Objective < s.best {
		s.best, s.bestRes = res.Objective, res
		s.bestW, s.bestWp = append([]float64(nil), w...), append([]float64(nil), wp...)
	}
	return newDualPoint(ev, e.n), nil
}

// raise keeps the bound if it is better.
func (s *solver) raise(b bound) {
	if b.value > s.lower {
		s.lower = b.value
	}
}

// solveTo runs conjugate gradients with iterative refinement until the
// exact gradient of the squared error at d is within tol (per row) of the
// target g_t, and returns d with its exact residual evaluation.
func (s *solver) solveTo(d, target []float64, tol float64) ([]float64, *evaluation, error) {
	e := s.eng
	ev, err := e.residualExact(d)
	if err != nil {
		return nil, nil, err
	}
	exact := func(ev *evaluation) []float64 {
		rho := make([]float64, len(d))
		for i := range rho {
			rho[i] = target[i] - 2/float64(e.n)*ev.mtr[i]
		}
		return rho
	}
	rho := exact(ev)
	prev := rowMax(rho, e.d)
	for round := 0; round < 10 && prev > tol && !s.stop(); round++ {
		// The recursive residual of CG drifts from the true one by about
		// the rounding of the Hessian products times the starting
		// residual, so each round only aims at a bounded reduction.
		reduce := 1e-10
		if e.dt.Size() < 8 {
			reduce = 1e-4
		}
		nd, iters, err := s.linearSolve(d, rho, math.Max(tol/2, reduce*prev), s.opts.MaxIter)
		if err != nil {
			return nil, nil, err
		}
		if iters == 0 {
			break
		}
		nev, err := e.residualExact(nd)
		if err != nil {
			return nil, nil, err
		}
		nrho := exact(nev)
		now := rowMax(nrho, e.d)
		s.logf("cg", "pass %d: exact max row residual %.3g after %d iterations", e.passes, now, iters)
		if now < prev {
			d, ev, rho = nd, nev, nrho
		}
		if now > 0.7*prev {
			break // the rounding floor: refinement no longer helps
		}
		prev = now
	}
	return d, ev, nil
}

// MaxGramSize is the largest P*D for which Solve forms the sampled-Gram
// preconditioner; beyond it the Kronecker-factored one is used.
const MaxGramSize = 6000

// preconditioner builds the preconditioner the options ask for.
func (s *solver) preconditioner() (preconditioner, error) {
	e := s.eng
	size := e.cfg.P * e.d
	if rows := s.opts.GramRows; rows >= 0 && size <= MaxGramSize {
		if rows == 0 {
			rows = 4
		}
		images := (rows*size + e.pix - 1) / e.pix
		g, pixels, err := e.gramSample(images)
		if err != nil {
			return nil, err
		}
		s.logf("pre", "sampled Gram of %d pixels, %d x %d", pixels, size, size)
		// H = (2/N) M^T M ~ (2/N) (all pixels / sampled pixels) G_S.
		return newGramCholesky(g, size, e.cfg.Outputs(), 2/float64(e.n)*float64(e.n*e.pix)/float64(pixels))
	}
	gq, gy, count, subPix, err := e.kfacFactors(s.opts.KFACImages)
	if err != nil {
		return nil, err
	}
	// H = (2/N) M^T M ~ (2/N) (all pixels / sampled pixels) G_q (x) (G_y / count).
	scale := 2 / float64(e.n) * float64(e.n*e.pix) / float64(subPix) / math.Max(count, 1)
	return newKFAC(gq, gy, e.cfg.P, e.d, e.cfg.Outputs(), scale)
}

// run is the method of the package documentation.
func (s *solver) run(gates, w, wp []float64) error {
	e := s.eng
	kappa := math.Min(0.05, 0.1*math.Pow(s.opts.Tol, 2.0/3))
	tol := kappa * e.beta2
	s.epsStart, s.epsMin = 1e-1, 1e-9
	s.lastEps = s.epsStart

	// The objective at the starting weights.
	if _, err := s.consider(w, wp); err != nil {
		return err
	}
	s.record("start")

	var err error
	if s.pre, err = s.preconditioner(); err != nil {
		return err
	}

	// Anchor: the least-squares solution (u = 0), a strictly feasible dual point.
	d := make([]float64, len(w))
	for i := range d {
		d[i] = wp[i] - w[i]
	}
	// The anchor needs |M^T z_j| <= 2 beta only (no multipliers), so half of
	// that is plenty and leaves room for combinations.
	zero := make([]float64, len(d))
	d, ev, err := s.solveTo(d, zero, 0.5*e.beta2)
	if err != nil {
		return err
	}
	anchor := newDualPoint(ev, e.n)
	s.raise(s.certificate(nil, anchor))
	s.record("anchor")

	// Starting split: the store's w when it is consistent with d, else
	// w = -d/2 + |d_j| ubar_j/|ubar_j| (both branches pushed towards the
	// gate's own direction, which satisfies its sign constraints).
	wInit := make([]float64, len(w))
	p := e.cfg.P
	for j := 0; j < e.rows; j++ {
		lo, hi := j*e.d, (j+1)*e.d
		gate := gates[(j%p)*e.d : (j%p+1)*e.d]
		gn := norm(gate)
		dn := norm(d[lo:hi])
		for i := lo; i < hi; i++ {
			wInit[i] = -d[i] / 2
			if gn > 0 {
				wInit[i] += dn * gate[i-lo] / gn
			}
		}
	}

	// Fully corrective Frank-Wolfe on the dual (see doc.go): the atoms are
	// the points d_a = d(s_a) for the multipliers s_a found by the gate
	// subproblems (the anchor is s = 0), and every step maximises the dual
	// objective over all convex combinations of them.
	atoms := &atomSet{max: 40}
	atoms.add(d, anchor)
	last := anchor
	prevDual := math.Inf(-1)
	stalls := 0
	for !s.stop() {
		// Early splits only steer the iteration: their precision follows
		// the current gap, down to what the tolerance needs.
		gap := math.Min(relGap(s.best, s.lower), 1)
		s.slackTarget = slackShare * math.Max(s.opts.Tol, 0.1*gap) * math.Abs(s.lower)
		sp, err := s.split(d, wInit, math.Max(tol, 0.1*gap*e.beta2), s.opts.MaxIter)
		if err != nil {
			return err
		}
		wInit = sp.w
		if _, err := s.consider(sp.w, sp.wp); err != nil {
			return err
		}
		// The split keeps d, so its dual point is the current one (exact,
		// unlike the residual of the objective pass in float32) with the
		// split's multipliers.
		cur := *last
		cur.bw, cur.bp = sp.bw, sp.bp
		s.raise(s.certificate(&cur, anchor))
		s.record("split")
		if s.gapReached() || s.stop() {
			return nil
		}
		ds, evs, err := s.solveTo(d, sp.atom, tol)
		if err != nil {
			return err
		}
		atom := newDualPoint(evs, e.n)
		atom.bw, atom.bp = sp.bw, sp.bp
		s.raise(s.certificate(atom, anchor))
		atoms.add(ds, atom)
		next, nd, value := atoms.best(e.n)
		d, last = nd, next
		s.raise(s.certificate(next, anchor))
		s.record("step")
		s.logf("step", "%d atoms, dual objective of the combination %.12g", len(atoms.d), value)
		if s.gapReached() {
			return nil
		}
		if value <= prevDual+1e-13*math.Abs(value) {
			if stalls++; stalls >= 5 {
				s.logf("step", "no progress: stopping with relative gap %.3g", relGap(s.best, s.lower))
				return nil
			}
		} else {
			stalls = 0
		}
		prevDual = math.Max(prevDual, value)
	}
	return nil
}

// atomSet holds the Frank-Wolfe atoms: points d_a with their dual points.
// Atom 0 is the anchor and is never dropped.
type atomSet struct {
	max   int
	d     [][]float64
	p     []*dualPoint
	alpha []float64 // weights of the last combination (atoms 1..)
}

func (a *atomSet) add(d []float64, p *dualPoint) {
	a.d = append(a.d, append([]float64(nil), d...))
	a.p = append(a.p, p)
	if len(a.d) > a.max && len(a.alpha) > 0 {
		// Drop the atom (not the anchor) with the smallest weight.
		k, m := 1, math.Inf(1)
		for i, w := range a.alpha {
			if w < m && i+1 < len(a.d)-1 {
				k, m = i+1, w
			}
		}
		a.d = append(a.d[:k], a.d[k+1:]...)
		a.p = append(a.p[:k], a.p[k+1:]...)
	}
}

// best maximises the dual objective -(2/N) r.x - (1/N)|r|^2 over
// r = r_0 + sum_a alpha_a (r_a - r_0), alpha >= 0, sum alpha <= 1 (convex
// combinations of the atoms), and returns the combined dual point, d and
// the objective. Differences from atom 0 keep the small quadratic program
// well conditioned (the residuals themselves are nearly parallel).
func (a *atomSet) best(n int) (*dualPoint, []float64, float64) {
	k := len(a.d) - 1
	nn := float64(n)
	p0 := a.p[0]
	dr := make([][]float64, k)
	for i := range dr {
		dr[i] = make([]float64, len(p0.r))
		for j := range p0.r {
			dr[i][j] = a.p[i+1].r[j] - p0.r[j]
		}
	}
	// Objective -(2/N)(rx_0 + alpha.drx) - (1/N)|r_0 + sum alpha dr|^2; we
	// minimise f(alpha) = alpha^T G alpha / N + 2 alpha.h / N with
	// G = dr_a . dr_b and h_a = drx_a + r_0 . dr_a.
	g := make([]float64, k*k)
	h := make([]float64, k)
	lip := 0.0
	for i := 0; i < k; i++ {
		h[i] = a.p[i+1].rx - p0.rx + dot(p0.r, dr[i])
		for j := 0; j <= i; j++ {
			x := dot(dr[i], dr[j])
			g[i*k+j], g[j*k+i] = x, x
		}
		lip += 2 * g[i*k+i] / nn
	}
	alpha := make([]float64, k)
	if len(a.alpha) > 0 {
		copy(alpha, a.alpha)
	}
	if lip > 0 {
		y := append([]float64(nil), alpha...)
		prev := make([]float64, k)
		tk := 1.0
		for it := 0; it < 20000; it++ {
			copy(prev, alpha)
			for i := 0; i < k; i++ {
				grad := 2 * h[i] / nn
				for j := 0; j < k; j++ {
					grad += 2 * g[i*k+j] * y[j] / nn
				}
				alpha[i] = y[i] - grad/lip
			}
			projectCappedSimplex(alpha)
			tn := (1 + math.Sqrt(1+4*tk*tk)) / 2
			moved := 0.0
			for i := range y {
				y[i] = alpha[i] + (tk-1)/tn*(alpha[i]-prev[i])
				moved = math.Max(moved, math.Abs(alpha[i]-prev[i]))
			}
			tk = tn
			if moved < 1e-15 && it > 10 {
				break
			}
		}
	}
	a.alpha = alpha
	out := &dualPoint{r: append([]float64(nil), p0.r...), v: append([]float64(nil), p0.v...), rx: p0.rx}
	d := append([]float64(nil), a.d[0]...)
	for i := 0; i < k; i++ {
		w := alpha[i]
		if w == 0 {
			continue
		}
		pa := a.p[i+1]
		for j := range out.r {
			out.r[j] += w * dr[i][j]
		}
		for j := range out.v {
			out.v[j] += w * (pa.v[j] - p0.v[j])
		}
		for j := range d {
			d[j] += w * (a.d[i+1][j] - a.d[0][j])
		}
		if pa.bw != nil {
			if out.bw == nil {
				out.bw, out.bp = make([]float64, len(pa.bw)), make([]float64, len(pa.bp))
			}
			for j := range pa.bw {
				out.bw[j] += w * pa.bw[j]
				out.bp[j] += w * pa.bp[j]
			}
		}
		out.rx += w * (pa.rx - p0.rx)
	}
	out.rr = dot(out.r, out.r)
	return out, d, -2/nn*out.rx - out.rr/nn
}

func checkImages(noisy, clean *datasets.Images, cfg stcnn.Config) error {
	if noisy == nil || clean == nil {
		return errors.New("certify: nil images")
	}
	if noisy.N != clean.N || noisy.H != clean.H || noisy.W != clean.W || noisy.N == 0 {
		return fmt.Errorf("certify: noisy images %dx%dx%d and clean images %dx%dx%d do not pair up",
			noisy.N, noisy.H, noisy.W, clean.N, clean.H, clean.W)
	}
	if noisy.C != cfg.Channels || clean.C != cfg.Outputs() {
		return fmt.Errorf("certify: images have %d -> %d channels, the model %d -> %d", noisy.C, clean.C, cfg.Channels, cfg.Outputs())
	}
	return nil
}
