package optimizers

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"sync"
	"testing"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/gobackend"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/model/checkpoint"
	"github.com/gomlx/gomlx/ml/train/optimizer"
)

// backend returns a shared pure-Go backend; "ops_sequential" avoids hangs on small machines.
// Every update graph below marks itself as training (as GoMLX's train.Trainer
// does): on this backend a graph that is not training gets its variables as
// constants, frozen at compile time.
var backend = sync.OnceValue(func() compute.Backend {
	b, err := gobackend.New("ops_sequential")
	if err != nil {
		panic(err)
	}
	return b
})

// The test problem: f(x, y) = 0.5·Σ aX_i·x_i² + 0.5·Σ aY_j·y_j², with two variables in the store.
var (
	aX  = []float64{1, 3, 0.5}
	aY  = []float64{2, 0.25}
	x0  = []float64{1, -2, 0.5}
	y0  = []float64{-1.5, 4}
	xID = "/model/x"
	yID = "/model/y"
)

// quadraticExec returns an exec that takes one optimizer step on the quadratic per call, and
// returns the loss before the step.
func quadraticExec(t *testing.T, store *model.Store, opt optimizer.Interface) *model.Exec {
	t.Helper()
	return trainingExec(t, store, opt, func(scope *model.Scope, g *Graph) *Node {
		ms := scope.At("model")
		x := ms.VariableWithValue("x", x0).NodeValue(g)
		y := ms.VariableWithValue("y", y0).NodeValue(g)
		loss := Add(
			ReduceAllSum(Mul(Const(g, aX), Square(x))),
			ReduceAllSum(Mul(Const(g, aY), Square(y))))
		return MulScalar(loss, 0.5)
	})
}

// trainingExec is the exec of one training step: the loss built in
// training mode, then opt's update of the variables along its gradient.
func trainingExec(t *testing.T, store *model.Store, opt optimizer.Interface, loss func(scope *model.Scope, g *Graph) *Node) *model.Exec {
	t.Helper()
	exec, err := model.NewExec(backend(), store, func(scope *model.Scope, g *Graph) *Node {
		scope.Store().SetTraining(g, true)
		l := loss(scope, g)
		opt.UpdateGraph(scope, g, l)
		return l
	})
	if err != nil {
		t.Fatal(err)
	}
	return exec
}

func step(t *testing.T, exec *model.Exec) {
	t.Helper()
	if _, err := exec.Call(); err != nil {
		t.Fatal(err)
	}
}

func varValue(t *testing.T, store *model.Store, path string) []float64 {
	t.Helper()
	v := store.GetVariable(path)
	if v == nil {
		t.Fatalf("variable %q not found", path)
	}
	value := v.MustValue().Value()
	switch x := value.(type) {
	case []float64:
		return append([]float64(nil), x...)
	case float64:
		return []float64{x}
	case int64:
		return []float64{float64(x)}
	}
	t.Fatalf("variable %q has unexpected value %T", path, value)
	return nil
}

func assertClose(t *testing.T, what string, got, want []float64, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: got %d values %v, want %d values %v", what, len(got), got, len(want), want)
	}
	for i := range got {
		if math.IsNaN(got[i]) || math.Abs(got[i]-want[i]) > tol {
			t.Errorf("%s[%d] = %.17g, want %.17g (diff %.3g > %.3g)", what, i, got[i], want[i], got[i]-want[i], tol)
		}
	}
}

// refOptimizer is an independent scalar implementation of the published update rule of each
// optimizer, element by element, as written in the PyTorch documentation.
type refOptimizer struct {
	name string
	hp   Hyperparams
	a    []float64 // Quadratic coefficients: gradient is a_i·p_i.
	p    []float64 // Parameters.
	t    int

	buf, ax, sum, sq, gavg, m, v []float64
	eta, mu                      float64
}

func newRef(name string, hp Hyperparams, a, p0 []float64) *refOptimizer {
	n := len(p0)
	r := &refOptimizer{name: name, hp: hp, a: a, p: append([]float64(nil), p0...),
		buf: make([]float64, n), ax: make([]float64, n), sum: make([]float64, n), sq: make([]float64, n),
		gavg: make([]float64, n), m: make([]float64, n), v: make([]float64, n),
		eta: hp.LearningRate, mu: 1}
	for i := range r.sum {
		r.sum[i] = hp.InitialAccumulator
	}
	return r
}

