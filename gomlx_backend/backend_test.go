package gomlxbackend_test

import (
	"fmt"
	"runtime"
	"strings"
	"testing"

	gb "github.com/convexst/stcnn/gomlx_backend"
)

func env(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestChoose(t *testing.T) {
	cuda := map[string]string{"cuda": "/usr/local/lib/go-xla/pjrt_c_api_cuda_plugin.so", "cpu": "/usr/local/lib/go-xla/pjrt_c_api_cpu_plugin.so"}
	cpu := map[string]string{"cpu_v0.83.1": "/home/u/.local/lib/go-xla/pjrt_c_api_cpu_v0.83.1_plugin.so"}
	none := map[string]string{}
	for _, tc := range []struct {
		name    string
		env     map[string]string
		plugins map[string]string
		want    gb.Choice
		wantErr string
	}{
		{"nothing installed", nil, none, gb.Choice{Backend: "go", Device: "cpu"}, ""},
		{"cuda plugin", nil, cuda, gb.Choice{Backend: "xla", Options: "cuda", Device: "cuda", PluginPath: cuda["cuda"]}, ""},
		{"cpu plugin only", nil, cpu, gb.Choice{Backend: "xla", Options: "cpu_v0.83.1", Device: "cpu", PluginPath: cpu["cpu_v0.83.1"]}, ""},
		{"env go bare", map[string]string{"GOMLX_BACKEND": "go"}, cuda, gb.Choice{Backend: "go", Device: "cpu"}, ""},
		{"env go explicit", map[string]string{"GOMLX_BACKEND": "go:ops_sequential"}, cuda, gb.Choice{Backend: "go", Options: "ops_sequential", Device: "cpu"}, ""},
		{"env xla cuda", map[string]string{"GOMLX_BACKEND": "xla:cuda"}, cuda, gb.Choice{Backend: "xla", Options: "cuda", Device: "cuda", PluginPath: cuda["cuda"]}, ""},
		{"env xla missing plugin", map[string]string{"GOMLX_BACKEND": "xla:cuda"}, none, gb.Choice{}, `XLA plugin "cuda", which is not installed`},
		{"env unknown", map[string]string{"GOMLX_BACKEND": "tpu9"}, none, gb.Choice{}, `unknown backend "tpu9"`},
		{"env empty is unset", map[string]string{"GOMLX_BACKEND": " "}, none, gb.Choice{Backend: "go", Device: "cpu"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := gb.Choose(gb.Options{LookupEnv: env(tc.env), Plugins: tc.plugins})
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want it to contain %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got.Reason = ""
			if got != tc.want {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestChoiceString(t *testing.T) {
	c := gb.Choice{Backend: "xla", Options: "cuda", Device: "cuda", PluginPath: "/p/cuda.so", Reason: "CUDA PJRT plugin found"}
	want := "backend=xla:cuda device=cuda plugin=/p/cuda.so (CUDA PJRT plugin found)"
	if c.String() != want || c.Config() != "xla:cuda" {
		t.Fatalf("String() = %q, Config() = %q", c.String(), c.Config())
	}
}

func TestNewGo(t *testing.T) {
	b, err := gb.New(gb.Choice{Backend: "go"}, gb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("parallelism=%d", 2*runtime.GOMAXPROCS(0)); !strings.Contains(b.Description(), want) {
		t.Fatalf("default options: %s, want %s", b.Description(), want)
	}
	if b, err = gb.New(gb.Choice{Backend: "go", Options: "ops_sequential,parallelism=3"}, gb.Options{}); err != nil || !strings.Contains(b.Description(), "parallelism=3") {
		t.Fatalf("combined options: %v %v", err, b)
	}
	if _, err := gb.New(gb.Choice{Backend: "go", Options: "parallelism=many"}, gb.Options{}); err == nil || !strings.Contains(err.Error(), "parallelism=many") {
		t.Fatalf("bad parallelism: %v", err)
	}
	if _, err := gb.New(gb.Choice{Backend: "go", Options: "warp_speed"}, gb.Options{}); err == nil || !strings.Contains(err.Error(), "warp_speed") {
		t.Fatalf("bad option: error %v", err)
	}
	if _, err := gb.New(gb.Choice{Backend: "abacus"}, gb.Options{}); err == nil {
		t.Fatal("unknown backend accepted")
	}
}

// TestNewXLAWithoutPlugin: asking for XLA where no plugin is installed is a
// clear error, not a download attempt or a panic.
func TestNewXLAWithoutPlugin(t *testing.T) {
	t.Setenv("PJRT_PLUGIN_LIBRARY_PATH", t.TempDir())
	_, err := gb.New(gb.Choice{Backend: "xla", Options: "cuda"}, gb.Options{})
	if err == nil {
		t.Fatal("expected an error: no CUDA plugin on this machine")
	}
}
