package optimizers

import (
	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph"
)

// adamRule implements torch.optim.Adam (Kingma & Ba 2014) without amsgrad, single-tensor implementation.
//
// With learning rate γ, betas (β1, β2), ε and weight decay λ (an L2 penalty added to the gradient, as
// torch.optim.Adam does -- not AdamW's decoupled decay), first and second moments starting at zero,
// at step t (gradient g_t of θ_{t-1}):
//
//	g_t ← g_t + λ·θ_{t-1}                    (if λ ≠ 0)
//	m_t = m_{t-1} + (1-β1)·(g_t - m_{t-1})    ("exp_avg", torch.lerp; = β1·m_{t-1} + (1-β1)·g_t)
//	v_t = β2·v_{t-1} + (1-β2)·g_t²            ("exp_avg_sq")
//	m̂_t = m_t / (1-β1^t),  v̂_t = v_t / (1-β2^t)
//	θ_t = θ_{t-1} - γ·m̂_t / (sqrt(v̂_t) + ε)
//
// evaluated as PyTorch does: step_size = γ/(1-β1^t) and sqrt(1-β2^t) in float64, then
// θ_t = θ_{t-1} - step_size·m_t / (sqrt(v_t)/sqrt(1-β2^t) + ε).
// State: "step", "exp_avg", "exp_avg_sq".
func adamRule(hp Hyperparams, s *paramState) {
	step := s.incrementStep()
	s.applyWeightDecay(hp.WeightDecay)
	grad := s.grad

	// torch: exp_avg.lerp_(grad, 1 - beta1)
	mVar := s.like("exp_avg", 0)
	m := s.lerp(mVar.NodeValue(s.g), grad, 1-hp.Beta1)
	mVar.SetNodeValue(m)
	// torch: exp_avg_sq.mul_(beta2).addcmul_(grad, grad.conj(), value=1 - beta2)
	vVar := s.like("exp_avg_sq", 0)
	v := Add(Mul(vVar.NodeValue(s.g), s.c(hp.Beta2)), Mul(Mul(s.c(1-hp.Beta2), grad), grad))
	vVar.SetNodeValue(v)

	// torch (Python floats): bias_correction1 = 1 - beta1 ** step; bias_correction2 = 1 - beta2 ** step
	// step_size = lr / bias_correction1; bias_correction2_sqrt = bias_correction2 ** 0.5
	step64 := ConvertDType(step, dtypes.Float64)
	bc1 := OneMinus(Pow(s.f64(hp.Beta1), step64))
	bc2 := OneMinus(Pow(s.f64(hp.Beta2), step64))
	stepSize := Div(s.f64(hp.LearningRate), bc1)
	bc2Sqrt := Sqrt(bc2)

	// torch: denom = (exp_avg_sq.sqrt() / bias_correction2_sqrt).add_(eps)
	denom := Add(Div(Sqrt(v), s.cast(bc2Sqrt)), s.c(hp.Eps))
	// torch: param.addcdiv_(exp_avg, denom, value=-step_size)
	s.param = Add(s.param, Div(Mul(s.cast(Neg(stepSize)), m), denom))
}
