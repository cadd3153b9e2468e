// Package initializers implements the weight initialisations used for the models of the paper:
// PyTorch's default Conv2d initialisation (Kaiming uniform with a = √5), a normal distribution
// with a given standard deviation, and zeros.
//
// Values are generated on the host with a caller-provided math/rand/v2 generator (use NewRand for a
// seeded PCG), so they are deterministic for a given seed and independent of the GoMLX backend.
// Values are always drawn in float64 and then converted to the requested dtype, so the float32
// values for a seed are the rounded float64 values for the same seed.
//
// Since the convolution weights are stored as matrices, the fan-in is given explicitly by the caller:
// for a convolution weight of shape out × in × m × m it is in·m·m (see ConvFanIn).
package initializers

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/tensors"
)

// Initialisation kinds, the canonical values of Spec.Kind.
const (
	// KindKaimingUniform is torch.nn.init.kaiming_uniform_(w, a=math.sqrt(5)), the default initialisation of
	// torch.nn.Conv2d (and Linear) weights: U(-b, b) with b = gain·√3/√fan_in, gain = √(2/(1+a²)) = √(1/3),
	// i.e. b = 1/√fan_in. PyTorch initialises the biases of those layers with the same U(-b, b).
	KindKaimingUniform = "kaiming_uniform"

	// KindNormal is N(0, Std²) (torch.nn.init.normal_(w, mean=0, std=Std)). Std = 0 gives zeros.
	KindNormal = "normal"

	// KindZeros is all zeros (torch.nn.init.zeros_).
	KindZeros = "zeros"
)

// Spec specifies how to initialise a variable. Create it with Parse, or as a literal with one of the
// Kind constants. Its JSON form is e.g. {"kind":"normal","std":0.001}.
type Spec struct {
	// Kind is one of KindKaimingUniform, KindNormal or KindZeros.
	Kind string `json:"kind"`
	// Std is the standard deviation for KindNormal (>= 0); it must be 0 for the other kinds.
	Std float64 `json:"std,omitempty"`
}

// KaimingUniform, Normal and Zeros return the corresponding Spec.
func KaimingUniform() Spec { return Spec{Kind: KindKaimingUniform} }

// Normal returns the Spec of N(0, std²).
func Normal(std float64) Spec { return Spec{Kind: KindNormal, Std: std} }

// Zeros returns the Spec of all zeros.
func Zeros() Spec { return Spec{Kind: KindZeros} }

// Parse parses a Spec from its string form: "kaiming" or "kaiming_uniform", "normal:<std>"
// (e.g. "normal:0.001", any std >= 0), or "zeros". It is case-insensitive and ignores surrounding
// spaces. Parse(s.String()) == s for every valid Spec s.
func Parse(s string) (Spec, error) {
	text := strings.ToLower(strings.TrimSpace(s))
	kind, arg, hasArg := strings.Cut(text, ":")
	var spec Spec
	switch strings.TrimSpace(kind) {
	case "kaiming", KindKaimingUniform:
		spec.Kind = KindKaimingUniform
	case KindZeros:
		spec.Kind = KindZeros
	case KindNormal:
		spec.Kind = KindNormal
		if !hasArg {
			return Spec{}, fmt.Errorf("initializers: %q: normal requires a standard deviation, e.g. \"normal:0.01\"", s)
		}
		std, err := strconv.ParseFloat(strings.TrimSpace(arg), 64)
		if err != nil {
			return Spec{}, fmt.Errorf("initializers: %q: invalid standard deviation %q", s, strings.TrimSpace(arg))
		}
		spec.Std = std
		hasArg = false
	default:
		return Spec{}, fmt.Errorf("initializers: unknown initialisation %q, valid forms are \"kaiming\", \"kaiming_uniform\", \"normal:<std>\" and \"zeros\"", s)
	}
	if hasArg {
		return Spec{}, fmt.Errorf("initializers: %q: %s takes no argument", s, spec.Kind)
	}
	if err := spec.Validate(); err != nil {
		return Spec{}, err
	}
	return spec, nil
}