func (r *refOptimizer) step() {
	r.t++
	t := float64(r.t)
	hp := r.hp
	for i := range r.p {
		g := r.a[i]*r.p[i] + hp.WeightDecay*r.p[i]
		switch r.name {
		case NameSGD, NameSGDM:
			if hp.Momentum != 0 {
				if r.t == 1 {
					r.buf[i] = g
				} else {
					r.buf[i] = hp.Momentum*r.buf[i] + (1-hp.Dampening)*g
				}
				if hp.Nesterov {
					g += hp.Momentum * r.buf[i]
				} else {
					g = r.buf[i]
				}
			}
			r.p[i] -= hp.LearningRate * g
		case NameASGD:
			r.p[i] *= 1 - hp.Lambd*r.eta
			r.p[i] -= r.eta * g
			if r.mu != 1 {
				r.ax[i] += (r.p[i] - r.ax[i]) * r.mu
			} else {
				r.ax[i] = r.p[i]
			}
		case NameAdaGrad:
			r.sum[i] += g * g
			clr := hp.LearningRate / (1 + (t-1)*hp.LRDecay)
			r.p[i] -= clr * g / (math.Sqrt(r.sum[i]) + hp.Eps)
		case NameRMSProp:
			r.sq[i] = hp.Alpha*r.sq[i] + (1-hp.Alpha)*g*g
			avg := math.Sqrt(r.sq[i])
			if hp.Centered {
				r.gavg[i] = hp.Alpha*r.gavg[i] + (1-hp.Alpha)*g
				avg = math.Sqrt(r.sq[i] - r.gavg[i]*r.gavg[i])
			}
			avg += hp.Eps
			if hp.Momentum > 0 {
				r.buf[i] = hp.Momentum*r.buf[i] + g/avg
				r.p[i] -= hp.LearningRate * r.buf[i]
			} else {
				r.p[i] -= hp.LearningRate * g / avg
			}
		case NameAdam:
			r.m[i] = hp.Beta1*r.m[i] + (1-hp.Beta1)*g
			r.v[i] = hp.Beta2*r.v[i] + (1-hp.Beta2)*g*g
			mHat := r.m[i] / (1 - math.Pow(hp.Beta1, t))
			vHat := r.v[i] / (1 - math.Pow(hp.Beta2, t))
			r.p[i] -= hp.LearningRate * mHat / (math.Sqrt(vHat) + hp.Eps)
		default:
			panic(r.name)
		}
	}
	if r.name == NameASGD {
		r.eta = hp.LearningRate / math.Pow(1+hp.Lambd*hp.LearningRate*t, hp.Alpha)
		r.mu = 1 / math.Max(1, t-hp.T0)
	}
}

func mustDefaults(t *testing.T, name string) Hyperparams {
	t.Helper()
	hp, err := DefaultHyperparams(name)
	if err != nil {
		t.Fatal(err)
	}
	return hp
}

type ruleCase struct {
	desc string
	name string
	hp   Hyperparams
}

func ruleCases(t *testing.T) []ruleCase {
	with := func(name string, fn func(hp *Hyperparams)) Hyperparams {
		hp := mustDefaults(t, name)
		fn(&hp)
		return hp
	}
	return []ruleCase{
		{"sgd", NameSGD, with(NameSGD, func(hp *Hyperparams) { hp.LearningRate = 0.1 })},
		{"sgd+wd", NameSGD, with(NameSGD, func(hp *Hyperparams) { hp.LearningRate = 0.1; hp.WeightDecay = 0.05 })},
		{"sgdm", NameSGDM, with(NameSGDM, func(hp *Hyperparams) { hp.LearningRate = 0.1 })},
		{"sgdm+dampening+wd", NameSGDM, with(NameSGDM, func(hp *Hyperparams) {
			hp.LearningRate, hp.Momentum, hp.Dampening, hp.WeightDecay = 0.05, 0.8, 0.3, 0.01
		})},
		{"sgdm+nesterov", NameSGDM, with(NameSGDM, func(hp *Hyperparams) { hp.LearningRate = 0.1; hp.Nesterov = true })},
		{"asgd", NameASGD, with(NameASGD, func(hp *Hyperparams) { hp.LearningRate = 0.1 })},
		{"asgd t0=0", NameASGD, with(NameASGD, func(hp *Hyperparams) {
			hp.LearningRate, hp.Lambd, hp.T0, hp.WeightDecay = 0.1, 0.2, 0, 0.01
		})},
		{"adagrad", NameAdaGrad, with(NameAdaGrad, func(hp *Hyperparams) { hp.LearningRate = 0.1 })},
		{"adagrad+decay+init", NameAdaGrad, with(NameAdaGrad, func(hp *Hyperparams) {
			hp.LearningRate, hp.LRDecay, hp.InitialAccumulator, hp.WeightDecay = 0.1, 0.3, 0.1, 0.02
		})},
		{"rmsprop", NameRMSProp, with(NameRMSProp, func(hp *Hyperparams) {})},
		{"rmsprop centered+momentum+wd", NameRMSProp, with(NameRMSProp, func(hp *Hyperparams) {
			hp.Alpha, hp.Centered, hp.Momentum, hp.WeightDecay = 0.9, true, 0.5, 0.01
		})},
		{"adam", NameAdam, with(NameAdam, func(hp *Hyperparams) { hp.LearningRate = 0.1 })},
		{"adam+wd", NameAdam, with(NameAdam, func(hp *Hyperparams) {
			hp.LearningRate, hp.Beta1, hp.Beta2, hp.WeightDecay = 0.05, 0.8, 0.99, 0.1
		})},
		// With β1 >= 0.5, the torch.lerp formula takes its second branch.
		{"adam beta1=0.4", NameAdam, with(NameAdam, func(hp *Hyperparams) { hp.LearningRate = 0.05; hp.Beta1 = 0.4 })},
	}
}

