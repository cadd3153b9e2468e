package optimizers

import (
	. "github.com/gomlx/gomlx/core/graph"
)

// rmspropRule implements torch.optim.RMSprop (Hinton's lecture 6e; centered variant of Graves 2013),
// single-tensor implementation.
//
// With learning rate γ, smoothing constant α, ε, weight decay λ and momentum μ, at step t
// (gradient g_t of θ_{t-1}), all state starting at zero:
//
//	g_t ← g_t + λ·θ_{t-1}                          (if λ ≠ 0)
//	v_t = α·v_{t-1} + (1-α)·g_t²                    ("square_avg")
//	if centered:
//	    ḡ_t = ḡ_{t-1} + (1-α)·(g_t - ḡ_{t-1})       ("grad_avg", torch.lerp)
//	    d_t = sqrt(v_t - ḡ_t²) + ε
//	else:
//	    d_t = sqrt(v_t) + ε
//	if μ > 0:
//	    b_t = μ·b_{t-1} + g_t/d_t                  ("momentum_buffer")
//	    θ_t = θ_{t-1} - γ·b_t
//	else:
//	    θ_t = θ_{t-1} - γ·g_t/d_t
//
// There is no bias correction (unlike GoMLX's optimizer.RMSProp, which is Adam without the first moment).
// State: "step" (unused by the rule, kept as PyTorch does), "square_avg", and "momentum_buffer" / "grad_avg"
// when momentum / centered are enabled.
func rmspropRule(hp Hyperparams, s *paramState) {
	_ = s.incrementStep()
	s.applyWeightDecay(hp.WeightDecay)
	grad := s.grad

	// torch: square_avg.mul_(alpha).addcmul_(grad, grad, value=1 - alpha)
	sqVar := s.like("square_avg", 0)
	sq := Add(Mul(sqVar.NodeValue(s.g), s.c(hp.Alpha)), Mul(Mul(s.c(1-hp.Alpha), grad), grad))
	sqVar.SetNodeValue(sq)

	var avg *Node
	if hp.Centered {
		// torch: grad_avg.lerp_(grad, 1 - alpha); avg = square_avg.addcmul(grad_avg, grad_avg, value=-1).sqrt_()
		gaVar := s.like("grad_avg", 0)
		ga := s.lerp(gaVar.NodeValue(s.g), grad, 1-hp.Alpha)
		gaVar.SetNodeValue(ga)
		avg = Sqrt(Add(sq, Mul(Mul(s.c(-1), ga), ga)))
	} else {
		avg = Sqrt(sq)
	}
	avg = Add(avg, s.c(hp.Eps))

	if hp.Momentum > 0 {
		// torch: buf.mul_(momentum).addcdiv_(grad, avg); param.add_(buf, alpha=-lr)
		bufVar := s.like("momentum_buffer", 0)
		buf := Add(Mul(bufVar.NodeValue(s.g), s.c(hp.Momentum)), Div(Mul(s.c(1), grad), avg))
		bufVar.SetNodeValue(buf)
		s.param = Add(s.param, Mul(s.c(-hp.LearningRate), buf))
	} else {
		// torch: param.addcdiv_(grad, avg, value=-lr)
		s.param = Add(s.param, Div(Mul(s.c(-hp.LearningRate), grad), avg))
	}
}
