package reproductions

import (
	"bytes"
	"image/png"
	"testing"

	"gonum.org/v1/plot"
)

func TestHueKey(t *testing.T) {
	for _, c := range []struct {
		s    Series
		want string
	}{
		{Series{Label: "primal_adam"}, "adam"},
		{Series{Label: "dual_adam"}, "adam"},
		{Series{Label: "rebuilt_sigma0.25"}, "sigma0.25"},
		{Series{Label: "ReLU test"}, "relu"},
		{Series{Label: "primal s=0.1"}, "s=0.1"},
		{Series{Label: "dual"}, ""},
		{Series{Label: "dual_adam", Hue: "optimiser Adam"}, "optimiser Adam"},
	} {
		if got := hueKey(c.s); got != c.want {
			t.Errorf("hueKey(%q, Hue %q) = %q, want %q", c.s.Label, c.s.Hue, got, c.want)
		}
	}
}

func TestSeriesStyles(t *testing.T) {
	series := []Series{
		{Label: "primal_sgd"}, {Label: "dual_sgd", Dashed: true},
		{Label: "primal_adam"}, {Label: "dual_adam", Dashed: true}, {Label: "rebuilt_adam", Dashed: true},
		{Label: "primal"}, {Label: "dual"}, // no setting: a colour each
	}
	colors, patterns := seriesStyles(series)
	same := func(i, j int) bool { return colors[i] == colors[j] }
	if !same(0, 1) || !same(2, 3) || !same(3, 4) {
		t.Errorf("the primal, dual and rebuilt of one optimiser must share a colour: %v", colors)
	}
	if same(0, 2) || same(5, 6) || same(0, 5) || same(2, 6) {
		t.Errorf("different settings share a colour: %v", colors)
	}
	if patterns[0] != nil || patterns[2] != nil || patterns[1] == nil || patterns[4] == nil ||
		len(patterns[3]) == len(patterns[4]) && patterns[3][0] == patterns[4][0] {
		t.Errorf("solid series must be solid and the two dashed series of a hue differ: %v", patterns)
	}
}

func TestLinePlotStyle(t *testing.T) {
	// Objectives spanning three decades get a log axis; limits fit the data.
	p, err := LinePlot("t", "epoch", "objective", false,
		Series{Label: "primal_adam", X: []float64{0, 1, 2}, Y: []float64{1000, 10, 2}},
		Series{Label: "dual_adam", X: []float64{0, 1, 2}, Y: []float64{900, 20, 3}, Dashed: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := p.Y.Scale.(plot.LogScale); !ok || p.Y.Max > 1000*1.2 || p.Y.Min < 2/1.2 {
		t.Errorf("y axis %T [%g, %g], want log, fitting [2, 1000]", p.Y.Scale, p.Y.Min, p.Y.Max)
	}
	if p.X.Min != 0 || p.X.Max != 2 {
		t.Errorf("x axis [%g, %g], want [0, 2]", p.X.Min, p.X.Max)
	}
	for _, w := range []float64{3.5, 6} { // legend below, legend right
		b, err := RenderPlot(p, w, 3, "png")
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		if img.Bounds().Dx() < 100 {
			t.Errorf("width %g in: %v", w, img.Bounds())
		}
	}
}
