package reproductions

// Figures 3-6: the paper's illustrations, drawn from the library's own
// computations. Fig. 3 draws the two networks with the sizes of an actual
// configuration (stcnn.DefaultConfig for MNIST, shapes read from an executed
// graph); Fig. 4 checks ST(Y u) = Q^S (Y u) (eq. 9/23) with
// stcnn.SoftThreshold and stcnn.GatePatterns; Fig. 5 colours points of R^2 by
// the ST region of a hyperplane (eq. 6); Fig. 6 checks that a convolution is
// the patch matrix times the filter (eq. 21) against a direct convolution.

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"image/color"
	"math"
	"math/rand/v2"
	"path/filepath"

	"github.com/convexst/stcnn/stcnn"
	"github.com/convexst/stcnn/stcnn/initializers"
	"github.com/convexst/stcnn/stcnn/training"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/palette/moreland"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

func init() {
	register(Figure{ID: "3", Title: "Network structures of the primal and the dual ST-CNN (sizes of the MNIST configuration)",
		Claim: "illustration: primal patches -> K filters -> ST -> 1x1 output; dual gates -> masks Q and sign regions -> w, w' -> output",
		Run:   runFig3})
	register(Figure{ID: "4", Title: "ST as a diagonal matrix: ST(Y u) = Q^S (Y u)",
		Claim: "illustration: the nonlinear ST of the primal equals a linear diagonal mask in the dual (Theorem 4)",
		Run:   runFig4})
	register(Figure{ID: "5", Title: "A hyperplane in R^2 and the three ST regions",
		Claim: "illustration: a hyperplane w.x = 0 and the band |w.x| < lambda split the plane into the regions S1, S2, S3 of eq. 23",
		Run:   runFig5})
	register(Figure{ID: "6", Title: "Convolution as a matrix product (eq. 21)",
		Claim: "illustration: the convolution Y (x) U equals the patch matrix times the filter",
		Run:   runFig6})
}

// ---- shared drawing helpers ----

// diagWriteTable writes a CSV with text cells to dir/name, atomically.
func diagWriteTable(dir, name string, header []string, rows [][]string) error {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	_ = w.Write(header)
	_ = w.WriteAll(rows)
	if err := w.Error(); err != nil {
		return fmt.Errorf("reproductions: %s: %w", name, err)
	}
	return training.WriteFileAtomic(filepath.Join(dir, name), buf.Bytes())
}

// diagGrid is a row-major matrix as a plotter.GridXYZ: column c at x = c,
// row r at y = rows-1-r, so that row 0 is drawn at the top.
type diagGrid struct {
	rows, cols int
	v          []float64
}

func (g diagGrid) Dims() (c, r int)   { return g.cols, g.rows }
func (g diagGrid) Z(c, r int) float64 { return g.v[(g.rows-1-r)*g.cols+c] }
func (g diagGrid) X(c int) float64    { return float64(c) }
func (g diagGrid) Y(r int) float64    { return float64(r) }

// diagHeatmap plots a matrix with a diverging palette symmetric about 0
// (lim = max |value| when lim <= 0). Axes are hidden: the title says what is shown.
func diagHeatmap(title string, g diagGrid, lim float64) *plot.Plot {
	if lim <= 0 {
		for _, v := range g.v {
			lim = math.Max(lim, math.Abs(v))
		}
		if lim == 0 {
			lim = 1
		}
	}
	cm := moreland.SmoothBlueRed()
	cm.SetMin(-lim)
	cm.SetMax(lim)
	h := plotter.NewHeatMap(g, cm.Palette(255))
	h.Min, h.Max = -lim, lim
	p := plot.New()
	p.Title.Text = title
	p.Add(h)
	p.HideAxes()
	return p
}

// diagText returns a text style of the given size, centred.
func diagText(size float64) draw.TextStyle {
	return draw.TextStyle{Color: color.Black, Font: font.From(plot.DefaultFont, vg.Points(size)),
		XAlign: text.XCenter, YAlign: text.YCenter, Handler: plot.DefaultTextHandler}
}

// diagItem is a box with text, an arrow, or free text of a block diagram, in
// data coordinates.
type diagItem struct {
	kind           byte // 'b' box, 'a' arrow, 't' text
	x0, y0, x1, y1 float64
	fill           color.Color
	label          string
	size           float64
}

