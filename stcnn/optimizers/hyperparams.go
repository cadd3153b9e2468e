package optimizers

import (
	"fmt"
	"math"
	"slices"
	"strings"
)

// Optimizer names accepted by New and DefaultHyperparams.
const (
	NameSGD     = "sgd"
	NameSGDM    = "sgdm"
	NameASGD    = "asgd"
	NameAdaGrad = "adagrad"
	NameRMSProp = "rmsprop"
	NameAdam    = "adam"
)

// Names returns the valid optimizer names, sorted.
func Names() []string {
	return []string{NameAdaGrad, NameAdam, NameASGD, NameRMSProp, NameSGD, NameSGDM}
}

// Hyperparams holds the hyperparameters of all optimizers in this package.
// Each optimizer only reads the fields it uses (listed in the field comments);
// the others are ignored, but they are still checked by Validate.
//
// The zero value is not a useful configuration: start from DefaultHyperparams,
// which returns PyTorch's defaults, and override what you need.
//
// The JSON names follow PyTorch's constructor argument names where they exist.
type Hyperparams struct {
	// LearningRate (torch "lr"), used by all optimizers. Must be > 0.
	LearningRate float64 `json:"lr"`

	// WeightDecay is an L2 penalty added to the gradient, g ← g + WeightDecay·θ,
	// before any other processing, as in all PyTorch optimizers of this package
	// (it is not AdamW's decoupled weight decay). Used by all optimizers. Must be >= 0.
	WeightDecay float64 `json:"weight_decay"`

	// Momentum factor (sgd, sgdm, rmsprop). Must be in [0, 1).
	Momentum float64 `json:"momentum"`

	// Dampening for momentum (sgd, sgdm). Must be in [0, 1].
	Dampening float64 `json:"dampening"`

	// Nesterov enables Nesterov momentum (sgd, sgdm). Requires Momentum > 0 and Dampening == 0.
	Nesterov bool `json:"nesterov"`

	// Lambd is ASGD's decay term λ (asgd). Must be >= 0.
	Lambd float64 `json:"lambd"`

	// Alpha is ASGD's power for the η update (asgd, must be >= 0), or RMSProp's smoothing
	// constant (rmsprop, must be in [0, 1]).
	Alpha float64 `json:"alpha"`

	// T0 is the step at which ASGD starts averaging (asgd). Must be >= 0.
	T0 float64 `json:"t0"`

	// LRDecay is AdaGrad's learning-rate decay (adagrad). Must be >= 0.
	LRDecay float64 `json:"lr_decay"`

	// InitialAccumulator is AdaGrad's initial value of the sum of squared gradients (adagrad). Must be >= 0.
	InitialAccumulator float64 `json:"initial_accumulator_value"`

	// Eps is the term added to the denominator for numerical stability (adagrad, rmsprop, adam). Must be >= 0.
	Eps float64 `json:"eps"`

	// Beta1 and Beta2 are Adam's exponential decay rates of the first and second moments (adam; torch "betas").
	// Must be in [0, 1).
	Beta1 float64 `json:"beta1"`
	Beta2 float64 `json:"beta2"`

	// Centered makes RMSProp normalise by an estimate of the gradient variance (rmsprop).
	Centered bool `json:"centered"`
}

// DefaultHyperparams returns PyTorch's default hyperparameters (torch 2.x) for the named optimizer:
//
//	sgd:     torch.optim.SGD      lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=false
//	sgdm:    torch.optim.SGD      as sgd, but momentum=0.9
//	asgd:    torch.optim.ASGD     lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0
//	adagrad: torch.optim.Adagrad  lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10
//	rmsprop: torch.optim.RMSprop  lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=false
//	adam:    torch.optim.Adam     lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0
//
// Fields not used by the optimizer are left at zero.
func DefaultHyperparams(name string) (Hyperparams, error) {
	switch normalizeName(name) {
	case NameSGD:
		return Hyperparams{LearningRate: 1e-3}, nil
	case NameSGDM:
		return Hyperparams{LearningRate: 1e-3, Momentum: 0.9}, nil
	case NameASGD:
		return Hyperparams{LearningRate: 1e-2, Lambd: 1e-4, Alpha: 0.75, T0: 1e6}, nil
	case NameAdaGrad:
		return Hyperparams{LearningRate: 1e-2, Eps: 1e-10}, nil
	case NameRMSProp:
		return Hyperparams{LearningRate: 1e-2, Alpha: 0.99, Eps: 1e-8}, nil
	case NameAdam:
		return Hyperparams{LearningRate: 1e-3, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8}, nil
	}
	return Hyperparams{}, unknownNameError(name)
}

