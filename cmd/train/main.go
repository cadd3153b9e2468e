// Command train trains the primal and/or the dual ST-CNN denoiser and prints,
// per epoch, the objective, PSNR and RLNE on the training and test images,
// and for the dual the primal-dual gap measured by rebuilding a primal
// network from the dual weights (eq. 47).
//
//	go run ./cmd/train                               # both models, 600 MNIST images, 3 epochs
//	go run ./cmd/train -model dual -optimizer sgdm -lr 1e-3 -init normal:0.001
//	go run ./cmd/train -config run.json -out out/run -resume
//
// Every setting is a flag; -config loads a saved configuration (flags given
// explicitly override it). With -out, the configuration, history (CSV and
// JSON) and checkpoints are written there and -resume continues a run.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	gb "github.com/convexst/stcnn/gomlx_backend"
	"github.com/convexst/stcnn/stcnn"
	"github.com/convexst/stcnn/stcnn/initializers"
	"github.com/convexst/stcnn/stcnn/optimizers"
	"github.com/convexst/stcnn/stcnn/training"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "train:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("train", flag.ContinueOnError)
	models := fs.String("model", "both", "primal, dual or both")
	configPath := fs.String("config", "", "load the run configuration from this JSON file")
	out := fs.String("out", "", "directory for config.json, history.csv/json and checkpoints (one subfolder per model)")
	resume := fs.Bool("resume", false, "continue from the checkpoint in -out")
	optName := fs.String("optimizer", "adam", "optimiser: "+fmt.Sprint(optimizers.Names()))
	lr := fs.Float64("lr", 0, "learning rate (default: 1e-3 primal, 1e-4 dual)")
	initName := fs.String("init", "", "initialisation: kaiming, normal:STD or zeros (default: kaiming primal, zeros dual)")
	dataset := fs.String("dataset", training.MNIST, "mnist or cifar10")
	dataDir := fs.String("data", "", "data directory (default: $STCNN_DATA, the GoMNIST module, ../shared/datasets)")
	n := fs.Int("n", 600, "training images (seeded subset)")
	test := fs.Int("test", 1000, "test images (seeded subset; 0 for none)")
	sigma := fs.Float64("sigma", 0.25, "noise standard deviation, images in [0,1]")
	epochs := fs.Int("epochs", 3, "epochs")
	batch := fs.Int("batch", 50, "batch size")
	k := fs.Int("K", 512, "primal filters")
	p := fs.Int("P", 512, "dual gates")
	m := fs.Int("m", 3, "filter size (odd)")
	lambda := fs.Float64("lambda", 0.1, "soft threshold")
	beta := fs.Float64("beta", 1e-5, "weight penalty")
	rho := fs.Float64("rho", 1e-2, "hinge penalty weight (dual)")
	seed := fs.Uint64("seed", 1, "master seed (subsets, noise, gates, weights, shuffling)")
	evalEvery := fs.Int("eval-every", 0, "evaluate every N steps (0: every epoch)")
	gap := fs.Bool("gap", true, "measure the rebuilt-primal gap of the dual at every evaluation")
	certTol := fs.Float64("certify", 0, "dual: solve the training problem with the certified solver (stcnn/certify) to this relative gap instead of training with the optimiser (0: off)")
	certTime := fs.Duration("certify-time", 0, "cap on the certified solve's wall time, e.g. 30m (0: none)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })

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
	backend, choice, err := gb.Default()
	if err != nil {
		return err
	}
	fmt.Println("backend:", choice)
	var data *training.Data
	for _, kind := range kinds {
		cfg := training.DefaultConfig(kind)
		if *configPath != "" {
			if cfg, err = training.LoadConfig(*configPath); err != nil {
				return err
			}
			if len(kinds) > 1 && cfg.Model.Model != kind {
				continue
			}
		}
		apply := func(name string, fn func()) {
			if *configPath == "" || set[name] {
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
		apply("gap", func() { cfg.MeasureGap = *gap && kind == stcnn.Dual })
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
		if data == nil || cfg.Dataset != training.MNIST {
			if data, err = training.LoadData(cfg); err != nil {
				return err
			}
		}
		dir := ""
		if *out != "" {
			dir = filepath.Join(*out, string(kind))
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
		res, err := training.Run(cfg, training.Options{Backend: backend, Data: data, Dir: dir, Resume: *resume,
			Progress: training.LineProgress(os.Stdout, string(kind))})
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
