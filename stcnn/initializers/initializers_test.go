package initializers

import (
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/gomlx/core/tensors"
)

// sampleSize is large enough for the moment checks below to be tight: the standard error of the
// sample mean is σ/√n ≈ 0.0022σ, and that of the sample standard deviation is below 0.002σ.
const sampleSize = 200_000

func sample64(t *testing.T, spec Spec, seed uint64, fanIn int, dims ...int) []float64 {
	t.Helper()
	tensor, err := spec.Sample(NewRand(seed), dtypes.Float64, fanIn, dims...)
	if err != nil {
		t.Fatal(err)
	}
	if got := tensor.Shape().Dimensions; !equalInts(got, dims) {
		t.Fatalf("Sample(%s) dims = %v, want %v", spec, got, dims)
	}
	return tensors.MustCopyFlatData[float64](tensor)
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func moments(x []float64) (mean, std float64) {
	for _, v := range x {
		mean += v
	}
	mean /= float64(len(x))
	for _, v := range x {
		std += (v - mean) * (v - mean)
	}
	return mean, math.Sqrt(std / float64(len(x)-1))
}

func TestKaimingUniform(t *testing.T) {
	// A 3x3 convolution from 16 to 32 channels, stored as a 32 x 144 matrix: fan_in = 16·3·3.
	fanIn := ConvFanIn(16, 3)
	if fanIn != 144 {
		t.Fatalf("ConvFanIn(16, 3) = %d", fanIn)
	}
	b := KaimingUniformBound(fanIn)
	// PyTorch: gain = sqrt(2 / (1 + a²)) with a = sqrt(5); bound = sqrt(3) * gain / sqrt(fan_in).
	a := math.Sqrt(5)
	torchBound := math.Sqrt(3) * math.Sqrt(2/(1+a*a)) / math.Sqrt(float64(fanIn))
	if math.Abs(b-torchBound) > 1e-15 || b != 1.0/12 {
		t.Fatalf("bound = %.17g, want 1/12 (PyTorch formula: %.17g)", b, torchBound)
	}

	x := sample64(t, KaimingUniform(), 1, fanIn, sampleSize/144, 144)
	maxAbs, quarter := 0.0, 0
	for _, v := range x {
		if math.Abs(v) > b {
			t.Fatalf("|%g| > bound %g", v, b)
		}
		maxAbs = max(maxAbs, math.Abs(v))
		if v >= 0 && v < b/2 {
			quarter++
		}
	}
	// The whole range is used.
	if maxAbs < 0.999*b {
		t.Errorf("max |x| = %g, expected close to the bound %g", maxAbs, b)
	}
	n := float64(len(x))
	mean, std := moments(x)
	// U(-b, b) has mean 0 and standard deviation b/√3.
	wantStd := b / math.Sqrt(3)
	if math.Abs(mean) > 5*wantStd/math.Sqrt(n) {
		t.Errorf("mean = %g, want 0 ± %g", mean, 5*wantStd/math.Sqrt(n))
	}
	if math.Abs(std/wantStd-1) > 0.01 {
		t.Errorf("std = %g, want b/√3 = %g (±1%%)", std, wantStd)
	}
	// Uniformity: P(0 <= x < b/2) = 1/4.
	if frac := float64(quarter) / n; math.Abs(frac-0.25) > 5*math.Sqrt(0.25*0.75/n) {
		t.Errorf("P(0 <= x < b/2) = %g, want 0.25", frac)
	}
}

func TestNormal(t *testing.T) {
	for _, std := range []float64{0.001, 0.005, 0.01, 1} {
		x := sample64(t, Normal(std), 7, 0, sampleSize)
		n := float64(len(x))
		mean, got := moments(x)
		if math.Abs(mean) > 5*std/math.Sqrt(n) {
			t.Errorf("std %g: mean = %g, want 0 ± %g", std, mean, 5*std/math.Sqrt(n))
		}
		if math.Abs(got/std-1) > 0.01 {
			t.Errorf("std %g: sample std = %g (±1%%)", std, got)
		}
		// Shape: P(|x| < std) = erf(1/√2) ≈ 0.6827.
		within := 0
		for _, v := range x {
			if math.Abs(v) < std {
				within++
			}
		}
		p := math.Erf(1 / math.Sqrt2)
		if frac := float64(within) / n; math.Abs(frac-p) > 5*math.Sqrt(p*(1-p)/n) {
			t.Errorf("std %g: P(|x| < std) = %g, want %g", std, frac, p)
		}
	}
}

func TestZeros(t *testing.T) {
	for _, spec := range []Spec{Zeros(), Normal(0)} {
		for _, dtype := range []dtypes.DType{dtypes.Float32, dtypes.Float64} {
			// rng is not used: nil is accepted.
			tensor, err := spec.Sample(nil, dtype, 0, 4, 5)
			if err != nil {
				t.Fatal(err)
			}
			if tensor.DType() != dtype || !equalInts(tensor.Shape().Dimensions, []int{4, 5}) {
				t.Fatalf("%s: shape %s", spec, tensor.Shape())
			}
			var bits uint64
			switch dtype {
			case dtypes.Float32:
				for _, v := range tensors.MustCopyFlatData[float32](tensor) {
					bits |= uint64(math.Float32bits(v))
				}
			case dtypes.Float64:
				for _, v := range tensors.MustCopyFlatData[float64](tensor) {
					bits |= math.Float64bits(v)
				}
			}
			if bits != 0 { // Exactly +0.0 everywhere.
				t.Errorf("%s %s: not all +0: %v", spec, dtype, tensor)
			}
		}
	}
}

func TestDeterminismAndDTypes(t *testing.T) {
	for _, spec := range []Spec{KaimingUniform(), Normal(0.01)} {
		a := sample64(t, spec, 42, 75, 6, 75)
		b := sample64(t, spec, 42, 75, 6, 75)
		c := sample64(t, spec, 43, 75, 6, 75)
		same := 0
		for i := range a {
			if math.Float64bits(a[i]) != math.Float64bits(b[i]) {
				t.Fatalf("%s: seed 42 gave different values at %d: %g vs %g", spec, i, a[i], b[i])
			}
			if a[i] == c[i] {
				same++
			}
		}
		if same > 0 {
			t.Errorf("%s: seeds 42 and 43 share %d values", spec, same)
		}
		// float32 values are the float64 values for the same seed, rounded.
		t32, err := spec.Sample(NewRand(42), dtypes.Float32, 75, 6, 75)
		if err != nil {
			t.Fatal(err)
		}
		if t32.DType() != dtypes.Float32 {
			t.Fatalf("dtype %s", t32.DType())
		}
		b32 := float32(KaimingUniformBound(75))
		for i, v := range tensors.MustCopyFlatData[float32](t32) {
			if v != float32(a[i]) {
				t.Fatalf("%s: float32[%d] = %g, want float32(%g)", spec, i, v, a[i])
			}
			if spec.Kind == KindKaimingUniform && (v > b32 || v < -b32) {
				t.Fatalf("float32 %g outside ±%g", v, b32)
			}
		}
	}
	// A scalar.
	s, err := Normal(1).Sample(NewRand(1), dtypes.Float64, 0)
	if err != nil || !s.Shape().IsScalar() {
		t.Errorf("scalar sample: %v, %v", s, err)
	}
}

func TestParseAndString(t *testing.T) {
	tests := []struct {
		in      string
		want    Spec
		str     string
		wantErr string
	}{
		{in: "kaiming", want: KaimingUniform(), str: "kaiming_uniform"},
		{in: "kaiming_uniform", want: KaimingUniform(), str: "kaiming_uniform"},
		{in: " Kaiming_Uniform ", want: KaimingUniform(), str: "kaiming_uniform"},
		{in: "zeros", want: Zeros(), str: "zeros"},
		{in: "normal:0", want: Normal(0), str: "normal:0"},
		{in: "normal:0.001", want: Normal(0.001), str: "normal:0.001"},
		{in: "normal:0.005", want: Normal(0.005), str: "normal:0.005"},
		{in: "normal: 0.01", want: Normal(0.01), str: "normal:0.01"},
		{in: "normal:1e-3", want: Normal(0.001), str: "normal:0.001"},
		{in: "normal:2.5", want: Normal(2.5), str: "normal:2.5"},
		{in: "", wantErr: `unknown initialisation ""`},
		{in: "xavier", wantErr: `unknown initialisation "xavier", valid forms are "kaiming", "kaiming_uniform", "normal:<std>" and "zeros"`},
		{in: "normal", wantErr: `normal requires a standard deviation`},
		{in: "normal:", wantErr: `invalid standard deviation ""`},
		{in: "normal:abc", wantErr: `invalid standard deviation "abc"`},
		{in: "normal:-0.01", wantErr: `normal standard deviation -0.01 must be a finite number >= 0`},
		{in: "normal:NaN", wantErr: `normal standard deviation NaN must be a finite number >= 0`},
		{in: "normal:inf", wantErr: `normal standard deviation +Inf must be a finite number >= 0`},
		{in: "zeros:1", wantErr: `zeros takes no argument`},
		{in: "kaiming:0.1", wantErr: `kaiming_uniform takes no argument`},
	}
	for _, tc := range tests {
		got, err := Parse(tc.in)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !strings.HasPrefix(err.Error(), "initializers: ") {
				t.Errorf("Parse(%q) = %v, %v; want error containing %q", tc.in, got, err, tc.wantErr)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("Parse(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
			continue
		}
		if got.String() != tc.str {
			t.Errorf("Parse(%q).String() = %q, want %q", tc.in, got.String(), tc.str)
		}
		if back, err := Parse(got.String()); err != nil || back != got {
			t.Errorf("Parse(String()) of %+v = %+v, %v", got, back, err)
		}
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		spec    Spec
		wantErr string
	}{
		{KaimingUniform(), ""},
		{Normal(0), ""},
		{Normal(0.01), ""},
		{Zeros(), ""},
		{Spec{}, `initializers: unknown kind ""`},
		{Spec{Kind: "kaiming"}, `initializers: unknown kind "kaiming"`}, // Parse accepts the alias; Kind must be canonical.
		{Spec{Kind: KindKaimingUniform, Std: 0.1}, "initializers: kaiming_uniform takes no standard deviation, got std 0.1"},
		{Spec{Kind: KindZeros, Std: 1}, "initializers: zeros takes no standard deviation, got std 1"},
		{Normal(-1), "initializers: normal standard deviation -1 must be a finite number >= 0"},
		{Normal(math.Inf(1)), "initializers: normal standard deviation +Inf must be a finite number >= 0"},
	}
	for _, tc := range tests {
		err := tc.spec.Validate()
		if tc.wantErr == "" {
			if err != nil {
				t.Errorf("Validate(%+v) = %v", tc.spec, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
			t.Errorf("Validate(%+v) = %v, want %q", tc.spec, err, tc.wantErr)
		}
		if _, err := tc.spec.Sample(NewRand(1), dtypes.Float32, 10, 2); err == nil {
			t.Errorf("Sample accepted invalid %+v", tc.spec)
		}
	}
}

func TestSampleErrors(t *testing.T) {
	tests := []struct {
		spec    Spec
		dtype   dtypes.DType
		fanIn   int
		dims    []int
		nilRand bool
		wantErr string
	}{
		{KaimingUniform(), dtypes.Float32, 0, []int{2}, false, "kaiming_uniform requires fan-in > 0, got 0"},
		{KaimingUniform(), dtypes.Float32, -3, []int{2}, false, "requires fan-in > 0, got -3"},
		{Normal(0.1), dtypes.Int32, 0, []int{2}, false, "unsupported dtype Int32"},
		{Zeros(), dtypes.Float16, 0, []int{2}, false, "unsupported dtype Float16"},
		{Normal(0.1), dtypes.Float64, 0, []int{3, 0}, false, "dimension 1 of [3 0] is 0, must be > 0"},
		{Normal(0.1), dtypes.Float64, 0, []int{2}, true, "normal:0.1 requires a random generator"},
	}
	for _, tc := range tests {
		rng := NewRand(1)
		if tc.nilRand {
			rng = nil
		}
		_, err := tc.spec.Sample(rng, tc.dtype, tc.fanIn, tc.dims...)
		if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
			t.Errorf("Sample(%s, %s, %d, %v) = %v, want %q", tc.spec, tc.dtype, tc.fanIn, tc.dims, err, tc.wantErr)
		}
	}
}

func TestJSON(t *testing.T) {
	for _, tc := range []struct {
		spec Spec
		json string
	}{
		{Normal(0.005), `{"kind":"normal","std":0.005}`},
		{KaimingUniform(), `{"kind":"kaiming_uniform"}`},
		{Zeros(), `{"kind":"zeros"}`},
	} {
		data, err := json.Marshal(tc.spec)
		if err != nil || string(data) != tc.json {
			t.Errorf("Marshal(%+v) = %s, %v; want %s", tc.spec, data, err, tc.json)
		}
		var back Spec
		if err := json.Unmarshal(data, &back); err != nil || back != tc.spec {
			t.Errorf("Unmarshal(%s) = %+v, %v", data, back, err)
		}
	}
}
