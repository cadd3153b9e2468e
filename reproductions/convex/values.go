package convex

import (
	"fmt"

	"github.com/convexst/stcnn/stcnn"
	"github.com/gomlx/gomlx/ml/model"
)

// setValues writes float64s into a dual weight variable ([C*P, D]) of cfg.
func setValues(scope *model.Scope, name string, vals []float64, cfg stcnn.Config) error {
	v := scope.GetVariable(name)
	if v == nil {
		return fmt.Errorf("convex: variable %s/%s not found", scope.Scope(), name)
	}
	return v.SetValue(stcnn.TensorFromFloat64s(vals, cfg.GoMLXDType(), cfg.P*cfg.Outputs(), cfg.PatchSize()))
}
