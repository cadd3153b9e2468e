package reproductions_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/convexst/stcnn/internal/testutil"

	gb "github.com/convexst/stcnn/gomlx_backend"
	"github.com/convexst/stcnn/reproductions"
)

// runTiny runs one figure at the Tiny scale into a temporary directory and
// checks every output: CSV files parse with finite numbers, PNGs decode,
// SVGs are SVG, and the manifest is valid JSON naming the figure.
func runTiny(t *testing.T, id string) (*reproductions.Result, string) {
	t.Helper()
	return runTinyWith(t, id, nil)
}

// runTinyWith is runTiny with the environment adjusted by edit.
func runTinyWith(t *testing.T, id string, edit func(*reproductions.Env)) (*reproductions.Result, string) {
	t.Helper()
	b := testutil.Backend(t)
	choice, _ := gb.Choose(gb.Options{})
	figs, err := reproductions.Lookup(id)
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	env := reproductions.Env{Backend: b, Choice: choice, Scale: reproductions.Tiny, OutDir: out}
	if edit != nil {
		edit(&env)
	}
	res, err := reproductions.RunFigure(env, figs[0])
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(out, figs[0].ID)
	checkOutputs(t, dir, res)
	return res, dir
}

func checkOutputs(t *testing.T, dir string, res *reproductions.Result) {
	t.Helper()
	if len(res.Files) == 0 {
		t.Fatal("figure wrote no files")
	}
	if res.Summary == "" || res.Agrees == "" {
		t.Errorf("figure %s: empty summary or agreement", res.ID)
	}
	var sawPNG, sawSVG bool
	for _, f := range res.Files {
		data, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		switch filepath.Ext(f) {
		case ".csv":
			rows, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
			if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			if len(rows) < 2 {
				t.Fatalf("%s: no data rows", f)
			}
			for i, row := range rows[1:] {
				for j, cell := range row {
					if cell == "" {
						continue
					}
					v, err := strconv.ParseFloat(cell, 64)
					if err != nil {
						continue // a text column (labels)
					}
					if math.IsNaN(v) || math.IsInf(v, 0) {
						t.Errorf("%s row %d column %q: %v", f, i+1, rows[0][j], v)
					}
				}
			}
		case ".png":
			if _, err := png.Decode(bytes.NewReader(data)); err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			sawPNG = true
		case ".svg":
			if !strings.Contains(string(data[:min(len(data), 512)]), "<svg") {
				t.Fatalf("%s: not an SVG", f)
			}
			sawSVG = true
		case ".json":
			if !json.Valid(data) {
				t.Fatalf("%s: invalid JSON", f)
			}
		}
	}
	if !sawPNG || !sawSVG {
		t.Errorf("figure %s: want PNG and SVG files, got %v", res.ID, res.Files)
	}
	var m map[string]any
	data, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &m); err != nil || m["figure"] != res.ID || m["backend"] == "" {
		t.Fatalf("manifest: %v %v", err, m["figure"])
	}
	for k, v := range res.Metrics {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			t.Errorf("metric %s = %v", k, v)
		}
	}
}

func TestLookup(t *testing.T) {
	if _, err := reproductions.Lookup("42"); err == nil || !strings.Contains(err.Error(), "unknown figure") {
		t.Fatalf("unknown figure: %v", err)
	}
	if _, err := reproductions.ParseScale("huge"); err == nil {
		t.Fatal("unknown scale accepted")
	}
}

// mustMetric returns the metric name of res, failing the test when the
// figure did not record it (a missing metric would otherwise read as 0).
func mustMetric(t *testing.T, res *reproductions.Result, name string) float64 {
	t.Helper()
	v, ok := res.Metrics[name]
	if !ok {
		t.Fatalf("figure %s recorded no metric %q", res.ID, name)
	}
	return v
}
