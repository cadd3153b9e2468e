package reproductions_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/convexst/stcnn/reproductions"
	"github.com/convexst/stcnn/stcnn/training"
)

// fakeFigure is a figure that needs no backend: it writes the named files
// into its folder and then fails with failErr (or panics with panicMsg).
func fakeFigure(id string, files []string, failErr error, panicMsg string) reproductions.Figure {
	return reproductions.Figure{ID: id, Title: "fake " + id, Claim: "claim of " + id, Run: func(env reproductions.Env) (*reproductions.Result, error) {
		dir, err := env.Dir(id)
		if err != nil {
			return nil, err
		}
		for _, f := range files {
			if err := training.WriteFileAtomic(filepath.Join(dir, f), []byte("1\n")); err != nil {
				return nil, err
			}
		}
		if panicMsg != "" {
			panic(panicMsg)
		}
		if failErr != nil {
			return nil, failErr
		}
		return &reproductions.Result{Files: files, Summary: "measured " + id, Agrees: "yes", Metrics: map[string]float64{"m": 1}}, nil
	}}
}

// folderState returns the sorted file names in dir and its manifest.
func folderState(t *testing.T, dir string) ([]string, reproductions.Manifest) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	var m reproductions.Manifest
	data, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	return names, m
}

// noHiddenFolders fails when a staging folder is left in out.
func noHiddenFolders(t *testing.T, out string) {
	t.Helper()
	entries, _ := os.ReadDir(out)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			t.Errorf("left behind in %s: %s", out, e.Name())
		}
	}
}

// A failed rerun replaces the folder of an earlier good run by a manifest
// saying "failed" with the error; a good rerun leaves only its own files.
func TestRunFigureFailedRerunMarksFolder(t *testing.T) {
	out := t.TempDir()
	env := reproductions.Env{OutDir: out, Scale: reproductions.Tiny}
	dir := filepath.Join(out, "fake")
	if _, err := reproductions.RunFigure(env, fakeFigure("fake", []string{"a.csv", "b.png"}, nil, "")); err != nil {
		t.Fatal(err)
	}
	names, m := folderState(t, dir)
	if want := []string{"a.csv", "b.png", "manifest.json"}; !reflect.DeepEqual(names, want) || m.Status != reproductions.StatusOK || m.Result == nil || m.Error != "" {
		t.Fatalf("good run: files %v, manifest status %q error %q", names, m.Status, m.Error)
	}

	for _, c := range []struct {
		name     string
		failErr  error
		panicMsg string
		want     string
	}{
		{"error", errors.New("data not found"), "", "figure fake: data not found"},
		{"panic", nil, "shape mismatch", "figure fake: panic: shape mismatch"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := reproductions.RunFigure(env, fakeFigure("fake", []string{"a.csv", "partial.csv"}, c.failErr, c.panicMsg))
			if err == nil || err.Error() != c.want {
				t.Fatalf("error %v, want %q", err, c.want)
			}
			names, m := folderState(t, dir)
			if !reflect.DeepEqual(names, []string{"manifest.json"}) {
				t.Errorf("failed run left %v, want only manifest.json", names)
			}
			if m.Status != reproductions.StatusFailed || m.Error != c.want || m.Result != nil || len(m.Files) != 0 || m.Figure != "fake" || m.Scale != reproductions.Tiny {
				t.Errorf("manifest: %+v", m)
			}
			noHiddenFolders(t, out)
		})
	}

	if _, err := reproductions.RunFigure(env, fakeFigure("fake", []string{"c.csv"}, nil, "")); err != nil {
		t.Fatal(err)
	}
	names, m = folderState(t, dir)
	if want := []string{"c.csv", "manifest.json"}; !reflect.DeepEqual(names, want) || m.Status != reproductions.StatusOK {
		t.Errorf("good rerun: files %v, status %q", names, m.Status)
	}
	noHiddenFolders(t, out)
}

