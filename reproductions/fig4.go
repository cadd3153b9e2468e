package reproductions

import (
	"fmt"
	"math"

	"github.com/convexst/stcnn/stcnn"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Fig4Settings records the toy input of Fig. 4.
type Fig4Settings struct {
	Patches int     `json:"patches_I"`
	D       int     `json:"D"`
	Lambda  float64 `json:"lambda"`
	Seed    uint64  `json:"seed"`
	DType   string  `json:"dtype"`
	Why     string  `json:"why"`
}

// runFig4 computes ST(Y u) and Q (Y u) on a random toy input in one graph.
func runFig4(env Env) (*Result, error) {
	dir, err := env.Dir("4")
	if err != nil {
		return nil, err
	}
	const (
		nI, nD = 12, 3
		lambda = 0.6
		seed   = 4
	)
	yv, uv := diagRandom(seed, nI*nD, 1), diagRandom(seed+1, nD, 1)
	y, u := tensors.FromFlatDataAndDimensions(yv, nI, nD), tensors.FromFlatDataAndDimensions(uv, 1, nD)
	out, err := execGraph(env, func(in []*graph.Node) []*graph.Node {
		y, u := in[0], in[1]
		a := graph.Reshape(graph.Dot(y, graph.Transpose(u, 0, 1)).Product(), nI) // Y u
		st := stcnn.SoftThreshold(a, lambda)
		q, s := stcnn.GatePatterns(y, u, lambda) // [1, I]
		q, s = graph.Reshape(q, nI), graph.Reshape(s, nI)
		return []*graph.Node{a, st, q, s, graph.Mul(q, a)}
	}, y, u)
	if err != nil {
		return nil, err
	}
	a, st, q, s, qa := out[0], out[1], out[2], out[3], out[4]
	maxDiff := 0.0
	rows := make([][]float64, nI)
	counts := map[float64]int{}
	for i := range rows {
		diff := math.Abs(st[i] - qa[i])
		maxDiff = math.Max(maxDiff, diff)
		counts[s[i]]++
		rows[i] = []float64{float64(i), a[i], s[i], st[i], q[i], qa[i], diff}
	}
	if err := WriteCSV(dir, "fig4_values.csv", []string{"i", "y_i.u", "region_s", "ST(y_i.u)", "Q_ii", "Q_ii*y_i.u", "abs_diff"}, rows); err != nil {
		return nil, err
	}

	// (a) the ST curve with the samples on it.
	pa := plot.New()
	pa.Title.Text = fmt.Sprintf("(a) primal: ST(Yu), lambda = %g", lambda)
	pa.X.Label.Text, pa.Y.Label.Text = "y_i . u", "ST(y_i . u)"
	pa.Add(plotter.NewGrid())
	lim := 0.0
	for _, v := range a {
		lim = math.Max(lim, math.Abs(v))
	}
	lim = math.Ceil(lim + 0.2)
	curve := plotter.NewFunction(func(x float64) float64 { return math.Copysign(math.Max(math.Abs(x)-lambda, 0), x) })
	curve.XMin, curve.XMax, curve.Samples = -lim, lim, 400
	curve.Color = palette4(0)
	pa.Add(curve)
	pts := make(plotter.XYs, nI)
	for i := range pts {
		pts[i] = plotter.XY{X: a[i], Y: st[i]}
	}
	sc, err := plotter.NewScatter(pts)
	if err != nil {
		return nil, err
	}
	sc.GlyphStyle.Color, sc.GlyphStyle.Radius, sc.GlyphStyle.Shape = palette4(1), vg.Points(3), draw.CircleGlyph{}
	pa.Add(sc)
	pa.X.Min, pa.X.Max = -lim, lim

	// (b) the diagonal matrix Q^S.
	diag := make([]float64, nI*nI)
	for i := 0; i < nI; i++ {
		diag[i*nI+i] = q[i]
	}
	pb := diagHeatmap("(b) dual: diagonal mask Q^S (eq. 23)", diagGrid{rows: nI, cols: nI, v: diag}, 1)

	// (c) both products, sample by sample.
	pc := plot.New()
	pc.Title.Text = fmt.Sprintf("(c) ST(Yu) and Q^S(Yu): max |diff| = %.1e", maxDiff)
	pc.X.Label.Text, pc.Y.Label.Text = "sample i", "value"
	pc.Add(plotter.NewGrid())
	for j, series := range [][]float64{st, qa} {
		xy := make(plotter.XYs, nI)
		for i := range xy {
			xy[i] = plotter.XY{X: float64(i), Y: series[i]}
		}
		sc, err := plotter.NewScatter(xy)
		if err != nil {
			return nil, err
		}
		sc.GlyphStyle.Color = palette4(j + 1)
		if j == 0 {
			sc.GlyphStyle.Shape, sc.GlyphStyle.Radius = draw.CircleGlyph{}, vg.Points(5)
			pc.Legend.Add("ST(Yu) (primal)", sc)
		} else {
			sc.GlyphStyle.Shape, sc.GlyphStyle.Radius = draw.CrossGlyph{}, vg.Points(4)
			pc.Legend.Add("Q^S (Yu) (dual)", sc)
		}
		pc.Add(sc)
	}
	pc.Legend.Top = true
	pc.Y.Max += 0.6 * (pc.Y.Max - pc.Y.Min) // room for the legend
	figFiles, err := SavePanels(dir, "fig4", [][]*plot.Plot{{pa, pb, pc}}, 12, 4, 5)
	if err != nil {
		return nil, err
	}
	files := append([]string{"fig4_values.csv"}, figFiles...)
	metrics := map[string]float64{"max_abs_diff": maxDiff, "samples": nI, "S1_count": float64(counts[-1]),
		"S2_count": float64(counts[0]), "S3_count": float64(counts[1])}
	summary := fmt.Sprintf("On %d random patches (D = %d, float64) and one gate, stcnn.SoftThreshold(Y u) and GatePatterns' mask times Y u agree to max |diff| = %.2g; regions: %d samples with y.u <= -lambda (S1), %d in the band (S2, Q = 0), %d with y.u >= lambda (S3).",
		nI, nD, maxDiff, counts[-1], counts[0], counts[1])
	agrees := "yes"
	if maxDiff > 1e-12 {
		agrees = "no"
	}
	set := Fig4Settings{Patches: nI, D: nD, Lambda: lambda, Seed: seed, DType: "float64",
		Why: "lambda = 0.6 with N(0,1) patches and gate puts samples in all three regions"}
	return &Result{Files: files, Summary: summary, Agrees: agrees, Metrics: metrics, Data: rows, Settings: set}, nil
}
