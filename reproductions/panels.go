package reproductions

import (
	"bytes"
	"fmt"
	"path/filepath"

	"github.com/convexst/stcnn/stcnn/training"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"
)

// SavePanels draws a grid of plots (rows x columns, nil entries left empty,
// gap mm between panels) on one page of w x h inches and writes it as
// dir/name.png and dir/name.svg, atomically; it returns the file names.
func SavePanels(dir, name string, panels [][]*plot.Plot, w, h, gap float64) ([]string, error) {
	rows, cols := len(panels), 0
	for _, r := range panels {
		cols = max(cols, len(r))
	}
	grid := make([][]*plot.Plot, rows)
	for i := range grid {
		grid[i] = make([]*plot.Plot, cols)
		copy(grid[i], panels[i])
	}
	tiles := draw.Tiles{Rows: rows, Cols: cols, PadX: vg.Millimeter * vg.Length(gap), PadY: vg.Millimeter * vg.Length(gap),
		PadTop: vg.Millimeter * 2, PadBottom: vg.Millimeter * 2, PadLeft: vg.Millimeter * 2, PadRight: vg.Millimeter * 2}
	width, height := vg.Length(w)*vg.Inch, vg.Length(h)*vg.Inch
	var files []string
	for _, ext := range []string{"png", "svg"} {
		var buf bytes.Buffer
		var canvas vg.CanvasSizer
		var write func() error
		if ext == "png" {
			c := vgimg.New(width, height)
			canvas = c
			write = func() error { _, err := vgimg.PngCanvas{Canvas: c}.WriteTo(&buf); return err }
		} else {
			c := vgsvg.New(width, height)
			canvas = c
			write = func() error { _, err := c.WriteTo(&buf); return err }
		}
		cells := plot.Align(grid, tiles, draw.New(canvas))
		for i := range grid {
			for j, p := range grid[i] {
				if p != nil {
					p.Draw(cells[i][j])
				}
			}
		}
		if err := write(); err != nil {
			return nil, fmt.Errorf("reproductions: rendering %s.%s: %w", name, ext, err)
		}
		file := name + "." + ext
		if err := training.WriteFileAtomic(filepath.Join(dir, file), buf.Bytes()); err != nil {
			return nil, err
		}
		files = append(files, file)
	}
	return files, nil
}
