package nbutil

import (
	"image/color"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/convexst/stcnn/datasets"
	gb "github.com/convexst/stcnn/gomlx_backend"
	"github.com/convexst/stcnn/reproductions"
	"github.com/convexst/stcnn/stcnn"
	"github.com/convexst/stcnn/stcnn/initializers"
	"github.com/convexst/stcnn/stcnn/training"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

func TestScaleFrom(t *testing.T) {
	for _, c := range []struct {
		def, env string
		set      bool
		want     reproductions.Scale
		err      bool
	}{
		{def: "quick", want: reproductions.Quick},
		{def: "paper", want: reproductions.Paper},
		{def: "quick", env: "tiny", set: true, want: reproductions.Tiny},
		{def: "quick", env: " paper ", set: true, want: reproductions.Paper},
		{def: "quick", env: "", set: true, want: reproductions.Quick},
		{def: "quick", env: "huge", set: true, err: true},
		{def: "medium", err: true},
	} {
		got, err := scaleFrom(c.def, func(k string) (string, bool) {
			if k != EnvScale {
				t.Fatalf("looked up %q", k)
			}
			return c.env, c.set
		})
		if (err != nil) != c.err || got != c.want {
			t.Errorf("scaleFrom(%q, %q set %v) = %q, %v; want %q, error %v", c.def, c.env, c.set, got, err, c.want, c.err)
		}
	}
}

func TestOutDir(t *testing.T) {
	root := t.TempDir()
	t.Setenv(EnvOut, root)
	d, err := OutDir(reproductions.Tiny)
	if err != nil {
		t.Fatal(err)
	}
	if d != filepath.Join(root, "tiny") {
		t.Errorf("OutDir = %q, want %q", d, filepath.Join(root, "tiny"))
	}
	if fi, err := os.Stat(d); err != nil || !fi.IsDir() {
		t.Errorf("OutDir did not create %s: %v", d, err)
	}
}

func TestRepoRoot(t *testing.T) {
	root, err := RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "notebooks", "nbutil", "nbutil.go")); err != nil {
		t.Errorf("RepoRoot = %q, which does not hold notebooks/nbutil: %v", root, err)
	}
}

