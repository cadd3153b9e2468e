package certify

import (
	"fmt"

	"github.com/convexst/stcnn/datasets"
	"github.com/convexst/stcnn/stcnn"
	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

// engine runs the operator graphs over all chunks of a data set and sums
// their outputs on the host in float64. All host vectors of weights are
// row-major [C*P, D] (row c*P + j).
type engine struct {
	cfg     stcnn.Config
	dt      dtypes.DType
	n       int     // images N
	pix     int     // pixels per image H*W
	c       float64 // rho/N, the bound of the hinge multipliers
	beta2   float64 // 2 beta
	rows, d int     // C*P and D

	gates  *tensors.Tensor
	chunks []chunk
	ms     maskSource
	// noisy and chunkImages serve the preconditioners' samples, which
	// take exactly the images they need rather than whole chunks.
	noisy       *datasets.Images
	chunkImages int

	full, resid, hinge, hingeRows, gram, kfac, sampledGram *Exec
	passes                                                 int // data passes run (each over all chunks)

	// exact is the float64 residual pass used for certificates and
	// iterative refinement when the graphs run in a lower precision (nil
	// when dt is float64: resid is exact then).
	exact *exactPass
}

// exactPass holds the float64 copies of the data and gates and the
// float64 residual graph (masks recomputed in every pass: cached float64
// masks would double the cache).
type exactPass struct {
	exec   *Exec
	gates  *tensors.Tensor
	chunks []chunk
}

type chunk struct {
	noisy, clean *tensors.Tensor
	q, s         *tensors.Tensor // cached masks (nil unless cached)
	pixels       int             // n*H*W
}

// newEngine prepares the chunks of (noisy, clean) and compiles the graphs.
// cacheBytes bounds the memory used to keep the masks q and s of every
// chunk between passes (0: recompute them in every pass).
func newEngine(backend compute.Backend, cfg stcnn.Config, gates *tensors.Tensor, noisy, clean *datasets.Images, chunkImages int, cacheBytes int64) (*engine, error) {
	e := &engine{cfg: cfg, dt: cfg.GoMLXDType(), n: noisy.N, pix: noisy.H * noisy.W, gates: gates,
		rows: cfg.P * cfg.Outputs(), d: cfg.PatchSize(), noisy: noisy}
	e.c = cfg.Rho / float64(noisy.N)
	e.beta2 = 2 * cfg.Beta
	if chunkImages <= 0 {
		// The largest intermediates are [P, I] (masks, activations);
		// stcnn.DefaultMaxChunkElements of them per chunk, like stcnn.Trainer.
		chunkImages = stcnn.ChunkImages(e.pix, cfg.P*cfg.Outputs(), 0)
	}
	e.chunkImages = chunkImages
	maskBytes := int64(2*cfg.P*e.pix*noisy.N) * int64(e.dt.Size())
	e.ms = maskSource{cached: cacheBytes > 0 && maskBytes <= cacheBytes}
	var err error
	mk := func(f func([]*Node) []*Node) *Exec {
		if err != nil {
			return nil
		}
		var ex *Exec
		ex, err = NewExec(backend, f)
		return ex
	}
	e.full = mk(fullGraph(cfg, e.ms))
	e.resid = mk(residualGraph(cfg, e.ms))
	e.hinge = mk(hingeGraph(cfg, e.ms))
	e.hingeRows = mk(hingeRowsGraph(cfg, e.ms))
	e.gram = mk(gramGraph(cfg, e.ms))
	e.kfac = mk(kfacGraph(cfg))
	e.sampledGram = mk(sampledGramGraph(cfg))
	masks := mk(maskGraph(cfg))
	var exact *Exec
	if e.dt != dtypes.Float64 {
		exact = mk(residualGraph(cfg, maskSource{}))
	}
	if err != nil {
		return nil, err
	}
	if exact != nil {
		g, err := stcnn.Float64s(gates)
		if err != nil {
			return nil, err
		}
		e.exact = &exactPass{exec: exact, gates: hostTensor(g, dtypes.Float64, gates.Shape().Dimensions...)}
	}
	for from := 0; from < noisy.N; from += chunkImages {
		to := min(noisy.N, from+chunkImages)
		ny, err := noisy.Slice(from, to)
		if err != nil {
			return nil, err
		}
		nx, err := clean.Slice(from, to)
		if err != nil {
			return nil, err
		}
		ch := chunk{noisy: stcnn.ImagesTensor(ny, e.dt), clean: stcnn.ImagesTensor(nx, e.dt), pixels: (to - from) * e.pix}
		if e.exact != nil {
			e.exact.chunks = append(e.exact.chunks, chunk{noisy: stcnn.ImagesTensor(ny, dtypes.Float64),
				clean: stcnn.ImagesTensor(nx, dtypes.Float64), pixels: ch.pixels})
		}
		if e.ms.cached {
			out, err := masks.Exec(ch.noisy, gates)
			if err != nil {
				return nil, fmt.Errorf("certify: computing masks: %w", err)
			}
			ch.q, ch.s = out[0], out[1]
		}
		e.chunks = append(e.chunks, ch)
	}
	return e, nil
}

// src returns the leading inputs of every graph for chunk ch.
func (e *engine) src(ch chunk) []any {
	if e.ms.cached {
		return []any{ch.noisy, ch.q, ch.s}
	}
	return []any{ch.noisy, e.gates}
}

func (e *engine) weights(v []float64) *tensors.Tensor {
	return hostTensor(v, e.dt, e.rows, e.d)
}

func (e *engine) scalar(v float64) *tensors.Tensor {
	if e.dt == dtypes.Float64 {
		return tensors.FromScalar(v)
	}
	return tensors.FromScalar(float32(v))
}

// branch holds the hinge quantities of one branch (w or w'), summed over
// all images; see hingeParts.
type branch struct {
	relu, rm, mm []float64 // per row [C*P]
	bt           []float64 // B^T m [C*P*D]
	band         []float64 // band Grams, upper triangles [C*P*D(D+1)/2] (nil from the full pass)
}

// evaluation is the outcome of a full pass at (w, w').
type evaluation struct {
	se, rx float64   // sum r^2 and sum r.x, r = M(w'-w) - x
	mtr    []float64 // M^T r
	r      []float64 // the residual, chunk after chunk, channel-major within a chunk
	w, wp  branch
}

// evaluate runs fullGraph at (w, w') with Huber width eps.
func (e *engine) evaluate(w, wp []float64, eps float64) (*evaluation, error) {
	return e.pass(e.full, e.chunks, e.src, []any{e.weights(w), e.weights(wp), e.scalar(1 / eps)}, "evaluation", true)
}

// residual is the data half of a full pass at d = w' - w: sum r^2,
// sum r.x, M^T r and r.
func (e *engine) residual(d []float64) (*evaluation, error) {
	return e.pass(e.resid, e.chunks, e.src, []any{e.weights(d)}, "residual", false)
}

// residualExact is residual in float64 arithmetic whatever the graphs'
// dtype: the residual, its products and M^T r that certificates and
// iterative refinement rely on. In float32, M^T r sums hundreds of
// thousands of terms that cancel almost exactly near an optimum (each row
// ends within 2 beta of zero), and its rounding is larger than 2 beta
// itself on MNIST; in float64 it is about 1e-9 of that.
func (e *engine) residualExact(d []float64) (*evaluation, error) {
	if e.exact == nil {
		return e.residual(d)
	}
	src := func(ch chunk) []any { return []any{ch.noisy, e.exact.gates} }
	return e.pass(e.exact.exec, e.exact.chunks, src, []any{hostTensor(d, dtypes.Float64, e.rows, e.d)}, "exact residual", false)
}

// pass runs graph ex over chunks, with inputs src(ch), the chunk's clean
// images and then extra, and sums its outputs: sum r^2, sum r.x and M^T r,
// then, when branches is set, the four sums of each of w and w' (fullGraph),
// and last the residual r.
func (e *engine) pass(ex *Exec, chunks []chunk, src func(chunk) []any, extra []any, what string, branches bool) (*evaluation, error) {
	ev := &evaluation{}
	for _, ch := range chunks {
		out, err := ex.Exec(append(append(src(ch), ch.clean), extra...)...)
		if err != nil {
			return nil, fmt.Errorf("certify: %s pass: %w", what, err)
		}
		vals, err := hostFloats(out)
		if err != nil {
			return nil, err
		}
		ev.se += vals[0][0]
		ev.rx += vals[1][0]
		ev.mtr = addInto(ev.mtr, vals[2])
		if branches {
			ev.w.add(vals[3:7])
			ev.wp.add(vals[7:11])
		}
		ev.r = append(ev.r, vals[len(vals)-1]...)
	}
	e.passes++
	return ev, nil
}

// hinges runs hingeGraph at (w, w').
func (e *engine) hinges(w, wp []float64, eps float64) (bw, bwp branch, err error) {
	return e.hingePass(e.hinge, e.weights(w), e.weights(wp), e.scalar(1/eps))
}

// hingePass runs a hinge graph over all chunks (inputs: the chunk's, then
// extra) and sums the two branches' outputs: the first half of the
// outputs belongs to w, the second to w'.
func (e *engine) hingePass(ex *Exec, extra ...any) (bw, bwp branch, err error) {
	for _, ch := range e.chunks {
		out, err := ex.Exec(append(e.src(ch), extra...)...)
		if err != nil {
			return bw, bwp, fmt.Errorf("certify: hinge pass: %w", err)
		}
		vals, err := hostFloats(out)
		if err != nil {
			return bw, bwp, err
		}
		bw.add(vals[:len(vals)/2])
		bwp.add(vals[len(vals)/2:])
	}
	e.passes++
	return bw, bwp, nil
}

// hingesOn is hinges on the listed rows only (row c*P + j of w and w',
// both [C*P*D]); its branches hold those rows in the order listed. The
// graph is compiled for row counts that are powers of two (at least 8), the
// last row standing in for the missing ones.
func (e *engine) hingesOn(rows []int, w, wp []float64, eps float64) (bw, bwp branch, err error) {
	k := len(rows)
	if k == 0 {
		return bw, bwp, nil
	}
	size := 8
	for size < k {
		size *= 2
	}
	idx := make([]int32, size)
	ws, wps := make([]float64, size*e.d), make([]float64, size*e.d)
	for i := range idx {
		r := rows[min(i, k-1)]
		idx[i] = int32(r % e.cfg.P)
		copy(ws[i*e.d:(i+1)*e.d], w[r*e.d:(r+1)*e.d])
		copy(wps[i*e.d:(i+1)*e.d], wp[r*e.d:(r+1)*e.d])
	}
	bw, bwp, err = e.hingePass(e.hingeRows, tensors.FromFlatDataAndDimensions(idx, size, 1),
		hostTensor(ws, e.dt, size, e.d), hostTensor(wps, e.dt, size, e.d), e.scalar(1/eps))
	if err != nil {
		return bw, bwp, err
	}
	bw.truncate(k, e.d)
	bwp.truncate(k, e.d)
	return bw, bwp, nil
}

// truncate keeps the first k rows (rows of d weights).
func (b *branch) truncate(k, d int) {
	b.relu, b.rm, b.mm, b.bt = b.relu[:k], b.rm[:k], b.mm[:k], b.bt[:k*d]
	if b.band != nil {
		b.band = b.band[:k*d*(d+1)/2]
	}
}

// scatter writes the rows of src, which hold the listed rows in order,
// into b (all rows).
func (b *branch) scatter(src branch, rows []int, d int) {
	t := d * (d + 1) / 2
	for i, r := range rows {
		b.relu[r], b.rm[r], b.mm[r] = src.relu[i], src.rm[i], src.mm[i]
		copy(b.bt[r*d:(r+1)*d], src.bt[i*d:(i+1)*d])
		if b.band != nil && src.band != nil {
			copy(b.band[r*t:(r+1)*t], src.band[i*t:(i+1)*t])
		}
	}
}

// gramMul returns M^T M d for each direction of ds (each [C*P*D]).
func (e *engine) gramMul(ds ...[]float64) ([][]float64, error) {
	k, size := len(ds), e.rows*e.d
	flat := make([]float64, 0, k*size)
	for _, d := range ds {
		flat = append(flat, d...)
	}
	td := hostTensor(flat, e.dt, k, e.rows, e.d)
	var acc []float64
	for _, ch := range e.chunks {
		out, err := e.gram.Exec(append(e.src(ch), td)...)
		if err != nil {
			return nil, fmt.Errorf("certify: Hessian pass: %w", err)
		}
		vals, err := stcnn.Float64s(out[0])
		if err != nil {
			return nil, err
		}
		acc = addInto(acc, vals)
	}
	e.passes++
	res := make([][]float64, k)
	for i := range res {
		res[i] = acc[i*size : (i+1)*size]
	}
	return res, nil
}

// samplePass runs ex (inputs: noisy images, gates) over the first
// `images` images (all of them if there are fewer), at most a chunk at a
// time, and returns its outputs summed over them with their pixel count:
// the preconditioners are built from a sample of the data, not from all of
// it, and the sample's cost grows with its size (a sampled Gram costs
// pixels x (P D)^2), so it takes no image more than it needs.
func (e *engine) samplePass(ex *Exec, images int) (sums [][]float64, pixels int, err error) {
	images = min(max(images, 1), e.n)
	for from := 0; from < images; from += e.chunkImages {
		to := min(images, from+e.chunkImages)
		ny, err := e.noisy.Slice(from, to)
		if err != nil {
			return nil, 0, err
		}
		out, err := ex.Exec(stcnn.ImagesTensor(ny, e.dt), e.gates)
		if err != nil {
			return nil, 0, fmt.Errorf("certify: preconditioner pass: %w", err)
		}
		vals, err := hostFloats(out)
		if err != nil {
			return nil, 0, err
		}
		if sums == nil {
			sums = make([][]float64, len(vals))
		}
		for i, v := range vals {
			sums[i] = addInto(sums[i], v)
		}
		pixels += (to - from) * e.pix
	}
	return sums, pixels, nil
}

// kfacFactors sums the Kronecker factors of kfacGraph over a sample of at
// least `images` images (samplePass).
func (e *engine) kfacFactors(images int) (gq, gy []float64, count float64, pixels int, err error) {
	sums, pixels, err := e.samplePass(e.kfac, images)
	if err != nil {
		return nil, nil, 0, 0, err
	}
	return sums[0], sums[1], sums[2][0], pixels, nil
}

// gramSample sums the Gram matrix of M's rows (one output channel) over a
// sample of at least `images` images (samplePass).
func (e *engine) gramSample(images int) (g []float64, pixels int, err error) {
	sums, pixels, err := e.samplePass(e.sampledGram, images)
	if err != nil {
		return nil, 0, err
	}
	return sums[0], pixels, nil
}

func (b *branch) add(vals [][]float64) {
	b.relu = addInto(b.relu, vals[0])
	b.rm = addInto(b.rm, vals[1])
	b.mm = addInto(b.mm, vals[2])
	b.bt = addInto(b.bt, vals[3])
	if len(vals) > 4 {
		b.band = addInto(b.band, vals[4])
	}
}

// hostFloats converts graph outputs to float64 slices.
func hostFloats(out []*tensors.Tensor) ([][]float64, error) {
	vals := make([][]float64, len(out))
	for i, t := range out {
		v, err := stcnn.Float64s(t)
		if err != nil {
			return nil, err
		}
		vals[i] = v
	}
	return vals, nil
}

// addInto returns acc + v (v itself, copied, when acc is nil).
func addInto(acc, v []float64) []float64 {
	if acc == nil {
		return append([]float64(nil), v...)
	}
	for i := range acc {
		acc[i] += v[i]
	}
	return acc
}

// hostTensor converts float64 host values to a tensor of dtype dt.
func hostTensor(v []float64, dt dtypes.DType, dims ...int) *tensors.Tensor {
	return stcnn.TensorFromFloat64s(v, dt, dims...)
}
