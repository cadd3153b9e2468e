package certify

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/convexst/stcnn/datasets"
	"github.com/convexst/stcnn/internal/testutil"
	"github.com/convexst/stcnn/stcnn"
	"github.com/gomlx/compute/dtypes"
)

// testEngine is an engine on three random images of 5x6 pixels with
// `channels` channels in and out, P = 4 random gates, float64, one image
// per chunk, the masks cached or not.
func testEngine(t *testing.T, rng *rand.Rand, channels int, cached bool) *engine {
	t.Helper()
	cfg := stcnn.DefaultConfig(stcnn.Dual, channels)
	cfg.P, cfg.DType = 4, "float64"
	n, h, w := 3, 5, 6
	noisy := &datasets.Images{N: n, H: h, W: w, C: channels, Pixels: make([]float32, n*h*w*channels)}
	for i := range noisy.Pixels {
		noisy.Pixels[i] = float32(rng.NormFloat64())
	}
	gates := randVec(rng, cfg.P*cfg.PatchSize(), 1)
	cache := int64(0)
	if cached {
		cache = 1 << 20
	}
	e, err := newEngine(testutil.Backend(t), cfg, hostTensor(gates, dtypes.Float64, cfg.P, cfg.PatchSize()), noisy, noisy, 1, cache)
	if err != nil {
		t.Fatal(err)
	}
	if e.ms.cached != cached {
		t.Fatalf("masks cached %v, want %v", e.ms.cached, cached)
	}
	return e
}

// TestHingesOnMatchesFull checks the hinge pass on a subset of rows
// against the full pass, row by row, for one and three channels, with
// cached masks and without.
func TestHingesOnMatchesFull(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for _, channels := range []int{1, 3} {
		for _, cached := range []bool{false, true} {
			e := testEngine(t, rng, channels, cached)
			w, wp := randVec(rng, e.rows*e.d, 1), randVec(rng, e.rows*e.d, 1)
			full, fullP, err := e.hinges(w, wp, 0.3)
			if err != nil {
				t.Fatal(err)
			}
			// Rows of the first channel and, with three channels, rows
			// P and P+1 of the second (gates 0 and 1, not P and P+1).
			rows := []int{e.rows - 1, 1, 2}
			if e.rows > e.cfg.P+1 {
				rows = append(rows, e.cfg.P, e.cfg.P+1)
			}
			sub, subP, err := e.hingesOn(rows, w, wp, 0.3)
			if err != nil {
				t.Fatal(err)
			}
			const unset = -7.0
			filled := func(n int) []float64 {
				v := make([]float64, n)
				for i := range v {
					v[i] = unset
				}
				return v
			}
			got := branch{relu: filled(e.rows), rm: filled(e.rows), mm: filled(e.rows), bt: filled(e.rows * e.d), band: filled(len(full.band))}
			gotP := branch{relu: filled(e.rows), rm: filled(e.rows), mm: filled(e.rows), bt: filled(e.rows * e.d), band: filled(len(full.band))}
			got.scatter(sub, rows, e.d)
			gotP.scatter(subP, rows, e.d)
			if got.relu[0] != unset || got.bt[0] != unset {
				t.Fatalf("%d channels: scatter wrote row 0, which was not listed", channels)
			}
			tri := e.d * (e.d + 1) / 2
			for _, pair := range []struct{ want, got branch }{{full, got}, {fullP, gotP}} {
				for _, r := range rows {
					check := func(what string, a, b []float64) {
						for i := range a {
							if math.Abs(a[i]-b[i]) > 1e-9*(1+math.Abs(a[i])) {
								t.Fatalf("%d channels, cached %v, row %d: %s %v, full pass %v", channels, cached, r, what, b, a)
							}
						}
					}
					check("hinge sums", []float64{pair.want.relu[r], pair.want.rm[r], pair.want.mm[r]},
						[]float64{pair.got.relu[r], pair.got.rm[r], pair.got.mm[r]})
					check("B^T m", pair.want.bt[r*e.d:(r+1)*e.d], pair.got.bt[r*e.d:(r+1)*e.d])
					check("band Gram", pair.want.band[r*tri:(r+1)*tri], pair.got.band[r*tri:(r+1)*tri])
				}
			}
		}
	}
}

// TestGramSampleIsHessian checks the sampled-Gram graph against the
// Hessian passes: with every image in the sample, G_S d = M^T M d for
// every output channel, on one and on three channels.
func TestGramSampleIsHessian(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for _, channels := range []int{1, 3} {
		e := testEngine(t, rng, channels, false)
		g, pixels, err := e.gramSample(e.n)
		if err != nil {
			t.Fatal(err)
		}
		if pixels != e.n*e.pix {
			t.Fatalf("sample of %d pixels, want all %d", pixels, e.n*e.pix)
		}
		size := e.cfg.P * e.d
		d := randVec(rng, e.rows*e.d, 1)
		want, err := e.gramMul(d)
		if err != nil {
			t.Fatal(err)
		}
		for c := 0; c < e.cfg.Outputs(); c++ {
			for i := 0; i < size; i++ {
				s := 0.0
				for j := 0; j < size; j++ {
					s += g[i*size+j] * d[c*size+j]
				}
				if got := want[0][c*size+i]; math.Abs(s-got) > 1e-9*(1+math.Abs(got)) {
					t.Fatalf("%d channels, channel %d entry %d: G_S d = %g, M^T M d = %g", channels, c, i, s, got)
				}
			}
		}
	}
}
