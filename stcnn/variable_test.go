package stcnn_test

import (
	"testing"

	"github.com/convexst/stcnn/stcnn"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train/optimizer"
)

// TestExecReadsCurrentVariables sets a variable, executes a compiled graph,
// sets it again and executes again: the result must follow the value (a
// backend that prefers constants for variables would freeze it at compile
// time).
func TestExecReadsCurrentVariables(t *testing.T) {
	store := model.NewStore()
	v := store.RootScope().VariableWithValue("x", []float32{1, 2, 3})
	exec, err := model.NewExec(backend(t), store, func(_ *model.Scope, g *Graph) *Node {
		stcnn.ReadVariablesAtEachCall(store, g)
		x := v.NodeValue(g)
		return ReduceAllSum(Mul(x, x))
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		x    []float32
		want float32
	}{{[]float32{1, 2, 3}, 14}, {[]float32{2, 2, 3}, 17}, {[]float32{0, 0, 1}, 1}} {
		if err := v.SetValue(tensors.FromValue(c.x)); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Call1()
		if err != nil {
			t.Fatal(err)
		}
		if got := tensors.ToScalar[float32](out); got != c.want {
			t.Errorf("x = %v: sum(x*x) = %v, want %v", c.x, got, c.want)
		}
	}
}

// TestTrainerFollowsStore evaluates with one Trainer and Denoiser while the
// store's weights are replaced, and compares with ones built afresh on the
// store as it is.
func TestTrainerFollowsStore(t *testing.T) {
	cfg := stcnn.DefaultConfig(stcnn.Dual, 1)
	cfg.P = 4
	net, store := initNetwork(t, cfg, 1)
	noisy, clean := tinyImages(3, 6, 6, 1, 1), tinyImages(3, 6, 6, 1, 2)
	opt := optimizer.Adam().Done().(stcnn.GradientOptimizer)
	tr, den := newTrainer(t, store, net, opt), newDenoiser(t, store, net, 0)
	w := net.Scope(store).GetVariable("w")
	n := w.Shape().Size()
	for step, scale := range []float32{0, 0.5, -2} {
		vals := make([]float32, n)
		for i := range vals {
			vals[i] = scale * float32(i%5-2)
		}
		if err := w.SetValue(tensors.FromFlatDataAndDimensions(vals, w.Shape().Dimensions...)); err != nil {
			t.Fatal(err)
		}
		got, want := evaluation(t, tr, noisy, clean), evaluation(t, newTrainer(t, store, net, opt), noisy, clean)
		if got != want {
			t.Errorf("step %d: Evaluate on the changed store = %+v, a new trainer gives %+v", step, got, want)
		}
		out, wantOut := denoised(t, den, noisy), denoised(t, newDenoiser(t, store, net, 0), noisy)
		for i := range out.Pixels {
			if out.Pixels[i] != wantOut.Pixels[i] {
				t.Fatalf("step %d: Denoise pixel %d = %v, a new denoiser gives %v", step, i, out.Pixels[i], wantOut.Pixels[i])
			}
		}
	}
}
