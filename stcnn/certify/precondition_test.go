package certify

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestGramCholeskyInverse checks that apply inverts scale*G channel by
// channel (up to the small diagonal shift that keeps the factor positive).
func TestGramCholeskyInverse(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	size, ch, scale := 6, 2, 0.3
	a := randVec(rng, 10*size, 1)
	g := make([]float64, size*size)
	for i := 0; i < size; i++ {
		for j := 0; j < size; j++ {
			for k := 0; k < 10; k++ {
				g[i*size+j] += a[k*size+i] * a[k*size+j]
			}
		}
	}
	pre, err := newGramCholesky(g, size, ch, scale)
	if err != nil {
		t.Fatal(err)
	}
	x := randVec(rng, ch*size, 1)
	y := make([]float64, len(x))
	pre.apply(y, x)
	for c := 0; c < ch; c++ {
		for i := 0; i < size; i++ {
			s := 0.0
			for j := 0; j < size; j++ {
				s += scale * g[i*size+j] * y[c*size+j]
			}
			if want := x[c*size+i]; math.Abs(s-want) > 1e-4*(1+math.Abs(want)) {
				t.Fatalf("channel %d entry %d: %g, want %g", c, i, s, want)
			}
		}
	}
	if _, err := newGramCholesky(make([]float64, size*size), size, 1, 1); err == nil {
		t.Error("a zero Gram matrix was accepted")
	}
}
