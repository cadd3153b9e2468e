package stcnn

import (
	"errors"
	"fmt"
	"math"

	"github.com/gomlx/compute/dtypes"
)

// ModelKind names one of the two networks.
type ModelKind string

const (
	// Primal is the nonconvex two-layer ST-CNN of eq. 21.
	Primal ModelKind = "primal"
	// Dual is the convex dual network of eq. 22 with hinge-penalised constraints.
	Dual ModelKind = "dual"
)

// Config holds every hyperparameter of a model. The paper leaves all of
// them open; DefaultConfig documents the values chosen here.
type Config struct {
	Model ModelKind `json:"model"`
	// K is the number of primal filters (eq. 21).
	K int `json:"K,omitempty"`
	// P is the number of sampled dual gates (eq. 22).
	P int `json:"P,omitempty"`
	// M is the filter size m (odd): filters are m x m x C.
	M int `json:"m"`
	// Channels is C, the input channels: 1 for grey images, 3 for RGB.
	Channels int `json:"channels"`
	// OutChannels is the number of output channels; 0 means Channels (a
	// denoiser). The 1-D toys of the paper map [x, 1] to one output.
	OutChannels int `json:"out_channels,omitempty"`
	// Lambda is the soft-threshold l.
	Lambda float64 `json:"lambda"`
	// Beta weighs the weight penalty (eqs. 21, 22).
	Beta float64 `json:"beta"`
	// Rho weighs the hinge penalty that enforces the sign constraints (dual only).
	Rho float64 `json:"rho,omitempty"`
	// GateStd is the standard deviation of the Gaussian gate filters (dual only).
	GateStd float64 `json:"gate_std,omitempty"`
	// Activation is the primal nonlinearity: "st" (default) or "relu".
	Activation Activation `json:"activation,omitempty"`
	// DType is "float32" (default) or "float64".
	DType string `json:"dtype"`
}

// DefaultConfig returns the settings used throughout the project, matching
// the PyTorch reference in shared/bench/torch_ref.py: 3x3 filters,
// lambda = 0.1, beta = 1e-5, rho = 1e-2, gates ~ N(0, 1), K = P = 512.
func DefaultConfig(kind ModelKind, channels int) Config {
	c := Config{Model: kind, M: 3, Channels: channels, Lambda: 0.1, Beta: 1e-5, DType: "float32"}
	switch kind {
	case Primal:
		c.K = 512
		c.Activation = ActivationST
	case Dual:
		c.P = 512
		c.Rho = 1e-2
		c.GateStd = 1
	}
	return c
}

// Validate checks every field and names the first that is wrong.
func (c Config) Validate() error {
	var errs []error
	bad := func(field string, format string, args ...any) {
		errs = append(errs, fmt.Errorf("stcnn: config field %q: %s", field, fmt.Sprintf(format, args...)))
	}
	finite := func(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
	switch c.Model {
	case Primal:
		if c.K < 1 {
			bad("K", "number of primal filters must be >= 1, got %d", c.K)
		}
		if c.Activation != "" {
			if err := c.Activation.Validate(); err != nil {
				bad("activation", "%v", err)
			}
		}
	case Dual:
		if c.P < 1 {
			bad("P", "number of dual gates must be >= 1, got %d", c.P)
		}
		if !(c.Rho >= 0) || !finite(c.Rho) {
			bad("rho", "must be finite and >= 0, got %v", c.Rho)
		}
		if !(c.GateStd > 0) || !finite(c.GateStd) {
			bad("gate_std", "must be finite and > 0, got %v", c.GateStd)
		}
	default:
		bad("model", "unknown model %q, want %q or %q", string(c.Model), Primal, Dual)
	}
	if c.M < 1 || c.M%2 == 0 {
		bad("m", "filter size must be odd and >= 1, got %d", c.M)
	}
	if c.Channels < 1 {
		bad("channels", "must be >= 1, got %d", c.Channels)
	}
	if c.OutChannels < 0 {
		bad("out_channels", "must be >= 0 (0: same as channels), got %d", c.OutChannels)
	}
	if !(c.Lambda >= 0) || !finite(c.Lambda) {
		bad("lambda", "must be finite and >= 0, got %v", c.Lambda)
	}
	if !(c.Beta >= 0) || !finite(c.Beta) {
		bad("beta", "must be finite and >= 0, got %v", c.Beta)
	}
	if _, err := c.dtype(); err != nil {
		bad("dtype", "%v", err)
	}
	return errors.Join(errs...)
}

// PatchSize is D = m*m*C, the length of a patch and of a filter.
func (c Config) PatchSize() int { return c.M * c.M * c.Channels }

// Outputs is the number of output channels (OutChannels, or Channels when 0).
func (c Config) Outputs() int {
	if c.OutChannels > 0 {
		return c.OutChannels
	}
	return c.Channels
}

// GoMLXDType returns the configured floating-point type.
func (c Config) GoMLXDType() dtypes.DType {
	d, err := c.dtype()
	if err != nil {
		return dtypes.Float32
	}
	return d
}

func (c Config) dtype() (dtypes.DType, error) {
	switch c.DType {
	case "", "float32":
		return dtypes.Float32, nil
	case "float64":
		return dtypes.Float64, nil
	}
	return dtypes.InvalidDType, fmt.Errorf("unknown dtype %q, want \"float32\" or \"float64\"", c.DType)
}

func (c Config) activation() Activation {
	if c.Activation == "" {
		return ActivationST
	}
	return c.Activation
}
