package nbutil

import (
	"fmt"
	"html"
	"image"
	"image/color"
	"image/draw"
	"time"

	"github.com/convexst/stcnn/datasets"
	"github.com/convexst/stcnn/stcnn"
	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/janpfeifer/gonb/gonbui"
	"github.com/janpfeifer/gonb/gonbui/widgets"
)

// Colours of the three regions of eq. 8 in RegionsImage.
var (
	regionS1 = color.RGBA{0x21, 0x66, 0xac, 255} // y.u <= -lambda
	regionS2 = color.RGBA{0xe0, 0xe0, 0xe0, 255} // |y.u| < lambda: the dead zone
	regionS3 = color.RGBA{0xd6, 0x60, 0x4d, 255} // y.u >= lambda
)

// Regions are the sign regions and the mask of one gate on one image, as
// stcnn.GatePatterns computes them (eq. 23): S1, S2, S3 of eq. 8 are the
// pixels whose patch y_i has y_i.u <= -lambda, |y_i.u| < lambda and
// y_i.u >= lambda, and Q_i = max(0, 1 - lambda/|y_i.u|).
type Regions struct {
	H, W   int
	Sign   []float64 // -1 (S1), 0 (S2), +1 (S3), per pixel
	Mask   []float64 // Q_i, per pixel
	Counts [3]int    // pixels in S1, S2, S3
}

// GateRegions runs stcnn.Patches and stcnn.GatePatterns on the first image
// of img for gate j of gates ([P, m*m*C]) at threshold lambda.
func GateRegions(backend compute.Backend, img *datasets.Images, gates *tensors.Tensor, m int, lambda float64, j int) (*Regions, error) {
	p := gates.Shape().Dimensions[0]
	if j < 0 || j >= p {
		return nil, fmt.Errorf("nbutil: gate %d out of range [0, %d)", j, p)
	}
	if lambda < 0 {
		return nil, fmt.Errorf("nbutil: lambda = %g, want >= 0", lambda)
	}
	one, err := img.Slice(0, 1)
	if err != nil {
		return nil, err
	}
	outs, err := graph.CallOnceN(backend, func(y, g *graph.Node) (*graph.Node, *graph.Node) {
		return stcnn.GatePatterns(stcnn.Patches(y, m), graph.Slice(g, graph.AxisRange(j, j+1)), lambda)
	}, stcnn.ImagesTensor(one, gates.DType()), gates)
	if err != nil {
		return nil, fmt.Errorf("nbutil: gate patterns: %w", err)
	}
	q, err := stcnn.Float64s(outs[0])
	if err != nil {
		return nil, err
	}
	s, err := stcnn.Float64s(outs[1])
	if err != nil {
		return nil, err
	}
	r := &Regions{H: one.H, W: one.W, Sign: s, Mask: q}
	for _, v := range s {
		r.Counts[int(v)+1]++
	}
	return r, nil
}

// RegionsImage draws the regions (S1 blue, S2 light grey, S3 red) and the
// mask Q (black 0 to white 1) side by side, each pixel zoom x zoom.
func RegionsImage(r *Regions, zoom int) *image.RGBA {
	const pad = 4
	w, h := r.W*zoom, r.H*zoom
	out := image.NewRGBA(image.Rect(0, 0, 2*w+3*pad, h+2*pad))
	draw.Draw(out, out.Bounds(), image.White, image.Point{}, draw.Src)
	for i := range r.H * r.W {
		y, x := i/r.W, i%r.W
		c := regionS2
		switch {
		case r.Sign[i] < 0:
			c = regionS1
		case r.Sign[i] > 0:
			c = regionS3
		}
		g := uint8(255 * min(1, max(0, r.Mask[i])))
		for k, col := range []color.RGBA{c, {g, g, g, 255}} {
			x0 := pad + k*(w+pad) + x*zoom
			draw.Draw(out, image.Rect(x0, pad+y*zoom, x0+zoom, pad+(y+1)*zoom), &image.Uniform{C: col}, image.Point{}, draw.Src)
		}
	}
	return out
}