// TestUpdateRules compares 3 steps of each optimizer with the scalar reference implementation, to 1e-12.
func TestUpdateRules(t *testing.T) {
	for _, tc := range ruleCases(t) {
		t.Run(tc.desc, func(t *testing.T) {
			opt, err := New(tc.name, tc.hp)
			if err != nil {
				t.Fatal(err)
			}
			store := model.NewStore()
			exec := quadraticExec(t, store, opt)
			refX := newRef(tc.name, tc.hp, aX, x0)
			refY := newRef(tc.name, tc.hp, aY, y0)
			for s := 1; s <= 3; s++ {
				step(t, exec)
				refX.step()
				refY.step()
				assertClose(t, fmt.Sprintf("step %d x", s), varValue(t, store, xID), refX.p, 1e-12)
				assertClose(t, fmt.Sprintf("step %d y", s), varValue(t, store, yID), refY.p, 1e-12)
				if tc.name == NameASGD {
					assertClose(t, fmt.Sprintf("step %d ax(x)", s), varValue(t, store, StatePath(NameASGD, xID, "ax")), refX.ax, 1e-12)
					assertClose(t, fmt.Sprintf("step %d ax(y)", s), varValue(t, store, StatePath(NameASGD, yID, "ax")), refY.ax, 1e-12)
					assertClose(t, fmt.Sprintf("step %d eta", s), varValue(t, store, StatePath(NameASGD, xID, "eta")), []float64{refX.eta}, 1e-15)
					assertClose(t, fmt.Sprintf("step %d mu", s), varValue(t, store, StatePath(NameASGD, yID, "mu")), []float64{refY.mu}, 1e-15)
				}
			}
			// The per-variable step counters and the GoMLX global step.
			assertClose(t, "global_step", varValue(t, store, "/"+optimizer.GlobalStepVariableName), []float64{3}, 0)
			if !(tc.name == NameSGD || tc.name == NameSGDM) || tc.hp.Momentum != 0 {
				assertClose(t, "step", varValue(t, store, StatePath(tc.name, xID, "step")), []float64{3}, 0)
			}
			// State variables are never trainable.
			for v := range store.IterVariables() {
				if strings.HasPrefix(v.Path(), "/"+StateScope+"/") && v.Trainable {
					t.Errorf("state variable %q is trainable", v.Path())
				}
			}
		})
	}
}

// TestStateLayout checks that state is kept in the documented paths, with torch's state keys.
func TestStateLayout(t *testing.T) {
	want := map[string][]string{
		NameSGD:     {},
		NameSGDM:    {"momentum_buffer", "step"},
		NameASGD:    {"ax", "eta", "mu", "step"},
		NameAdaGrad: {"step", "sum"},
		NameRMSProp: {"square_avg", "step"},
		NameAdam:    {"exp_avg", "exp_avg_sq", "step"},
	}
	for _, name := range Names() {
		opt, err := New(name, mustDefaults(t, name))
		if err != nil {
			t.Fatal(err)
		}
		store := model.NewStore()
		step(t, quadraticExec(t, store, opt))
		var got []string
		for v := range store.IterVariables() {
			if strings.HasPrefix(v.Path(), "/optimizers/"+name+"/model/x/") {
				got = append(got, model.BasePath(v.Path()))
			}
		}
		if strings.Join(sorted(got), ",") != strings.Join(want[name], ",") {
			t.Errorf("%s: state of /model/x = %v, want %v", name, sorted(got), want[name])
		}
		// Clear removes all the state; the next step starts afresh.
		if err := opt.Clear(store.RootScope()); err != nil {
			t.Fatal(err)
		}
		for v := range store.IterVariables() {
			if strings.HasPrefix(v.Path(), "/optimizers/"+name+"/") {
				t.Errorf("%s: state %q not deleted by Clear", name, v.Path())
			}
		}
	}
}

