package stcnn_test

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/convexst/stcnn/internal/refconv"
	"github.com/convexst/stcnn/stcnn"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train/optimizer"
)

func newResNet(tb testing.TB, cfg stcnn.ResNetConfig, init stcnn.Initializer, seed uint64) (*stcnn.ResNetModel, *model.Store) {
	tb.Helper()
	net, err := stcnn.NewResNet(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	store := model.NewStore()
	if err := net.Init(store, init, seed); err != nil {
		tb.Fatal(err)
	}
	return net, store
}

func TestResNetConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		name  string
		edit  func(*stcnn.ResNetConfig)
		field string
	}{
		{"valid", func(*stcnn.ResNetConfig) {}, ""},
		{"no blocks is valid", func(c *stcnn.ResNetConfig) { c.Blocks = 0 }, ""},
		{"negative blocks", func(c *stcnn.ResNetConfig) { c.Blocks = -1 }, `"blocks"`},
		{"zero width", func(c *stcnn.ResNetConfig) { c.Width = 0 }, `"width"`},
		{"even m", func(c *stcnn.ResNetConfig) { c.M = 2 }, `"m"`},
		{"no channels", func(c *stcnn.ResNetConfig) { c.Channels = 0 }, `"channels"`},
		{"NaN beta", func(c *stcnn.ResNetConfig) { c.Beta = math.NaN() }, `"beta"`},
		{"bad dtype", func(c *stcnn.ResNetConfig) { c.DType = "int8" }, `"dtype"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := stcnn.DefaultResNetConfig(1)
			tc.edit(&c)
			_, err := stcnn.NewResNet(c)
			if tc.field == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.field) {
				t.Fatalf("error %v, want it to name %s", err, tc.field)
			}
		})
	}
}

// TestResNetShapesAndSkip: the output has the input's shape, a network with
// zero weights is the identity (the outer skip), the descriptive Config is
// what Trainer needs, and Restore checks the variables.
func TestResNetShapesAndSkip(t *testing.T) {
	cfg := stcnn.ResNetConfig{Blocks: 2, Width: 4, M: 3, Channels: 3, Beta: 1e-3, DType: "float64"}
	net, store := newResNet(t, cfg, uniformInit{zero: true}, 1)
	im := tinyImages(2, 6, 5, 3, 3)
	out := predict(t, net, store, im)
	if got := fmt.Sprint(out.Shape().Dimensions); got != "[2 6 5 3]" {
		t.Fatalf("output shape %s, want [2 6 5 3]", got)
	}
	for i, v := range f64(t, out) {
		if math.Abs(v-float64(im.Pixels[i])) > 1e-6 {
			t.Fatalf("zero weights: output %d is %v, want the input %v", i, v, im.Pixels[i])
		}
	}
	if in, out := net.Channels(); in != 3 || out != 3 || net.Penalties() != (stcnn.Penalties{}) || net.HiddenWidth() != 9*4 {
		t.Errorf("Channels() = %d, %d, Penalties() = %+v, HiddenWidth() = %d", in, out, net.Penalties(), net.HiddenWidth())
	}
	var names []string
	for v := range net.Scope(store).IterVariables() {
		names = append(names, v.Name())
	}
	if len(names) != 6 {
		t.Errorf("variables %v, want in, 2 x 2 block convolutions, out", names)
	}
	if err := net.Restore(store); err != nil {
		t.Fatal(err)
	}
	other, _ := stcnn.NewResNet(stcnn.ResNetConfig{Blocks: 2, Width: 5, M: 3, Channels: 3, DType: "float64"})
	if err := other.Restore(store); err == nil || !strings.Contains(err.Error(), "shape") {
		t.Errorf("Restore with another width: %v", err)
	}
}

// TestResNetGradientsMatchFiniteDifferences compares autodiff gradients of
// the objective with central differences in float64.
func TestResNetGradientsMatchFiniteDifferences(t *testing.T) {
	for _, tc := range []struct{ blocks, channels int }{{1, 1}, {1, 2}, {0, 1}} {
		t.Run(fmt.Sprintf("blocks=%d/C=%d", tc.blocks, tc.channels), func(t *testing.T) {
			cfg := stcnn.ResNetConfig{Blocks: tc.blocks, Width: 3, M: 3, Channels: tc.channels, Beta: 1e-2, DType: "float64"}
			net, store := newResNet(t, cfg, uniformInit{}, 5)
			clean := tinyImages(2, 4, 5, tc.channels, 1)
			checkFiniteDifferences(t, net, store, clean)
		})
	}
}

// TestResNetTrainsOnMNIST: the unchanged Trainer decreases the ResNet's
// objective on real images (float32).
func TestResNetTrainsOnMNIST(t *testing.T) {
	noisy, clean := mnistPair(t, 10)
	cfg := stcnn.DefaultResNetConfig(1)
	cfg.Width = 8
	net, store := newResNet(t, cfg, uniformInit{}, 1)
	opt := optimizer.Adam().LearningRate(1e-3).Done().(stcnn.GradientOptimizer)
	tr := newTrainer(t, store, net, opt)
	before := evaluation(t, tr, noisy, clean)
	steps(t, tr, 15, noisy, clean)
	after := evaluation(t, tr, noisy, clean)
	t.Logf("objective %.4f -> %.4f, PSNR %.2f -> %.2f dB", before.Objective, after.Objective, before.PSNR, after.PSNR)
	if !(after.Objective < before.Objective) || !(after.PSNR > before.PSNR) || after.Hinge != 0 {
		t.Errorf("objective %v -> %v, metrics %+v", before.Objective, after.Objective, after)
	}
}

// TestResNetForwardMatchesLoops compares the graph with a direct loop
// implementation of the network's definition.
func TestResNetForwardMatchesLoops(t *testing.T) {
	cfg := stcnn.ResNetConfig{Blocks: 2, Width: 3, M: 3, Channels: 2, DType: "float64"}
	net, store := newResNet(t, cfg, uniformInit{scale: 2}, 7)
	const n, h, w = 2, 5, 4
	im := tinyImages(n, h, w, cfg.Channels, 8)
	out := predict(t, net, store, im)
	got := f64(t, out)
	weight := func(name string) []float64 { return f64(t, net.Scope(store).GetVariable(name).MustValue()) }
	relu := func(x []float64) []float64 {
		for i := range x {
			x[i] = max(x[i], 0)
		}
		return x
	}
	y := make([]float64, len(im.Pixels))
	for i, v := range im.Pixels {
		y[i] = float64(v)
	}
	hid := relu(refconv.Same(y, n, h, w, cfg.Channels, weight("in"), cfg.M, cfg.Width))
	for b := range cfg.Blocks {
		tmp := relu(refconv.Same(hid, n, h, w, cfg.Width, weight(fmt.Sprintf("block%d_conv1", b)), cfg.M, cfg.Width))
		res := refconv.Same(tmp, n, h, w, cfg.Width, weight(fmt.Sprintf("block%d_conv2", b)), cfg.M, cfg.Width)
		for i := range hid {
			hid[i] += res[i]
		}
	}
	want := refconv.Same(hid, n, h, w, cfg.Width, weight("out"), 1, cfg.Channels)
	for i := range want {
		want[i] += y[i]
		if math.Abs(got[i]-want[i]) > 1e-12 {
			t.Fatalf("output %d: graph %v, loops %v", i, got[i], want[i])
		}
	}
}
