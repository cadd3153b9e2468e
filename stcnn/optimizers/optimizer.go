// Package optimizers implements PyTorch-compatible optimizers for GoMLX:
// SGD (plain and with momentum), ASGD, AdaGrad, RMSProp and Adam.
//
// Every optimizer follows the single-tensor (for-loop) implementation of the cited
// torch.optim class: the same formulas, in the same order, with the scalar coefficients
// (bias corrections, decayed learning rates, ...) computed in float64 as Python does and
// then cast to the parameter's dtype. All computations on a variable happen in that
// variable's dtype, and its state has that dtype too (like torch.zeros_like(param)).
// Results are not guaranteed to be bitwise equal to PyTorch's, whose CPU kernels may use
// fused multiply-adds or vectorised code paths that round differently.
//
// # State
//
// All optimizer state is kept in non-trainable GoMLX variables in the model.Store, so that
// checkpoints (package checkpoint) save it, and a resumed run continues bitwise identically.
// The state of the trained variable with path P is kept under the scope
//
//	/optimizers/<name>/P
//
// with the keys that torch.optim uses in its state dict ("step", "momentum_buffer", "eta",
// "mu", "ax", "sum", "square_avg", "grad_avg", "exp_avg", "exp_avg_sq"); see StatePath.
// E.g. Adam's first moment of "/model/conv1/weights" is "/optimizers/adam/model/conv1/weights/exp_avg".
// Like in PyTorch, each variable has its own step counter ("step", an int64 scalar).
//
// Hyperparameters are constants of the computation graph: they are not stored in the Store.
//
// Each optimizer also increments GoMLX's global step (optimizer.IncrementGlobalStep) once per
// update, so that train.Trainer and train.Loop work as with GoMLX's own optimizers.
//
// # Usage
//
//	hp, _ := optimizers.DefaultHyperparams("asgd")
//	hp.LearningRate = 0.05
//	opt, err := optimizers.New("asgd", hp)
//	...
//	exec, err := model.NewExec(backend, store, func(scope *model.Scope, x *Node) *Node {
//		scope.Store().SetTraining(x.Graph(), true) // variables as parameters, not constants
//		loss := lossOf(scope, x)
//		opt.UpdateGraph(scope, x.Graph(), loss)
//		return loss
//	})
//
// or pass opt to train.NewTrainer. Accumulated gradients can be applied with
// UpdateGraphWithGradients (it implements train.OptimizeWithGradients).
package optimizers

import (
	"fmt"
	"slices"
	"strings"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train/optimizer"
	"github.com/gomlx/gomlx/support/exceptions"
)

// StateScope is the top-level scope under which all optimizers of this package keep their state.
// It is the same top-level scope GoMLX reserves for optimizers (optimizer.Scope).
const StateScope = optimizer.Scope

// Interface is implemented by all optimizers of this package.
type Interface interface {
	optimizer.Interface

	// UpdateGraphWithGradients is like UpdateGraph, but takes the gradients of the trainable
	// variables directly -- one per trainable variable of scope used in the graph, in the
	// order of scope.BuildTrainableVariablesGradientsGraph. A nil gradient skips its variable
	// (and its state is left untouched), as PyTorch does for parameters whose grad is None.
	//
	// lossDType is accepted for compatibility with GoMLX (train.OptimizeWithGradients) and
	// is not used: each variable is updated in its own dtype.
	//
	// It is a graph building function and panics on error.
	UpdateGraphWithGradients(scope *model.Scope, grads []*Node, lossDType dtypes.DType)

	// Name returns the optimizer name, one of Names().
	Name() string

	// Hyperparams returns the (validated) hyperparameters the optimizer was created with.
	Hyperparams() Hyperparams
}

// StatePath returns the absolute path in the model.Store of the state variable key of the named
// optimizer for the trained variable with path varPath. E.g.
// StatePath("sgdm", "/model/w", "momentum_buffer") == "/optimizers/sgdm/model/w/momentum_buffer".
func StatePath(optName, varPath, key string) string {
	return model.JoinPath(stateRoot(optName), varPath, key)
}

