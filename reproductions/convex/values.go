package convex

import (
	"fmt"

	"github.com/convexst/stcnn/stcnn"
	"github.com/gomlx/gomlx/ml/model"
)

// values reads a variable of a scope as float64s.
func values(scope *model.Scope, name string) ([]float64, error) {
	v := scope.GetVariable(name)
	if v == nil {
		return nil, fmt.Errorf("convex: variable %s/%s not found", scope.Scope(), name)
	}
	t, err := v.Value()
	if err != nil {
		return nil, err
	}
	return stcnn.Float64s(t)
}

// setValues writes float64s into a dual weight variable ([C*P, D]) of cfg.
func setValues(scope *model.Scope, name string, vals []float64, cfg stcnn.Config) error {
	v := scope.GetVariable(name)
	if v == nil {
		return fmt.Errorf("convex: variable %s/%s not found", scope.Scope(), name)
	}
	return v.SetValue(stcnn.TensorFromFloat64s(vals, cfg.GoMLXDType(), cfg.P*cfg.Outputs(), cfg.PatchSize()))
}
