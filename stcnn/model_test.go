package stcnn_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/convexst/stcnn/datasets"
	"github.com/convexst/stcnn/stcnn"
	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// tinyImages returns n random images h x w x c with values in [0, 1].
func tinyImages(n, h, w, c int, seed uint64) *datasets.Images {
	rng := rand.New(rand.NewPCG(seed, 7))
	px := make([]float32, n*h*w*c)
	for i := range px {
		px[i] = rng.Float32()
	}
	return &datasets.Images{N: n, H: h, W: w, C: c, Pixels: px}
}

func f64(tb testing.TB, t *tensors.Tensor) []float64 {
	tb.Helper()
	v, err := stcnn.Float64s(t)
	if err != nil {
		tb.Fatal(err)
	}
	return v
}

func TestSoftThresholdAndReLU(t *testing.T) {
	x := []float64{-2, -0.5, -0.1, 0, 0.1, 0.3, 1.5}
	for _, tc := range []struct {
		name   string
		lambda float64
		act    stcnn.Activation
		want   []float64
	}{
		{"st 0.3", 0.3, stcnn.ActivationST, []float64{-1.7, -0.2, 0, 0, 0, 0, 1.2}},
		{"st 0", 0, stcnn.ActivationST, x},
		{"relu", 0.3, stcnn.ActivationReLU, []float64{0, 0, 0, 0, 0.1, 0.3, 1.5}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := MustExecOnce(backend(t), func(x *Node) *Node { return tc.act.Apply(x, tc.lambda) }, x)
			got := f64(t, out)
			for i := range got {
				if math.Abs(got[i]-tc.want[i]) > 1e-12 {
					t.Errorf("x=%v: got %v, want %v", x[i], got[i], tc.want[i])
				}
			}
		})
	}
}

// TestPatchesMatchConvolution checks eq. 21: Patches(Y) u equals a direct
// "same"-padded cross-correlation, for grey and RGB images.
func TestPatchesMatchConvolution(t *testing.T) {
	for _, tc := range []struct{ n, h, w, c, m int }{{2, 5, 4, 1, 3}, {1, 4, 6, 3, 3}, {1, 7, 7, 1, 5}, {1, 3, 3, 2, 1}} {
		im := tinyImages(tc.n, tc.h, tc.w, tc.c, 3)
		d := tc.m * tc.m * tc.c
		rng := rand.New(rand.NewPCG(4, 4))
		u := make([]float64, d)
		for i := range u {
			u[i] = rng.NormFloat64()
		}
		out := MustExecOnce(backend(t), func(y, u *Node) *Node {
			return Dot(stcnn.Patches(y, tc.m), u).Product()
		}, stcnn.ImagesTensor(im, dtypes.Float64), u)
		got := f64(t, out)
		r := tc.m / 2
		for n := 0; n < tc.n; n++ {
			for y := 0; y < tc.h; y++ {
				for x := 0; x < tc.w; x++ {
					want := 0.0
					for dy := 0; dy < tc.m; dy++ {
						for dx := 0; dx < tc.m; dx++ {
							yy, xx := y+dy-r, x+dx-r
							if yy < 0 || yy >= tc.h || xx < 0 || xx >= tc.w {
								continue
							}
							for c := 0; c < tc.c; c++ {
								want += float64(im.Pixels[((n*tc.h+yy)*tc.w+xx)*tc.c+c]) * u[(dy*tc.m+dx)*tc.c+c]
							}
						}
					}
					if g := got[(n*tc.h+y)*tc.w+x]; math.Abs(g-want) > 1e-9 {
						t.Fatalf("%+v pixel (%d,%d,%d): patches %v, convolution %v", tc, n, y, x, g, want)
					}
				}
			}
		}
	}
}