// Folders left by a killed run are removed by the figure's next run; the
// folder a run publishes has the usual directory mode.
func TestRunFigureRemovesLeftovers(t *testing.T) {
	out := t.TempDir()
	left := filepath.Join(out, ".fake.run-99-0")
	if err := os.MkdirAll(filepath.Join(left+"-old", "x"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(left, 0o755); err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(out, ".fake2.run-99-0")
	if err := os.Mkdir(other, 0o755); err != nil {
		t.Fatal(err)
	}
	env := reproductions.Env{OutDir: out}
	if _, err := reproductions.RunFigure(env, fakeFigure("fake", []string{"a.csv"}, nil, "")); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{left, left + "-old"} {
		if _, err := os.Stat(d); !os.IsNotExist(err) {
			t.Errorf("%s not removed: %v", d, err)
		}
	}
	if _, err := os.Stat(other); err != nil {
		t.Errorf("another figure's folder removed: %v", err)
	}
	checkDirMode(t, filepath.Join(out, "fake"))
}

func TestRunAllAndReport(t *testing.T) {
	out := t.TempDir()
	env := reproductions.Env{OutDir: out, Scale: reproductions.Quick}
	figs := []reproductions.Figure{
		fakeFigure("good", []string{"g.csv"}, nil, ""),
		fakeFigure("bad", nil, errors.New("MNIST | not found\nat /x"), ""),
		fakeFigure("good2", []string{"g.csv"}, nil, ""),
	}
	outcomes := reproductions.RunAll(env, figs, func(f reproductions.Figure) reproductions.Scale {
		if f.ID == "good2" {
			return reproductions.Paper
		}
		return env.Scale
	})
	if len(outcomes) != 3 || outcomes[0].Err != nil || outcomes[1].Err == nil || outcomes[2].Err != nil || outcomes[2].Scale != reproductions.Paper {
		t.Fatalf("outcomes %+v", outcomes)
	}
	failed := reproductions.Failed(outcomes)
	if len(failed) != 1 || failed[0].Figure.ID != "bad" {
		t.Fatalf("failed %+v", failed)
	}
	path := filepath.Join(out, "report", "RESULTS.md")
	if err := reproductions.WriteReport(path, env, outcomes); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	report := string(data)
	for _, want := range []string{
		"**1 of 3 figures FAILED**",
		"- figure bad (fake bad): figure bad: MNIST \\| not found at /x",
		"| bad | claim of bad | FAILED: figure bad: MNIST \\| not found at /x | failed | quick |",
		"| good | claim of good | measured good | yes | quick |",
		"| good2 | claim of good2 | measured good2 | yes | paper |",
		"## Figure good2: metrics",
		reproductions.PaperSectionHeading,
		reproductions.ConvexSectionHeading,
	} {
		if !strings.Contains(report, want) {
			t.Errorf("report lacks %q:\n%s", want, report)
		}
	}
	if strings.Contains(report, "## Figure bad") {
		t.Error("report has metrics of the failed figure")
	}
}

// TestRunAllInterrupted: after Env.Stop is closed (by the first figure
// here, as a signal would during it) no further figure starts, and each
// one skipped fails with ErrInterrupted.
func TestRunAllInterrupted(t *testing.T) {
	stop := make(chan struct{})
	env := reproductions.Env{OutDir: t.TempDir(), Scale: reproductions.Quick, Stop: stop}
	started := 0
	first := reproductions.Figure{ID: "first", Title: "first", Run: func(reproductions.Env) (*reproductions.Result, error) {
		started++
		close(stop)
		return &reproductions.Result{Summary: "done", Agrees: "yes"}, nil
	}}
	second := reproductions.Figure{ID: "second", Title: "second", Run: func(reproductions.Env) (*reproductions.Result, error) {
		started++
		return &reproductions.Result{Summary: "done", Agrees: "yes"}, nil
	}}
	outcomes := reproductions.RunAll(env, []reproductions.Figure{first, second}, nil)
	if started != 1 || outcomes[0].Err != nil || !errors.Is(outcomes[1].Err, reproductions.ErrInterrupted) {
		t.Fatalf("started %d figures, outcomes %+v", started, outcomes)
	}
}

func TestLookupDuplicates(t *testing.T) {
	figs, err := reproductions.Lookup("7", "4", "fig7", " 7 ", "Fig.4", "tableI", "table1")
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, f := range figs {
		ids = append(ids, f.ID)
	}
	if want := []string{"7", "4", "table1"}; !reflect.DeepEqual(ids, want) {
		t.Errorf("ids %v, want %v", ids, want)
	}
	for _, c := range []struct {
		ids  []string
		want string
	}{
		{[]string{"7", ""}, "empty figure id"},
		{[]string{"7", "Fig42"}, `unknown figure "Fig42"`},
	} {
		if _, err := reproductions.Lookup(c.ids...); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Lookup(%q): %v, want %q", c.ids, err, c.want)
		}
	}
}

func TestCheckPaths(t *testing.T) {
	tmp := t.TempDir()
	file := filepath.Join(tmp, "file")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(tmp, "new", "out")
	if err := reproductions.CheckOutDir(out); err != nil {
		t.Fatal(err)
	}
	if entries, err := os.ReadDir(out); err != nil || len(entries) != 0 {
		t.Errorf("output folder after the check: %v %v", entries, err)
	}
	if err := reproductions.CheckReportPath(filepath.Join(tmp, "rep", "R.md")); err != nil {
		t.Fatal(err)
	}
	if entries, err := os.ReadDir(filepath.Join(tmp, "rep")); err != nil || len(entries) != 0 {
		t.Errorf("report folder after the check: %v %v", entries, err)
	}
	for name, err := range map[string]error{
		"out under a file":    reproductions.CheckOutDir(filepath.Join(file, "out")),
		"empty out":           reproductions.CheckOutDir(""),
		"report under a file": reproductions.CheckReportPath(filepath.Join(file, "R.md")),
		"report is a folder":  reproductions.CheckReportPath(tmp),
		"empty report":        reproductions.CheckReportPath(""),
	} {
		if err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
