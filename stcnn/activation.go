package stcnn

import (
	"fmt"

	. "github.com/gomlx/gomlx/core/graph"
)

// SoftThreshold returns ST_l(x) = sign(x) max(|x| - l, 0) elementwise, the
// activation of eq. 20: x - l above l, x + l below -l, 0 in between. Its
// gradient is 1 outside the dead zone and 0 inside. It is written with
// Where rather than Min/Max because GoMLX differentiates Where with one
// select, and Min/Max with two Sign passes and a broadcast reduction.
func SoftThreshold(x *Node, lambda float64) *Node {
	if lambda == 0 {
		return x
	}
	g, dt := x.Graph(), x.DType()
	zero := ScalarZero(g, dt)
	below := Where(LessThan(x, Scalar(g, dt, -lambda)), AddScalar(x, lambda), zero)
	return Where(GreaterThan(x, Scalar(g, dt, lambda)), AddScalar(x, -lambda), below)
}

// ReLU returns max(x, 0) elementwise (written with Where, see SoftThreshold).
func ReLU(x *Node) *Node {
	zero := ScalarZero(x.Graph(), x.DType())
	return Where(GreaterThan(x, zero), x, zero)
}

// Activation names the primal network's nonlinearity.
type Activation string

const (
	// ActivationST is soft-thresholding with threshold lambda (the paper's model).
	ActivationST Activation = "st"
	// ActivationReLU is max(x, 0), the ReLU network the paper compares with (Fig. 2).
	ActivationReLU Activation = "relu"
)

// Validate reports whether a is a known activation.
func (a Activation) Validate() error {
	switch a {
	case ActivationST, ActivationReLU:
		return nil
	}
	return fmt.Errorf("stcnn: unknown activation %q, want %q or %q", string(a), ActivationST, ActivationReLU)
}

// Apply builds the activation on x.
func (a Activation) Apply(x *Node, lambda float64) *Node {
	if a == ActivationReLU {
		return ReLU(x)
	}
	return SoftThreshold(x, lambda)
}
