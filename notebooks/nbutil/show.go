package nbutil

import (
	"fmt"
	"html"
	"image"
	"image/color"
	"image/draw"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/convexst/stcnn/datasets"
	"github.com/convexst/stcnn/reproductions"
	"github.com/janpfeifer/gonb/gonbui"
	"github.com/janpfeifer/gonb/gonbui/protocol"
	"gonum.org/v1/plot"
)

// ShowMarkdown displays Markdown.
func ShowMarkdown(format string, args ...any) {
	gonbui.DisplayMarkdown(fmt.Sprintf(format, args...))
}

// MarkdownTable renders a Markdown table; cells are escaped so that "|"
// and line breaks cannot break the table.
func MarkdownTable(header []string, rows [][]string) string {
	esc := func(s string) string {
		return strings.ReplaceAll(strings.ReplaceAll(s, "|", `\|`), "\n", " ")
	}
	var b strings.Builder
	line := func(cells []string) {
		b.WriteString("|")
		for i := range header {
			c := ""
			if i < len(cells) {
				c = cells[i]
			}
			b.WriteString(" " + esc(c) + " |")
		}
		b.WriteString("\n")
	}
	line(header)
	b.WriteString("|" + strings.Repeat(" --- |", len(header)) + "\n")
	for _, r := range rows {
		line(r)
	}
	return b.String()
}

// ShowTable displays a Markdown table once: one display output holding the
// table as Markdown (what Jupyter and the HTML export render) and as plain
// text (what a text-only viewer, a diff or a log of the executed notebook
// reads). Printing it to standard output as well would show it twice.
func ShowTable(header []string, rows [][]string) {
	ShowMarkdownText(MarkdownTable(header, rows))
}

// ShowMarkdownText displays Markdown that holds tables (a library's
// report, such as package convex's tables) once, as ShowTable does: one
// display output with the text as Markdown and as plain text.
func ShowMarkdownText(md string) {
	if !gonbui.IsNotebook {
		return
	}
	gonbui.SendData(&protocol.DisplayData{Data: map[protocol.MIMEType]any{
		protocol.MIMETextMarkdown: md,
		protocol.MIMETextPlain:    md,
	}})
}

// PlotPNG renders p as PNG of w x h inches, in the figures' style
// (reproductions.RenderPlot: legend outside the data, text sized for the
// paper's column width).
func PlotPNG(p *plot.Plot, w, h float64) ([]byte, error) {
	b, err := reproductions.RenderPlot(p, w, h, "png")
	if err != nil {
		return nil, fmt.Errorf("nbutil: rendering a plot: %w", err)
	}
	return b, nil
}

// ShowPlot displays p inline as a PNG of w x h inches.
func ShowPlot(p *plot.Plot, w, h float64) error {
	b, err := PlotPNG(p, w, h)
	if err != nil {
		return err
	}
	gonbui.DisplayPNG(b)
	return nil
}

// ShowFile displays a PNG or SVG file inline.
func ShowFile(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("nbutil: %w", err)
	}
	switch strings.ToLower(filepath.Ext(path)) {
	case ".png":
		gonbui.DisplayPNG(b)
	case ".svg":
		gonbui.DisplaySVG(string(b))
	default:
		return fmt.Errorf("nbutil: %s: only PNG and SVG files can be shown", path)
	}
	return nil
}

