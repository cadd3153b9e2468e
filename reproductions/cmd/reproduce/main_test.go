package main

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/convexst/stcnn/reproductions"
)

// Bad flags and unusable -out or -results paths are refused, naming the
// flag, before any figure runs.
func TestRunRefusesBeforeRunning(t *testing.T) {
	tmp := t.TempDir()
	file := filepath.Join(tmp, "file")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(tmp, "out")
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"unknown figure", []string{"-figure", "4,42"}, `flag -figure: reproductions: unknown figure "42"`},
		{"empty figure", []string{"-figure", "4,"}, "flag -figure: reproductions: empty figure id"},
		{"bad scale", []string{"-figure", "4", "-scale", "huge"}, `flag -scale: reproductions: unknown scale "huge"`},
		{"paper figure not selected", []string{"-figure", "4", "-paper-figures", "11"}, "flag -paper-figures: figure 11 is not selected by -figure"},
		{"positional argument", []string{"-scale", "tiny", "4"}, `unexpected argument "4"`},
		{"out under a file", []string{"-figure", "4", "-out", filepath.Join(file, "out")}, "flag -out " + filepath.Join(file, "out") + ":"},
		{"results under a file", []string{"-figure", "4", "-results", filepath.Join(file, "R.md")}, "flag -results " + filepath.Join(file, "R.md") + ":"},
		{"results is a folder", []string{"-figure", "4", "-results", tmp}, "is a folder"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			args := append([]string{"-out", out}, c.args...)
			if code := run(args, &stdout, &stderr); code != 2 {
				t.Errorf("exit status %d, want 2", code)
			}
			if !strings.Contains(stderr.String(), c.want) {
				t.Errorf("stderr %q, want %q", stderr.String(), c.want)
			}
			if _, err := os.Stat(filepath.Join(out, "4")); !os.IsNotExist(err) {
				t.Errorf("figure 4 ran: %v", err)
			}
		})
	}
}

func TestRunHelp(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run([]string{"-h"}, &stdout, &stderr); code != 0 || !strings.Contains(stderr.String(), "-figure") {
		t.Errorf("-h: exit status %d, output %q", code, stderr.String())
	}
}

// A figure named twice runs once.
func TestRunDuplicateFigure(t *testing.T) {
	tmp := t.TempDir()
	out, report := filepath.Join(tmp, "out"), filepath.Join(tmp, "RESULTS.md")
	var stdout, stderr bytes.Buffer
	if code := run([]string{"-figure", "4,fig4,4", "-scale", "tiny", "-out", out, "-results", report}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit status %d: %s", code, stderr.String())
	}
	if n := strings.Count(stdout.String(), "figure 4 done"); n != 1 {
		t.Errorf("figure 4 ran %d times:\n%s", n, stdout.String())
	}
	if !strings.Contains(stdout.String(), "1 of 1 figures") {
		t.Errorf("summary: %s", stdout.String())
	}
	data, err := os.ReadFile(report)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(data), "\n| 4 |"); n != 1 {
		t.Errorf("report has %d rows for figure 4", n)
	}
}

// A failed figure gives exit status 1, is named in the summary and the
// report, and does not stop the figures after it.
func TestRunFailedFigure(t *testing.T) {
	fake := func(id string, err error) reproductions.Figure {
		return reproductions.Figure{ID: id, Title: "fake " + id, Run: func(env reproductions.Env) (*reproductions.Result, error) {
			if err != nil {
				return nil, err
			}
			return &reproductions.Result{Summary: "measured", Agrees: "yes"}, nil
		}}
	}
	defer func(l func(...string) ([]reproductions.Figure, error)) { lookup = l }(lookup)
	lookup = func(ids ...string) ([]reproductions.Figure, error) {
		return []reproductions.Figure{fake("bad", errors.New("no data")), fake("good", nil)}, nil
	}
	tmp := t.TempDir()
	out, report := filepath.Join(tmp, "out"), filepath.Join(tmp, "RESULTS.md")
	var stdout, stderr bytes.Buffer
	if code := run([]string{"-figure", "x", "-scale", "tiny", "-out", out, "-results", report}, &stdout, &stderr); code != 1 {
		t.Fatalf("exit status %d, want 1", code)
	}
	if !strings.Contains(stdout.String(), "1 of 2 figures") || !strings.Contains(stdout.String(), "1 FAILED: bad") {
		t.Errorf("summary: %s", stdout.String())
	}
	if want := "reproduce: FAILED: figure bad: no data (manifest: " + filepath.Join(out, "bad", "manifest.json") + ")"; !strings.Contains(stderr.String(), want) {
		t.Errorf("stderr %q, want %q", stderr.String(), want)
	}
	data, err := os.ReadFile(report)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), "- figure bad (fake bad): figure bad: no data") || !strings.Contains(string(data), "| good |") {
		t.Errorf("report:\n%s", data)
	}
}

// Finished runs kept with -keep-runs and archived with -archive-runs are
// read back by a later invocation, which trains nothing, writes the same
// figure and names the archived runs in the manifest.
func TestRunArchive(t *testing.T) {
	tmp := t.TempDir()
	first, second, archive := filepath.Join(tmp, "first"), filepath.Join(tmp, "second"), filepath.Join(tmp, "archive")
	var stdout, stderr bytes.Buffer
	if code := run([]string{"-figure", "12", "-scale", "tiny", "-keep-runs", "-out", first, "-archive", ""}, &stdout, &stderr); code != 0 {
		t.Fatalf("first run: exit status %d: %s", code, stderr.String())
	}
	stdout.Reset()
	if code := run([]string{"-archive-runs", filepath.Join(first, "runs"), "-archive", archive}, &stdout, &stderr); code != 0 {
		t.Fatalf("-archive-runs: exit status %d: %s", code, stderr.String())
	}
	if !strings.Contains(stdout.String(), "2 runs archived in "+archive) {
		t.Errorf("-archive-runs output: %s", stdout.String())
	}
	stdout.Reset()
	if code := run([]string{"-figure", "12", "-scale", "tiny", "-out", second, "-archive", archive}, &stdout, &stderr); code != 0 {
		t.Fatalf("second run: exit status %d: %s", code, stderr.String())
	}
	if n := strings.Count(stdout.String(), "run read back, trained at commit"); n != 2 {
		t.Errorf("%d runs read from the archive, want 2:\n%s", n, stdout.String())
	}
	raw, err := os.ReadFile(filepath.Join(second, "12", "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	// Two provenance records (each with a "commit"; the manifest's own is "git_commit").
	if !strings.Contains(string(raw), `"runs_read_back"`) || strings.Count(string(raw), `"commit":`) != 2 {
		t.Errorf("manifest does not list the 2 runs read back with their commits:\n%s", raw)
	}
	a, errA := os.ReadFile(filepath.Join(first, "12", "fig12_psnr.csv"))
	b, errB := os.ReadFile(filepath.Join(second, "12", "fig12_psnr.csv"))
	if errA != nil || errB != nil || !bytes.Equal(a, b) {
		t.Errorf("fig12_psnr.csv differs between the trained and the archived runs (%v, %v)", errA, errB)
	}
	if code := run([]string{"-archive-runs", filepath.Join(tmp, "missing"), "-archive", archive}, &stdout, &stderr); code != 1 ||
		!strings.Contains(stderr.String(), filepath.Join(tmp, "missing")) {
		t.Errorf("-archive-runs of a missing folder: exit status %d, stderr %q", code, stderr.String())
	}
}
