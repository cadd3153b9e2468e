package optimizers_test

import (
	"encoding/json"
	"fmt"

	"github.com/convexst/stcnn/stcnn/optimizers"
	"github.com/gomlx/compute/gobackend"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
)

// Minimise f(x) = x²/2 with SGD with momentum (torch.optim.SGD(lr=0.1, momentum=0.9)).
func ExampleNew() {
	backend, err := gobackend.New("ops_sequential")
	if err != nil {
		panic(err)
	}
	hp, err := optimizers.DefaultHyperparams("sgdm")
	if err != nil {
		panic(err)
	}
	hp.LearningRate = 0.1
	opt, err := optimizers.New("sgdm", hp)
	if err != nil {
		panic(err)
	}
	store := model.NewStore()
	exec := model.MustNewExec(backend, store, func(scope *model.Scope, g *Graph) *Node {
		// A graph that updates variables is a training graph: its variables
		// are then parameters read at each call, never constants.
		scope.Store().SetTraining(g, true)
		x := scope.At("model").VariableWithValue("x", 1.0).NodeValue(g)
		loss := MulScalar(Square(x), 0.5) // ∇f(x) = x.
		opt.UpdateGraph(scope, g, loss)
		return loss
	})
	for step := 1; step <= 3; step++ {
		exec.MustCall()
		x := store.GetVariable("/model/x").MustValue().Value()
		buf := store.GetVariable(optimizers.StatePath("sgdm", "/model/x", "momentum_buffer")).MustValue().Value()
		fmt.Printf("step %d: x=%.4f momentum_buffer=%.4f\n", step, x, buf)
	}
	// Output:
	// step 1: x=0.9000 momentum_buffer=1.0000
	// step 2: x=0.7200 momentum_buffer=1.8000
	// step 3: x=0.4860 momentum_buffer=2.3400
}

func ExampleDefaultHyperparams() {
	hp, err := optimizers.DefaultHyperparams("asgd")
	if err != nil {
		panic(err)
	}
	data, _ := json.Marshal(hp)
	fmt.Println(string(data))
	hp.LearningRate = -1
	fmt.Println(hp.Validate())
	// Output:
	// {"lr":0.01,"weight_decay":0,"momentum":0,"dampening":0,"nesterov":false,"lambd":0.0001,"alpha":0.75,"t0":1000000,"lr_decay":0,"initial_accumulator_value":0,"eps":0,"beta1":0,"beta2":0,"centered":false}
	// optimizers: learning rate -1 must be > 0
}
