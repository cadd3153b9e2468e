package gomlxbackend_test

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/convexst/stcnn/datasets"
	gb "github.com/convexst/stcnn/gomlx_backend"
	"github.com/convexst/stcnn/stcnn"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train/optimizer"
)

type zeros struct{}

func (zeros) Sample(_ *rand.Rand, _ dtypes.DType, _ int, dims ...int) (*tensors.Tensor, error) {
	n := 1
	for _, d := range dims {
		n *= d
	}
	return tensors.FromFlatDataAndDimensions(make([]float32, n), dims...), nil
}

// TestNoHang runs 40 consecutive dual training steps (P = 256 gates, 30
// MNIST images) on the backend Default chooses, under a deadline. The Go
// backend of github.com/gomlx/compute v0.1.0 hung within a few such steps on
// 2 cores with its default worker slots (4); the current one must not.
func TestNoHang(t *testing.T) {
	const steps, deadline = 40, 4 * time.Minute
	b, choice, err := gb.Default()
	if err != nil {
		t.Fatal(err)
	}
	t.Log(choice)
	dir, err := datasets.MNISTDir("")
	if err != nil {
		t.Fatal(err)
	}
	all, err := datasets.LoadMNIST(dir, datasets.Test)
	if err != nil {
		t.Fatal(err)
	}
	clean, _ := all.Subset(30, 1)
	noisy, _ := datasets.AddGaussianNoise(clean, 0.5, 2)
	cfg := stcnn.DefaultConfig(stcnn.Dual, 1)
	cfg.P = 256
	net, err := stcnn.NewDual(cfg)
	if err != nil {
		t.Fatal(err)
	}
	store := model.NewStore()
	if err := net.Init(store, zeros{}, 1); err != nil {
		t.Fatal(err)
	}
	tr, err := stcnn.NewTrainer(b, store, net, optimizer.Adam().Done().(stcnn.GradientOptimizer), 0)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	progress := make(chan int, steps)
	go func() {
		for i := 0; i < steps; i++ {
			if _, err := tr.Step(noisy, clean); err != nil {
				done <- fmt.Errorf("step %d: %w", i, err)
				return
			}
			progress <- i
		}
		done <- nil
	}()
	start, last := time.Now(), -1
	timeout := time.After(deadline)
	for {
		select {
		case i := <-progress:
			last = i
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%d dual steps in %v with %s", steps, time.Since(start).Round(time.Millisecond), choice.Config())
			return
		case <-timeout:
			t.Fatalf("backend %s hung: %d of %d steps done after %v", choice.Config(), last+1, steps, deadline)
		}
	}
}