func TestMarkdownTable(t *testing.T) {
	got := MarkdownTable([]string{"a", "b"}, [][]string{{"1", "x|y"}, {"2\n3"}})
	want := "| a | b |\n| --- | --- |\n| 1 | x\\|y |\n| 2 3 |  |\n"
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func TestImageGrid(t *testing.T) {
	grey := &datasets.Images{N: 2, H: 2, W: 3, C: 1, Pixels: []float32{0, 0.5, 1, 2, -1, 0.25, 1, 1, 1, 1, 1, 1}}
	rgb := &datasets.Images{N: 2, H: 2, W: 3, C: 3, Pixels: make([]float32, 2*2*3*3)}
	rgb.Pixels[0] = 1 // image 0, pixel (0, 0): red
	img, err := ImageGrid([]*datasets.Images{grey, rgb}, 2, 2, 1)
	if err != nil {
		t.Fatal(err)
	}
	// 2 tiles of 3*2 wide with 3 pads, 2 rows of 2*2 high with 3 pads.
	if b := img.Bounds(); b.Dx() != 2*6+3 || b.Dy() != 2*4+3 {
		t.Fatalf("size %v, want 15x11", b)
	}
	for _, c := range []struct {
		x, y int
		want color.RGBA
	}{
		{0, 0, color.RGBA{255, 255, 255, 255}}, // padding
		{1, 1, color.RGBA{0, 0, 0, 255}},       // grey image 0, pixel (0, 0) = 0
		{3, 2, color.RGBA{128, 128, 128, 255}}, // pixel (0, 1) = 0.5, zoomed
		{5, 1, color.RGBA{255, 255, 255, 255}}, // pixel (0, 2) = 1
		{1, 3, color.RGBA{255, 255, 255, 255}}, // pixel (1, 0) = 2, clipped
		{3, 3, color.RGBA{0, 0, 0, 255}},       // pixel (1, 1) = -1, clipped
		{1, 6, color.RGBA{255, 0, 0, 255}},     // RGB row, image 0, pixel (0, 0)
		{8, 6, color.RGBA{0, 0, 0, 255}},       // RGB row, image 1
	} {
		if got := img.RGBAAt(c.x, c.y); got != c.want {
			t.Errorf("pixel (%d, %d) = %v, want %v", c.x, c.y, got, c.want)
		}
	}
	for _, bad := range [][]*datasets.Images{nil, {grey, {N: 2, H: 3, W: 3, C: 1, Pixels: make([]float32, 18)}},
		{{N: 1, H: 2, W: 3, C: 1, Pixels: make([]float32, 6)}}, {{N: 2, H: 2, W: 3, C: 2, Pixels: make([]float32, 24)}},
		{{N: 2, H: 2, W: 3, C: 1, Pixels: make([]float32, 5)}}} {
		if _, err := ImageGrid(bad, 2, 2, 1); err == nil {
			t.Errorf("ImageGrid(%v) gave no error", bad)
		}
	}
}

func TestPSNRs(t *testing.T) {
	clean := &datasets.Images{N: 2, H: 1, W: 2, C: 1, Pixels: []float32{0, 0, 1, 1}}
	out := &datasets.Images{N: 2, H: 1, W: 2, C: 1, Pixels: []float32{0.1, 0.1, 1, 0.9}}
	ps, err := PSNRs(out, clean, 2)
	if err != nil {
		t.Fatal(err)
	}
	// Image 0: MSE 0.01 -> 20 dB; image 1: MSE 0.005 -> 23.01 dB.
	for i, want := range []float64{20, 10 * math.Log10(200)} {
		if math.Abs(ps[i]-want) > 1e-4 {
			t.Errorf("PSNR of image %d = %g, want %g", i, ps[i], want)
		}
	}
	if _, err := PSNRs(out, clean, 3); err == nil {
		t.Error("PSNRs of 3 of 2 images gave no error")
	}
}

func TestStatusHTML(t *testing.T) {
	ev := training.Event{Epoch: 2, Epochs: 3, Step: 5, TotalSteps: 10, Objective: 1.5, Elapsed: 3 * time.Second,
		ETA: 4 * time.Second, Record: &training.Record{Train: stcnn.Metrics{Objective: 1.25, PSNR: 20},
			Test: &stcnn.Metrics{PSNR: 19, Images: 4}}}
	s := StatusHTML("run<1>", ev)
	for _, want := range []string{"run&lt;1&gt;", "epoch 2/3", "step 5/10", `value="50"`, "ETA 4s", "test PSNR 19.00 dB"} {
		if !strings.Contains(s, want) {
			t.Errorf("status %q lacks %q", s, want)
		}
	}
}

func TestLoadHistoryAndManifest(t *testing.T) {
	dir := t.TempDir()
	h := training.History{Name: "x", Records: []training.Record{{Epoch: 1, Step: 3}}}
	if err := h.Save(dir); err != nil {
		t.Fatal(err)
	}
	got, err := LoadHistory(dir)
	if err != nil || got.Name != "x" || len(got.Records) != 1 || got.Records[0].Step != 3 {
		t.Errorf("LoadHistory = %+v, %v", got, err)
	}
	if _, err := LoadHistory(t.TempDir()); err == nil {
		t.Error("LoadHistory of an empty folder gave no error")
	}
	if _, err := LoadManifest(dir, "9"); err == nil {
		t.Error("LoadManifest of a missing manifest gave no error")
	}
	if err := ShowSummary(dir, "9"); err == nil {
		t.Error("ShowSummary of a missing manifest gave no error")
	}
}

// TestPredictNetwork checks that PredictNetwork, in chunks of one image,
// gives the network's outputs: a primal with K = 1 filter u = e_center and
// output weight v = 1 computes ST(Y) pixel by pixel.
func TestPredictNetwork(t *testing.T) {
	backend, _, err := gb.Default()
	if err != nil {
		t.Fatal(err)
	}
	cfg := stcnn.DefaultConfig(stcnn.Primal, 1)
	cfg.K, cfg.Lambda = 1, 0.25
	net, err := stcnn.NewPrimal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	store := model.NewStore()
	if err := net.Init(store, initializers.Zeros(), 1); err != nil {
		t.Fatal(err)
	}
	u := make([]float32, cfg.PatchSize())
	u[cfg.PatchSize()/2] = 1 // the centre pixel of the 3x3 patch
	setVar(t, store, "/primal/u", u)
	setVar(t, store, "/primal/v", []float32{1})
	noisy := &datasets.Images{N: 3, H: 2, W: 2, C: 1, Pixels: []float32{0, 0.5, 1, -1, 0.2, 0.3, -0.3, 0.25, 2, 0, 0, 0}}
	out, err := PredictNetwork(backend, net, store, 4, noisy)
	if err != nil {
		t.Fatal(err)
	}
	if out.N != 3 || out.H != 2 || out.W != 2 || out.C != 1 {
		t.Fatalf("output %dx%dx%dx%d", out.N, out.H, out.W, out.C)
	}
	for i, y := range noisy.Pixels {
		want := math.Copysign(math.Max(math.Abs(float64(y))-cfg.Lambda, 0), float64(y))
		if math.Abs(float64(out.Pixels[i])-want) > 1e-6 {
			t.Errorf("pixel %d: f(%g) = %g, want ST = %g", i, y, out.Pixels[i], want)
		}
	}
	rows := VariableRows(store)
	if len(rows) != 2 || rows[0][0] != "/primal/u" || rows[0][1] != "[1 9]" || rows[1][3] != "1" {
		t.Errorf("VariableRows = %v", rows)
	}
}

func setVar(t *testing.T, store *model.Store, path string, values []float32) {
	t.Helper()
	v := store.GetVariable(path)
	if v == nil {
		t.Fatalf("no variable %s", path)
	}
	old, err := v.Value()
	if err != nil {
		t.Fatal(err)
	}
	tensor := tensors.FromFlatDataAndDimensions(values, old.Shape().Dimensions...)
	if err := v.SetValue(tensor); err != nil {
		t.Fatal(err)
	}
}

func TestGateRegions(t *testing.T) {
	backend, _, err := gb.Default()
	if err != nil {
		t.Fatal(err)
	}
	cfg := stcnn.DefaultConfig(stcnn.Dual, 1)
	cfg.P = 4
	gates := stcnn.SampleGates(cfg, 1)
	img := &datasets.Images{N: 1, H: 6, W: 5, C: 1, Pixels: make([]float32, 30)}
	for i := range img.Pixels {
		img.Pixels[i] = float32(i%7) / 7
	}
	for _, c := range []struct {
		lambda  float64
		allDead bool
		wantErr bool
		gate    int
	}{
		{lambda: 0.1, gate: 0},
		{lambda: 0.1, gate: 3},
		{lambda: 1e6, gate: 1, allDead: true},
		{lambda: 0.1, gate: 4, wantErr: true},
		{lambda: -1, gate: 0, wantErr: true},
	} {
		r, err := GateRegions(backend, img, gates, cfg.M, c.lambda, c.gate)
		if (err != nil) != c.wantErr {
			t.Fatalf("lambda %g gate %d: error %v, want error %v", c.lambda, c.gate, err, c.wantErr)
		}
		if err != nil {
			continue
		}
		if n := r.Counts[0] + r.Counts[1] + r.Counts[2]; n != 30 || len(r.Mask) != 30 {
			t.Fatalf("lambda %g gate %d: %d pixels counted, %d mask values, want 30", c.lambda, c.gate, n, len(r.Mask))
		}
		for i, s := range r.Sign {
			if (s == 0) != (r.Mask[i] == 0) {
				t.Errorf("lambda %g gate %d pixel %d: sign %g but mask %g (Q is 0 exactly in S2)", c.lambda, c.gate, i, s, r.Mask[i])
			}
		}
		if c.allDead && r.Counts[1] != 30 {
			t.Errorf("lambda %g: %v pixels in S1, S2, S3, want all in S2", c.lambda, r.Counts)
		}
		if b := RegionsImage(r, 2).Bounds(); b.Dx() != 2*5*2+12 || b.Dy() != 6*2+8 {
			t.Errorf("RegionsImage: %v", b)
		}
	}
}
