// Command reproduce regenerates the figures and tables of Xiong et al.
// (IEEE TNNLS 2024): CSV data, PNG and SVG figures and a JSON manifest per
// figure under -out, and a summary report.
//
//	go run ./reproductions/cmd/reproduce -figure all -scale quick -certify
//	go run ./reproductions/cmd/reproduce -figure 11,table1 -scale paper -out out/paper -results reproductions/RESULTS.md
//
// The exit status is non-zero when any figure fails; the others still run.
package main

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	gb "github.com/convexst/stcnn/gomlx_backend"
	"github.com/convexst/stcnn/reproductions"
)

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	fs := flag.NewFlagSet("reproduce", flag.ContinueOnError)
	figures := fs.String("figure", "all", "comma-separated figures (1..19, table1, table2) or all")
	scaleName := fs.String("scale", "quick", "tiny, quick or paper")
	out := fs.String("out", "out/quick", "output directory")
	backendName := fs.String("backend", "", "GoMLX backend (GOMLX_BACKEND syntax, e.g. go, xla:cuda); default: automatic")
	results := fs.String("results", "", "also write a results report (Markdown) to this file")
	paperFigs := fs.String("paper-figures", "", "comma-separated figures to run at the paper scale whatever -scale says")
	list := fs.Bool("list", false, "list the figures and exit")
	certifyMode := fs.Bool("certify", false, "also solve the dual training problems of Figs. 9, 10, 11 and Table I with the certified solver and show its optimum next to the optimisers")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *list {
		for _, f := range reproductions.Figures() {
			fmt.Printf("%-7s %s\n", f.ID, f.Title)
		}
		return 0
	}
	scale, err := reproductions.ParseScale(*scaleName)
	if err != nil {
		fmt.Fprintln(os.Stderr, "reproduce: flag -scale:", err)
		return 2
	}
	figs, err := reproductions.Lookup(strings.Split(*figures, ",")...)
	if err != nil {
		fmt.Fprintln(os.Stderr, "reproduce: flag -figure:", err)
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
		fmt.Fprintln(os.Stderr, "reproduce: flag -backend:", err)
		return 2
	}
	backend, err := gb.New(choice, opts)
	if err != nil {
		fmt.Fprintln(os.Stderr, "reproduce:", err)
		return 1
	}
	env := reproductions.Env{Backend: backend, Choice: choice, Scale: scale, OutDir: *out, Log: os.Stdout, Certify: *certifyMode}
	atPaper := map[string]bool{}
	if *paperFigs != "" {
		pf, err := reproductions.Lookup(strings.Split(*paperFigs, ",")...)
		if err != nil {
			fmt.Fprintln(os.Stderr, "reproduce: flag -paper-figures:", err)
			return 2
		}
		for _, f := range pf {
			atPaper[f.ID] = true
		}
	}
	fmt.Printf("backend: %s\nscale: %s, certified mode: %v, output: %s, %d figure(s)\n", choice, scale, *certifyMode, *out, len(figs))
	var done []*reproductions.Result
	failed := 0
	start := time.Now()
	for i, f := range figs {
		fmt.Printf("\n[%d/%d] figure %s: %s\n", i+1, len(figs), f.ID, f.Title)
		fenv := env
		if atPaper[f.ID] {
			fenv.Scale = reproductions.Paper
		}
		res, err := reproductions.RunFigure(fenv, f)
		if err != nil {
			failed++
			fmt.Fprintln(os.Stderr, "reproduce: FAILED:", err)
			continue
		}
		done = append(done, res)
		fmt.Printf("figure %s done in %.1fs (agrees with the paper: %s): %s\n", f.ID, res.Seconds, res.Agrees, res.Summary)
	}
	fmt.Printf("\n%d of %d figures in %.1fs", len(done), len(figs), time.Since(start).Seconds())
	if failed > 0 {
		fmt.Printf(", %d FAILED", failed)
	}
	fmt.Println()
	if *results != "" {
		if err := reproductions.WriteReport(*results, env, done); err != nil {
			fmt.Fprintln(os.Stderr, "reproduce:", err)
			return 1
		}
		fmt.Println("wrote", *results)
	}
	if failed > 0 {
		return 1
	}
	return 0
}
