// Package reproductions regenerates every figure and table of Xiong et al.
// (IEEE TNNLS 2024) as code: each figure function takes an Env (backend,
// scale, output directory) and writes the plotted data as CSV, the figure as
// PNG and SVG (gonum/plot), and a JSON manifest recording the full run
// configuration, seeds, backend, git commit, wall time and library versions.
// It returns the figure's data so tests and notebooks can inspect it.
//
// Figures train through package training: runs with the same configuration
// are trained once per invocation (Env.Shared, a training.RunStore whose
// folders the reproduce command keeps under OUT/runs), and per-epoch work
// (the snapshots of Fig. 15, the classifier head of Fig. 18) is a hook of
// the run.
package reproductions

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	gb "github.com/convexst/stcnn/gomlx_backend"
	"github.com/gomlx/compute"
)

// Scale selects the size of a reproduction.
type Scale string

const (
	// Tiny is for unit tests: seconds per figure.
	Tiny Scale = "tiny"
	// Quick runs every figure together within minutes on 2 cores (CI).
	Quick Scale = "quick"
	// Paper uses the paper's sizes: MNIST 600/10000, CIFAR-10 3000/400.
	Paper Scale = "paper"
)

// ParseScale accepts "tiny", "quick" or "paper".
func ParseScale(s string) (Scale, error) {
	switch Scale(s) {
	case Tiny, Quick, Paper:
		return Scale(s), nil
	}
	return "", fmt.Errorf("reproductions: unknown scale %q, want tiny, quick or paper", s)
}

// Env is what every figure function gets.
type Env struct {
	Backend compute.Backend
	// Choice describes the backend for manifests.
	Choice gb.Choice
	Scale  Scale
	// OutDir is the root output directory; figure F writes into OutDir/F.
	OutDir string
	// Log receives progress lines (nil: discarded).
	Log io.Writer
	// Certify adds the certified solver (stcnn/certify) to Figs. 9, 10, 11
	// and Table I: each dual training problem they train is also solved to
	// a certified optimum, drawn next to the optimisers' curves.
	Certify bool
	// Shared, when set, lets the figures of one invocation share their
	// runs and certified solutions (nil: each figure computes its own).
	Shared *Shared
	// Stop, when closed, interrupts the run in progress after its current
	// step (its state is saved when Shared keeps run folders) and skips
	// the figures not yet started.
	Stop <-chan struct{}

	// stageID and stageDir redirect Dir(stageID) to the fresh folder that
	// RunFigure publishes as OutDir/<stageID> when the figure succeeds.
	stageID, stageDir string
	// readBack collects the runs the figure in progress read back.
	readBack *readBackRuns
}

// Logf writes a progress line.
func (e Env) Logf(format string, args ...any) {
	if e.Log != nil {
		fmt.Fprintf(e.Log, format+"\n", args...)
	}
}

// Dir returns (and creates) the output directory of a figure: OutDir/id,
// or, while RunFigure runs figure id, the fresh folder that replaces
// OutDir/id once the figure has succeeded.
func (e Env) Dir(id string) (string, error) {
	if id == e.stageID && e.stageDir != "" {
		return e.stageDir, nil
	}
	d := filepath.Join(e.OutDir, id)
	if err := os.MkdirAll(d, 0o755); err != nil {
		return "", fmt.Errorf("reproductions: %w", err)
	}
	return d, nil
}

// Result is what a figure function returns: its files and a summary.
type Result struct {
	ID string `json:"id"`
	// Files written, relative to the figure's directory.
	Files []string `json:"files"`
	// Summary is one or more sentences of measured numbers, for RESULTS.md.
	Summary string `json:"summary"`
	// Agrees says whether the measurement supports the paper's claim
	// ("yes", "no", "partly", or "n/a" for illustrations).
	Agrees string `json:"agrees"`
	// Metrics are named numbers (final objectives, PSNRs, gaps, ...).
	Metrics map[string]float64 `json:"metrics,omitempty"`
	// Seconds is the wall time.
	Seconds float64 `json:"seconds"`
	// Scale the figure ran at.
	Scale Scale `json:"scale"`
	// Data is the figure's own data (the type depends on the figure).
	Data any `json:"-"`
	// Settings are every setting used (run configurations, seeds, the
	// choices the paper leaves open), written to the manifest.
	Settings any `json:"-"`
}

// agreement is a Result's Agrees for a claim judged in parts: "yes" when
// all of them hold, "partly" when some do, else "no".
func agreement(all, some bool) string {
	switch {
	case all:
		return "yes"
	case some:
		return "partly"
	}
	return "no"
}

// Figure is one reproducible item of the paper.
type Figure struct {
	// ID is "1" ... "19", "table1", "table2".
	ID string
	// Title is a short description.
	Title string
	// Claim is what the paper claims with it.
	Claim string
	// Run produces it.
	Run func(env Env) (*Result, error)
}

// registry holds the figures by ID (an immutable table, never modified
// after package initialisation).
var registry = func() map[string]Figure {
	m := make(map[string]Figure, len(figures))
	for _, f := range figures {
		if _, dup := m[f.ID]; dup {
			panic("reproductions: duplicate figure " + f.ID)
		}
		m[f.ID] = f
	}
	return m
}()

// Figures returns every figure in the paper's order.
func Figures() []Figure {
	return slices.Clone(figures)
}

// Lookup finds figures by ID; "all" returns every figure. IDs may be
// written "fig11", "11", "table1" or "tableI". A figure named twice is
// returned once, at its first place.
func Lookup(ids ...string) ([]Figure, error) {
	var out []Figure
	seen := map[string]bool{}
	for _, raw := range ids {
		id := strings.ToLower(strings.TrimSpace(raw))
		if id == "all" {
			return Figures(), nil
		}
		if id == "" {
			return nil, errors.New("reproductions: empty figure id in the list")
		}
		id = strings.TrimPrefix(strings.TrimPrefix(id, "fig."), "fig")
		switch id {
		case "tablei":
			id = "table1"
		case "tableii":
			id = "table2"
		}
		f, ok := registry[id]
		if !ok {
			known := make([]string, 0, len(registry))
			for _, f := range Figures() {
				known = append(known, f.ID)
			}
			return nil, fmt.Errorf("reproductions: unknown figure %q, known: %s, all", raw, strings.Join(known, ", "))
		}
		if seen[id] {
			continue
		}
		seen[id] = true
		out = append(out, f)
	}
	if len(out) == 0 {
		return nil, errors.New("reproductions: no figure selected")
	}
	return out, nil
}
