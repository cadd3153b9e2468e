// Command train trains the primal and/or the dual ST-CNN denoiser on MNIST
// and prints, per epoch, the objective, PSNR and RLNE on the training and
// test images, and for the dual the primal-dual gap measured by rebuilding a
// primal network from the dual weights (eq. 47).
//
//	go run ./cmd/train                    # both models, 600 images, 3 epochs
//	go run ./cmd/train -model dual -P 8000 -epochs 20
package main

import (
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/convexst/stcnn/datasets"
	gb "github.com/convexst/stcnn/gomlx_backend"
	"github.com/convexst/stcnn/stcnn"
	"github.com/convexst/stcnn/stcnn/initializers"
	"github.com/convexst/stcnn/stcnn/optimizers"
	"github.com/gomlx/gomlx/ml/model"
)

type options struct {
	models              []stcnn.ModelKind
	n, test, epochs, bs int
	sigma, lr           float64
	k, p                int
	lambda, beta, rho   float64
	seed                uint64
	dataDir             string
}

func main() {
	var o options
	model := flag.String("model", "both", "primal, dual or both")
	flag.IntVar(&o.n, "n", 600, "training images (a seeded subset of the 60000)")
	flag.IntVar(&o.test, "test", 1000, "test images (a seeded subset of the 10000)")
	flag.IntVar(&o.epochs, "epochs", 3, "epochs")
	flag.IntVar(&o.bs, "batch", 50, "batch size")
	flag.Float64Var(&o.sigma, "sigma", 0.25, "noise standard deviation (images in [0,1])")
	flag.Float64Var(&o.lr, "lr", 1e-3, "Adam learning rate")
	flag.IntVar(&o.k, "K", 512, "primal filters")
	flag.IntVar(&o.p, "P", 512, "dual gates")
	flag.Float64Var(&o.lambda, "lambda", 0.1, "soft threshold")
	flag.Float64Var(&o.beta, "beta", 1e-5, "weight penalty")
	flag.Float64Var(&o.rho, "rho", 1e-2, "hinge penalty (dual)")
	seed := flag.Uint64("seed", 1, "seed for subsets, noise, gates, initialisation and shuffling")
	flag.StringVar(&o.dataDir, "data", "", "MNIST directory (default: $STCNN_DATA/mnist or the GoMNIST module)")
	flag.Parse()
	o.seed = *seed
	switch *model {
	case "both":
		o.models = []stcnn.ModelKind{stcnn.Primal, stcnn.Dual}
	case "primal", "dual":
		o.models = []stcnn.ModelKind{stcnn.ModelKind(*model)}
	default:
		fmt.Fprintf(os.Stderr, "train: flag -model: unknown model %q, want primal, dual or both\n", *model)
		os.Exit(2)
	}
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "train:", err)
		os.Exit(1)
	}
}

func run(o options) error {
	if o.n < 1 || o.test < 1 || o.epochs < 1 || o.bs < 1 {
		return fmt.Errorf("flags -n, -test, -epochs and -batch must be >= 1")
	}
	backend, choice, err := gb.Default()
	if err != nil {
		return err
	}
	fmt.Println("backend:", choice)
	dir, err := datasets.MNISTDir(o.dataDir)
	if err != nil {
		return err
	}
	trX, teX, err := loadMNIST(dir, o.n, o.test, o.seed)
	if err != nil {
		return err
	}
	trY, err := datasets.AddGaussianNoise(trX, o.sigma, o.seed+100)
	if err != nil {
		return err
	}
	teY, err := datasets.AddGaussianNoise(teX, o.sigma, o.seed+200)
	if err != nil {
		return err
	}
	fmt.Printf("MNIST: %d training, %d test images, sigma %.2f\n", trX.N, teX.N, o.sigma)
	for _, kind := range o.models {
		cfg := stcnn.DefaultConfig(kind, 1)
		cfg.K, cfg.P, cfg.Lambda, cfg.Beta, cfg.Rho = o.k, o.p, o.lambda, o.beta, o.rho
		net, err := stcnn.New(cfg)
		if err != nil {
			return err
		}
		store := model.NewStore()
		switch m := net.(type) {
		case *stcnn.PrimalModel:
			err = m.Init(store, initializers.KaimingUniform(), o.seed)
		case *stcnn.DualModel:
			err = m.Init(store, initializers.Zeros(), o.seed)
		}
		if err != nil {
			return err
		}
		hp, _ := optimizers.DefaultHyperparams("adam")
		hp.LearningRate = o.lr
		opt, err := optimizers.New("adam", hp)
		if err != nil {
			return err
		}
		tr, err := stcnn.NewTrainer(backend, store, net, opt, 0)
		if err != nil {
			return err
		}
		fmt.Printf("\n%s: %+v\n", kind, cfg)
		for epoch := 1; epoch <= o.epochs; epoch++ {
			start := time.Now()
			batches, err := datasets.Batches(trX.N, o.bs, o.seed+uint64(epoch), true)
			if err != nil {
				return err
			}
			for _, idx := range batches {
				y, err := trY.Gather(idx)
				if err != nil {
					return err
				}
				x, err := trX.Gather(idx)
				if err != nil {
					return err
				}
				if _, err := tr.Step(y, x); err != nil {
					return fmt.Errorf("%s epoch %d: %w", kind, epoch, err)
				}
			}
			trainTime := time.Since(start)
			mtr, err := tr.Evaluate(trY, trX)
			if err != nil {
				return err
			}
			mte, err := tr.Evaluate(teY, teX)
			if err != nil {
				return err
			}
			fmt.Printf("%s epoch %d (%.1fs): train objective %.4f PSNR %.2f dB RLNE %.4f | test objective %.4f PSNR %.2f dB RLNE %.4f\n",
				kind, epoch, trainTime.Seconds(), mtr.Objective, mtr.PSNR, mtr.RLNE, mte.Objective, mte.PSNR, mte.RLNE)
		}
		if kind == stcnn.Dual {
			for _, set := range []struct {
				name string
				y, x *datasets.Images
			}{{"train", trY, trX}, {"test", teY, teX}} {
				g, err := stcnn.MeasureGap(backend, tr, set.y, set.x)
				if err != nil {
					return err
				}
				fmt.Printf("dual gap (%s): dual objective %.4f, rebuilt primal (K=%d) %.4f, gap %.4f (%.1f%%), constraints violated %.2f%%\n",
					set.name, g.Dual, g.K, g.Primal, g.Gap, 100*g.Relative, 100*g.ViolatedFraction)
			}
		}
	}
	return nil
}

func loadMNIST(dir string, n, test int, seed uint64) (train, testSet *datasets.Images, err error) {
	all, err := datasets.LoadMNIST(dir, datasets.Train)
	if err != nil {
		return nil, nil, err
	}
	if train, err = all.Subset(n, seed); err != nil {
		return nil, nil, fmt.Errorf("flag -n: %w", err)
	}
	allTest, err := datasets.LoadMNIST(dir, datasets.Test)
	if err != nil {
		return nil, nil, err
	}
	if testSet, err = allTest.Subset(test, seed); err != nil {
		return nil, nil, fmt.Errorf("flag -test: %w", err)
	}
	return train, testSet, nil
}