// ImageGrid tiles images: row r shows the first n images of rows[r] side by
// side, each pixel enlarged zoom times, with pad pixels of white between
// tiles. Grey images (C = 1) and RGB images (C = 3) are accepted; values are
// clipped to [0, 1] (network outputs can leave it).
func ImageGrid(rows []*datasets.Images, n, zoom, pad int) (*image.RGBA, error) {
	if len(rows) == 0 || n < 1 || zoom < 1 || pad < 0 {
		return nil, fmt.Errorf("nbutil: ImageGrid needs rows, n >= 1, zoom >= 1, pad >= 0 (got %d rows, n=%d, zoom=%d, pad=%d)",
			len(rows), n, zoom, pad)
	}
	h, w := rows[0].H, rows[0].W
	for i, r := range rows {
		if r == nil || r.H != h || r.W != w || (r.C != 1 && r.C != 3) {
			return nil, fmt.Errorf("nbutil: ImageGrid row %d: want %dx%d images with 1 or 3 channels", i, h, w)
		}
		if r.N < n {
			return nil, fmt.Errorf("nbutil: ImageGrid row %d has %d images, want %d", i, r.N, n)
		}
		if len(r.Pixels) != r.N*r.H*r.W*r.C {
			return nil, fmt.Errorf("nbutil: ImageGrid row %d: %d pixels for %d images of %dx%dx%d", i, len(r.Pixels),
				r.N, r.H, r.W, r.C)
		}
	}
	tw, th := w*zoom, h*zoom
	out := image.NewRGBA(image.Rect(0, 0, n*tw+(n+1)*pad, len(rows)*th+(len(rows)+1)*pad))
	draw.Draw(out, out.Bounds(), image.White, image.Point{}, draw.Src)
	level := func(v float32) uint8 {
		return uint8(math.Round(255 * math.Min(1, math.Max(0, float64(v)))))
	}
	for ri, r := range rows {
		for k := range n {
			x0, y0 := pad+k*(tw+pad), pad+ri*(th+pad)
			base := k * h * w * r.C
			for y := range h {
				for x := range w {
					p := base + (y*w+x)*r.C
					var c color.RGBA
					if r.C == 1 {
						g := level(r.Pixels[p])
						c = color.RGBA{g, g, g, 255}
					} else {
						c = color.RGBA{level(r.Pixels[p]), level(r.Pixels[p+1]), level(r.Pixels[p+2]), 255}
					}
					draw.Draw(out, image.Rect(x0+x*zoom, y0+y*zoom, x0+(x+1)*zoom, y0+(y+1)*zoom),
						&image.Uniform{C: c}, image.Point{}, draw.Src)
				}
			}
		}
	}
	return out, nil
}

// ShowImages displays the first n images of every row, one row per data
// set, under a caption naming the rows top to bottom.
func ShowImages(labels []string, rows []*datasets.Images, n, zoom int) error {
	img, err := ImageGrid(rows, n, zoom, 2)
	if err != nil {
		return err
	}
	if len(labels) > 0 {
		gonbui.DisplayHTML("<b>Rows, top to bottom:</b> " + html.EscapeString(strings.Join(labels, "; ")))
	}
	return gonbui.DisplayImage(img)
}

// PSNRs returns the PSNR in dB (peak 1) of each of the first n images of
// out against clean: 10 log10(values / ||out_n - clean_n||^2), the per-image
// definition stcnn.ImageMetrics averages.
func PSNRs(out, clean *datasets.Images, n int) ([]float64, error) {
	if out.N < n || clean.N < n || out.H != clean.H || out.W != clean.W || out.C != clean.C {
		return nil, fmt.Errorf("nbutil: PSNRs of %d images: shapes %dx%dx%dx%d and %dx%dx%dx%d", n,
			out.N, out.H, out.W, out.C, clean.N, clean.H, clean.W, clean.C)
	}
	per := clean.H * clean.W * clean.C
	ps := make([]float64, n)
	for i := range n {
		var e float64
		for j := i * per; j < (i+1)*per; j++ {
			d := float64(out.Pixels[j]) - float64(clean.Pixels[j])
			e += d * d
		}
		ps[i] = 10 * math.Log10(float64(per)/e)
	}
	return ps, nil
}

// FormatFloats formats numbers with a verb (e.g. "%.2f"), joined by spaces.
func FormatFloats(verb string, v []float64) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = fmt.Sprintf(verb, x)
	}
	return strings.Join(s, " ")
}

// SortedKeys returns the keys of m in increasing order.
func SortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
