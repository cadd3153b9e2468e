package certify

import (
	"math"
	"math/rand/v2"
	"testing"
)

func randVec(rng *rand.Rand, n int, scale float64) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = scale * rng.NormFloat64()
	}
	return v
}

// TestProjectLens checks that atoms are made exactly feasible, that a
// feasible v is left alone, and that the multipliers only shrink.
func TestProjectLens(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	const r = 2e-5
	for trial := 0; trial < 2000; trial++ {
		scale := []float64{1e-6, 1e-5, 3e-5, 1e-4}[trial%4]
		v, bw, bp := randVec(rng, 9, scale), randVec(rng, 9, scale), randVec(rng, 9, scale)
		bw0 := append([]float64(nil), bw...)
		projectLens(v, bw, bp, r)
		d1, d2 := 0.0, 0.0
		for i := range v {
			d1 += (v[i] + bw[i]) * (v[i] + bw[i])
			d2 += (v[i] - bp[i]) * (v[i] - bp[i])
		}
		if math.Sqrt(d1) > r*(1+1e-9) || math.Sqrt(d2) > r*(1+1e-9) {
			t.Fatalf("trial %d: infeasible after projection: %g, %g > %g", trial, math.Sqrt(d1), math.Sqrt(d2), r)
		}
		if k := norm(bw) / norm(bw0); k > 1+1e-12 {
			t.Fatalf("trial %d: multiplier grew by %g", trial, k)
		}
	}
	// Already feasible: unchanged.
	v, bw, bp := []float64{1e-6, 0}, []float64{0, 0}, []float64{0, 0}
	projectLens(v, bw, bp, r)
	if v[0] != 1e-6 || v[1] != 0 {
		t.Fatalf("feasible point moved to %v", v)
	}
}

// TestMinCombination compares the per-row multiplier choice with a brute
// force search over a grid of the capped simplex.
func TestMinCombination(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for trial := 0; trial < 50; trial++ {
		v := randVec(rng, 9, 1)
		bs := [][]float64{randVec(rng, 9, 1), randVec(rng, 9, 1)}
		got := minCombination(v, bs, 0, 1)
		best := norm(v)
		for a := 0.0; a <= 1; a += 0.005 {
			for b := 0.0; a+b <= 1; b += 0.005 {
				w := make([]float64, 9)
				for i := range w {
					w[i] = v[i] + a*bs[0][i] + b*bs[1][i]
				}
				best = math.Min(best, norm(w))
			}
		}
		if got > best+1e-9 || got < best-0.02*(1+best) {
			t.Fatalf("trial %d: minCombination %g, grid search %g", trial, got, best)
		}
	}
}

// TestKFACInverse checks that apply inverts scale G_q (x) G_y.
func TestKFACInverse(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	p, d, ch := 5, 3, 2
	spd := func(n int) []float64 {
		a := randVec(rng, n*n, 1)
		g := make([]float64, n*n)
		for i := 0; i < n; i++ {
			for j := 0; j < n; j++ {
				for k := 0; k < n; k++ {
					g[i*n+j] += a[i*n+k] * a[j*n+k]
				}
				if i == j {
					g[i*n+j] += 0.5
				}
			}
		}
		return g
	}
	gq, gy := spd(p), spd(d)
	k, err := newKFAC(gq, gy, p, d, ch, 0.7)
	if err != nil {
		t.Fatal(err)
	}
	x := randVec(rng, ch*p*d, 1)
	y := make([]float64, len(x))
	k.apply(y, x)
	// (G_q (x) G_y) y should give x / scale, channel by channel:
	// (G_q Y G_y)_ab for Y [P, D].
	for c := 0; c < ch; c++ {
		yc := y[c*p*d : (c+1)*p*d]
		for a := 0; a < p; a++ {
			for b := 0; b < d; b++ {
				s := 0.0
				for i := 0; i < p; i++ {
					for j := 0; j < d; j++ {
						s += gq[a*p+i] * yc[i*d+j] * gy[j*d+b]
					}
				}
				if want := x[c*p*d+a*d+b]; math.Abs(0.7*s-want) > 1e-9 {
					t.Fatalf("channel %d entry (%d, %d): %g, want %g", c, a, b, 0.7*s, want)
				}
			}
		}
	}
}
