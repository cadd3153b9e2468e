package reproductions

import (
	"image/color"
	"math"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// The figure style, in one place: every figure drawn by LinePlot and saved
// by SavePlot (and shown by the notebooks) follows it.
//
//   - Legends sit outside the data: to the right of the plot when the figure
//     is at least legendRightMinWidth wide, else below it.
//   - The primal and the dual (or the training and the test curve) of one
//     setting share a hue and differ by the dash: see hueKey.
//   - A y axis whose positive values span two decades or more is
//     logarithmic; the axes' limits fit the data with a small margin.
//   - Text is sized for the paper's column width: a figure of any width,
//     scaled to columnWidth, shows labels at fontAtColumn points and titles
//     at titleAtColumn points.
const (
	columnWidth         = 3.5 * vg.Inch
	fontAtColumn        = 7.0 // points, at the column width
	titleAtColumn       = 8.0 // points, at the column width
	legendRightMinWidth = 5 * vg.Inch
	// autoLogRatio is the ratio of the largest to the smallest y value from
	// which LinePlot switches to a log axis.
	autoLogRatio = 100
	// linePoints is the width of a data line, in points at the figure's size.
	linePoints = 1.5
)

// palette is a fixed set of distinguishable colours, one per hue.
var palette = []color.Color{
	color.RGBA{31, 119, 180, 255}, color.RGBA{255, 127, 14, 255}, color.RGBA{44, 160, 44, 255},
	color.RGBA{214, 39, 40, 255}, color.RGBA{148, 103, 189, 255}, color.RGBA{140, 86, 75, 255},
	color.RGBA{227, 119, 194, 255}, color.RGBA{127, 127, 127, 255}, color.RGBA{188, 189, 34, 255},
	color.RGBA{23, 190, 207, 255},
}

// dashPatterns are the patterns of the Dashed series of one hue, in order
// (e.g. the dual dashed, the primal rebuilt from it dotted).
var dashPatterns = [][]vg.Length{
	{vg.Points(5), vg.Points(3)},
	{vg.Points(1.5), vg.Points(2)},
	{vg.Points(6), vg.Points(2), vg.Points(1.5), vg.Points(2)},
}

// roleWords are the words of a label that name a series' role rather than
// its setting: series whose labels differ only by them share a hue.
var roleWords = map[string]bool{"primal": true, "dual": true, "rebuilt": true, "train": true, "training": true, "test": true}

// hueKey is the setting a series belongs to: its Hue when set, else its
// label without the role words (so "primal_adam" and "dual_adam", or
// "ReLU train" and "ReLU test", share one).
func hueKey(s Series) string {
	if s.Hue != "" {
		return s.Hue
	}
	words := strings.FieldsFunc(strings.ToLower(s.Label), func(r rune) bool { return r == ' ' || r == '_' || r == ',' })
	var kept []string
	for _, w := range words {
		if !roleWords[w] {
			kept = append(kept, w)
		}
	}
	return strings.Join(kept, " ")
}

// seriesStyles gives each series its colour and dash pattern: one colour
// per hue key, in order of first appearance; within a key the Dashed series
// take the dash patterns in turn. A series whose key is empty, or a second
// solid series of a key, gets a colour of its own.
func seriesStyles(series []Series) ([]color.Color, [][]vg.Length) {
	keys := make([]string, len(series))
	solid := map[string]int{}
	for i, s := range series {
		keys[i] = hueKey(s)
		if !s.Dashed {
			solid[keys[i]]++
		}
	}
	index := map[string]int{}
	dashed := map[string]int{}
	colors := make([]color.Color, len(series))
	patterns := make([][]vg.Length, len(series))
	for i, s := range series {
		k := keys[i]
		if k == "" || (!s.Dashed && solid[k] > 1) {
			k = "\x00" + s.Label + "\x00" + strconv.Itoa(i)
		}
		n, ok := index[k]
		if !ok {
			n = len(index)
			index[k] = n
		}
		colors[i] = palette[n%len(palette)]
		if s.Dashed {
			patterns[i] = dashPatterns[dashed[k]%len(dashPatterns)]
			dashed[k]++
		}
	}
	return colors, patterns
}

// dataRange returns the smallest and largest finite values (positive only
// when positive is set); ok is false when there are none.
func dataRange(series []Series, y, positive bool) (lo, hi float64, ok bool) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, s := range series {
		vs := s.X
		if y {
			vs = s.Y
		}
		for _, v := range vs {
			if math.IsNaN(v) || math.IsInf(v, 0) || (positive && !(v > 0)) {
				continue
			}
			lo, hi = min(lo, v), max(hi, v)
		}
	}
	return lo, hi, lo <= hi
}

