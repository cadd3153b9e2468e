package optimizers

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// asgdRule implements torch.optim.ASGD, Averaged Stochastic Gradient Descent (Polyak & Juditsky 1992,
// with the step sizes of Bottou 2012), following PyTorch's single-tensor implementation step by step.
//
// With learning rate γ, decay λ ("lambd"), power α, averaging start t0 and weight decay wd, the state
// of each parameter starts with step=0, η_0 = γ ("eta"), μ_0 = 1 ("mu") and ax_0 = 0 ("ax").
// At step t (gradient g_t of θ_{t-1}), in this order:
//
//	t ← t + 1
//	g_t ← g_t + wd·θ_{t-1}                         (if wd ≠ 0)
//	θ ← θ_{t-1}·(1 - λ·η_{t-1})                    (decay, using the η of the previous step)
//	θ_t = θ - η_{t-1}·g_t
//	ax_t = ax_{t-1} + (θ_t - ax_{t-1})·μ_{t-1}     if μ_{t-1} ≠ 1
//	ax_t = θ_t                                     if μ_{t-1} = 1
//	η_t = γ / (1 + λ·γ·t)^α
//	μ_t = 1 / max(1, t - t0)
//
// So the update of step t uses the η and μ computed at the end of step t-1, and ax is the plain
// average of the iterates θ_{t0+2}, ..., θ_t for t >= t0+2, and ax = θ_t before (μ_{t-1} = 1 while
// t <= t0+2). Note the decay term: θ ← θ - η·(g + λ·θ), so ASGD minimises f(θ) + (λ/2)·|θ|², not f(θ). As in PyTorch, 1-λ·η, η and μ are
// computed in float64 (Python floats), and η and μ are stored in the parameter's dtype (PyTorch stores
// them in the default scalar dtype: float32, or float64 when the default dtype is float64).
//
// Use AveragedValues, CopyAveragedInto or SwapAveraged to evaluate with the averaged parameters ax.
func asgdRule(hp Hyperparams, s *paramState) {
	step := s.incrementStep()
	etaVar := s.scalarVar("eta", hp.LearningRate)
	muVar := s.scalarVar("mu", 1)
	axVar := s.like("ax", 0)
	eta, mu, ax := etaVar.NodeValue(s.g), muVar.NodeValue(s.g), axVar.NodeValue(s.g)

	s.applyWeightDecay(hp.WeightDecay)
	eta64 := ConvertDType(eta, dtypes.Float64)
	// torch: param.mul_(1 - lambd * eta); param.add_(grad, alpha=-eta)
	param := Mul(s.param, s.cast(OneMinus(Mul(s.f64(hp.Lambd), eta64))))
	param = Add(param, Mul(Neg(eta), s.grad))
	s.param = param

	// torch: if mu != 1: ax.add_(param.sub(ax).mul(mu)) else: ax.copy_(param)
	ax = Where(NotEqual(mu, s.c(1)), Add(ax, Mul(Sub(param, ax), mu)), param)
	axVar.SetNodeValue(ax)

	// torch: eta = lr / ((1 + lambd * lr * step) ** alpha); mu = 1 / max(1, step - t0)
	step64 := ConvertDType(step, dtypes.Float64)
	newEta := Div(s.f64(hp.LearningRate),
		Pow(Add(s.f64(1), Mul(s.f64(hp.Lambd*hp.LearningRate), step64)), s.f64(hp.Alpha)))
	newMu := Div(s.f64(1), Max(s.f64(1), Sub(step64, s.f64(hp.T0))))
	etaVar.SetNodeValue(s.cast(newEta))
	muVar.SetNodeValue(s.cast(newMu))
}

