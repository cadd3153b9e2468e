package optimizers

import (
	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph"
)

// adagradRule implements torch.optim.Adagrad (Duchi, Hazan & Singer 2011), single-tensor implementation.
//
// With learning rate γ, learning-rate decay η, weight decay λ, ε, and the accumulator starting at
// s_0 = initial_accumulator_value ("sum"), at step t (gradient g_t of θ_{t-1}):
//
//	g_t ← g_t + λ·θ_{t-1}                 (if λ ≠ 0)
//	γ_t = γ / (1 + (t-1)·η)               (computed in float64)
//	s_t = s_{t-1} + g_t²
//	θ_t = θ_{t-1} - γ_t · g_t / (sqrt(s_t) + ε)
//
// State: "step" and "sum".
func adagradRule(hp Hyperparams, s *paramState) {
	step := s.incrementStep()
	sumVar := s.like("sum", hp.InitialAccumulator)
	s.applyWeightDecay(hp.WeightDecay)
	grad := s.grad

	// torch: clr = lr / (1 + (step - 1) * lr_decay)
	step64 := ConvertDType(step, dtypes.Float64)
	clr := Div(s.f64(hp.LearningRate), Add(s.f64(1), Mul(Sub(step64, s.f64(1)), s.f64(hp.LRDecay))))

	// torch: state_sum.addcmul_(grad, grad, value=1); std = state_sum.sqrt().add_(eps)
	sum := Add(sumVar.NodeValue(s.g), Mul(Mul(s.c(1), grad), grad))
	sumVar.SetNodeValue(sum)
	std := Add(Sqrt(sum), s.c(hp.Eps))

	// torch: param.addcdiv_(grad, std, value=-clr)
	s.param = Add(s.param, Div(Mul(s.cast(Neg(clr)), grad), std))
}
