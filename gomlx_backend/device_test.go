package gomlxbackend_test

import (
	"os"
	"strings"
	"testing"

	gb "github.com/convexst/stcnn/gomlx_backend"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

// wantBackendEnv names the backend TestDefaultBackendRuns must find chosen,
// as "go" or "xla:cuda" (backend, then device). scripts/gpu_check.sh sets it
// to stop before its long stages when the GPU is not the one picked.
const wantBackendEnv = "STCNN_WANT_BACKEND"

// TestDefaultBackendRuns creates the backend Default chooses and evaluates
// 2x+1 on it.
func TestDefaultBackendRuns(t *testing.T) {
	b, c, err := gb.Default()
	if err != nil {
		t.Fatal(err)
	}
	defer b.Finalize()
	t.Log(c)
	if want := os.Getenv(wantBackendEnv); want != "" {
		backend, device, _ := strings.Cut(want, ":")
		if c.Backend != backend || (device != "" && c.Device != device) {
			t.Fatalf("%s=%s, but the chosen backend is %s", wantBackendEnv, want, c)
		}
	}
	got, err := graph.ExecOnce(b, func(x *graph.Node) *graph.Node {
		return graph.AddScalar(graph.MulScalar(x, 2), 1)
	}, []float32{-1, 0, 0.5, 3})
	if err != nil {
		t.Fatal(err)
	}
	v, err := tensors.CopyFlatData[float32](got)
	if err != nil {
		t.Fatal(err)
	}
	want := []float32{-1, 1, 2, 7}
	for i := range want {
		if len(v) != len(want) || v[i] != want[i] {
			t.Fatalf("2x+1 on %s = %v, want %v", c.Config(), v, want)
		}
	}
}
