package nbutil

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/convexst/stcnn/reproductions"
	"github.com/janpfeifer/gonb/gonbui"
)

// RunFigure looks a figure up in the registry of package reproductions
// (reproductions.Lookup: "11", "fig11", "table1", ...), shows the paper's
// claim, runs it at env's scale with reproductions.RunFigure (which writes
// the CSV, PNG, SVG and manifest.json under env.OutDir/<id>) and shows the
// result: summary, agreement with the paper, metrics and figures.
func RunFigure(env reproductions.Env, id string) (*reproductions.Result, error) {
	figs, err := reproductions.Lookup(id)
	if err != nil {
		return nil, err
	}
	f := figs[0]
	ShowMarkdown("**Figure %s: %s**\n\n*Paper's claim:* %s", f.ID, f.Title, f.Claim)
	fmt.Printf("running figure %s at scale %s on %s\n", f.ID, env.Scale, env.Choice)
	res, err := reproductions.RunFigure(env, f)
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(env.OutDir, f.ID)
	return res, ShowResult(res, dir)
}

// ShowResult shows a figure's result: summary, agreement, wall time,
// metrics and every PNG it wrote (its SVG twin is in the folder; an SVG
// without a PNG twin is shown as SVG). dir is the figure's folder.
func ShowResult(res *reproductions.Result, dir string) error {
	fmt.Printf("figure %s (%.1f s, agrees with the paper: %s): %s\n", res.ID, res.Seconds, res.Agrees, res.Summary)
	ShowMarkdown("**Measured** (%.1f s; agrees with the paper: **%s**): %s", res.Seconds, res.Agrees, res.Summary)
	if len(res.Metrics) > 0 {
		rows := make([][]string, 0, len(res.Metrics))
		for _, k := range SortedKeys(res.Metrics) {
			rows = append(rows, []string{k, fmt.Sprintf("%.6g", res.Metrics[k])})
		}
		// Displayed only: the summary printed above holds the key numbers as text.
		gonbui.DisplayMarkdown(MarkdownTable([]string{"metric", "value"}, rows))
	}
	pngs := map[string]bool{}
	for _, f := range res.Files {
		if strings.EqualFold(filepath.Ext(f), ".png") {
			pngs[strings.TrimSuffix(f, filepath.Ext(f))] = true
		}
	}
	var data []string
	for _, f := range res.Files {
		ext := strings.ToLower(filepath.Ext(f))
		switch {
		case ext == ".png", ext == ".svg" && !pngs[strings.TrimSuffix(f, filepath.Ext(f))]:
			gonbui.DisplayHTML("<code>" + f + "</code>")
			if err := ShowFile(filepath.Join(dir, f)); err != nil {
				return err
			}
		case ext == ".csv" || ext == ".json":
			data = append(data, f)
		}
	}
	if len(data) > 0 {
		fmt.Printf("data files in %s: %s\n", dir, strings.Join(data, ", "))
	}
	return nil
}

// LoadManifest reads the manifest.json that reproductions.RunFigure wrote
// for a figure under outDir.
func LoadManifest(outDir, id string) (*reproductions.Manifest, error) {
	path := filepath.Join(outDir, id, "manifest.json")
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("nbutil: %w (run the figure's cell first)", err)
	}
	var m reproductions.Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("nbutil: %s: %w", path, err)
	}
	if m.Result == nil {
		return nil, fmt.Errorf("nbutil: %s has no result", path)
	}
	return &m, nil
}

// ShowSummary shows, for the figures of a notebook, what their last runs
// under outDir measured: scale, wall time, agreement with the paper's claim
// and the summary, as one table.
func ShowSummary(outDir string, ids ...string) error {
	var rows [][]string
	for _, id := range ids {
		m, err := LoadManifest(outDir, id)
		if err != nil {
			return err
		}
		rows = append(rows, []string{m.Figure, string(m.Scale), fmt.Sprintf("%.0f s", m.Seconds), m.Result.Agrees,
			m.Claim, m.Result.Summary})
	}
	ShowTable([]string{"figure", "scale", "time", "agrees", "paper's claim", "measured"}, rows)
	return nil
}
