package reproductions

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/convexst/stcnn/stcnn/training"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// WriteCSV writes rows under a header to dir/name, atomically.
func WriteCSV(dir, name string, header []string, rows [][]float64) error {
	text := make([][]string, len(rows))
	for j, r := range rows {
		text[j] = make([]string, len(r))
		for i, v := range r {
			text[j][i] = strconv.FormatFloat(v, 'g', 10, 64)
		}
	}
	return writeTextCSV(dir, name, header, text)
}

// writeTextCSV writes rows of text cells under a header to dir/name,
// atomically.
func writeTextCSV(dir, name string, header []string, rows [][]string) error {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	_ = w.Write(header)
	_ = w.WriteAll(rows)
	if err := w.Error(); err != nil {
		return fmt.Errorf("reproductions: %s: %w", name, err)
	}
	return training.WriteFileAtomic(filepath.Join(dir, name), buf.Bytes())
}

// SavePlot writes p as dir/name.png and dir/name.svg (w x h inches),
// atomically, drawn in the figure style of style.go (DrawPlot).
func SavePlot(p *plot.Plot, dir, name string, w, h float64) ([]string, error) {
	var files []string
	for _, ext := range []string{"png", "svg"} {
		b, err := RenderPlot(p, w, h, ext)
		if err != nil {
			return nil, fmt.Errorf("reproductions: rendering %s.%s: %w", name, ext, err)
		}
		file := name + "." + ext
		if err := training.WriteFileAtomic(filepath.Join(dir, file), b); err != nil {
			return nil, err
		}
		files = append(files, file)
	}
	return files, nil
}

