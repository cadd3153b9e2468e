package reproductions

import (
	"embed"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"path"
	"sort"
	"strconv"
	"strings"
)

// paperFiles holds what `reproduce -scale paper` wrote for the figures that
// have run at the paper's sizes (reproductions/paper/<figure>/: figure
// files, CSV, manifest; no checkpoints), committed because those runs take
// hours.
//
//go:embed paper/README.md paper/primal_sweep*.csv paper/*/manifest.json
var paperFiles embed.FS

// PaperRunsDir is the committed archive of finished paper-scale runs
// (training.ArchiveRuns), relative to the repository root: `reproduce`
// reads runs from it by default, so that figures built on runs trained in
// earlier sessions, or on other machines, need not train them again.
const PaperRunsDir = "reproductions/paper/runs"

// PaperSectionHeading opens the report's section on the paper-scale runs.
const PaperSectionHeading = "## At the paper's sizes (committed under reproductions/paper/)"

// PaperManifests returns the committed paper-scale manifests by figure ID,
// read from paper/<figure>/manifest.json in fsys. A manifest that does not
// parse, or one that is not at the paper scale, is an error naming its file.
func PaperManifests(fsys fs.FS) (map[string]Manifest, error) {
	dirs, err := fs.ReadDir(fsys, "paper")
	if err != nil {
		return nil, fmt.Errorf("reproductions: paper-scale results: %w", err)
	}
	out := map[string]Manifest{}
	for _, d := range dirs {
		if !d.IsDir() {
			continue
		}
		name := path.Join("paper", d.Name(), "manifest.json")
		raw, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("reproductions: paper-scale results: %w", err)
		}
		var m Manifest
		if err := json.Unmarshal(raw, &m); err != nil {
			return nil, fmt.Errorf("reproductions: %s: %w", name, err)
		}
		if m.Scale != Paper || m.Figure != d.Name() {
			return nil, fmt.Errorf("reproductions: %s: figure %q at scale %q, want figure %q at scale %q",
				name, m.Figure, m.Scale, d.Name(), Paper)
		}
		out[m.Figure] = m
	}
	return out, nil
}

// paperTable describes one of the paper's PSNR tables for the side-by-side
// comparison: its values per sigma (primal train, primal test, dual train,
// dual test) and the metric names of our runs.
type paperTable struct {
	ID, Title string
	Paper     map[float64][4]float64
	// Key is the metric name of a PSNR: set is one of mnistTableSets' names.
	Key func(sigma float64, set string) string
	// GapFigure is the figure that measures the eq. 47 gap on the same
	// data set (Fig. 11 for MNIST, Fig. 16 for CIFAR-10), and GapKey the
	// name of its relative gap on set "train" or "test".
	GapFigure string
	GapKey    func(sigma float64, set string) string
	// Sweep is the table of scripts/paper_primal_sweep.sh for this data
	// set (the primal at the paper's sizes under settings the paper leaves
	// open; "" for none), and SweepSizes what those runs share.
	Sweep, SweepSizes string
}

var paperTables = []paperTable{
	{ID: "table1", Title: "Table I (MNIST)", Paper: map[float64][4]float64{
		0.25: {mnistPaperTable1[0.25][0], mnistPaperTable1[0.25][2], mnistPaperTable1[0.25][4], mnistPaperTable1[0.25][6]},
		0.50: {mnistPaperTable1[0.50][0], mnistPaperTable1[0.50][2], mnistPaperTable1[0.50][4], mnistPaperTable1[0.50][6]},
		0.75: {mnistPaperTable1[0.75][0], mnistPaperTable1[0.75][2], mnistPaperTable1[0.75][4], mnistPaperTable1[0.75][6]},
	}, Key: func(s float64, set string) string { return fmt.Sprintf("sigma%.2f_%s_psnr", s, set) },
		GapFigure: "11", GapKey: func(s float64, set string) string { return fmt.Sprintf("sigma%.2f_%s_gap_relative", s, set) },
		Sweep: PrimalSweepFile, SweepSizes: "600 / 10000 images, K = 512, Adam, batch 50"},
	{ID: "table2", Title: "Table II (CIFAR-10)", Paper: cifarPaperTable2,
		Key:       func(s float64, set string) string { return fmt.Sprintf("sigma%g_%s_psnr", s, set) },
		GapFigure: "16", GapKey: func(s float64, set string) string { return fmt.Sprintf("sigma%g_rebuilt_%s_gap_relative", s, set) },
		Sweep: PrimalSweepCIFAR10File, SweepSizes: "3000 / 400 images, K = 512, Adam lr 1e-2, batch 50; lambda 0.1 is the table's primal above"},
}

