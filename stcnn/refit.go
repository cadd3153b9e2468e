package stcnn

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/convexst/stcnn/datasets"
	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
)

// RefitPrimal builds a primal ST network from a dual solution by keeping
// the directions the dual found and fitting everything else, instead of
// eq. 47's fixed scales (RebuildPrimal):
//
//  1. Directions. Every row (gate j, channel c) with d_jc = w'_jc - w_jc != 0
//     gives a neuron u_k = a_k d_jc/||d_jc||.
//  2. Scales. ST_l(Y a n) = a ST_{l/a}(Y n), so the scale sets the
//     neuron's threshold l/a relative to its activations. a_k is chosen so
//     that the neuron is active (|y_i . u_k| >= l) on the same fraction of
//     patches as its gate ubar_j (|y_i . ubar_j| >= l), the fraction on
//     which the dual unit Q_j (.) Y d_jc is nonzero: the threshold sits in
//     the range where the unit is active. The fraction and the quantile are
//     measured on the first RefitOptions.SampleImages images. A common
//     multiplier of all scales is then chosen from RefitOptions.ScaleFactors
//     by the primal objective after step 3 (the quantile match places the
//     thresholds; the multiplier calibrates them jointly).
//  3. Output weights. With the hidden features Phi = ST_l(Y U^T) fixed,
//     the primal objective (1/N)|Phi v_c - x_c|^2 + beta |v|^2 (+ the
//     constant beta sum |u_k|^2) is a ridge regression per output channel,
//     v_c = (Phi^T Phi + N beta I)^{-1} Phi^T x_c, solved exactly (Cholesky,
//     float64 Gram accumulated over all images). Every neuron feeds every
//     output channel.
//
// Neurons whose gate is never active on the sample are dropped. The primal
// (K = number of neurons kept, the dual's m, lambda, beta, channels and
// dtype) is written into a new store.
func RefitPrimal(backend compute.Backend, dualStore *model.Store, dual *DualModel, noisy, clean *datasets.Images, opts RefitOptions) (*PrimalModel, *model.Store, *RefitInfo, error) {
	if dual == nil || dualStore == nil {
		return nil, nil, nil, errors.New("stcnn: RefitPrimal: nil dual model or store")
	}
	cfg := dual.Config()
	if err := CheckPair(noisy, clean, dual); err != nil {
		return nil, nil, nil, fmt.Errorf("stcnn: RefitPrimal: %w", err)
	}
	if opts.SampleImages <= 0 {
		opts.SampleImages = 32
	}
	if opts.MaxChunkElements <= 0 {
		opts.MaxChunkElements = DefaultMaxChunkElements
	}
	if len(opts.ScaleFactors) == 0 {
		opts.ScaleFactors = []float64{0.5, 0.71, 1, 1.41, 2}
	}
	for _, f := range opts.ScaleFactors {
		if !(f > 0) || math.IsInf(f, 0) {
			return nil, nil, nil, fmt.Errorf("stcnn: RefitPrimal: scale factor %v, want finite and > 0", f)
		}
	}
	vals := map[string][]float64{}
	scope := dual.Scope(dualStore)
	for _, name := range []string{"gates", "w", "w_prime"} {
		v := scope.GetVariable(name)
		if v == nil {
			return nil, nil, nil, fmt.Errorf("stcnn: RefitPrimal: dual variable %q not found (call Init first)", name)
		}
		t, err := v.Value()
		if err != nil {
			return nil, nil, nil, err
		}
		if vals[name], err = Float64s(t); err != nil {
			return nil, nil, nil, err
		}
	}
	d, c, p := cfg.PatchSize(), cfg.Outputs(), cfg.P
	var dirs []float64 // unit directions, [K, D]
	var gateOf []int
	for ch := 0; ch < c; ch++ {
		for j := 0; j < p; j++ {
			row := make([]float64, d)
			for i := range row {
				k := (ch*p+j)*d + i
				row[i] = vals["w_prime"][k] - vals["w"][k]
			}
			n := floats.Norm(row, 2)
			if n == 0 {
				continue
			}
			for i := range row {
				row[i] /= n
			}
			dirs = append(dirs, row...)
			gateOf = append(gateOf, j)
		}
	}
	info := &RefitInfo{Rows: len(gateOf)}
	if len(gateOf) == 0 {
		return nil, nil, nil, errors.New("stcnn: RefitPrimal: the dual's weights are all zero (w' - w = 0): nothing to refit")
	}

	// Scales from the activations on a sample.
	sample := min(opts.SampleImages, noisy.N)
	sub, err := noisy.Slice(0, sample)
	if err != nil {
		return nil, nil, nil, err
	}
	gdt := dtypes.Float64
	proj, err := NewExec(backend, func(in []*Node) []*Node {
		y := Patches(in[0], cfg.M)
		return []*Node{Abs(dotRowsT(in[1], y)), Abs(dotRowsT(in[2], y))} // [P, I], [K, I]
	})
	if err != nil {
		return nil, nil, nil, err
	}
	k := len(gateOf)
	outs, err := proj.Exec(ImagesTensor(sub, gdt), TensorFromFloat64s(vals["gates"], gdt, p, d), TensorFromFloat64s(dirs, gdt, k, d))
	if err != nil {
		return nil, nil, nil, fmt.Errorf("stcnn: RefitPrimal: activations: %w", err)
	}
	gAct, err := Float64s(outs[0])
	if err != nil {
		return nil, nil, nil, err
	}
	nAct, err := Float64s(outs[1])
	if err != nil {
		return nil, nil, nil, err
	}
	pixels := len(gAct) / p
	var us []float64
	var kept []int
	for kk, j := range gateOf {
		active := 0
		for _, g := range gAct[j*pixels : (j+1)*pixels] {
			if g >= cfg.Lambda {
				active++
			}
		}
		if active == 0 {
			continue
		}
		a := append([]float64(nil), nAct[kk*pixels:(kk+1)*pixels]...)
		slices.Sort(a)
		q := a[pixels-active] // the active-th largest |y . n|
		if !(q > 0) {
			continue
		}
		scale := cfg.Lambda / q
		// ST_l(y . scale n) is nonzero exactly where |y . n| > q: the
		// neuron is active on the gate's fraction of patches (ties aside).
		for i := 0; i < d; i++ {
			us = append(us, scale*dirs[kk*d+i])
		}
		kept = append(kept, kk)
		info.Scales = append(info.Scales, scale)
	}
	k = len(kept)
	if k == 0 {
		return nil, nil, nil, fmt.Errorf("stcnn: RefitPrimal: no gate is active on the first %d images", sample)
	}
	info.K = k

	// Output weights: ridge regression on the features over all images.
	gram, err := NewExec(backend, func(in []*Node) []*Node {
		phi := SoftThreshold(dotRowsT(in[2], Patches(in[0], cfg.M)), cfg.Lambda) // [K, I]
		x := channelMajor(in[1])                                                 // [C, I]
		return []*Node{dotRowsT(phi, phi), dotRowsT(phi, x)}
	})
	if err != nil {
		return nil, nil, nil, err
	}
	xx := 0.0
	for _, x := range clean.Pixels {
		xx += float64(x) * float64(x)
	}
	fit := &ridgeFit{gram: gram, noisy: noisy, clean: clean, k: k, c: c, d: d, xx: xx, beta: cfg.Beta,
		per: max(1, opts.MaxChunkElements/max(1, noisy.H*noisy.W*k))}
	var vFlat []float64
	best := math.Inf(1)
	base := us
	for _, factor := range opts.ScaleFactors {
		scaled := make([]float64, len(base))
		floats.ScaleTo(scaled, factor, base)
		v, obj, err := fit.solve(scaled)
		if err != nil {
			return nil, nil, nil, err
		}
		info.Objectives = append(info.Objectives, obj)
		if obj < best {
			best, us, vFlat, info.ScaleFactor = obj, scaled, v, factor
		}
	}
	for i := range info.Scales {
		info.Scales[i] *= info.ScaleFactor
	}
	pcfg := Config{Model: Primal, K: k, M: cfg.M, Channels: cfg.Channels, OutChannels: cfg.OutChannels, Lambda: cfg.Lambda, Beta: cfg.Beta,
		Activation: ActivationST, DType: cfg.DType}
	primal, err := NewPrimal(pcfg)
	if err != nil {
		return nil, nil, nil, err
	}
	store := model.NewStore()
	ps := primal.Scope(store)
	dt := pcfg.GoMLXDType()
	ps.VariableWithValue("u", TensorFromFloat64s(us, dt, k, d))
	ps.VariableWithValue("v", TensorFromFloat64s(vFlat, dt, c, k))
	return primal, store, info, nil
}