// TestGatePatterns checks eq. 23: Q (.) (Y ubar) = ST(Y ubar), and that the
// regions of eq. 23 partition the pixels as the gate output g says: S1
// (g <= -lambda, Q = (g + lambda)/g, s = -1), S2 (|g| < lambda, Q = 0,
// s = 0), S3 (g >= lambda, Q = (g - lambda)/g, s = +1).
func TestGatePatterns(t *testing.T) {
	im := tinyImages(2, 6, 6, 1, 5)
	for _, lambda := range []float64{0, 0.1, 0.5} {
		cfg := stcnn.DefaultConfig(stcnn.Dual, 1)
		cfg.P, cfg.DType, cfg.Lambda = 16, "float64", lambda
		gates := stcnn.SampleGates(cfg, 3)
		outs := MustExecOnceN(backend(t), func(y, gates *Node) []*Node {
			p := stcnn.Patches(y, 3)
			q, s := stcnn.GatePatterns(p, gates, lambda)
			g := Dot(gates, Transpose(p, 0, 1)).Product()
			return []*Node{q, s, g, Mul(q, g), stcnn.SoftThreshold(g, lambda)}
		}, stcnn.ImagesTensor(im, dtypes.Float64), gates)
		q, s, g, qg, st := f64(t, outs[0]), f64(t, outs[1]), f64(t, outs[2]), f64(t, outs[3]), f64(t, outs[4])
		var counts [3]int // S1, S2, S3
		for i := range g {
			if math.Abs(qg[i]-st[i]) > 1e-12*math.Max(1, math.Abs(st[i])) {
				t.Fatalf("lambda %v: Q*g = %v but ST(g) = %v (g = %v)", lambda, qg[i], st[i], g[i])
			}
			switch {
			case g[i] >= lambda && (lambda > 0 || g[i] > 0):
				counts[2]++
				if s[i] != 1 || q[i] < 0 || q[i] > 1 {
					t.Fatalf("g=%v >= lambda=%v: s=%v q=%v, want s=1, q in [0,1]", g[i], lambda, s[i], q[i])
				}
			case g[i] <= -lambda && (lambda > 0 || g[i] < 0):
				counts[0]++
				if s[i] != -1 || q[i] < 0 || q[i] > 1 {
					t.Fatalf("g=%v <= -lambda=%v: s=%v q=%v, want s=-1, q in [0,1]", g[i], lambda, s[i], q[i])
				}
			default:
				counts[1]++
				if s[i] != 0 || (lambda > 0 && q[i] != 0) {
					t.Fatalf("|g|=%v < lambda=%v: s=%v q=%v, want 0, 0", g[i], lambda, s[i], q[i])
				}
			}
		}
		if counts[0]+counts[1]+counts[2] != len(g) || counts[0] == 0 || counts[2] == 0 {
			t.Errorf("lambda %v: regions %v do not partition %d entries with both signs present", lambda, counts, len(g))
		}
		if lambda > 0 && counts[1] == 0 {
			t.Errorf("lambda %v: no pixel in the dead zone S2", lambda)
		}
	}
}

// objectiveExec returns a function computing the objective and its gradient
// for every trainable variable of net on (noisy, clean).
func objectiveExec(tb testing.TB, net stcnn.Network, store *model.Store) (func(noisy, clean *tensors.Tensor) (float64, [][]float64), []*model.Variable) {
	var vars []*model.Variable
	for v := range net.Scope(store).IterVariables() {
		if v.Trainable {
			vars = append(vars, v)
		}
	}
	exec, err := model.NewExec(backend(tb), store, func(_ *model.Scope, noisy, clean *Node) []*Node {
		stcnn.ReadVariablesAtEachCall(store, noisy.Graph())
		obj := stcnn.Objective(store, net, noisy, clean)
		nodes := make([]*Node, len(vars))
		for i, v := range vars {
			nodes[i] = v.NodeValue(noisy.Graph())
		}
		return append([]*Node{obj}, Gradient(obj, nodes...)...)
	})
	if err != nil {
		tb.Fatal(err)
	}
	return func(noisy, clean *tensors.Tensor) (float64, [][]float64) {
		out, err := exec.Exec(noisy, clean)
		if err != nil {
			tb.Fatal(err)
		}
		grads := make([][]float64, len(vars))
		for i := range vars {
			grads[i] = f64(tb, out[i+1])
		}
		return f64(tb, out[0])[0], grads
	}, vars
}

func setFlat(tb testing.TB, v *model.Variable, vals []float64) {
	tb.Helper()
	if err := v.SetValue(tensors.FromFlatDataAndDimensions(append([]float64(nil), vals...), v.Shape().Dimensions...)); err != nil {
		tb.Fatal(err)
	}
}

