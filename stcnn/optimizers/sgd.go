package optimizers

import (
	. "github.com/gomlx/gomlx/core/graph"
)

// sgdRule implements torch.optim.SGD (single-tensor implementation), for optimizer names "sgd" and "sgdm".
//
// With learning rate γ, weight decay λ, momentum μ, dampening τ, and gradient g_t of θ_{t-1}:
//
//	g_t ← g_t + λ·θ_{t-1}                         (if λ ≠ 0)
//	if μ ≠ 0:
//	    b_t = g_t                                 (t = 1)
//	    b_t = μ·b_{t-1} + (1-τ)·g_t               (t > 1)
//	    g_t ← g_t + μ·b_t  if nesterov, else g_t ← b_t
//	θ_t = θ_{t-1} - γ·g_t
//
// The learning rate is constant: unlike GoMLX's optimizer.StochasticGradientDescent there is no
// 1/sqrt(step) decay. State (only if μ ≠ 0): "momentum_buffer" (b) and "step" (which replaces
// PyTorch's "momentum_buffer is None" test for the first step).
func sgdRule(hp Hyperparams, s *paramState) {
	s.applyWeightDecay(hp.WeightDecay)
	grad := s.grad
	if hp.Momentum != 0 {
		step := s.incrementStep()
		bufVar := s.like("momentum_buffer", 0)
		buf := bufVar.NodeValue(s.g)
		// torch: buf.mul_(momentum).add_(grad, alpha=1-dampening)
		updated := Add(Mul(buf, s.c(hp.Momentum)), Mul(s.c(1-hp.Dampening), grad))
		buf = Where(Equal(step, ScalarOne(s.g, step.DType())), grad, updated)
		bufVar.SetNodeValue(buf)
		if hp.Nesterov {
			grad = Add(grad, Mul(s.c(hp.Momentum), buf))
		} else {
			grad = buf
		}
	}
	// torch: param.add_(grad, alpha=-lr)
	s.param = Add(s.param, Mul(s.c(-hp.LearningRate), grad))
}