// RefitOptions control RefitPrimal; the zero value gives the defaults.
type RefitOptions struct {
	// SampleImages is the number of leading images whose patches set the
	// scales (0: 32).
	SampleImages int
	// MaxChunkElements bounds the hidden features [K, I] of one graph
	// execution of the least-squares pass (0: DefaultMaxChunkElements).
	MaxChunkElements int
	// ScaleFactors are common multipliers of all the scales a_k tried (one
	// least-squares pass each); the one with the lowest primal objective
	// is kept (nil: 0.5, 0.71, 1, 1.41, 2).
	ScaleFactors []float64
}

// RefitInfo describes a refitted primal.
type RefitInfo struct {
	// Rows is the number of nonzero dual rows, K the neurons kept.
	Rows int `json:"rows"`
	K    int `json:"K"`
	// Scales are the filter norms a_k chosen for the kept neurons,
	// including ScaleFactor, the multiplier kept; Objectives are the primal
	// objectives of every multiplier tried, in the order of
	// RefitOptions.ScaleFactors.
	Scales      []float64 `json:"scales"`
	ScaleFactor float64   `json:"scale_factor"`
	Objectives  []float64 `json:"objectives"`
}

// ridgeFit solves the least-squares problem of RefitPrimal's step 3 for
// given filters.
type ridgeFit struct {
	gram         *Exec
	noisy, clean *datasets.Images
	k, c, d, per int
	xx, beta     float64 // |x|^2 over all images and beta
}