func normalizeName(name string) string {
	return strings.ToLower(strings.TrimSpace(name))
}

func unknownNameError(name string) error {
	return fmt.Errorf("optimizers: unknown optimizer %q, valid names are %s", name, strings.Join(Names(), ", "))
}

// Validate checks that every field is within the range accepted by the optimizers of this package
// (see the field comments). It returns the first problem found, e.g.
// "optimizers: learning rate -1 must be > 0".
func (hp Hyperparams) Validate() error {
	type check struct {
		name  string
		value float64
		ok    func(float64) bool
		rule  string
	}
	positive := func(x float64) bool { return x > 0 }
	nonNegative := func(x float64) bool { return x >= 0 }
	unitOpen := func(x float64) bool { return x >= 0 && x < 1 }
	unitClosed := func(x float64) bool { return x >= 0 && x <= 1 }
	checks := []check{
		{"learning rate", hp.LearningRate, positive, "must be > 0"},
		{"weight decay", hp.WeightDecay, nonNegative, "must be >= 0"},
		{"momentum", hp.Momentum, unitOpen, "must be in [0, 1)"},
		{"dampening", hp.Dampening, unitClosed, "must be in [0, 1]"},
		{"lambd", hp.Lambd, nonNegative, "must be >= 0"},
		{"alpha", hp.Alpha, nonNegative, "must be >= 0"},
		{"t0", hp.T0, nonNegative, "must be >= 0"},
		{"lr decay", hp.LRDecay, nonNegative, "must be >= 0"},
		{"initial accumulator value", hp.InitialAccumulator, nonNegative, "must be >= 0"},
		{"eps", hp.Eps, nonNegative, "must be >= 0"},
		{"beta1", hp.Beta1, unitOpen, "must be in [0, 1)"},
		{"beta2", hp.Beta2, unitOpen, "must be in [0, 1)"},
	}
	for _, c := range checks {
		if math.IsNaN(c.value) || math.IsInf(c.value, 0) {
			return fmt.Errorf("optimizers: %s %v must be a finite number", c.name, c.value)
		}
		if !c.ok(c.value) {
			return fmt.Errorf("optimizers: %s %v %s", c.name, c.value, c.rule)
		}
	}
	if hp.Nesterov && (hp.Momentum <= 0 || hp.Dampening != 0) {
		return fmt.Errorf("optimizers: nesterov momentum requires momentum > 0 and dampening == 0, got momentum %v and dampening %v",
			hp.Momentum, hp.Dampening)
	}
	return nil
}

// validateFor adds the checks that depend on which optimizer reads the fields.
func (hp Hyperparams) validateFor(name string) error {
	if err := hp.Validate(); err != nil {
		return err
	}
	if name == NameRMSProp && hp.Alpha > 1 {
		return fmt.Errorf("optimizers: rmsprop alpha %v must be in [0, 1]", hp.Alpha)
	}
	return nil
}

// Check makes the checks New makes (a known name, hyperparameters valid
// for it) without building the optimiser.
func Check(name string, hp Hyperparams) error {
	n := normalizeName(name)
	if !slices.Contains(Names(), n) {
		return unknownNameError(name)
	}
	return hp.validateFor(n)
}

// New creates the named optimizer (one of Names()) with the given hyperparameters,
// which are validated first. Start from DefaultHyperparams(name) to get PyTorch's defaults.
//
// "sgd" and "sgdm" are the same algorithm (torch.optim.SGD) and differ only in their defaults
// and in the scope holding their state: New("sgd", hp) with hp.Momentum > 0 uses momentum.
func New(name string, hp Hyperparams) (Interface, error) {
	if err := Check(name, hp); err != nil {
		return nil, err
	}
	n := normalizeName(name)
	o := &opt{name: n, hp: hp}
	switch n {
	case NameSGD, NameSGDM:
		o.rule = sgdRule
	case NameASGD:
		o.rule = asgdRule
	case NameAdaGrad:
		o.rule = adagradRule
	case NameRMSProp:
		o.rule = rmspropRule
	case NameAdam:
		o.rule = adamRule
	}
	return o, nil
}
