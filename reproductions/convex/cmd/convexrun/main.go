// Command convexrun runs the experiments of package convex at one scale
// and writes their Markdown section (and the results as JSON beside it).
//
//	go run ./reproductions/convex/cmd/convexrun -scale quick -out convex.md [-only certified,rho,rebuild]
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	gb "github.com/convexst/stcnn/gomlx_backend"
	"github.com/convexst/stcnn/reproductions/convex"
	"github.com/convexst/stcnn/stcnn/training"
)

func main() {
	scale := flag.String("scale", "quick", "tiny, quick or paper")
	out := flag.String("out", "", "Markdown file to write (JSON beside it); empty: stdout only")
	only := flag.String("only", "certified,rho,rebuild", "experiments to run, comma-separated")
	maxSeconds := flag.Float64("max-seconds", 0, "cap on one certified solve (0: none)")
	gates := flag.Int("p", 0, "number of gates P (0: the scale's)")
	sigmas := flag.String("sigmas", "", "noise levels of the certified runs, comma-separated (empty: the scale's)")
	progress := flag.Bool("progress", false, "print the certified solver's progress on stderr")
	flag.Parse()
	if err := run(*scale, *out, *only, *maxSeconds, *gates, *sigmas, *progress); err != nil {
		fmt.Fprintln(os.Stderr, "convexrun:", err)
		os.Exit(1)
	}
}

func run(scale, out, only string, maxSeconds float64, gates int, sigmas string, progress bool) error {
	s, err := convex.SettingsFor(scale)
	if err != nil {
		return err
	}
	s.MaxSeconds = maxSeconds
	if gates > 0 {
		s.P = gates
	}
	if sigmas != "" {
		s.Sigmas = nil
		for _, f := range strings.Split(sigmas, ",") {
			v, err := strconv.ParseFloat(f, 64)
			if err != nil || !(v > 0) {
				return fmt.Errorf("-sigmas: %q is not a positive number", f)
			}
			s.Sigmas = append(s.Sigmas, v)
		}
	}
	if progress {
		s.Progress = os.Stderr
	}
	backend, choice, err := gb.Default()
	if err != nil {
		return err
	}
	fmt.Fprintln(os.Stderr, "backend:", choice)
	rep := convex.Report{Settings: s}
	for _, name := range strings.Split(only, ",") {
		switch name {
		case "certified":
			rep.Certified, err = convex.RunCertified(backend, s)
		case "rho":
			rep.Rho, err = convex.RunRhoSweep(backend, s)
		case "rebuild":
			rep.Rebuild, err = convex.RunRebuild(backend, s)
		default:
			return fmt.Errorf("-only: unknown experiment %q (want certified, rho or rebuild)", name)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	var md bytes.Buffer
	if err := convex.WriteMarkdown(&md, rep); err != nil {
		return err
	}
	os.Stdout.Write(md.Bytes())
	if out == "" {
		return nil
	}
	if err := training.WriteFileAtomic(out, md.Bytes()); err != nil {
		return err
	}
	js, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return fmt.Errorf("results as JSON: %w", err)
	}
	return training.WriteFileAtomic(strings.TrimSuffix(out, filepath.Ext(out))+".json", js)
}
