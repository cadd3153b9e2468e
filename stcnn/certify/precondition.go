package certify

import (
	"errors"

	"gonum.org/v1/gonum/mat"
)

// preconditioner applies an approximation of the inverse of the Hessian of
// the squared error, H = (2/N) M^T M, to a gradient [C*P*D].
type preconditioner interface {
	apply(dst, g []float64)
}

// gramCholesky is the sampled-Gram preconditioner: H ~ scale * G_S with
// G_S = sum_{i in S} (q_i (x) y_i)(q_i (x) y_i)^T the exact Gram matrix of
// the rows of M at a sample S of pixels, scale = (2/N) (all pixels / |S|),
// applied through its Cholesky factor. Output channels share M, so every
// channel uses the same factor.
//
// The sample is the pixels of the first images (the data sets are random
// subsets, so these are a random sample of images). A random row sample
// of a tall matrix with |S| a few times its P*D columns keeps the eigenvalues of G_S^{-1} M^T M within a small factor of
// each other when no row dominates (the sketch-and-precondition idea of
// Blendenpik and LSRN), whereas the Kronecker approximation of kfac.go
// leaves a condition number of about 1e3. Forming G_S costs |S| (P D)^2
// multiply-adds and factoring it (P D)^3/3, so it serves while P*D is a
// few thousand.
type gramCholesky struct {
	ch, size int
	chol     mat.Cholesky
	scale    float64
	b, x     *mat.VecDense
}

// newGramCholesky factors scale*g + delta I for a [size, size] Gram g,
// with delta a small multiple of the mean diagonal (directions the sample
// never saw, such as gates inactive on it, keep a bounded inverse).
func newGramCholesky(g []float64, size, channels int, scale float64) (*gramCholesky, error) {
	if len(g) != size*size {
		return nil, errors.New("certify: sampled Gram has the wrong size")
	}
	mean := 0.0
	for i := 0; i < size; i++ {
		mean += g[i*size+i]
	}
	mean /= float64(size)
	if !(mean > 0) {
		return nil, errors.New("certify: preconditioner: the masks are zero everywhere")
	}
	k := &gramCholesky{ch: channels, size: size, scale: scale,
		b: mat.NewVecDense(size, nil), x: mat.NewVecDense(size, nil)}
	for delta := 1e-6 * mean; delta < mean; delta *= 10 {
		a := mat.NewSymDense(size, append([]float64(nil), g...))
		for i := 0; i < size; i++ {
			a.SetSym(i, i, a.At(i, i)+delta)
		}
		if k.chol.Factorize(a) {
			return k, nil
		}
	}
	return nil, errors.New("certify: the sampled Gram matrix could not be factored")
}

// apply writes (scale G_S)^{-1} g into dst, channel by channel.
func (k *gramCholesky) apply(dst, g []float64) {
	for c := 0; c < k.ch; c++ {
		copy(k.b.RawVector().Data, g[c*k.size:(c+1)*k.size])
		if err := k.chol.SolveVecTo(k.x, k.b); err != nil {
			// gonum reports an ill-conditioned factor as mat.Condition
			// after writing the solution, which still preconditions; any
			// other error leaves the identity rather than a stale dst.
			var cond mat.Condition
			if !errors.As(err, &cond) {
				copy(dst[c*k.size:(c+1)*k.size], g[c*k.size:(c+1)*k.size])
				continue
			}
		}
		out := dst[c*k.size : (c+1)*k.size]
		for i, v := range k.x.RawVector().Data {
			out[i] = v / k.scale
		}
	}
}
