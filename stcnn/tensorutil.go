package stcnn

import (
	"fmt"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// TensorFromFloat64s converts host values to a tensor of the given float
// dtype (float64 values are copied, others rounded to float32); the inverse
// of Float64s.
func TensorFromFloat64s(vals []float64, dtype dtypes.DType, dims ...int) *tensors.Tensor {
	if dtype == dtypes.Float64 {
		return tensors.FromFlatDataAndDimensions(floatsAs[float64](vals), dims...)
	}
	return tensors.FromFlatDataAndDimensions(floatsAs[float32](vals), dims...)
}

// tensorFromFloat32 converts float32 host values to a tensor of the given dtype.
func tensorFromFloat32(vals []float32, dtype dtypes.DType, dims ...int) *tensors.Tensor {
	if dtype == dtypes.Float32 {
		return tensors.FromFlatDataAndDimensions(floatsAs[float32](vals), dims...)
	}
	return tensors.FromFlatDataAndDimensions(floatsAs[float64](vals), dims...)
}

// floatsAs returns a copy of vals converted to T.
func floatsAs[T, F float32 | float64](vals []F) []T {
	out := make([]T, len(vals))
	for i, v := range vals {
		out[i] = T(v)
	}
	return out
}

// Float64s copies a float32 or float64 tensor to a []float64.
func Float64s(t *tensors.Tensor) ([]float64, error) {
	switch t.DType() {
	case dtypes.Float64:
		return tensors.CopyFlatData[float64](t)
	case dtypes.Float32:
		f, err := tensors.CopyFlatData[float32](t)
		if err != nil {
			return nil, err
		}
		return floatsAs[float64](f), nil
	}
	return nil, fmt.Errorf("stcnn: tensor of dtype %s is not floating point", t.DType())
}

// VariableFloat64s copies the value of the variable name of scope to a
// []float64; the error names the variable when it does not exist.
func VariableFloat64s(scope *model.Scope, name string) ([]float64, error) {
	v := scope.GetVariable(name)
	if v == nil {
		return nil, fmt.Errorf("stcnn: variable %s/%s not found", scope.Scope(), name)
	}
	t, err := v.Value()
	if err != nil {
		return nil, err
	}
	return Float64s(t)
}