func sorted(s []string) []string {
	out := append([]string(nil), s...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

// TestClearRestarts checks that after Clear the optimizer behaves as a new one (momentum buffer restarts).
func TestClearRestarts(t *testing.T) {
	hp := mustDefaults(t, NameSGDM)
	hp.LearningRate = 0.1
	opt, _ := New(NameSGDM, hp)
	store := model.NewStore()
	exec := quadraticExec(t, store, opt)
	step(t, exec)
	step(t, exec)
	p := varValue(t, store, xID)
	if err := opt.Clear(store.RootScope()); err != nil {
		t.Fatal(err)
	}
	step(t, quadraticExec(t, store, opt)) // A new exec: the previous one refers to the deleted state.
	ref := newRef(NameSGDM, hp, aX, p)
	ref.step()
	assertClose(t, "x after Clear", varValue(t, store, xID), ref.p, 1e-12)
}

func TestDefaultsMatchPyTorch(t *testing.T) {
	want := map[string]Hyperparams{
		// torch.optim.SGD(params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False)
		"sgd":  {LearningRate: 1e-3},
		"sgdm": {LearningRate: 1e-3, Momentum: 0.9},
		// torch.optim.ASGD(params, lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0)
		"asgd": {LearningRate: 0.01, Lambd: 0.0001, Alpha: 0.75, T0: 1000000},
		// torch.optim.Adagrad(params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10)
		"adagrad": {LearningRate: 0.01, Eps: 1e-10},
		// torch.optim.RMSprop(params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False)
		"rmsprop": {LearningRate: 0.01, Alpha: 0.99, Eps: 1e-8},
		// torch.optim.Adam(params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False)
		"adam": {LearningRate: 0.001, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8},
	}
	if len(want) != len(Names()) {
		t.Fatalf("Names() = %v, expected %d names", Names(), len(want))
	}
	for _, name := range Names() {
		hp := mustDefaults(t, name)
		if hp != want[name] {
			t.Errorf("DefaultHyperparams(%q) = %+v, want %+v", name, hp, want[name])
		}
		if err := hp.Validate(); err != nil {
			t.Errorf("defaults of %q don't validate: %v", name, err)
		}
		opt, err := New(strings.ToUpper(name), hp)
		if err != nil {
			t.Fatalf("New(%q): %v", name, err)
		}
		if opt.Name() != name || opt.Hyperparams() != hp {
			t.Errorf("New(%q) = %s %+v", name, opt.Name(), opt.Hyperparams())
		}
	}
	if _, err := DefaultHyperparams("lbfgs"); err == nil || !strings.Contains(err.Error(), "adagrad, adam, asgd, rmsprop, sgd, sgdm") {
		t.Errorf("DefaultHyperparams(lbfgs) error = %v", err)
	}
	if _, err := New("lbfgs", want["sgd"]); err == nil || !strings.Contains(err.Error(), `unknown optimizer "lbfgs", valid names are adagrad, adam, asgd, rmsprop, sgd, sgdm`) {
		t.Errorf("New(lbfgs) error = %v", err)
	}
}

func TestHyperparamsJSON(t *testing.T) {
	hp := mustDefaults(t, NameAdam)
	hp.WeightDecay = 0.5
	data, err := json.Marshal(hp)
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{`"lr":0.001`, `"beta1":0.9`, `"beta2":0.999`, `"eps":1e-8`, `"weight_decay":0.5`,
		`"initial_accumulator_value":0`, `"lr_decay":0`, `"lambd":0`, `"t0":0`, `"nesterov":false`} {
		if !strings.Contains(string(data), key) {
			t.Errorf("JSON %s lacks %s", data, key)
		}
	}
	var back Hyperparams
	if err := json.Unmarshal(data, &back); err != nil || back != hp {
		t.Errorf("JSON round trip: %+v, %v", back, err)
	}
}

func TestValidate(t *testing.T) {
	base := func(fn func(hp *Hyperparams)) Hyperparams {
		hp := Hyperparams{LearningRate: 0.1, Momentum: 0.9, Alpha: 0.99, Eps: 1e-8, Beta1: 0.9, Beta2: 0.999}
		fn(&hp)
		return hp
	}
	tests := []struct {
		hp      Hyperparams
		wantErr string // Empty for valid.
	}{
		{base(func(hp *Hyperparams) {}), ""},
		{base(func(hp *Hyperparams) { hp.Nesterov = true }), ""},
		{base(func(hp *Hyperparams) { hp.LearningRate = -1 }), "optimizers: learning rate -1 must be > 0"},
		{base(func(hp *Hyperparams) { hp.LearningRate = 0 }), "optimizers: learning rate 0 must be > 0"},
		{base(func(hp *Hyperparams) { hp.LearningRate = math.NaN() }), "optimizers: learning rate NaN must be a finite number"},
		{base(func(hp *Hyperparams) { hp.LearningRate = math.Inf(1) }), "optimizers: learning rate +Inf must be a finite number"},
		{base(func(hp *Hyperparams) { hp.WeightDecay = -0.1 }), "optimizers: weight decay -0.1 must be >= 0"},
		{base(func(hp *Hyperparams) { hp.Momentum = 1 }), "optimizers: momentum 1 must be in [0, 1)"},
		{base(func(hp *Hyperparams) { hp.Momentum = -0.5 }), "optimizers: momentum -0.5 must be in [0, 1)"},
		{base(func(hp *Hyperparams) { hp.Dampening = 1.5 }), "optimizers: dampening 1.5 must be in [0, 1]"},
		{base(func(hp *Hyperparams) { hp.Lambd = -1e-4 }), "optimizers: lambd -0.0001 must be >= 0"},
		{base(func(hp *Hyperparams) { hp.Alpha = -0.75 }), "optimizers: alpha -0.75 must be >= 0"},
		{base(func(hp *Hyperparams) { hp.T0 = -1 }), "optimizers: t0 -1 must be >= 0"},
		{base(func(hp *Hyperparams) { hp.LRDecay = -2 }), "optimizers: lr decay -2 must be >= 0"},
		{base(func(hp *Hyperparams) { hp.InitialAccumulator = -0.1 }), "optimizers: initial accumulator value -0.1 must be >= 0"},
		{base(func(hp *Hyperparams) { hp.Eps = -1e-8 }), "optimizers: eps -1e-08 must be >= 0"},
		{base(func(hp *Hyperparams) { hp.Beta1 = 1 }), "optimizers: beta1 1 must be in [0, 1)"},
		{base(func(hp *Hyperparams) { hp.Beta2 = 1.5 }), "optimizers: beta2 1.5 must be in [0, 1)"},
		{base(func(hp *Hyperparams) { hp.Nesterov, hp.Momentum = true, 0 }), "optimizers: nesterov momentum requires momentum > 0 and dampening == 0"},
		{base(func(hp *Hyperparams) { hp.Nesterov, hp.Dampening = true, 0.1 }), "optimizers: nesterov momentum requires momentum > 0 and dampening == 0"},
	}
	for _, tc := range tests {
		err := tc.hp.Validate()
		switch {
		case tc.wantErr == "" && err != nil:
			t.Errorf("Validate(%+v) = %v, want nil", tc.hp, err)
		case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
			t.Errorf("Validate(%+v) = %v, want error containing %q", tc.hp, err, tc.wantErr)
		}
		if tc.wantErr != "" {
			if _, err := New(NameSGDM, tc.hp); err == nil {
				t.Errorf("New accepted invalid %+v", tc.hp)
			}
		}
	}
	// Optimizer specific check: RMSProp's alpha is a smoothing constant.
	hp := mustDefaults(t, NameRMSProp)
	hp.Alpha = 1.5
	if _, err := New(NameRMSProp, hp); err == nil || !strings.Contains(err.Error(), "optimizers: rmsprop alpha 1.5 must be in [0, 1]") {
		t.Errorf("New(rmsprop, alpha=1.5) error = %v", err)
	}
	hp = mustDefaults(t, NameASGD)
	hp.Alpha = 1.5 // Valid for ASGD: it is an exponent.
	if _, err := New(NameASGD, hp); err != nil {
		t.Errorf("New(asgd, alpha=1.5) error = %v", err)
	}
}

// leastSquares is a small, well-conditioned least-squares problem: min_w 1/(2m)·||A·w - b||².
var (
	lsA = [][]float64{
		{1, 0.5, -0.2}, {0.3, 1.2, 0.1}, {-0.4, 0.2, 0.9}, {0.8, -0.6, 0.3},
		{0.1, 0.4, -1.1}, {1.3, 0.2, 0.5}, {-0.7, 0.9, 0.4}, {0.2, -0.3, 0.8},
	}
	lsB = []float64{1, -2, 0.5, 3, -1, 2, 0.3, -0.8}
)

// solveLeastSquares solves the (ridge) normal equations (AᵀA/m + ridge·I)·w = Aᵀb/m by Gaussian elimination.
func solveLeastSquares(ridge float64) []float64 {
	n := len(lsA[0])
	m := make([][]float64, n)
	for i := range n {
		m[i] = make([]float64, n+1)
		for j := range n {
			for k := range lsA {
				m[i][j] += lsA[k][i] * lsA[k][j] / float64(len(lsA))
			}
			if i == j {
				m[i][j] += ridge
			}
		}
		for k := range lsA {
			m[i][n] += lsA[k][i] * lsB[k] / float64(len(lsA))
		}
	}
	for col := range n {
		pivot := col
		for r := col + 1; r < n; r++ {
			if math.Abs(m[r][col]) > math.Abs(m[pivot][col]) {
				pivot = r
			}
		}
		m[col], m[pivot] = m[pivot], m[col]
		for r := range n {
			if r != col {
				f := m[r][col] / m[col][col]
				for c := col; c <= n; c++ {
					m[r][c] -= f * m[col][c]
				}
			}
		}
	}
	w := make([]float64, n)
	for i := range n {
		w[i] = m[i][n] / m[i][i]
	}
	return w
}

func TestConvergenceLeastSquares(t *testing.T) {
	wStar := solveLeastSquares(0)
	tests := []struct {
		desc  string
		name  string
		lr    float64
		t0    float64 // ASGD only; 0 means the default.
		steps int
		tol   float64 // Max |w - w*|; the initial distance is ~1.6.
	}{
		{"sgd", NameSGD, 0.5, 0, 400, 1e-10},
		{"sgdm", NameSGDM, 0.1, 0, 400, 1e-8},
		{"asgd", NameASGD, 0.5, 0, 400, 1e-10},
		{"asgd averaged", NameASGD, 0.5, 200, 1000, 1e-10},
		{"adagrad", NameAdaGrad, 0.5, 0, 400, 1e-10},
		// With a constant learning rate RMSProp ends oscillating around w* with amplitude ~lr.
		{"rmsprop", NameRMSProp, 1e-3, 0, 1500, 1e-3},
		{"adam", NameAdam, 0.01, 0, 1500, 1e-8},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			hp := mustDefaults(t, tc.name)
			hp.LearningRate = tc.lr
			if tc.t0 != 0 {
				hp.T0 = tc.t0
			}
			opt, err := New(tc.name, hp)
			if err != nil {
				t.Fatal(err)
			}
			store := model.NewStore()
			exec := trainingExec(t, store, opt, func(scope *model.Scope, g *Graph) *Node {
				w := scope.At("ls").VariableWithValue("w", []float64{0, 0, 0}).NodeValue(g)
				residual := Sub(Dot(Const(g, lsA), w).Product(), Const(g, lsB))
				return DivScalar(ReduceAllSum(Square(residual)), 2*float64(len(lsB)))
			})
			for range tc.steps {
				step(t, exec)
			}
			want := wStar
			if tc.name == NameASGD {
				// ASGD's decay term λ makes it minimise the ridge-regularised loss.
				want = solveLeastSquares(hp.Lambd)
				if d := math.Abs(want[0] - wStar[0]); d < 1e-5 {
					t.Fatalf("ridge and plain solutions too close (%g) for the test to be meaningful", d)
				}
			}
			got := varValue(t, store, "/ls/w")
			maxErr := 0.0
			for i := range got {
				maxErr = max(maxErr, math.Abs(got[i]-want[i]))
			}
			t.Logf("%s: max |w - w*| = %.3g after %d steps", tc.desc, maxErr, tc.steps)
			assertClose(t, "w", got, want, tc.tol)
			if tc.t0 != 0 {
				values, err := AveragedValues(store)
				if err != nil {
					t.Fatal(err)
				}
				assertClose(t, "averaged w", tensors.MustCopyFlatData[float64](values["/ls/w"]), want, tc.tol)
			}
		})
	}
}