// diagDiagram is a plot.Plotter drawing a block diagram.
type diagDiagram struct{ items []diagItem }

func (d *diagDiagram) box(x0, y0, x1, y1 float64, fill color.Color, label string) {
	d.items = append(d.items, diagItem{kind: 'b', x0: x0, y0: y0, x1: x1, y1: y1, fill: fill, label: label, size: 9.5})
}

func (d *diagDiagram) arrow(x0, y0, x1, y1 float64, label string) {
	d.items = append(d.items, diagItem{kind: 'a', x0: x0, y0: y0, x1: x1, y1: y1, label: label, size: 10})
}

func (d *diagDiagram) text(x, y float64, label string, size float64) {
	d.items = append(d.items, diagItem{kind: 't', x0: x, y0: y, label: label, size: size})
}

// Plot implements plot.Plotter.
func (d *diagDiagram) Plot(c draw.Canvas, p *plot.Plot) {
	tx, ty := p.Transforms(&c)
	line := draw.LineStyle{Color: color.Black, Width: vg.Points(0.8)}
	for _, it := range d.items {
		a := vg.Point{X: tx(it.x0), Y: ty(it.y0)}
		switch it.kind {
		case 'b':
			b := vg.Point{X: tx(it.x1), Y: ty(it.y1)}
			rect := []vg.Point{a, {X: b.X, Y: a.Y}, b, {X: a.X, Y: b.Y}}
			c.FillPolygon(it.fill, rect)
			c.StrokeLines(line, append(rect, a))
			c.FillText(diagText(it.size), vg.Point{X: (a.X + b.X) / 2, Y: (a.Y + b.Y) / 2}, it.label)
		case 'a':
			b := vg.Point{X: tx(it.x1), Y: ty(it.y1)}
			c.StrokeLine2(line, a.X, a.Y, b.X, b.Y)
			dx, dy := float64(b.X-a.X), float64(b.Y-a.Y)
			n := math.Hypot(dx, dy)
			if n > 0 {
				ux, uy := dx/n, dy/n
				const head = 5.0 // points
				l, hw := vg.Points(head), vg.Points(head/2)
				p1 := vg.Point{X: b.X - vg.Length(ux)*l - vg.Length(uy)*hw, Y: b.Y - vg.Length(uy)*l + vg.Length(ux)*hw}
				p2 := vg.Point{X: b.X - vg.Length(ux)*l + vg.Length(uy)*hw, Y: b.Y - vg.Length(uy)*l - vg.Length(ux)*hw}
				c.FillPolygon(color.Black, []vg.Point{b, p1, p2})
			}
			if it.label != "" {
				sty := diagText(it.size)
				sty.YAlign = text.YBottom
				c.FillText(sty, vg.Point{X: (a.X + b.X) / 2, Y: (a.Y+b.Y)/2 + vg.Points(2)}, it.label)
			}
		case 't':
			c.FillText(diagText(it.size), a, it.label)
		}
	}
}

// diagramPlot wraps a diagram in a plot with hidden axes over [0,w] x [0,h].
func diagramPlot(title string, d *diagDiagram, w, h float64) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.Add(d)
	p.HideAxes()
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = 0, w, 0, h
	return p
}