// TestGradientsMatchFiniteDifferences compares autodiff gradients of both
// objectives with central differences in float64, for grey and 2-channel images.
func TestGradientsMatchFiniteDifferences(t *testing.T) {
	for _, tc := range []struct {
		kind     stcnn.ModelKind
		channels int
		act      stcnn.Activation
	}{{stcnn.Primal, 1, stcnn.ActivationST}, {stcnn.Primal, 2, stcnn.ActivationST}, {stcnn.Primal, 1, stcnn.ActivationReLU},
		{stcnn.Dual, 1, ""}, {stcnn.Dual, 2, ""}} {
		t.Run(fmt.Sprintf("%s/C=%d/%s", tc.kind, tc.channels, tc.act), func(t *testing.T) {
			cfg := stcnn.DefaultConfig(tc.kind, tc.channels)
			cfg.K, cfg.P, cfg.DType, cfg.Beta, cfg.Rho = 3, 3, "float64", 1e-2, 0.5
			if tc.act != "" {
				cfg.Activation = tc.act
			}
			net, store := initNetwork(t, cfg, 11)
			clean := tinyImages(2, 5, 5, tc.channels, 1)
			checkFiniteDifferences(t, net, store, clean)
		})
	}
}

// TestRescaling checks Theorem 2's premise on the primal: the rescaling
// (u, v) -> (e u, v/e) keeps the output of a positively homogeneous network
// (ReLU, or ST with lambda = 0) unchanged, and the weight penalty
// e^2 ||u||^2 + ||v||^2/e^2 is smallest at balanced norms e^2 = ||v||/||u||.
// For ST with lambda > 0 the output is NOT unchanged (ST is not positively
// homogeneous): it equals the network with threshold lambda/e, which is what
// the test asserts instead.
func TestRescaling(t *testing.T) {
	im := tinyImages(2, 6, 6, 1, 4)
	yT := stcnn.ImagesTensor(im, dtypes.Float64)
	rng := rand.New(rand.NewPCG(2, 2))
	const k, d = 4, 9
	u, v := make([]float64, k*d), make([]float64, k)
	for i := range u {
		u[i] = rng.NormFloat64()
	}
	for i := range v {
		v[i] = rng.NormFloat64()
	}
	out := func(u, v []float64, lambda float64, act stcnn.Activation) []float64 {
		return f64(t, MustExecOnce(backend(t), func(y, u, v *Node) *Node {
			return stcnn.PrimalForward(y, u, v, 3, lambda, act)
		}, yT, tensors.FromFlatDataAndDimensions(u, k, d), tensors.FromFlatDataAndDimensions(v, 1, k)))
	}
	scale := func(e float64) ([]float64, []float64) {
		su, sv := append([]float64(nil), u...), append([]float64(nil), v...)
		for i := range su {
			su[i] *= e
		}
		for i := range sv {
			sv[i] /= e
		}
		return su, sv
	}
	maxDiff := func(a, b []float64) float64 {
		m := 0.0
		for i := range a {
			m = math.Max(m, math.Abs(a[i]-b[i]))
		}
		return m
	}
	for _, e := range []float64{0.25, 3} {
		su, sv := scale(e)
		for _, tc := range []struct {
			act    stcnn.Activation
			lambda float64
		}{{stcnn.ActivationReLU, 0.2}, {stcnn.ActivationST, 0}} {
			if diff := maxDiff(out(u, v, tc.lambda, tc.act), out(su, sv, tc.lambda, tc.act)); diff > 1e-12 {
				t.Errorf("%s lambda=%v, e=%v: output changed by %g", tc.act, tc.lambda, e, diff)
			}
		}
		st, stScaled := out(u, v, 0.2, stcnn.ActivationST), out(su, sv, 0.2, stcnn.ActivationST)
		if diff := maxDiff(st, stScaled); diff < 1e-3 {
			t.Errorf("ST lambda=0.2, e=%v: output changed by only %g; ST should not be scale invariant", e, diff)
		}
		if diff := maxDiff(stScaled, out(u, v, 0.2/e, stcnn.ActivationST)); diff > 1e-12 {
			t.Errorf("ST: scaled network differs from threshold lambda/e by %g", diff)
		}
	}
	// Penalty of each neuron over e: minimum at e^2 = |v|/||u||, value 2 ||u|| |v|.
	for kk := 0; kk < k; kk++ {
		nu := 0.0
		for _, x := range u[kk*d : (kk+1)*d] {
			nu += x * x
		}
		nu = math.Sqrt(nu)
		nv := math.Abs(v[kk])
		pen := func(e float64) float64 { return e*e*nu*nu + nv*nv/(e*e) }
		eStar := math.Sqrt(nv / nu)
		if math.Abs(pen(eStar)-2*nu*nv) > 1e-12 {
			t.Errorf("neuron %d: balanced penalty %v, want 2||u|||v| = %v", kk, pen(eStar), 2*nu*nv)
		}
		for _, f := range []float64{0.5, 0.9, 0.99, 1.01, 1.1, 2} {
			if pen(eStar*f) <= pen(eStar) {
				t.Errorf("neuron %d: penalty at e*%v = %v not above the balanced %v", kk, f, pen(eStar*f), pen(eStar))
			}
		}
	}
}