// solve returns the output weights [C, K] for filters us [K, D] and the
// primal objective (1/N)|Phi V^T - X|^2 + beta (|U|^2 + |V|^2) they give,
// from the Gram matrix Phi^T Phi and Phi^T X (float64 graphs).
func (f *ridgeFit) solve(us []float64) ([]float64, float64, error) {
	k, c, n := f.k, f.c, f.noisy.N
	ut := TensorFromFloat64s(us, dtypes.Float64, k, f.d)
	var g, b []float64
	for from := 0; from < n; from += f.per {
		to := min(n, from+f.per)
		ny, err := f.noisy.Slice(from, to)
		if err != nil {
			return nil, 0, err
		}
		nx, err := f.clean.Slice(from, to)
		if err != nil {
			return nil, 0, err
		}
		out, err := f.gram.Exec(ImagesTensor(ny, dtypes.Float64), ImagesTensor(nx, dtypes.Float64), ut)
		if err != nil {
			return nil, 0, fmt.Errorf("stcnn: RefitPrimal: features: %w", err)
		}
		gv, err := Float64s(out[0])
		if err != nil {
			return nil, 0, err
		}
		bv, err := Float64s(out[1])
		if err != nil {
			return nil, 0, err
		}
		g, b = addF(g, gv), addF(b, bv)
	}
	ridge := float64(n) * f.beta
	sym := mat.NewSymDense(k, nil)
	for i := 0; i < k; i++ {
		for j := i; j < k; j++ {
			sym.SetSym(i, j, g[i*k+j])
		}
		sym.SetSym(i, i, g[i*k+i]+ridge)
	}
	var chol mat.Cholesky
	if !chol.Factorize(sym) {
		return nil, 0, errors.New("stcnn: RefitPrimal: the features' Gram matrix plus N beta I is not positive definite (beta = 0 with dependent neurons?)")
	}
	var v mat.Dense
	// A mat.Condition error only reports a large condition number (the
	// ridge N beta keeps the system solvable); the solution is written.
	if err := chol.SolveTo(&v, mat.NewDense(k, c, b)); err != nil {
		if _, ok := err.(mat.Condition); !ok {
			return nil, 0, fmt.Errorf("stcnn: RefitPrimal: output weights: %w", err)
		}
	}
	vFlat := make([]float64, c*k) // [C, K]
	se := f.xx
	for ch := 0; ch < c; ch++ {
		vc := make([]float64, k)
		bc := make([]float64, k)
		for i := 0; i < k; i++ {
			vc[i], bc[i] = v.At(i, ch), b[i*c+ch]
			vFlat[ch*k+i] = vc[i]
		}
		gv := mat.NewVecDense(k, nil)
		gv.MulVec(mat.NewDense(k, k, g), mat.NewVecDense(k, vc))
		se += floats.Dot(vc, gv.RawVector().Data) - 2*floats.Dot(vc, bc)
	}
	reg := floats.Dot(us, us) + floats.Dot(vFlat, vFlat)
	return vFlat, se/float64(n) + f.beta*reg, nil
}

// channelMajor turns images [n, H, W, C] into [C, n*H*W].
func channelMajor(x *Node) *Node {
	c := x.Shape().Dim(3)
	return Transpose(Reshape(x, -1, c), 0, 1)
}

// addF returns acc + v (a copy of v when acc is nil).
func addF(acc, v []float64) []float64 {
	if acc == nil {
		return append([]float64(nil), v...)
	}
	floats.Add(acc, v)
	return acc
}