// RegionsHTML is the HTML of RegionsImage with a caption giving lambda,
// the gate and the share of each region.
func RegionsHTML(r *Regions, lambda float64, gate, zoom int) (string, error) {
	src, err := gonbui.EmbedImageAsPNGSrc(RegionsImage(r, zoom))
	if err != nil {
		return "", fmt.Errorf("nbutil: %w", err)
	}
	n := float64(r.H * r.W)
	return fmt.Sprintf(`<div class="stcnn-regions"><img src="%s" alt="regions and mask"/><br>`+
		`<span class="stcnn-regions-caption">lambda = %.2f, gate %d: `+
		`<span style="color:#2166ac">S1 (y&middot;u &le; -&lambda;) %.1f%%</span>, `+
		`S2 (dead zone) %.1f%%, <span style="color:#d6604d">S3 (y&middot;u &ge; &lambda;) %.1f%%</span>; `+
		`right: the mask Q (black 0, white 1)</span></div>`,
		html.EscapeString(src), lambda, gate, 100*float64(r.Counts[0])/n, 100*float64(r.Counts[1])/n, 100*float64(r.Counts[2])/n), nil
}

// FrontEndWait is how long LambdaGateSliders waits for a browser to answer
// its sliders; headless runs (nbconvert) have none and keep the first
// drawing.
const FrontEndWait = 5 * time.Second

// LambdaGateSliders shows draw(lambda, gate) and, in a browser, two sliders
// (lambda from 0 to maxLambda in steps of 0.01, the gate from 0 to gates-1)
// and a Done button: every slider move redraws. It returns when Done is
// pressed, after idle without a move, or at once when no front end answers
// within FrontEndWait (the drawing then stays as first drawn).
func LambdaGateSliders(lambda, maxLambda float64, gates int, idle time.Duration, draw func(lambda float64, gate int) (string, error)) error {
	if !gonbui.IsNotebook {
		return nil
	}
	id := "regions_" + gonbui.UniqueID()
	gate := 0
	redraw := func() error {
		h, err := draw(lambda, gate)
		if err != nil {
			return err
		}
		gonbui.UpdateHTML(id, h)
		return nil
	}
	if err := redraw(); err != nil {
		return err
	}
	type built struct {
		lambda, gate *widgets.SliderBuilder
		done         *widgets.ButtonBuilder
	}
	ready := make(chan built, 1)
	go func() {
		gonbui.DisplayHTML("<b>lambda</b> (0 to " + fmt.Sprint(maxLambda) + "):")
		l := widgets.Slider(0, int(maxLambda*100+0.5), int(lambda*100+0.5)).WithHtmlId("stcnn_lambda_" + gonbui.UniqueID()).Done()
		gonbui.DisplayHTML(fmt.Sprintf("<b>gate</b> j (0 to %d):", gates-1))
		g := widgets.Slider(0, gates-1, gate).WithHtmlId("stcnn_gate_" + gonbui.UniqueID()).Done()
		b := widgets.Button("Done").WithHtmlId("stcnn_done_" + gonbui.UniqueID()).Done()
		ready <- built{l, g, b}
	}()
	var w built
	select {
	case w = <-ready:
	case <-time.After(FrontEndWait):
		fmt.Printf("no browser answered the sliders within %v (a headless run): the drawing above is for lambda = %.2f, gate %d\n",
			FrontEndWait, lambda, gate)
		return nil
	}
	lambdas, gateValues, done := w.lambda.Listen().LatestOnly(), w.gate.Listen().LatestOnly(), w.done.Listen()
	defer lambdas.Close()
	defer gateValues.Close()
	defer done.Close()
	timer := time.NewTimer(idle)
	defer timer.Stop()
	for {
		select {
		case v := <-lambdas.C:
			lambda = float64(v) / 100
		case v := <-gateValues.C:
			gate = v
		case <-done.C:
			fmt.Printf("sliders closed at lambda = %.2f, gate %d\n", lambda, gate)
			return nil
		case <-timer.C:
			fmt.Printf("sliders closed after %v without a move, at lambda = %.2f, gate %d\n", idle, lambda, gate)
			return nil
		}
		if err := redraw(); err != nil {
			return err
		}
		timer.Reset(idle)
	}
}
