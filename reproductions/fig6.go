package reproductions

import (
	"fmt"
	"math"

	"github.com/convexst/stcnn/internal/refconv"
	"github.com/convexst/stcnn/stcnn"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"gonum.org/v1/plot"
)

// Fig6Settings records the toy convolution of Fig. 6.
type Fig6Settings struct {
	H     int    `json:"h"`
	W     int    `json:"w"`
	M     int    `json:"m"`
	Seed  uint64 `json:"seed"`
	DType string `json:"dtype"`
	Why   string `json:"why"`
}

// runFig6 computes Patches(Y) u with stcnn.Patches and compares it with a
// direct "same" zero-padded cross-correlation (PyTorch's conv2d) written out
// here.
func runFig6(env Env) (*Result, error) {
	dir, err := env.Dir("6")
	if err != nil {
		return nil, err
	}
	const (
		h, w, m = 6, 6, 3
		seed    = 6
	)
	imv, uv := diagRandom(seed, h*w, 1), diagRandom(seed+1, m*m, 1)
	im32, u32 := make([]float32, h*w), make([]float32, m*m)
	for i, v := range imv {
		im32[i] = float32(v)
	}
	for i, v := range uv {
		u32[i] = float32(v)
	}
	out, err := execGraph(env, func(in []*graph.Node) []*graph.Node {
		pm := stcnn.Patches(in[0], m)                                 // [h*w, m*m]
		prod := graph.Dot(pm, graph.Reshape(in[1], m*m, 1)).Product() // [h*w, 1]
		return []*graph.Node{pm, prod}
	}, tensors.FromFlatDataAndDimensions(im32, 1, h, w, 1), tensors.FromFlatDataAndDimensions(u32, m*m))
	if err != nil {
		return nil, err
	}
	pm, prod := out[0], out[1]
	f32 := func(v []float32) []float64 {
		o := make([]float64, len(v))
		for i, x := range v {
			o[i] = float64(x)
		}
		return o
	}
	// Direct convolution: out(r, c) = sum_{dy,dx} Y(r+dy-1, c+dx-1) u(dy, dx), zero outside.
	direct := refconv.Same(f32(im32), 1, h, w, 1, f32(u32), m, 1)
	r0 := m / 2
	maxDiff := 0.0
	rows := make([][]float64, h*w)
	for i := range direct {
		d := math.Abs(direct[i] - prod[i])
		maxDiff = math.Max(maxDiff, d)
		rows[i] = []float64{float64(i), float64(i / w), float64(i % w), prod[i], direct[i], d}
	}
	if err := WriteCSV(dir, "fig6_outputs.csv", []string{"pixel", "row", "col", "patches_times_u", "direct_conv", "abs_diff"}, rows); err != nil {
		return nil, err
	}
	prow := make([][]float64, h*w)
	for i := range prow {
		prow[i] = append([]float64{float64(i)}, pm[i*m*m:(i+1)*m*m]...)
	}
	header := []string{"row_i"}
	for dy := 0; dy < m; dy++ {
		for dx := 0; dx < m; dx++ {
			header = append(header, fmt.Sprintf("offset(%d,%d)", dy-r0, dx-r0))
		}
	}
	if err := WriteCSV(dir, "fig6_patches.csv", header, prow); err != nil {
		return nil, err
	}
	// One colour scale per quantity: the image and its patches, the filter,
	// and the two outputs.
	limOf := func(v []float64) float64 {
		l := 0.0
		for _, x := range v {
			l = math.Max(l, math.Abs(x))
		}
		return l
	}
	limIm, limOut := limOf(f32(im32)), math.Max(limOf(direct), limOf(prod))
	panels := [][]*plot.Plot{
		{diagHeatmap(fmt.Sprintf("(a) image Y, %dx%d", h, w), diagGrid{h, w, f32(im32)}, limIm),
			diagHeatmap(fmt.Sprintf("filter U, %dx%d", m, m), diagGrid{m, m, f32(u32)}, 0),
			diagHeatmap("direct convolution Y (x) U", diagGrid{h, w, direct}, limOut)},
		{diagHeatmap(fmt.Sprintf("(b) patch matrix, %dx%d", h*w, m*m), diagGrid{h * w, m * m, pm}, limIm),
			diagHeatmap(fmt.Sprintf("u = vec(U), %dx1", m*m), diagGrid{m * m, 1, f32(u32)}, 0),
			diagHeatmap(fmt.Sprintf("Patches(Y) u, reshaped; max|diff| = %.1e", maxDiff), diagGrid{h, w, prod}, limOut)},
	}
	figFiles, err := SavePanels(dir, "fig6", panels, 10, 7, 5)
	if err != nil {
		return nil, err
	}
	files := append([]string{"fig6_outputs.csv", "fig6_patches.csv"}, figFiles...)
	metrics := map[string]float64{"max_abs_diff": maxDiff, "patch_rows": h * w, "patch_cols": m * m}
	summary := fmt.Sprintf("A %dx%d image with a %dx%d filter: stcnn.Patches gives a %dx%d patch matrix whose product with the filter matches a direct zero-padded convolution to max |diff| = %.2g (float32 graph, float64 reference).",
		h, w, m, m, h*w, m*m, maxDiff)
	agrees := "yes"
	if maxDiff > 1e-5 {
		agrees = "no"
	}
	set := Fig6Settings{H: h, W: w, M: m, Seed: seed, DType: "float32",
		Why: "float32 is stcnn's default dtype; 6x6 keeps the 36x9 patch matrix readable"}
	return &Result{Files: files, Summary: summary, Agrees: agrees, Metrics: metrics, Data: rows, Settings: set}, nil
}