// diagExec builds and runs a graph function once on the inputs.
func diagExec(env Env, fn func([]*graph.Node) []*graph.Node, args ...any) ([][]float64, error) {
	exec, err := graph.NewExec(env.Backend, fn)
	if err != nil {
		return nil, err
	}
	out, err := exec.Call(args...)
	if err != nil {
		return nil, err
	}
	res := make([][]float64, len(out))
	for i, t := range out {
		if res[i], err = stcnn.Float64s(t); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// diagRandom returns n values ~ N(0, std^2) from seed.
func diagRandom(seed uint64, n int, std float64) []float64 {
	rng := rand.New(rand.NewPCG(seed, 0xd1a9))
	v := make([]float64, n)
	for i := range v {
		v[i] = std * rng.NormFloat64()
	}
	return v
}

var (
	diagBlue   = color.RGBA{198, 219, 239, 255}
	diagOrange = color.RGBA{253, 208, 162, 255}
	diagGreen  = color.RGBA{199, 233, 192, 255}
	diagGrey   = color.RGBA{230, 230, 230, 255}
)

// ---- Fig. 3 ----

// Fig3Settings records the configuration drawn.
type Fig3Settings struct {
	Primal stcnn.Config `json:"primal"`
	Dual   stcnn.Config `json:"dual"`
	Image  [3]int       `json:"image_hwc"`
	Why    string       `json:"why"`
}

// fig3Shape is one tensor of the drawn networks.
type fig3Shape struct {
	Network, Stage, Tensor string
	Dims                   []int
}

// runFig3 initialises both networks of stcnn.DefaultConfig for MNIST,
// executes their building blocks on one 28x28 image, and draws the two
// structures annotated with the shapes the graph reports.
func runFig3(env Env) (*Result, error) {
	dir, err := env.Dir("3")
	if err != nil {
		return nil, err
	}
	const h, w = 28, 28
	pcfg, dcfg := stcnn.DefaultConfig(stcnn.Primal, 1), stcnn.DefaultConfig(stcnn.Dual, 1)
	pnet, err := stcnn.NewPrimal(pcfg)
	if err != nil {
		return nil, err
	}
	dnet, err := stcnn.NewDual(dcfg)
	if err != nil {
		return nil, err
	}
	store := model.NewStore()
	if err := pnet.Init(store, initializers.KaimingUniform(), 1); err != nil {
		return nil, err
	}
	if err := dnet.Init(store, initializers.Normal(0.01), 1); err != nil {
		return nil, err
	}
	var vals []any
	for _, path := range [][2]string{{stcnn.PrimalScope, "u"}, {stcnn.PrimalScope, "v"}, {stcnn.DualScope, "gates"}, {stcnn.DualScope, "w"}, {stcnn.DualScope, "w_prime"}} {
		scope := pnet.Scope(store)
		if path[0] == stcnn.DualScope {
			scope = dnet.Scope(store)
		}
		v := scope.GetVariable(path[1])
		if v == nil {
			return nil, fmt.Errorf("reproductions: fig. 3: variable %s/%s missing", path[0], path[1])
		}
		t, err := v.Value()
		if err != nil {
			return nil, err
		}
		vals = append(vals, t)
	}
	img32 := make([]float32, h*w)
	for i, v := range diagRandom(3, h*w, 1) {
		img32[i] = float32(0.5 + 0.2*v)
	}
	img := tensors.FromFlatDataAndDimensions(img32, 1, h, w, 1)
	var shapes []fig3Shape
	rec := func(network, stage, tensor string, n *graph.Node) *graph.Node {
		shapes = append(shapes, fig3Shape{network, stage, tensor, n.Shape().Dimensions})
		return n
	}
	fn := func(in []*graph.Node) []*graph.Node {
		y, u, v, gates, wd, wp := in[0], in[1], in[2], in[3], in[4], in[5]
		rec("both", "input", "Y", y)
		patches := rec("both", "patch matrix (eq. 21)", "Patches(Y)", stcnn.Patches(y, pcfg.M))
		rec("primal", "filters", "U", u)
		pre := rec("primal", "convolutions Y*U_k", "Patches(Y) U^T", graph.Dot(patches, graph.Transpose(u, 0, 1)).Product())
		rec("primal", "soft-thresholding", "ST(Y*U)", stcnn.SoftThreshold(pre, pcfg.Lambda))
		rec("primal", "1x1 convolution", "v", v)
		out := rec("primal", "output", "f(Y)", stcnn.PrimalForward(y, u, v, pcfg.M, pcfg.Lambda, stcnn.ActivationST))
		rec("dual", "fixed gates", "gates ubar", gates)
		q, s := stcnn.GatePatterns(patches, gates, dcfg.Lambda)
		rec("dual", "masks (eq. 23)", "Q", q)
		rec("dual", "sign regions", "s", s)
		rec("dual", "dual weights", "w", wd)
		rec("dual", "dual weights", "w'", wp)
		dout := rec("dual", "output", "sum_j Q_j Y(w'_j - w_j)", stcnn.DualForward(patches, q, wd, wp))
		return []*graph.Node{graph.ReduceAllSum(out), graph.ReduceAllSum(dout)}
	}
	if _, err := diagExec(env, fn, append([]any{img}, vals...)...); err != nil {
		return nil, err
	}
	dims := map[string][]int{}
	rows := make([][]string, len(shapes))
	for i, s := range shapes {
		dims[s.Tensor] = s.Dims
		rows[i] = []string{s.Network, s.Stage, s.Tensor, fmt.Sprint(s.Dims)}
	}
	if err := diagWriteTable(dir, "fig3_shapes.csv", []string{"network", "stage", "tensor", "shape"}, rows); err != nil {
		return nil, err
	}
	d, k, p, c := pcfg.PatchSize(), pcfg.K, dcfg.P, pcfg.Outputs()
	i := dims["Patches(Y)"][0]
	sh := func(name string) string {
		v := dims[name]
		s := ""
		for j, x := range v {
			if j > 0 {
				s += "x"
			}
			s += fmt.Sprint(x)
		}
		return s
	}

	var a diagDiagram
	a.box(0.2, 2, 1.8, 4, diagGrey, fmt.Sprintf("noisy image Y\n%dx%dx%d", h, w, pcfg.Channels))
	a.arrow(1.8, 3, 2.4, 3, "")
	a.box(2.4, 2, 4.2, 4, diagBlue, fmt.Sprintf("patch matrix\nI x D = %s\n(m=%d, D=m*m*C)", sh("Patches(Y)"), pcfg.M))
	a.arrow(4.2, 3, 4.8, 3, "")
	a.box(4.8, 2, 6.6, 4, diagOrange, fmt.Sprintf("K=%d filters U\n%s\nY U^T: %dx%d", k, sh("U"), i, k))
	a.arrow(6.6, 3, 7.2, 3, "")
	a.box(7.2, 2, 8.6, 4, diagGreen, fmt.Sprintf("ST, lambda=%g\nelementwise\n%dx%d", pcfg.Lambda, i, k))
	a.arrow(8.6, 3, 9.2, 3, "")
	a.box(9.2, 2, 10.8, 4, diagOrange, fmt.Sprintf("1x1 conv v\n%s", sh("v")))
	a.arrow(10.8, 3, 11.4, 3, "")
	a.box(11.4, 2, 12.8, 4, diagGrey, fmt.Sprintf("output\n%s", sh("f(Y)")))
	a.text(6.5, 0.9, fmt.Sprintf("objective (eq. 21): ||f(Y) - X||^2 + beta sum_k (||U_k||^2 + v_k^2), beta = %g; trainable: %d values", pcfg.Beta, k*d+c*k), 9.5)

	var b diagDiagram
	b.box(0.2, 3, 1.8, 5, diagGrey, fmt.Sprintf("noisy image Y\n%dx%dx%d", h, w, dcfg.Channels))
	b.arrow(1.8, 4, 2.4, 4, "")
	b.box(2.4, 3, 4.2, 5, diagBlue, fmt.Sprintf("patch matrix\nI x D = %s", sh("Patches(Y)")))
	b.arrow(4.2, 4.5, 4.8, 5.5, "")
	b.box(4.8, 4.6, 6.8, 6.6, diagGrey, fmt.Sprintf("P=%d fixed gates\nubar: %s\n~ N(0, %g^2)", p, sh("gates ubar"), dcfg.GateStd))
	b.arrow(6.8, 5.6, 7.4, 5.6, "")
	b.box(7.4, 4.6, 9.8, 6.6, diagGreen, fmt.Sprintf("masks Q = ST(g)/g: %s\nsigns s in {-1,0,1}: %s\n(S1, S2, S3 of eq. 23)", sh("Q"), sh("s")))
	b.arrow(4.2, 3.5, 4.8, 2.5, "")
	b.box(4.8, 1.4, 6.8, 3.4, diagOrange, fmt.Sprintf("dual weights\nw: %s\nw': %s", sh("w"), sh("w'")))
	b.arrow(6.8, 2.4, 7.4, 2.4, "")
	b.box(7.4, 1.4, 9.8, 3.4, diagOrange, fmt.Sprintf("Y(w'_j - w_j)\n%dx%d\nhinge on s(.)Yw, s(.)Yw'", i, p*c))
	b.arrow(9.8, 5.6, 10.4, 4.3, "")
	b.arrow(9.8, 2.4, 10.4, 3.7, "")
	b.box(10.4, 3, 12.8, 5, diagGrey, fmt.Sprintf("sum_j Q_j (.) Y(w'_j-w_j)\noutput %s (C x I)", sh("sum_j Q_j Y(w'_j - w_j)")))
	b.text(6.5, 0.6, fmt.Sprintf("objective (eq. 22): ||out - X||^2 + 2 beta sum_j (||w_j|| + ||w'_j||) + rho hinge, rho = %g; trainable: %d values", dcfg.Rho, 2*p*d*c), 9.5)

	pa := diagramPlot(fmt.Sprintf("(a) primal ST-CNN (stcnn.DefaultConfig, MNIST: K=%d, m=%d, lambda=%g)", k, pcfg.M, pcfg.Lambda), &a, 13, 5)
	pb := diagramPlot(fmt.Sprintf("(b) dual ST-CNN (P=%d gates, m=%d, lambda=%g)", p, dcfg.M, dcfg.Lambda), &b, 13, 7)
	figFiles, err := SavePanels(dir, "fig3", [][]*plot.Plot{{pa}, {pb}}, 12, 7.5, 5)
	if err != nil {
		return nil, err
	}
	files := append([]string{"fig3_shapes.csv"}, figFiles...)
	metrics := map[string]float64{"D": float64(d), "K": float64(k), "P": float64(p), "I_per_image": float64(i),
		"primal_trainable": float64(k*d + c*k), "dual_trainable": float64(2 * p * d * c)}
	summary := fmt.Sprintf("Drawn from stcnn.DefaultConfig (MNIST, executed on one 28x28 image): patch matrix %s (D = %d); primal U %s, hidden %dx%d, v %s, output %s; dual gates %s, masks Q and signs s %s, w and w' %s each, output %s. Trainable values: primal %d, dual %d.",
		sh("Patches(Y)"), d, sh("U"), i, k, sh("v"), sh("f(Y)"), sh("gates ubar"), sh("Q"), sh("w"), sh("sum_j Q_j Y(w'_j - w_j)"), k*d+c*k, 2*p*d*c)
	set := Fig3Settings{Primal: pcfg, Dual: dcfg, Image: [3]int{h, w, 1},
		Why: "the sizes are those of the project's MNIST configuration; the paper's Fig. 3 draws no sizes"}
	return &Result{Files: files, Summary: summary, Agrees: "n/a", Metrics: metrics, Data: shapes, Settings: set}, nil
}

// ---- Fig. 4 ----

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
	out, err := diagExec(env, func(in []*graph.Node) []*graph.Node {
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
	out, err := diagExec(env, func(in []*graph.Node) []*graph.Node {
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
	out, err := diagExec(env, func(in []*graph.Node) []*graph.Node {
		pm := stcnn.Patches(in[0], m)                                 // [h*w, m*m]
		prod := graph.Dot(pm, graph.Reshape(in[1], m*m, 1)).Product() // [h*w, 1]
		return []*graph.Node{pm, prod}
	}, tensors.FromFlatDataAndDimensions(im32, 1, h, w, 1), tensors.FromFlatDataAndDimensions(u32, m*m))
	if err != nil {
		return nil, err
	}
	pm, prod := out[0], out[1]
	// Direct convolution: out(r, c) = sum_{dy,dx} Y(r+dy-1, c+dx-1) u(dy, dx), zero outside.
	direct := make([]float64, h*w)
	r0 := m / 2
	for r := 0; r < h; r++ {
		for c := 0; c < w; c++ {
			var acc float64
			for dy := 0; dy < m; dy++ {
				for dx := 0; dx < m; dx++ {
					rr, cc := r+dy-r0, c+dx-r0
					if rr < 0 || rr >= h || cc < 0 || cc >= w {
						continue
					}
					acc += float64(im32[rr*w+cc]) * float64(u32[dy*m+dx])
				}
			}
			direct[r*w+c] = acc
		}
	}
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
	f32 := func(v []float32) []float64 {
		o := make([]float64, len(v))
		for i, x := range v {
			o[i] = float64(x)
		}
		return o
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