// TestASGDAveraging checks that ax is the running average of the iterates θ_{t0+2}, ..., θ_t
// (the update of step t uses μ_{t-1} = 1/max(1, t-1-t0), which is 1 for t <= t0+2), and the
// averaged-weights API.
func TestASGDAveraging(t *testing.T) {
	for _, t0 := range []float64{0, 3} {
		t.Run(fmt.Sprintf("t0=%g", t0), func(t *testing.T) {
			hp := mustDefaults(t, NameASGD)
			hp.LearningRate, hp.T0, hp.Lambd = 0.1, t0, 0.01
			opt, _ := New(NameASGD, hp)
			store := model.NewStore()
			exec := quadraticExec(t, store, opt)
			var iterates [][]float64
			for s := 1; s <= 8; s++ {
				step(t, exec)
				iterates = append(iterates, varValue(t, store, xID))
				// ax = θ_s for s <= t0+2, then the mean of θ_{t0+2}, ..., θ_s.
				from := min(s, int(t0)+2) // 1-based index of the first averaged iterate.
				want := make([]float64, len(x0))
				for _, it := range iterates[from-1:] {
					for i := range want {
						want[i] += it[i] / float64(s-from+1)
					}
				}
				assertClose(t, fmt.Sprintf("step %d ax", s), varValue(t, store, StatePath(NameASGD, xID, "ax")), want, 1e-12)
			}

			// AveragedValues.
			axX := varValue(t, store, StatePath(NameASGD, xID, "ax"))
			axY := varValue(t, store, StatePath(NameASGD, yID, "ax"))
			px, py := varValue(t, store, xID), varValue(t, store, yID)
			values, err := AveragedValues(store)
			if err != nil {
				t.Fatal(err)
			}
			if len(values) != 2 {
				t.Fatalf("AveragedValues returned %d values, want 2", len(values))
			}
			assertClose(t, "AveragedValues x", tensors.MustCopyFlatData[float64](values[xID]), axX, 0)
			assertClose(t, "AveragedValues y", tensors.MustCopyFlatData[float64](values[yID]), axY, 0)

			// CopyAveragedInto a clone leaves the original untouched.
			clone, err := store.Clone()
			if err != nil {
				t.Fatal(err)
			}
			if err := CopyAveragedInto(store, clone); err != nil {
				t.Fatal(err)
			}
			assertClose(t, "clone x", varValue(t, clone, xID), axX, 0)
			assertClose(t, "clone y", varValue(t, clone, yID), axY, 0)
			assertClose(t, "original x", varValue(t, store, xID), px, 0)
			if err := CopyAveragedInto(store, model.NewStore()); err == nil {
				t.Error("CopyAveragedInto an empty store should fail")
			}

			// SwapAveraged twice is the identity.
			if err := SwapAveraged(store); err != nil {
				t.Fatal(err)
			}
			assertClose(t, "swapped x", varValue(t, store, xID), axX, 0)
			assertClose(t, "swapped y", varValue(t, store, yID), axY, 0)
			assertClose(t, "swapped ax(x)", varValue(t, store, StatePath(NameASGD, xID, "ax")), px, 0)
			if err := SwapAveraged(store); err != nil {
				t.Fatal(err)
			}
			assertClose(t, "restored x", varValue(t, store, xID), px, 0)
			assertClose(t, "restored y", varValue(t, store, yID), py, 0)
			assertClose(t, "restored ax(x)", varValue(t, store, StatePath(NameASGD, xID, "ax")), axX, 0)
		})
	}
}