// stateRoot returns the scope holding all the state of the named optimizer.
func stateRoot(optName string) string {
	return model.JoinPath(model.RootScopePath, StateScope, normalizeName(optName))
}

// opt implements Interface; rule holds the algorithm specific per-variable update.
type opt struct {
	name string
	hp   Hyperparams
	rule func(hp Hyperparams, s *paramState)
}

var _ Interface = (*opt)(nil)

// Name implements Interface.
func (o *opt) Name() string { return o.name }

// Hyperparams implements Interface.
func (o *opt) Hyperparams() Hyperparams { return o.hp }

// String returns the name and hyperparameters.
func (o *opt) String() string { return fmt.Sprintf("%s%+v", o.name, o.hp) }

// UpdateGraph implements optimizer.Interface: it computes the gradients of the scalar loss with
// respect to the trainable variables in scope used in the graph, and calls UpdateGraphWithGradients.
func (o *opt) UpdateGraph(scope *model.Scope, g *Graph, loss *Node) {
	if !loss.Shape().IsScalar() {
		exceptions.Panicf("optimizers.%s requires a scalar loss to optimize, got loss.shape=%s instead", o.name, loss.Shape())
	}
	if loss.Graph() != g {
		exceptions.Panicf("optimizers.%s: loss is not in the given graph", o.name)
	}
	grads := scope.BuildTrainableVariablesGradientsGraph(loss)
	o.UpdateGraphWithGradients(scope, grads, loss.DType())
}

// trainableVariables returns the trainable variables of scope used in g, in the same order as
// scope.BuildTrainableVariablesGradientsGraph.
func trainableVariables(scope *model.Scope, g *Graph) []*model.Variable {
	var vars []*model.Variable
	for v := range scope.IterVariables() {
		if v.Trainable && v.InUseByGraph(g) {
			vars = append(vars, v)
		}
	}
	return vars
}

// UpdateGraphWithGradients implements Interface.
func (o *opt) UpdateGraphWithGradients(scope *model.Scope, grads []*Node, lossDType dtypes.DType) {
	_ = lossDType
	if len(grads) == 0 {
		exceptions.Panicf("optimizers.%s: no gradients given, are there any trainable variables in scope %q used in the graph?",
			o.name, scope.Scope())
	}
	var g *Graph
	for _, grad := range grads {
		if grad != nil {
			g = grad.Graph()
			break
		}
	}
	if g == nil {
		return // All gradients are nil: nothing to do.
	}
	// Collect the variables before creating any state variable.
	vars := trainableVariables(scope, g)
	if len(vars) != len(grads) {
		exceptions.Panicf("optimizers.%s: got %d gradients, but there are %d trainable variables in scope %q used in the graph "+
			"-- were variables created or their Trainable flag changed after the gradients were computed?",
			o.name, len(grads), len(vars), scope.Scope())
	}
	_ = optimizer.IncrementGlobalStep(g, dtypes.Int64)
	store := scope.Store()
	for i, v := range vars {
		grad := grads[i]
		if grad == nil {
			continue
		}
		dtype := v.DType()
		if !dtype.IsFloat() {
			exceptions.Panicf("optimizers.%s: trainable variable %q has dtype %s, only floating point variables are supported",
				o.name, v.Path(), dtype)
		}
		if !slices.Equal(grad.Shape().Dimensions, v.Shape().Dimensions) {
			exceptions.Panicf("optimizers.%s: gradient for %q has shape %s, but the variable has shape %s",
				o.name, v.Path(), grad.Shape(), v.Shape())
		}
		if grad.DType() != dtype {
			grad = ConvertDType(grad, dtype)
		}
		s := &paramState{
			store: store,
			root:  model.JoinPath(stateRoot(o.name), v.Path()),
			v:     v,
			g:     g,
			dtype: dtype,
			param: v.NodeValue(g),
			grad:  grad,
		}
		o.rule(o.hp, s)
		v.SetNodeValue(s.param)
	}
}