// TestDualHingeTerms checks the dual's per-image hinge penalty and count of
// violated sign constraints against their elementwise definitions,
// sum_jci relu(-s_ji y_i.w_jc) and #{s_ji y_i.w_jc < 0} over both branches,
// for grey and 2-channel images, with a zero weight row (y_i.w_jc = 0 is not
// a violation).
func TestDualHingeTerms(t *testing.T) {
	for _, c := range []int{1, 2} {
		cfg := stcnn.DefaultConfig(stcnn.Dual, c)
		cfg.P, cfg.DType = 5, "float64"
		net, store := initNetwork(t, cfg, 4)
		rng := rand.New(rand.NewPCG(6, 6))
		for v := range net.Scope(store).IterVariables() {
			if !v.Trainable {
				continue
			}
			vals := make([]float64, v.Shape().Size())
			for i := range vals[cfg.PatchSize():] { // row 0 stays zero
				vals[cfg.PatchSize()+i] = 0.5 * rng.NormFloat64()
			}
			setFlat(t, v, vals)
		}
		exec, err := model.NewExec(backend(t), store, func(_ *model.Scope, noisy, clean *Node) []*Node {
			stcnn.ReadVariablesAtEachCall(store, noisy.Graph())
			terms := net.Terms(store, noisy, clean, true)
			scope := net.Scope(store)
			n := noisy.Shape().Dim(0)
			y := stcnn.Patches(noisy, cfg.M)
			_, s := stcnn.GatePatterns(y, scope.GetVariable("gates").NodeValue(noisy.Graph()), cfg.Lambda)
			parts := make([]*Node, c)
			for k := range parts {
				parts[k] = s
			}
			s = Concatenate(parts, 0)
			var hinge, count *Node
			for _, name := range []string{"w", "w_prime"} {
				w := scope.GetVariable(name).NodeValue(noisy.Graph())
				signed := Mul(Dot(w, y).General([]int{1}, nil, []int{1}, nil), s)
				perImage := func(x *Node) *Node { return ReduceSum(Reshape(x, -1, n, y.Shape().Dim(0)/n), 0, 2) }
				h := perImage(MaxScalar(Neg(signed), 0))
				v := perImage(ConvertDType(LessThan(signed, ZerosLike(signed)), signed.DType()))
				if hinge == nil {
					hinge, count = h, v
				} else {
					hinge, count = Add(hinge, h), Add(count, v)
				}
			}
			return []*Node{terms.Hinge, hinge, terms.Violations, count}
		})
		if err != nil {
			t.Fatal(err)
		}
		clean := tinyImages(3, 5, 4, c, 2)
		noisy, _ := datasets.AddGaussianNoise(clean, 0.3, 5)
		out, err := exec.Exec(stcnn.ImagesTensor(noisy, dtypes.Float64), stcnn.ImagesTensor(clean, dtypes.Float64))
		if err != nil {
			t.Fatal(err)
		}
		got, want := f64(t, out[0]), f64(t, out[1])
		gotV, wantV := f64(t, out[2]), f64(t, out[3])
		for i := range want {
			if want[i] == 0 || wantV[i] == 0 {
				t.Fatalf("C=%d image %d: no violations, the check would be vacuous", c, i)
			}
			if math.Abs(got[i]-want[i]) > 1e-12*want[i] || gotV[i] != wantV[i] {
				t.Errorf("C=%d image %d: hinge %v, violations %v; want %v, %v", c, i, got[i], gotV[i], want[i], wantV[i])
			}
		}
	}
}