// TestCheckpointResume checks that the optimizer state is saved by GoMLX checkpoints and that
// a resumed run continues bitwise identically.
func TestCheckpointResume(t *testing.T) {
	const total, split = 6, 3
	for _, name := range Names() {
		t.Run(name, func(t *testing.T) {
			hp := mustDefaults(t, name)
			hp.LearningRate = 0.05
			hp.T0 = 1 // ASGD: averaging active.
			hp.WeightDecay = 0.01
			newOpt := func() Interface {
				opt, err := New(name, hp)
				if err != nil {
					t.Fatal(err)
				}
				return opt
			}

			// Uninterrupted run.
			full := model.NewStore()
			exec := quadraticExec(t, full, newOpt())
			for range total {
				step(t, exec)
			}

			// Interrupted run: save after split steps, resume in a fresh store.
			dir := t.TempDir()
			first := model.NewStore()
			ckpt, err := checkpoint.Build(first).Dir(dir).Done()
			if err != nil {
				t.Fatal(err)
			}
			exec = quadraticExec(t, first, newOpt())
			for range split {
				step(t, exec)
			}
			if err := ckpt.Save(); err != nil {
				t.Fatal(err)
			}
			resumed := model.NewStore()
			if _, err := checkpoint.Load(resumed).Dir(dir).Done(); err != nil {
				t.Fatal(err)
			}
			exec = quadraticExec(t, resumed, newOpt())
			for range total - split {
				step(t, exec)
			}

			n := 0
			for v := range full.IterVariables() {
				want := varValue(t, full, v.Path())
				got := varValue(t, resumed, v.Path())
				assertClose(t, v.Path(), got, want, 0)
				if rv := resumed.GetVariable(v.Path()); rv.Trainable != v.Trainable {
					t.Errorf("%s: trainable=%v after resuming, want %v", v.Path(), rv.Trainable, v.Trainable)
				}
				n++
			}
			if n < 3 {
				t.Errorf("only %d variables in store", n)
			}
		})
	}
}