// PaperSection is the report's section on the paper-scale runs committed
// in fsys (paperFiles for the report): for Tables I and II the paper's test
// PSNR, ours at the paper scale (the manifests) and ours at this report's
// scale (outcomes) side by side, with the eq. 47 gap at the paper scale
// (Fig. 11 for Table I, Fig. 16 for Table II), each followed by its primal
// sweep, which shows where the table's PSNR lies; then
// every committed paper-scale figure with its summary, agreement, time and
// commit. Figures not committed are named as not run.
func PaperSection(fsys fs.FS, outcomes []Outcome) (string, error) {
	manifests, err := PaperManifests(fsys)
	if err != nil {
		return "", err
	}
	sweeps := make([]string, len(paperTables))
	for i, t := range paperTables {
		if sweeps[i], err = t.primalSweepSection(fsys); err != nil {
			return "", err
		}
	}
	var b strings.Builder
	b.WriteString(PaperSectionHeading + "\n\n")
	if len(manifests) == 0 {
		b.WriteString("No figure has been run at the paper scale yet.\n" + strings.Join(sweeps, ""))
		return b.String(), nil
	}
	current := map[string]*Result{}
	for _, o := range outcomes {
		if o.Err == nil && o.Result != nil && o.Scale != Paper {
			current[o.Figure.ID] = o.Result
		}
	}
	b.WriteString("Written by `reproduce -scale paper` and committed (figure files, CSV, manifests; the command, machine and time are in " +
		"`reproductions/paper/README.md` and each manifest); copied here, not run by this report. Test PSNR in dB, primal / dual.\n")
	for i, t := range paperTables {
		m, ok := manifests[t.ID]
		if !ok || m.Result == nil {
			fmt.Fprintf(&b, "\n%s: not run at the paper scale yet.\n%s", t.Title, sweeps[i])
			continue
		}
		quick := current[t.ID]
		quickScale := "this report's scale"
		if quick != nil {
			quickScale = string(quick.Scale)
		}
		fmt.Fprintf(&b, "\n%s, test PSNR (dB) primal / dual, paper-scale commit %s, %s:\n\n", t.Title, shortCommit(m.Commit), m.Machine)
		fmt.Fprintf(&b, "| sigma | paper | ours, paper scale | ours, %s | eq. 47 gap, paper scale (train / test) |\n| --- | --- | --- | --- | --- |\n", quickScale)
		sigmas := make([]float64, 0, len(t.Paper))
		for s := range t.Paper {
			sigmas = append(sigmas, s)
		}
		sort.Float64s(sigmas)
		for _, s := range sigmas {
			p := t.Paper[s]
			fmt.Fprintf(&b, "| %.2f | %.2f / %.2f | %s | %s | %s |\n", s, p[1], p[3],
				psnrPair(m.Result.Metrics, t.Key, s), psnrPair(metricsOf(quick), t.Key, s), t.gap(manifests, s))
		}
		b.WriteString(sweeps[i])
	}
	ids := make([]string, 0, len(manifests))
	for id := range manifests {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	b.WriteString("\n| figure | measured at the paper scale | agrees | time (s) | commit |\n| --- | --- | --- | --- | --- |\n")
	for _, id := range ids {
		m := manifests[id]
		summary, agrees := "FAILED: "+m.Error, "failed"
		if m.Result != nil {
			summary, agrees = m.Result.Summary, m.Result.Agrees
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %.0f | %s |\n", id, cell(summary), agrees, m.Seconds, shortCommit(m.Commit))
	}
	return b.String(), nil
}

// PrimalSweepFile and PrimalSweepCIFAR10File are the tables of
// scripts/paper_primal_sweep.sh (SWEEP_DATASET mnist and cifar10): the
// primal at the paper's sizes under the settings the paper leaves open.
const (
	PrimalSweepFile        = "paper/primal_sweep.csv"
	PrimalSweepCIFAR10File = "paper/primal_sweep_cifar10.csv"
)

// primalSweepSection renders the table's primal sweep (t.Sweep in fsys;
// absent: "") with the paper's test PSNR of the primal at each row's sigma.
func (t paperTable) primalSweepSection(fsys fs.FS) (string, error) {
	if t.Sweep == "" {
		return "", nil
	}
	raw, err := fs.ReadFile(fsys, t.Sweep)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return "", nil
		}
		return "", fmt.Errorf("reproductions: %w", err)
	}
	rows, err := csv.NewReader(strings.NewReader(string(raw))).ReadAll()
	if err != nil {
		return "", fmt.Errorf("reproductions: %s: %w", t.Sweep, err)
	}
	want := []string{"setting", "sigma", "m", "lambda", "lr", "epochs", "clipped", "train_psnr", "test_psnr", "seconds"}
	if len(rows) < 2 || strings.Join(rows[0], ",") != strings.Join(want, ",") {
		return "", fmt.Errorf("reproductions: %s: want the header %s and at least one row", t.Sweep, strings.Join(want, ","))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "\nWhere the PSNR of %s lies: the primal at the paper's sizes (%s) "+
		"with settings the paper leaves open changed, one or two at a time (`scripts/paper_primal_sweep.sh`, table `reproductions/%s`):\n\n", t.Title, t.SweepSizes, t.Sweep)
	b.WriteString("| setting | sigma | filter | lambda | lr | epochs | noisy images | test PSNR (dB) | paper's primal test PSNR | difference (dB) |\n" +
		"| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n")
	for i, r := range rows[1:] {
		if len(r) != len(want) {
			return "", fmt.Errorf("reproductions: %s: row %d has %d fields, want %d", t.Sweep, i+2, len(r), len(want))
		}
		sigma, err1 := strconv.ParseFloat(r[1], 64)
		clipped, err2 := strconv.ParseBool(r[6])
		psnr, err3 := strconv.ParseFloat(r[8], 64)
		if err := errors.Join(err1, err2, err3); err != nil {
			return "", fmt.Errorf("reproductions: %s: row %d: %w", t.Sweep, i+2, err)
		}
		paper, ok := t.Paper[sigma]
		paperCell, diff := "n/a", "n/a"
		if ok {
			paperCell, diff = fmt.Sprintf("%.2f", paper[1]), fmt.Sprintf("%+.2f", psnr-paper[1])
		}
		noisy := "not clipped"
		if clipped {
			noisy = "clipped to [0, 1]"
		}
		fmt.Fprintf(&b, "| %s | %s | %sx%s | %s | %s | %s | %s | %.2f | %s | %s |\n", r[0], r[1], r[2], r[2], r[3], r[4], r[5], noisy, psnr, paperCell, diff)
	}
	return b.String(), nil
}