// spansDecades reports whether all y values are positive and span at least
// autoLogRatio.
func spansDecades(series []Series) bool {
	for _, s := range series {
		for _, v := range s.Y {
			if !(v > 0) && !math.IsNaN(v) {
				return false
			}
		}
	}
	lo, hi, ok := dataRange(series, true, true)
	return ok && hi >= autoLogRatio*lo
}

// fitLimits sets the axes' limits to the data with a margin: 4% of the
// range on a linear axis, a factor 1.1 on a log axis.
func fitLimits(p *plot.Plot, series []Series, logY bool) {
	if lo, hi, ok := dataRange(series, false, false); ok && hi > lo {
		p.X.Min, p.X.Max = lo, hi
	}
	lo, hi, ok := dataRange(series, true, logY)
	if !ok {
		return
	}
	switch {
	case logY:
		p.Y.Min, p.Y.Max = lo/1.1, hi*1.1
	case hi > lo:
		m := 0.04 * (hi - lo)
		p.Y.Min, p.Y.Max = lo-m, hi+m
	default:
		p.Y.Min, p.Y.Max = lo-0.5, hi+0.5
	}
}

// styleText sizes the plot's text for a figure of width w: fontAtColumn and
// titleAtColumn points once the figure is scaled to the column width.
func styleText(p *plot.Plot, w vg.Length) {
	scale := max(1, float64(w/columnWidth))
	f, t := vg.Points(fontAtColumn*scale), vg.Points(titleAtColumn*scale)
	p.Title.TextStyle.Font.Size = t
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		a.Label.TextStyle.Font.Size = f
		a.Tick.Label.Font.Size = f
	}
	p.Legend.TextStyle.Font.Size = f
}

// DrawPlot draws p on c in the figure style: text sized for the column
// width and the legend outside the data (right of the plot on a wide
// figure, below it on a narrow one).
func DrawPlot(p *plot.Plot, c draw.Canvas) {
	size := c.Size()
	styleText(p, size.X)
	leg := p.Legend
	lr := leg.Rectangle(c)
	lw, lh := lr.Size().X, lr.Size().Y
	if lw == 0 || lh == 0 {
		p.Draw(c)
		return
	}
	p.Legend = plot.NewLegend() // drawn below, outside the data area
	p.Legend.TextStyle = leg.TextStyle
	defer func() { p.Legend = leg }()
	gap := vg.Length(leg.TextStyle.Font.Size)
	leg.Top, leg.Left, leg.XOffs, leg.YOffs = true, true, 0, 0
	if size.X >= legendRightMinWidth {
		p.Draw(draw.Crop(c, 0, -(lw + gap), 0, 0))
		// Level with the top of the data area (below the title).
		top := p.Title.TextStyle.Rectangle(p.Title.Text).Size().Y + p.Title.Padding
		leg.Draw(draw.Crop(c, size.X-lw-gap/2, 0, 0, -top-gap))
		return
	}
	p.Draw(draw.Crop(c, 0, 0, lh+gap, 0))
	left := max(0, (size.X-lw)/2)
	leg.Draw(draw.Crop(c, left, 0, 0, -(size.Y - lh - gap/2)))
}