// TestGoMLXAdamMatchesTorch documents how GoMLX v0.28.1's own Adam compares with torch.optim.Adam:
// with epsilon set to PyTorch's 1e-8 (GoMLX's default is 1e-7) and no weight decay, it agrees with
// our torch-faithful Adam to ~1e-16 (not bitwise, the bias corrections are applied differently).
func TestGoMLXAdamMatchesTorch(t *testing.T) {
	hp := mustDefaults(t, NameAdam)
	hp.LearningRate = 0.1
	ours, _ := New(NameAdam, hp)
	gomlx := optimizer.Adam().LearningRate(hp.LearningRate).Betas(hp.Beta1, hp.Beta2).Epsilon(hp.Eps).Done()
	s1, s2 := model.NewStore(), model.NewStore()
	e1, e2 := quadraticExec(t, s1, ours), quadraticExec(t, s2, gomlx)
	maxDiff := 0.0
	for range 20 {
		step(t, e1)
		step(t, e2)
		for _, p := range []string{xID, yID} {
			a, b := varValue(t, s1, p), varValue(t, s2, p)
			assertClose(t, "GoMLX Adam "+p, b, a, 1e-12)
			for i := range a {
				maxDiff = max(maxDiff, math.Abs(a[i]-b[i]))
			}
		}
	}
	t.Logf("max |GoMLX Adam - torch Adam| over 20 steps: %.3g", maxDiff)

	// GoMLX's RMSProp is Adam without the first moment: it bias-corrects the second moment,
	// which torch.optim.RMSprop doesn't, so it differs (here at the first step already).
	hp = mustDefaults(t, NameRMSProp)
	ours, _ = New(NameRMSProp, hp)
	gomlxRMS := optimizer.RMSProp().LearningRate(hp.LearningRate).Betas(0, hp.Alpha).Epsilon(hp.Eps).Done()
	s1, s2 = model.NewStore(), model.NewStore()
	step(t, quadraticExec(t, s1, ours))
	step(t, quadraticExec(t, s2, gomlxRMS))
	a, b := varValue(t, s1, xID), varValue(t, s2, xID)
	if math.Abs(a[0]-b[0]) < 1e-6 {
		t.Errorf("expected GoMLX RMSProp to differ from torch.optim.RMSprop: %v vs %v", b, a)
	}
	t.Logf("after 1 step, x[0]: torch RMSprop %.6f, GoMLX RMSProp %.6f", a[0], b[0])
}

