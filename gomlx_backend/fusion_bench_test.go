package gomlxbackend_test

import (
	"math"
	"sync"
	"testing"

	gb "github.com/convexst/stcnn/gomlx_backend"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

// The evaluation of a dual network with P = 8000 gates is a chain of
// elementwise passes over [P, I] tensors (the masks of eq. 23: |g|, l/|g|,
// 1 - l/|g|, max(0, .)) between two products. These benchmarks are the
// minimal reproduction of the Go backend's cost for such a chain: each
// elementwise op is its own pass over memory (no fusion of elementwise
// ops), so the chain costs about as many passes as it has ops, where one
// fused loop reads the input once. Sizes: one chunk of a P = 8000 dual
// step (5 MNIST images, I = 3920 pixels), 125 MB of float32.
const (
	fusionRows, fusionCols = 8000, 3920
	fusionLambda           = 0.1
)

var fusionInput = sync.OnceValue(func() []float32 {
	x := make([]float32, fusionRows*fusionCols)
	for i := range x {
		x[i] = float32(math.Sin(float64(i))) // values in [-1, 1], a few below lambda
	}
	return x
})

// benchGraph times exec of fn on the [8000, 3920] input; fn must reduce to a
// scalar so that the output transfer does not count.
func benchGraph(b *testing.B, fn func(g *Node) *Node) {
	backend, _, err := gb.Default()
	if err != nil {
		b.Fatal(err)
	}
	exec, err := NewExec(backend, fn)
	if err != nil {
		b.Fatal(err)
	}
	in := tensors.FromFlatDataAndDimensions(fusionInput(), fusionRows, fusionCols)
	if _, err := exec.Exec(in); err != nil { // compile and transfer outside the timing
		b.Fatal(err)
	}
	b.SetBytes(int64(4 * fusionRows * fusionCols))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := exec.Exec(in); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFusionSumOnly is one pass: sum(g).
func BenchmarkFusionSumOnly(b *testing.B) {
	benchGraph(b, func(g *Node) *Node { return ReduceAllSum(g) })
}

// BenchmarkFusionMaskChain is the mask of eq. 23 as GoMLX ops:
// sum(max(0, 1 - l/|g|)), five ops, each a pass.
func BenchmarkFusionMaskChain(b *testing.B) {
	benchGraph(b, func(g *Node) *Node {
		q := MaxScalar(OneMinus(Div(Scalar(g.Graph(), g.DType(), fusionLambda), Abs(g))), 0)
		return ReduceAllSum(q)
	})
}

// BenchmarkFusionMaskGoLoop is the same computation as one fused Go loop on
// two goroutines (what a fusing backend would run): the bound for the chain.
func BenchmarkFusionMaskGoLoop(b *testing.B) {
	x := fusionInput()
	b.SetBytes(int64(4 * len(x)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var wg sync.WaitGroup
		sums := make([]float64, 2)
		half := len(x) / 2
		for w := range sums {
			wg.Add(1)
			go func(part []float32) {
				defer wg.Done()
				var s float32
				for _, v := range part {
					if q := 1 - fusionLambda/float32(math.Abs(float64(v))); q > 0 {
						s += q
					}
				}
				sums[w] = float64(s)
			}(x[w*half : (w+1)*half])
		}
		wg.Wait()
	}
}
