// Command reproduce regenerates the figures and tables of Xiong et al.
// (IEEE TNNLS 2024): CSV data, PNG and SVG figures and a JSON manifest per
// figure under -out, and a summary report.
//
//	go run ./reproductions/cmd/reproduce -figure all -scale quick -certify
//	go run ./reproductions/cmd/reproduce -figure 11,table1 -scale paper -out out/paper -results reproductions/RESULTS.md
//
// Flags and the -out and -results paths are checked before the first figure
// runs (exit status 2). A figure that fails does not stop the others; its
// folder then holds only a manifest with status "failed" and the error, the
// report lists it, and the exit status is 1.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	gb "github.com/convexst/stcnn/gomlx_backend"
	"github.com/convexst/stcnn/reproductions"
	"github.com/convexst/stcnn/stcnn/training"
)

// lookup resolves figure ids (a variable so that tests can add figures that fail).
var lookup = reproductions.Lookup

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("reproduce", flag.ContinueOnError)
	fs.SetOutput(stderr)
	figures := fs.String("figure", "all", "comma-separated figures (1..19, table1, table2) or all")
	scaleName := fs.String("scale", "quick", "tiny, quick or paper")
	out := fs.String("out", "out/quick", "output directory")
	backendName := fs.String("backend", "", "GoMLX backend (GOMLX_BACKEND syntax, e.g. go, xla:cuda); default: automatic")
	results := fs.String("results", "", "also write a results report (Markdown) to this file")
	paperFigs := fs.String("paper-figures", "", "comma-separated figures to run at the paper scale whatever -scale says")
	list := fs.Bool("list", false, "list the figures and exit")
	keepRuns := fs.Bool("keep-runs", false, "keep the training runs in OUT/runs and read finished ones back instead of training them again (remove OUT/runs after changing the training code); without it runs are shared in memory only")
	certifyMode := fs.Bool("certify", false, "also solve the dual training problems of Figs. 9, 10, 11 and Table I with the certified solver and show its optimum next to the optimisers")
	archive := fs.String("archive", reproductions.PaperRunsDir, "run archive: finished runs found there are read back instead of trained, and manifests name the revision that trained them (\"\" trains every run)")
	archiveRuns := fs.String("archive-runs", "", "copy the finished runs of this run folder (e.g. out/paper/runs from -keep-runs) into -archive, then exit")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "reproduce: unexpected argument %q (figures are chosen with -figure, e.g. -figure 7,table1)\n", fs.Arg(0))
		return 2
	}
	if *archiveRuns != "" {
		return archiveFinished(*archiveRuns, *archive, stdout, stderr)
	}
	if *list {
		for _, f := range reproductions.Figures() {
			fmt.Fprintf(stdout, "%-9s %s\n", f.ID, f.Title)
		}
		return 0
	}
	// Every flag is checked, and -out and -results are tried, before the
	// first figure runs.
	scale, err := reproductions.ParseScale(*scaleName)
	if err != nil {
		fmt.Fprintln(stderr, "reproduce: flag -scale:", err)
		return 2
	}
	figs, err := lookup(strings.Split(*figures, ",")...)
	if err != nil {
		fmt.Fprintln(stderr, "reproduce: flag -figure:", err)
		return 2
	}
	atPaper, err := paperScale(*paperFigs, figs)
	if err != nil {
		fmt.Fprintln(stderr, "reproduce: flag -paper-figures:", err)
		return 2
	}
	opts := gb.Options{}
	if *backendName != "" {
		opts.LookupEnv = func(k string) (string, bool) {
			if k == gb.EnvVar {
				return *backendName, true
			}
			return os.LookupEnv(k)
		}
	}
	choice, err := gb.Choose(opts)
	if err != nil {
		fmt.Fprintln(stderr, "reproduce: flag -backend:", err)
		return 2
	}
	if *results != "" {
		if err := reproductions.CheckReportPath(*results); err != nil {
			fmt.Fprintf(stderr, "reproduce: flag -results %s: %v\n", *results, err)
			return 2
		}
	}
	if err := reproductions.CheckOutDir(*out); err != nil {
		fmt.Fprintf(stderr, "reproduce: flag -out %s: %v\n", *out, err)
		return 2
	}
	backend, err := gb.New(choice, opts)
	if err != nil {
		fmt.Fprintln(stderr, "reproduce:", err)
		return 1
	}
	stop, release := interruptions(stderr, *keepRuns, *out)
	defer release()
	runsDir := ""
	if *keepRuns {
		runsDir = filepath.Join(*out, "runs")
	}
	env := reproductions.Env{Backend: backend, Choice: choice, Scale: scale, OutDir: *out, Log: stdout, Certify: *certifyMode,
		Shared: reproductions.NewShared(runsDir, *archive, choice.String()), Stop: stop}
	fmt.Fprintf(stdout, "backend: %s\nscale: %s, certified mode: %v, output: %s, %d figure(s)\n%s\n", choice, scale, *certifyMode, *out, len(figs),
		archiveLine(*archive))
	start := time.Now()
	outcomes := reproductions.RunAll(env, figs, func(f reproductions.Figure) reproductions.Scale {
		if atPaper[f.ID] {
			return reproductions.Paper
		}
		return scale
	})
	failed := reproductions.Failed(outcomes)
	fmt.Fprintf(stdout, "\n%d of %d figures in %.1fs", len(outcomes)-len(failed), len(outcomes), time.Since(start).Seconds())
	if len(failed) > 0 {
		ids := make([]string, len(failed))
		for i, o := range failed {
			ids[i] = o.Figure.ID
		}
		fmt.Fprintf(stdout, ", %d FAILED: %s", len(failed), strings.Join(ids, ", "))
	}
	fmt.Fprintln(stdout)
	status := 0
	if *results != "" {
		if err := reproductions.WriteReport(*results, env, outcomes); err != nil {
			fmt.Fprintln(stderr, "reproduce:", err)
			status = 1
		} else {
			fmt.Fprintln(stdout, "wrote", *results)
		}
	}
	for _, o := range failed {
		status = 1
		if errors.Is(o.Err, reproductions.ErrInterrupted) {
			fmt.Fprintf(stderr, "reproduce: figure %s not started (interrupted)\n", o.Figure.ID)
			continue
		}
		fmt.Fprintf(stderr, "reproduce: FAILED: %v (manifest: %s)\n", o.Err, filepath.Join(*out, o.Figure.ID, "manifest.json"))
	}
	return status
}

