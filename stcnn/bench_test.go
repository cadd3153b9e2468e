package stcnn_test

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/convexst/stcnn/internal/testutil"

	"github.com/convexst/stcnn/datasets"
	"github.com/convexst/stcnn/stcnn"
	"github.com/gomlx/gomlx/ml/model"
)

// benchSteps times one training step (forward, backward, Adam update) on 50
// MNIST images with sigma = 0.5, the sizes of shared/bench/torch_ref.py.
func benchStep(b *testing.B, kind stcnn.ModelKind, width int) {
	cfg := stcnn.DefaultConfig(kind, 1)
	cfg.K, cfg.P = width, width
	tr, noisy, clean := newMNISTTrainer(b, cfg, 50)
	if _, err := tr.Step(noisy, clean); err != nil { // compile outside the timing
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := tr.Step(noisy, clean); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDualStepP512(b *testing.B)   { benchStep(b, stcnn.Dual, 512) }
func BenchmarkPrimalStepK512(b *testing.B) { benchStep(b, stcnn.Primal, 512) }

// BenchmarkDualStepP8000 is the memory check: one dual step with P = 8000
// gates on 50 MNIST images. It reports the process's peak resident memory
// (VmHWM, which includes the 188 MB of loaded MNIST images); run it on its
// own (-bench P8000) so that no other benchmark raises the peak first.
func BenchmarkDualStepP8000(b *testing.B) {
	benchStep(b, stcnn.Dual, 8000)
	if kb, err := peakRSSKiB(); err == nil {
		b.ReportMetric(float64(kb)/1024, "peak-RSS-MiB")
	}
}

func peakRSSKiB() (int, error) {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			return strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")))
		}
	}
	return 0, fmt.Errorf("VmHWM not found in /proc/self/status")
}

// benchEvaluate times Trainer.Evaluate (objective, PSNR, RLNE and
// violations) of a dual network with P gates and uniform random weights on
// the first n MNIST test images with noise sigma = 0.5.
func benchEvaluate(b *testing.B, p, n int) {
	cfg := stcnn.DefaultConfig(stcnn.Dual, 1)
	cfg.P = p
	clean, err := testutil.MNIST(b, datasets.Test).Subset(n, 1)
	if err != nil {
		b.Fatal(err)
	}
	noisy, err := datasets.AddGaussianNoise(clean, 0.5, 2)
	if err != nil {
		b.Fatal(err)
	}
	net, err := stcnn.NewDual(cfg)
	if err != nil {
		b.Fatal(err)
	}
	store := model.NewStore()
	if err := net.Init(store, uniformInit{scale: 0.01}, 1); err != nil {
		b.Fatal(err)
	}
	tr, err := stcnn.NewTrainer(backend(b), store, net, nil, 0)
	if err != nil {
		b.Fatal(err)
	}
	first, err := testutil.MNIST(b, datasets.Test).Subset(1, 1) // compile outside the timing
	if err != nil {
		b.Fatal(err)
	}
	if _, err := tr.Evaluate(first, first); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m, err := tr.Evaluate(noisy, clean)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(m.PSNR, "PSNR-dB")
	}
}

// BenchmarkEvaluateP8000Test10000 is the evaluation at the paper's scale:
// P = 8000 gates on Table I's 10000 MNIST test images.
func BenchmarkEvaluateP8000Test10000(b *testing.B) { benchEvaluate(b, 8000, 10000) }

// BenchmarkEvaluateP8000Test200 is the same on 200 images, a quick proxy.
func BenchmarkEvaluateP8000Test200(b *testing.B) { benchEvaluate(b, 8000, 200) }