// RenderPlot renders p as a w x h inch image in the format ext ("png",
// "svg", "pdf", ...), in the figure style (DrawPlot).
func RenderPlot(p *plot.Plot, w, h float64, ext string) ([]byte, error) {
	c, err := draw.NewFormattedCanvas(vg.Length(w)*vg.Inch, vg.Length(h)*vg.Inch, ext)
	if err != nil {
		return nil, err
	}
	DrawPlot(p, draw.New(c))
	var buf bytes.Buffer
	if _, err := c.WriteTo(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Series is one line of a line plot.
type Series struct {
	Label string
	X, Y  []float64
	// Dashed draws the line dashed (e.g. the dual, or test curves).
	Dashed bool
	// Hue names the setting the series belongs to: series of one hue share
	// a colour (e.g. the primal and the dual of one optimiser, one solid,
	// one dashed). Empty: the label without the words primal, dual, train,
	// training and test (see hueKey).
	Hue string
}

// LinePlot builds a line plot of the series in the figure style of
// style.go: one colour per hue, limits that fit the data. logY uses a log
// scale on y (non-positive values are dropped from that series); so does a
// y range of positive values spanning two decades or more.
func LinePlot(title, xLabel, yLabel string, logY bool, series ...Series) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text, p.X.Label.Text, p.Y.Label.Text = title, xLabel, yLabel
	logY = logY || spansDecades(series)
	if logY {
		p.Y.Scale = plot.LogScale{}
		p.Y.Tick.Marker = plot.LogTicks{Prec: -1}
	}
	p.Add(plotter.NewGrid())
	colors, patterns := seriesStyles(series)
	for i, s := range series {
		pts := make(plotter.XYs, 0, len(s.X))
		for j := range s.X {
			if logY && !(s.Y[j] > 0) {
				continue
			}
			pts = append(pts, plotter.XY{X: s.X[j], Y: s.Y[j]})
		}
		if len(pts) == 0 {
			continue
		}
		l, err := plotter.NewLine(pts)
		if err != nil {
			return nil, fmt.Errorf("reproductions: series %q: %w", s.Label, err)
		}
		l.Color = colors[i]
		l.Width = vg.Points(linePoints)
		l.Dashes = patterns[i]
		p.Add(l)
		thumbs := []plot.Thumbnailer{l}
		if len(pts) == 1 { // a line needs two points: mark a lone one (e.g. a value measured only at the end)
			sc, err := plotter.NewScatter(pts)
			if err != nil {
				return nil, fmt.Errorf("reproductions: series %q: %w", s.Label, err)
			}
			sc.GlyphStyle.Color, sc.GlyphStyle.Radius = colors[i], vg.Points(3)
			p.Add(sc)
			thumbs = append(thumbs, sc)
		}
		if s.Label != "" {
			p.Legend.Add(s.Label, thumbs...)
		}
	}
	fitLimits(p, series, logY)
	return p, nil
}

// Status values of a manifest.
const (
	StatusOK     = "ok"
	StatusFailed = "failed"
)

// Manifest records how a figure was produced, or that its last run failed.
type Manifest struct {
	Figure string `json:"figure"`
	// Status is StatusOK, or StatusFailed with Error set, Files empty and
	// Result nil: the folder then holds nothing but the manifest.
	Status   string            `json:"status"`
	Error    string            `json:"error,omitempty"`
	Title    string            `json:"title"`
	Claim    string            `json:"claim"`
	Scale    Scale             `json:"scale"`
	Certify  bool              `json:"certify,omitempty"`
	Backend  string            `json:"backend"`
	Commit   string            `json:"git_commit"`
	Started  string            `json:"started"`
	Seconds  float64           `json:"wall_seconds"`
	Go       string            `json:"go"`
	Machine  string            `json:"machine"`
	Versions map[string]string `json:"library_versions"`
	// Settings is every setting of the figure: run configurations, seeds and
	// the choices the paper leaves open.
	Settings any `json:"settings"`
	// RunsReadBack are the finished runs read back from a run folder of an
	// earlier invocation or from the run archive instead of trained
	// (Env.Shared), with the revision, backend and machine that trained
	// them ("unrecorded" for a folder written before runs recorded it).
	RunsReadBack []training.Provenance `json:"runs_read_back,omitempty"`
	Files        []string              `json:"files"`
	Result       *Result               `json:"result"`
}

// WriteManifest writes dir/manifest.json for a finished figure.
func WriteManifest(env Env, f Figure, dir string, started time.Time, settings any, res *Result) error {
	m := newManifest(env, f, started, res.Seconds)
	m.Status, m.Settings, m.Files, m.Result = StatusOK, settings, res.Files, res
	if env.readBack != nil {
		m.RunsReadBack = env.readBack.runs
	}
	return training.WriteJSON(filepath.Join(dir, "manifest.json"), m)
}

// writeFailedManifest writes dir/manifest.json for a figure that failed with runErr.
func writeFailedManifest(env Env, f Figure, dir string, started time.Time, runErr error) error {
	m := newManifest(env, f, started, time.Since(started).Seconds())
	m.Status, m.Error, m.Files = StatusFailed, runErr.Error(), []string{}
	return training.WriteJSON(filepath.Join(dir, "manifest.json"), m)
}

// newManifest fills what every manifest records: the figure, the run's
// configuration and the machine.
func newManifest(env Env, f Figure, started time.Time, seconds float64) Manifest {
	return Manifest{Figure: f.ID, Title: f.Title, Claim: f.Claim, Scale: env.Scale, Certify: env.Certify, Backend: env.Choice.String(),
		Commit: gitCommit(), Started: started.UTC().Format(time.RFC3339), Seconds: seconds,
		Go: runtime.Version(), Machine: machine(), Versions: libraryVersions()}
}

// machine describes this machine for manifests.
func machine() string {
	return fmt.Sprintf("%s/%s, %d CPUs", runtime.GOOS, runtime.GOARCH, runtime.NumCPU())
}

// gitCommit is the revision of the code that runs: the VCS revision stamped
// into the binary when the build recorded one, else the checkout's HEAD (with
// "+dirty" when tracked files differ from it) read once, at the first call.
// RunAll calls it before the first figure, so a manifest written hours later
// names what was checked out when the run began, not a commit made since.
var gitCommit = sync.OnceValue(func() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		rev, dirty := "", ""
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				if s.Value == "true" {
					dirty = "+dirty"
				}
			}
		}
		if rev != "" {
			return rev + dirty
		}
	}
	out, err := exec.Command("git", "rev-parse", "HEAD").Output()
	if err != nil {
		return "unknown"
	}
	rev := strings.TrimSpace(string(out))
	if status, err := exec.Command("git", "status", "--porcelain", "--untracked-files=no").Output(); err == nil && len(bytes.TrimSpace(status)) > 0 {
		rev += "+dirty"
	}
	return rev
})

func libraryVersions() map[string]string {
	v := map[string]string{}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return v
	}
	for _, d := range bi.Deps {
		for _, want := range []string{"github.com/gomlx/", "gonum.org/v1/"} {
			if strings.HasPrefix(d.Path, want) {
				v[d.Path] = d.Version
			}
		}
	}
	return v
}
