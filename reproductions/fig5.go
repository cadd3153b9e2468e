package reproductions

import (
	"fmt"
	"image/color"
	"math"
	"math/rand/v2"

	"github.com/convexst/stcnn/stcnn"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// palette4 returns a fixed colour of the line-plot palette.
func palette4(i int) color.Color { return palette[i%len(palette)] }

// ---- Fig. 5 ----

// Fig5Settings records the hyperplane and points of Fig. 5.
type Fig5Settings struct {
	W      [2]float64 `json:"w"`
	Lambda float64    `json:"lambda"`
	Points int        `json:"points"`
	Seed   uint64     `json:"seed"`
	Why    string     `json:"why"`
}

// runFig5 classifies random points of R^2 by stcnn.GatePatterns with one
// gate w, and checks the regions against w.x directly.
func runFig5(env Env) (*Result, error) {
	dir, err := env.Dir("5")
	if err != nil {
		return nil, err
	}
	const (
		n      = 240
		lambda = 0.5
		seed   = 5
	)
	wv := [2]float64{1, 0.6}
	rng := rand.New(rand.NewPCG(seed, 0xf5))
	xv := make([]float64, 2*n)
	for i := range xv {
		xv[i] = 4*rng.Float64() - 2
	}
	out, err := execGraph(env, func(in []*graph.Node) []*graph.Node {
		q, s := stcnn.GatePatterns(in[0], in[1], lambda)
		return []*graph.Node{q, s}
	}, tensors.FromFlatDataAndDimensions(xv, n, 2), tensors.FromFlatDataAndDimensions(wv[:], 1, 2))
	if err != nil {
		return nil, err
	}
	s := out[1]
	rows := make([][]float64, n)
	var groups [3]plotter.XYs
	mismatch := 0
	for i := 0; i < n; i++ {
		x1, x2 := xv[2*i], xv[2*i+1]
		g := wv[0]*x1 + wv[1]*x2
		want := 0.0
		if g >= lambda {
			want = 1
		} else if g <= -lambda {
			want = -1
		}
		if want != s[i] {
			mismatch++
		}
		rows[i] = []float64{x1, x2, g, s[i]}
		k := int(s[i]) + 1
		if k < 0 || k > 2 {
			return nil, fmt.Errorf("reproductions: fig. 5: sign region %v", s[i])
		}
		groups[k] = append(groups[k], plotter.XY{X: x1, Y: x2})
	}
	if err := WriteCSV(dir, "fig5_points.csv", []string{"x1", "x2", "w.x", "region_s"}, rows); err != nil {
		return nil, err
	}
	p := plot.New()
	p.Title.Text = fmt.Sprintf("Fig. 5: hyperplane w.x = 0, ST band |w.x| < lambda (w = (%g, %g), lambda = %g)", wv[0], wv[1], lambda)
	p.X.Label.Text, p.Y.Label.Text = "x1", "x2"
	labels := []string{"S1: w.x <= -lambda (Q = (a+lambda)/a)", "S2: |w.x| < lambda (Q = 0)", "S3: w.x >= lambda (Q = (a-lambda)/a)"}
	colours := []color.Color{palette4(0), palette4(7), palette4(3)}
	for k := range groups {
		if len(groups[k]) == 0 {
			continue
		}
		sc, err := plotter.NewScatter(groups[k])
		if err != nil {
			return nil, err
		}
		sc.GlyphStyle.Color, sc.GlyphStyle.Radius, sc.GlyphStyle.Shape = colours[k], vg.Points(2.5), draw.CircleGlyph{}
		p.Add(sc)
		p.Legend.Add(fmt.Sprintf("%s: %d", labels[k], len(groups[k])), sc)
	}
	// Lines w.x = c, x2 = (c - w1 x1)/w2, inside the square: x2 in [-2, 2]
	// for x1 between (c -+ 2 w2)/w1 (w1, w2 > 0).
	for _, c := range []float64{-lambda, 0, lambda} {
		x0, x1 := math.Max(-2, (c-2*wv[1])/wv[0]), math.Min(2, (c+2*wv[1])/wv[0])
		l, err := plotter.NewLine(plotter.XYs{{X: x0, Y: (c - wv[0]*x0) / wv[1]}, {X: x1, Y: (c - wv[0]*x1) / wv[1]}})
		if err != nil {
			return nil, err
		}
		l.Width = vg.Points(1.2)
		if c != 0 {
			l.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
		}
		p.Add(l)
	}
	arrow := &diagDiagram{}
	arrow.arrow(0, 0, wv[0], wv[1], "w")
	p.Add(arrow)
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = -2, 2, -2, 3.1 // the legend above the square
	p.Legend.Top = true
	p.Legend.Left = true
	figFiles, err := SavePlot(p, dir, "fig5", 7, 6)
	if err != nil {
		return nil, err
	}
	files := append([]string{"fig5_points.csv"}, figFiles...)
	metrics := map[string]float64{"points": n, "S1": float64(len(groups[0])), "S2": float64(len(groups[1])),
		"S3": float64(len(groups[2])), "mismatches": float64(mismatch)}
	summary := fmt.Sprintf("%d uniform points in [-2,2]^2 split by stcnn.GatePatterns with gate w = (%g, %g), lambda = %g: %d in S1 (w.x <= -lambda), %d in the band S2, %d in S3; %d disagree with the direct test of w.x.",
		n, wv[0], wv[1], lambda, len(groups[0]), len(groups[1]), len(groups[2]), mismatch)
	agrees := "n/a"
	if mismatch > 0 {
		agrees = "no"
	}
	set := Fig5Settings{W: wv, Lambda: lambda, Points: n, Seed: seed,
		Why: "the paper's Fig. 5 draws a^T x = b; here the gate's hyperplane through 0 with the ST band around it, which is what the dual's masks use"}
	return &Result{Files: files, Summary: summary, Agrees: agrees, Metrics: metrics, Data: rows, Settings: set}, nil
}

// ---- Fig. 6 ----