// Validate checks the Spec: a known Kind, and a finite Std >= 0 for KindNormal (0 for the other kinds).
func (s Spec) Validate() error {
	switch s.Kind {
	case KindKaimingUniform, KindZeros:
		if s.Std != 0 {
			return fmt.Errorf("initializers: %s takes no standard deviation, got std %v", s.Kind, s.Std)
		}
	case KindNormal:
		if math.IsNaN(s.Std) || math.IsInf(s.Std, 0) || s.Std < 0 {
			return fmt.Errorf("initializers: normal standard deviation %v must be a finite number >= 0", s.Std)
		}
	default:
		return fmt.Errorf("initializers: unknown kind %q, valid kinds are %q, %q and %q",
			s.Kind, KindKaimingUniform, KindNormal, KindZeros)
	}
	return nil
}

// String returns the canonical string form of the Spec, accepted by Parse:
// "kaiming_uniform", "normal:<std>" (shortest float form, e.g. "normal:0.001") or "zeros".
func (s Spec) String() string {
	if s.Kind == KindNormal {
		return KindNormal + ":" + strconv.FormatFloat(s.Std, 'g', -1, 64)
	}
	return s.Kind
}

// KaimingUniformBound returns the bound b = 1/√fanIn of KindKaimingUniform's U(-b, b).
//
// PyTorch computes it as √3·√(1/3)/√fan_in, which may differ from 1/√fan_in in the last bit.
func KaimingUniformBound(fanIn int) float64 {
	return 1 / math.Sqrt(float64(fanIn))
}

// ConvFanIn returns the fan-in of a convolution weight of shape out × in × m × m: in·m·m.
func ConvFanIn(inChannels, kernelSize int) int {
	return inChannels * kernelSize * kernelSize
}

// NewRand returns a math/rand/v2 generator using PCG seeded with seed, for Sample.
func NewRand(seed uint64) *rand.Rand {
	return rand.New(rand.NewPCG(seed, 0x5eed_c0de_2026_0001))
}

// Sample returns a new host tensor of the given dtype (Float32 or Float64) and dimensions (none for a scalar),
// filled according to the Spec, drawing from rng in row-major order:
//
//   - KindKaimingUniform: b·(2u-1) with u = rng.Float64() ∈ [0, 1), so values lie in [-b, b] with
//     b = KaimingUniformBound(fanIn) (for float32, |x| <= float32(b) after rounding). fanIn must be > 0.
//   - KindNormal: Std·rng.NormFloat64(). With Std = 0 it returns zeros without using rng.
//   - KindZeros: zeros, without using rng.
//
// fanIn is only used by KindKaimingUniform. rng may be nil when it is not used.
func (s Spec) Sample(rng *rand.Rand, dtype dtypes.DType, fanIn int, dims ...int) (*tensors.Tensor, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	if dtype != dtypes.Float32 && dtype != dtypes.Float64 {
		return nil, fmt.Errorf("initializers: unsupported dtype %s, only Float32 and Float64 are supported", dtype)
	}
	for i, d := range dims {
		if d <= 0 {
			return nil, fmt.Errorf("initializers: dimension %d of %v is %d, must be > 0", i, dims, d)
		}
	}
	random := (s.Kind == KindKaimingUniform) || (s.Kind == KindNormal && s.Std != 0)
	if s.Kind == KindKaimingUniform && fanIn <= 0 {
		return nil, fmt.Errorf("initializers: %s requires fan-in > 0, got %d", s.Kind, fanIn)
	}
	if random && rng == nil {
		return nil, errors.New("initializers: " + s.String() + " requires a random generator, got nil")
	}
	t := tensors.FromShape(shapes.Make(dtype, dims...)) // Zero filled.
	if !random {
		return t, nil
	}
	var draw func() float64
	if s.Kind == KindKaimingUniform {
		b := KaimingUniformBound(fanIn)
		draw = func() float64 { return b * (2*rng.Float64() - 1) }
	} else {
		std := s.Std
		draw = func() float64 { return std * rng.NormFloat64() }
	}
	var err error
	switch dtype {
	case dtypes.Float64:
		err = tensors.MutableFlatData(t, func(flat []float64) {
			for i := range flat {
				flat[i] = draw()
			}
		})
	case dtypes.Float32:
		err = tensors.MutableFlatData(t, func(flat []float32) {
			for i := range flat {
				flat[i] = float32(draw())
			}
		})
	}
	if err != nil {
		return nil, err
	}
	return t, nil
}
