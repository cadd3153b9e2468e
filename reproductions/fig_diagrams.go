package reproductions

// Figures 3-6: the paper's illustrations, drawn from the library's own
// computations. Fig. 3 draws the two networks with the sizes of an actual
// configuration (stcnn.DefaultConfig for MNIST, shapes read from an executed
// graph); Fig. 4 checks ST(Y u) = Q^S (Y u) (eq. 9/23) with
// stcnn.SoftThreshold and stcnn.GatePatterns; Fig. 5 colours points of R^2 by
// the ST region of a hyperplane (eq. 6); Fig. 6 checks that a convolution is
// the patch matrix times the filter (eq. 21) against a direct convolution.

import (
	"image/color"
	"math"
	"math/rand/v2"

	"github.com/convexst/stcnn/stcnn"
	"github.com/gomlx/gomlx/core/graph"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/palette/moreland"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// ---- shared drawing helpers ----

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

// execGraph builds and runs a graph function once on the inputs with env's
// backend and returns its outputs as float64s.
func execGraph(env Env, fn func([]*graph.Node) []*graph.Node, args ...any) ([][]float64, error) {
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