// TestUpdateGraphWithGradients feeds externally computed (e.g. accumulated) gradients.
func TestUpdateGraphWithGradients(t *testing.T) {
	hp := mustDefaults(t, NameAdam)
	hp.LearningRate = 0.1
	opt, _ := New(NameAdam, hp)
	store := model.NewStore()
	exec, err := model.NewExec(backend(), store, func(scope *model.Scope, g *Graph) *Node {
		scope.Store().SetTraining(g, true)
		ms := scope.At("model")
		x := ms.VariableWithValue("x", x0).NodeValue(g)
		y := ms.VariableWithValue("y", y0).NodeValue(g)
		// Gradients of the quadratic, given explicitly, with y's gradient nil (skipped).
		gx := Mul(Const(g, aX), x)
		opt.UpdateGraphWithGradients(scope, []*Node{gx, nil}, gx.DType())
		return ReduceAllSum(y)
	})
	if err != nil {
		t.Fatal(err)
	}
	ref := newRef(NameAdam, hp, aX, x0)
	for range 3 {
		step(t, exec)
		ref.step()
	}
	assertClose(t, "x", varValue(t, store, xID), ref.p, 1e-12)
	assertClose(t, "y (nil gradient)", varValue(t, store, yID), y0, 0)
	if v := store.GetVariable(StatePath(NameAdam, yID, "step")); v != nil {
		t.Errorf("state created for a variable with nil gradient: %s", v.Path())
	}
}

// TestFloat32 checks that float32 variables are updated in float32 (state in float32 too).
func TestFloat32(t *testing.T) {
	for _, name := range Names() {
		hp := mustDefaults(t, name)
		hp.LearningRate = 0.1
		opt, _ := New(name, hp)
		store := model.NewStore()
		exec := trainingExec(t, store, opt, func(scope *model.Scope, g *Graph) *Node {
			x := scope.At("model").VariableWithValue("x", []float32{1, -2, 0.5}).NodeValue(g)
			return MulScalar(ReduceAllSum(Mul(Const(g, []float32{1, 3, 0.5}), Square(x))), 0.5)
		})
		for range 3 {
			step(t, exec)
		}
		ref := newRef(name, hp, aX, x0)
		for range 3 {
			ref.step()
		}
		got := store.GetVariable(xID).MustValue().Value().([]float32)
		for i := range got {
			if math.Abs(float64(got[i])-ref.p[i]) > 1e-5 {
				t.Errorf("%s float32: x[%d]=%g, want %g", name, i, got[i], ref.p[i])
			}
		}
		for v := range store.IterVariables() {
			if strings.HasPrefix(v.Path(), "/optimizers/"+name+"/") && model.BasePath(v.Path()) != "step" {
				if v.DType().String() != "Float32" {
					t.Errorf("%s: state %s has dtype %s, want Float32", name, v.Path(), v.DType())
				}
			}
		}
	}
}