// asgdAverages returns the pairs (trained variable, its ASGD "ax" variable) of store, sorted by path.
// The averages are found both among the variables already in the store and, for every other variable
// of the store, by looking up StatePath("asgd", path, "ax"), which triggers the lazy loading of
// checkpointed values (model.Loader).
func asgdAverages(store *model.Store) (vars, axs []*model.Variable, err error) {
	prefix := stateRoot(NameASGD) + model.ScopeSeparator
	suffix := model.ScopeSeparator + "ax"
	var existing []*model.Variable
	for v := range store.IterVariables() {
		existing = append(existing, v)
	}
	byPath := make(map[string]*model.Variable)
	for _, v := range existing {
		p := v.Path()
		if strings.HasPrefix(p, prefix) {
			if strings.HasSuffix(p, suffix) {
				byPath["/"+strings.TrimSuffix(strings.TrimPrefix(p, prefix), suffix)] = v
			}
			continue
		}
		if _, found := byPath[p]; found {
			continue
		}
		if ax := store.GetVariable(StatePath(NameASGD, p, "ax")); ax != nil {
			ax.SetTrainable(false)
			byPath[p] = ax
		}
	}
	paths := slices.Sorted(maps.Keys(byPath))
	for _, p := range paths {
		ax := byPath[p]
		v := store.GetVariable(p)
		if v == nil {
			return nil, nil, fmt.Errorf("optimizers: ASGD average %q has no corresponding variable %q", ax.Path(), p)
		}
		if !ax.HasValue() {
			return nil, nil, fmt.Errorf("optimizers: ASGD average %q has no value yet: run at least one ASGD step", ax.Path())
		}
		if !v.Shape().Equal(ax.Shape()) {
			return nil, nil, fmt.Errorf("optimizers: ASGD average %q has shape %s, but variable %q has shape %s",
				ax.Path(), ax.Shape(), p, v.Shape())
		}
		vars = append(vars, v)
		axs = append(axs, ax)
	}
	return vars, axs, nil
}

// AveragedValues returns copies (on the host) of the ASGD averaged parameters ax kept in store,
// keyed by the path of the trained variable. Variables not trained by ASGD are not included.
//
// Before averaging starts (step < t0+2) ax equals the current parameters.
func AveragedValues(store *model.Store) (map[string]*tensors.Tensor, error) {
	vars, axs, err := asgdAverages(store)
	if err != nil {
		return nil, err
	}
	values := make(map[string]*tensors.Tensor, len(vars))
	for i, v := range vars {
		t, err := axs[i].Value()
		if err != nil {
			return nil, err
		}
		if values[v.Path()], err = t.LocalClone(); err != nil {
			return nil, err
		}
	}
	return values, nil
}

// CopyAveragedInto sets, for each variable of src trained by ASGD, the variable with the same path in
// dst to (a copy of) its averaged value ax. dst is typically a clone of src (model.Store.Clone) used for
// evaluation, so the training state in src is left untouched. It fails if dst lacks one of the variables
// or has a different shape for it.
func CopyAveragedInto(src, dst *model.Store) error {
	values, err := AveragedValues(src)
	if err != nil {
		return err
	}
	for _, p := range slices.Sorted(maps.Keys(values)) {
		v := dst.GetVariable(p)
		if v == nil {
			return fmt.Errorf("optimizers: destination store has no variable %q", p)
		}
		if !v.Shape().Equal(values[p].Shape()) {
			return fmt.Errorf("optimizers: destination variable %q has shape %s, but its ASGD average has shape %s",
				p, v.Shape(), values[p].Shape())
		}
		if err := v.SetValue(values[p]); err != nil {
			return err
		}
	}
	return nil
}

// SwapAveraged exchanges, in place, the values of the variables trained by ASGD with their averaged values ax:
// after it, the model evaluates with the averaged parameters, and the ax state holds the current parameters.
// Calling it a second time restores the original state exactly (no copies or arithmetic are involved).
//
// Do not train between the two calls: ASGD would update the averaged values as if they were the parameters.
func SwapAveraged(store *model.Store) error {
	vars, axs, err := asgdAverages(store)
	if err != nil {
		return err
	}
	for i, v := range vars {
		vt, err := v.Value()
		if err != nil {
			return err
		}
		at, err := axs[i].Value()
		if err != nil {
			return err
		}
		if err := v.SetValuePreservingOld(at); err != nil {
			return err
		}
		if err := axs[i].SetValuePreservingOld(vt); err != nil {
			return err
		}
	}
	return nil
}

// AtEvaluationWeights runs evaluate with the weights an optimiser's results
// are reported at: for ASGD its averaged weights (as torch.optim.ASGD users
// evaluate it), swapped in around evaluate and swapped back after it; for
// every other optimiser the weights themselves.
func AtEvaluationWeights(optName string, store *model.Store, evaluate func() error) error {
	if normalizeName(optName) != NameASGD {
		return evaluate()
	}
	if err := SwapAveraged(store); err != nil {
		return err
	}
	err := evaluate()
	if serr := SwapAveraged(store); serr != nil {
		return errors.Join(err, serr)
	}
	return err
}