// archiveLine says which run archive the invocation reads.
func archiveLine(dir string) string {
	if dir == "" {
		return "run archive: none (-archive \"\"): every run is trained"
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Sprintf("run archive: %s not found: every run is trained", dir)
	}
	n := 0
	for _, e := range entries {
		if e.IsDir() && !strings.HasPrefix(e.Name(), ".") {
			n++
		}
	}
	return fmt.Sprintf("run archive: %s (%d finished runs, read back instead of trained when a figure needs one)", dir, n)
}

// archiveFinished copies the finished runs of the run folder from into the
// archive dir and lists them (-archive-runs).
func archiveFinished(from, dir string, stdout, stderr io.Writer) int {
	if dir == "" {
		fmt.Fprintln(stderr, "reproduce: flag -archive-runs needs an -archive folder")
		return 2
	}
	archived, skipped, err := training.ArchiveRuns(from, dir)
	for _, p := range archived {
		fmt.Fprintf(stdout, "archived %s (%s, trained at commit %s on %s, %.0f s)\n", p.ID, p.Name, p.Commit, p.Backend, p.WallSeconds)
	}
	for _, s := range skipped {
		fmt.Fprintf(stdout, "skipped unfinished run %s\n", s)
	}
	if err != nil {
		fmt.Fprintln(stderr, "reproduce: flag -archive-runs:", err)
		return 1
	}
	fmt.Fprintf(stdout, "%d runs archived in %s, %d unfinished skipped\n", len(archived), dir, len(skipped))
	return 0
}

// interruptions turns the first SIGINT or SIGTERM into a closed stop
// channel: the training run in progress saves its state after its current
// step (with -keep-runs) and the figures not yet started are skipped; a
// second signal exits at once. release stops listening.
func interruptions(stderr io.Writer, keepRuns bool, out string) (stop <-chan struct{}, release func()) {
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	stopped, done := make(chan struct{}), make(chan struct{})
	go func() {
		select {
		case <-sigs:
		case <-done:
			return
		}
		if keepRuns {
			fmt.Fprintf(stderr, "reproduce: interrupted: stopping after the current training step; finished runs and the state of this one are kept in %s, and the same command resumes them (a second signal exits at once)\n",
				filepath.Join(out, "runs"))
		} else {
			fmt.Fprintln(stderr, "reproduce: interrupted: stopping after the current training step; without -keep-runs nothing is kept for a later run (a second signal exits at once)")
		}
		close(stopped)
		select {
		case <-sigs:
			os.Exit(130)
		case <-done:
		}
	}()
	return stopped, func() { signal.Stop(sigs); close(done) }
}

// paperScale returns the set of figures that -paper-figures names; each must
// be among the selected figures.
func paperScale(list string, selected []reproductions.Figure) (map[string]bool, error) {
	atPaper := map[string]bool{}
	if list == "" {
		return atPaper, nil
	}
	pf, err := lookup(strings.Split(list, ",")...)
	if err != nil {
		return nil, err
	}
	chosen := map[string]bool{}
	for _, f := range selected {
		chosen[f.ID] = true
	}
	for _, f := range pf {
		if !chosen[f.ID] {
			return nil, fmt.Errorf("figure %s is not selected by -figure", f.ID)
		}
		atPaper[f.ID] = true
	}
	return atPaper, nil
}