func metricsOf(r *Result) map[string]float64 {
	if r == nil {
		return nil
	}
	return r.Metrics
}

// psnrPair formats the primal and dual test PSNR, "not run" when either
// is missing.
func psnrPair(metrics map[string]float64, key func(float64, string) string, sigma float64) string {
	p, okP := metrics[key(sigma, "primal_test")]
	d, okD := metrics[key(sigma, "dual_test")]
	if !okP || !okD {
		return "not run"
	}
	return fmt.Sprintf("%.2f / %.2f", p, d)
}

// gap is the relative eq. 47 gap at the paper scale on training and test
// data, as percentages, from the committed manifest of t.GapFigure.
func (t paperTable) gap(manifests map[string]Manifest, sigma float64) string {
	m, ok := manifests[t.GapFigure]
	if !ok || m.Result == nil {
		return "Fig. " + t.GapFigure + " not run"
	}
	tr, okT := m.Result.Metrics[t.GapKey(sigma, "train")]
	te, okE := m.Result.Metrics[t.GapKey(sigma, "test")]
	if !okT || !okE || math.IsNaN(tr) || math.IsNaN(te) {
		return "not measured"
	}
	return fmt.Sprintf("%+.0f%% / %+.0f%%", 100*tr, 100*te)
}

func shortCommit(c string) string {
	rev, dirty := strings.CutSuffix(c, "+dirty")
	if len(rev) > 7 {
		rev = rev[:7]
	}
	if dirty {
		rev += "+dirty"
	}
	return rev
}