// Clear implements optimizer.Interface: it deletes the state of this optimizer for all variables under scope,
// including state still pending in a checkpoint loader. The next update starts from a fresh state (step 1),
// as with a newly created PyTorch optimizer. Executors (model.Exec) whose graphs were built before Clear
// refer to the deleted variables and must be recreated.
func (o *opt) Clear(scope *model.Scope) error {
	store := scope.Store()
	var paths []string
	statePrefix := stateRoot(o.name) + model.ScopeSeparator
	for v := range scope.IterVariables() {
		if !strings.HasPrefix(v.Path(), statePrefix) {
			paths = append(paths, v.Path())
		}
	}
	// Deleting each possible state variable explicitly also removes values not yet loaded from a checkpoint.
	for _, p := range paths {
		for _, key := range stateKeys {
			if err := store.DeleteVariable(StatePath(o.name, p, key)); err != nil {
				return err
			}
		}
	}
	return store.DeleteVariablesInScope(model.JoinPath(stateRoot(o.name), scope.Scope()))
}

// stateKeys lists all the per-variable state keys used by the optimizers of this package.
var stateKeys = []string{"step", "momentum_buffer", "eta", "mu", "ax", "sum", "square_avg", "grad_avg", "exp_avg", "exp_avg_sq"}

// paramState is the context of the update of one trainable variable.
type paramState struct {
	store *model.Store
	root  string // Scope of the state of this variable.
	v     *model.Variable
	g     *Graph
	dtype dtypes.DType

	// param is the current value of the variable: rules replace it with the updated value.
	param *Node
	// grad is the gradient, in the variable's dtype.
	grad *Node
}

// stateVar returns (creating if needed) the non-trainable state variable key, with the given
// shape, initialised with the constant value init.
func (s *paramState) stateVar(key string, shape shapes.Shape, init float64) *model.Variable {
	initFn := func(g *Graph, shape shapes.Shape) *Node { return FillScalar(g, shape, init) }
	return s.store.VariableWithShape(model.JoinPath(s.root, key), shape, initFn).SetTrainable(false)
}

// like returns (creating if needed) a state variable shaped like the parameter, filled with init.
func (s *paramState) like(key string, init float64) *model.Variable {
	return s.stateVar(key, s.v.Shape(), init)
}

// scalarVar returns (creating if needed) a scalar state variable of the parameter dtype.
func (s *paramState) scalarVar(key string, init float64) *model.Variable {
	return s.stateVar(key, shapes.Make(s.dtype), init)
}

// incrementStep increments the per-variable int64 step counter and returns its new value
// (1 on the first update) as an int64 scalar.
func (s *paramState) incrementStep() *Node {
	stepVar := s.stateVar("step", shapes.Make(dtypes.Int64), 0)
	step := AddScalar(stepVar.NodeValue(s.g), 1)
	stepVar.SetNodeValue(step)
	return step
}

// f64 returns a float64 scalar constant: scalar coefficients are computed in float64, like
// PyTorch does with Python floats.
func (s *paramState) f64(x float64) *Node { return Scalar(s.g, dtypes.Float64, x) }

// c returns a scalar constant in the parameter dtype: PyTorch casts Python scalars to the tensor's dtype.
func (s *paramState) c(x float64) *Node { return Scalar(s.g, s.dtype, x) }

// cast converts a float64 scalar coefficient to the parameter dtype.
func (s *paramState) cast(x *Node) *Node {
	if x.DType() == s.dtype {
		return x
	}
	return ConvertDType(x, s.dtype)
}

// applyWeightDecay returns g + weightDecay·param (torch: grad.add(param, alpha=weight_decay)), if weightDecay != 0.
func (s *paramState) applyWeightDecay(weightDecay float64) {
	if weightDecay != 0 {
		s.grad = Add(s.grad, Mul(s.c(weightDecay), s.param))
	}
}

// lerp implements torch.lerp(start, end, weight) for a constant weight, using the same formula
// as ATen: start + w·(end-start) if |w| < 0.5, else end - (end-start)·(1-w).
func (s *paramState) lerp(start, end *Node, weight float64) *Node {
	w := s.c(weight)
	if weight > -0.5 && weight < 0.5 {
		return Add(start, Mul(w, Sub(end, start)))
	}
	return Sub(end, Mul(Sub(end, start), OneMinus(w)))
}
