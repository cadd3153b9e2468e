package training

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"time"

	"github.com/convexst/stcnn/datasets"
	"github.com/convexst/stcnn/stcnn"
	"github.com/convexst/stcnn/stcnn/optimizers"
	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/model/checkpoint"
)

// Event reports progress to Options.Progress after every step.
type Event struct {
	Epoch, Epochs    int
	Step, TotalSteps int
	// Objective is the batch objective before the last step.
	Objective float64
	// Elapsed is the training time of this invocation; ETA extrapolates it.
	Elapsed, ETA time.Duration
	// Record is set when an evaluation has just completed.
	Record *Record
}

// Options are the parts of a run that are not settings of the experiment.
type Options struct {
	// Backend runs the graphs (required).
	Backend compute.Backend
	// Data overrides LoadData(cfg) (e.g. to share loaded images between runs).
	Data *Data
	// Dir receives config.json, history.csv, history.json, progress.json and
	// checkpoints/; empty writes nothing.
	Dir string
	// Resume continues from the checkpoint in Dir, if there is one.
	Resume bool
	// Progress is called after every step (nil: no calls).
	Progress func(Event)
	// StopAfterEpoch ends the run after that epoch as if interrupted (a
	// checkpoint is written there when Dir is set); 0 runs to the end.
	StopAfterEpoch int
}

// Result is a finished (or stopped) run.
type Result struct {
	Config  Config
	History History
	Store   *model.Store
	Trainer *stcnn.Trainer
	Data    *Data
	// Epoch and Step reached.
	Epoch, Step int
}

// progressFile is the resumption state written next to each checkpoint.
type progressFile struct {
	Epoch       int     `json:"epoch"`
	Step        int     `json:"step"`
	WallSeconds float64 `json:"wall_seconds"`
	History     History `json:"history"`
}

// Run trains the network of cfg as the options say. Same configuration, same
// backend: same weights and history, whether or not the run was interrupted
// and resumed at an epoch boundary.
func Run(cfg Config, opts Options) (*Result, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if opts.Backend == nil {
		return nil, errors.New("training: Options.Backend is nil")
	}
	data := opts.Data
	if data == nil {
		var err error
		if data, err = LoadData(cfg); err != nil {
			return nil, err
		}
	}
	net, err := stcnn.New(cfg.Model)
	if err != nil {
		return nil, err
	}
	store := model.NewStore()
	res := &Result{Config: cfg, Store: store, Data: data, History: History{Name: cfg.Name}}

	var ckpt *checkpoint.Handler
	resumed := false
	if opts.Dir != "" {
		if err := cfg.Save(filepath.Join(opts.Dir, "config.json")); err != nil {
			return nil, err
		}
		ckDir := filepath.Join(opts.Dir, "checkpoints")
		if opts.Resume {
			if p, err := readProgress(opts.Dir); err == nil {
				if ckpt, err = checkpoint.Build(store).Dir(ckDir).Immediate().Keep(2).Done(); err != nil {
					return nil, fmt.Errorf("training: loading checkpoint from %s: %w", ckDir, err)
				}
				// Checkpoints do not record which variables are trainable.
				for v := range store.IterVariables() {
					v.SetTrainable(false)
				}
				if err := net.Restore(store); err != nil {
					return nil, fmt.Errorf("training: checkpoint in %s does not match the configuration: %w", ckDir, err)
				}
				res.Epoch, res.Step, res.History = p.Epoch, p.Step, p.History
				resumed = true
			} else if !errors.Is(err, os.ErrNotExist) {
				return nil, err
			}
		}
	}
	if !resumed {
		if err := initNetwork(net, store, cfg); err != nil {
			return nil, err
		}
		if opts.Dir != "" {
			if ckpt, err = checkpoint.Build(store).Dir(filepath.Join(opts.Dir, "checkpoints")).Keep(2).Done(); err != nil {
				return nil, fmt.Errorf("training: checkpoint directory: %w", err)
			}
		}
	}
	opt, err := optimizers.New(cfg.Optimizer, cfg.Hyperparams)
	if err != nil {
		return nil, err
	}
	tr, err := stcnn.NewTrainer(opts.Backend, store, net, opt, cfg.MaxChunkElements)
	if err != nil {
		return nil, err
	}
	res.Trainer = tr
	r := &runner{cfg: cfg, opts: opts, res: res, tr: tr, ckpt: ckpt}
	if !resumed {
		if err := r.evaluate(); err != nil {
			return res, err
		}
	}
	return res, r.train()
}

func initNetwork(net stcnn.Network, store *model.Store, cfg Config) error {
	seed := cfg.Seeds().Model
	switch m := net.(type) {
	case *stcnn.PrimalModel:
		return m.Init(store, cfg.Init, seed)
	case *stcnn.DualModel:
		return m.Init(store, cfg.Init, seed)
	}
	return fmt.Errorf("training: unknown network %T", net)
}

type runner struct {
	cfg   Config
	opts  Options
	res   *Result
	tr    *stcnn.Trainer
	ckpt  *checkpoint.Handler
	start time.Time
	wall0 float64
}

func (r *runner) train() error {
	cfg, res := r.cfg, r.res
	stepsPerEpoch := (cfg.TrainSize + cfg.BatchSize - 1) / cfg.BatchSize
	total := stepsPerEpoch * cfg.Epochs
	r.start, r.wall0 = time.Now(), res.History.Last().WallSeconds
	startStep := res.Step
	for epoch := res.Epoch + 1; epoch <= cfg.Epochs; epoch++ {
		batches, err := datasets.Batches(cfg.TrainSize, cfg.BatchSize, cfg.Seeds().Shuffle+uint64(epoch), !cfg.NoShuffle)
		if err != nil {
			return err
		}
		for _, idx := range batches {
			y, err := res.Data.TrainNoisy.Gather(idx)
			if err != nil {
				return err
			}
			x, err := res.Data.TrainClean.Gather(idx)
			if err != nil {
				return err
			}
			sr, err := r.tr.Step(y, x)
			if err != nil {
				return fmt.Errorf("training: epoch %d, step %d: %w (last good checkpoint kept)", epoch, res.Step+1, err)
			}
			res.Step++
			ev := Event{Epoch: epoch, Epochs: cfg.Epochs, Step: res.Step, TotalSteps: total, Objective: sr.Objective,
				Elapsed: time.Since(r.start)}
			if done := res.Step - startStep; done > 0 {
				ev.ETA = time.Duration(float64(ev.Elapsed) / float64(done) * float64(total-res.Step))
			}
			if cfg.EvalEverySteps > 0 && res.Step%cfg.EvalEverySteps == 0 {
				res.Epoch = epoch - 1 // the epoch in progress is not complete
				if err := r.evaluateAt(epoch); err != nil {
					return err
				}
				ev.Record = &res.History.Records[len(res.History.Records)-1]
			}
			if r.opts.Progress != nil {
				r.opts.Progress(ev)
			}
		}
		res.Epoch = epoch
		if cfg.EvalEverySteps == 0 {
			if err := r.evaluate(); err != nil {
				return err
			}
			if r.opts.Progress != nil {
				rec := res.History.Records[len(res.History.Records)-1]
				r.opts.Progress(Event{Epoch: epoch, Epochs: cfg.Epochs, Step: res.Step, TotalSteps: total,
					Objective: rec.Train.Objective, Elapsed: time.Since(r.start), Record: &rec})
			}
		}
		last := epoch == cfg.Epochs || epoch == r.opts.StopAfterEpoch
		if r.ckpt != nil && (last || (cfg.CheckpointEvery > 0 && epoch%cfg.CheckpointEvery == 0)) {
			if err := r.checkpoint(); err != nil {
				return err
			}
		}
		if r.opts.Dir != "" {
			if err := res.History.Save(r.opts.Dir); err != nil {
				return err
			}
		}
		if epoch == r.opts.StopAfterEpoch {
			break
		}
	}
	return nil
}

func (r *runner) wall() float64 { return r.wall0 + time.Since(r.start).Seconds() }

// evaluate records the metrics at the end of epoch res.Epoch.
func (r *runner) evaluate() error { return r.evaluateAt(r.res.Epoch) }

func (r *runner) evaluateAt(epoch int) error {
	res, cfg := r.res, r.cfg
	rec := Record{Epoch: epoch, Step: res.Step, LearningRate: cfg.Hyperparams.LearningRate}
	if !r.start.IsZero() {
		rec.WallSeconds = r.wall()
	}
	pause := time.Now()
	// ASGD is evaluated at its averaged weights, as torch.optim.ASGD users do.
	if cfg.Optimizer == "asgd" {
		if err := optimizers.SwapAveraged(res.Store); err != nil {
			return err
		}
		defer optimizers.SwapAveraged(res.Store)
	}
	var err error
	if rec.Train, err = r.tr.Evaluate(res.Data.TrainNoisy, res.Data.TrainClean); err != nil {
		return err
	}
	if res.Data.TestNoisy != nil {
		if rec.Test, err = r.tr.Evaluate(res.Data.TestNoisy, res.Data.TestClean); err != nil {
			return err
		}
	}
	if cfg.MeasureGap {
		g, err := stcnn.MeasureGap(r.opts.Backend, r.tr, res.Data.TrainNoisy, res.Data.TrainClean)
		if err != nil {
			return err
		}
		rec.TrainGap = &g
		if res.Data.TestNoisy != nil {
			g, err := stcnn.MeasureGap(r.opts.Backend, r.tr, res.Data.TestNoisy, res.Data.TestClean)
			if err != nil {
				return err
			}
			rec.TestGap = &g
		}
	}
	for _, m := range []struct {
		set string
		m   stcnn.Metrics
	}{{"training", rec.Train}, {"test", rec.Test}} {
		for name, v := range map[string]float64{"objective": m.m.Objective, "PSNR": m.m.PSNR, "RLNE": m.m.RLNE} {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("training: evaluation at epoch %d, step %d: %s %s is %v (diverged; last good checkpoint kept)",
					epoch, res.Step, m.set, name, v)
			}
		}
	}
	res.History.Records = append(res.History.Records, rec)
	if !r.start.IsZero() {
		r.start = r.start.Add(time.Since(pause)) // evaluation time is not training time
	}
	return nil
}

func (r *runner) checkpoint() error {
	if err := r.ckpt.Save(); err != nil {
		return fmt.Errorf("training: saving checkpoint: %w", err)
	}
	p := progressFile{Epoch: r.res.Epoch, Step: r.res.Step, WallSeconds: r.wall(), History: r.res.History}
	return WriteJSON(filepath.Join(r.opts.Dir, "progress.json"), p)
}

func readProgress(dir string) (progressFile, error) {
	var p progressFile
	data, err := os.ReadFile(filepath.Join(dir, "progress.json"))
	if err != nil {
		return p, err
	}
	if err := json.Unmarshal(data, &p); err != nil {
		return p, fmt.Errorf("training: %s: %w", filepath.Join(dir, "progress.json"), err)
	}
	return p, nil
}

// LineProgress returns a Progress callback that writes one line per
// evaluation to w, and, when w is a terminal, keeps a live status line
// (epoch, step, objective, ETA) updated after every step.
func LineProgress(w io.Writer, name string) func(Event) {
	tty := false
	if f, ok := w.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			tty = true
		}
	}
	return func(e Event) {
		if e.Record != nil {
			r := e.Record
			line := fmt.Sprintf("%s epoch %d/%d step %d/%d: train objective %.5g PSNR %.2f dB RLNE %.4f", name,
				e.Epoch, e.Epochs, e.Step, e.TotalSteps, r.Train.Objective, r.Train.PSNR, r.Train.RLNE)
			if r.Test.Images > 0 {
				line += fmt.Sprintf(" | test objective %.5g PSNR %.2f dB", r.Test.Objective, r.Test.PSNR)
			}
			if r.TrainGap != nil {
				line += fmt.Sprintf(" | gap %.4g (%.1f%%)", r.TrainGap.Gap, 100*r.TrainGap.Relative)
			}
			if tty {
				fmt.Fprint(w, "\r\033[K")
			}
			fmt.Fprintln(w, line)
			return
		}
		if tty {
			fmt.Fprintf(w, "\r\033[K%s epoch %d/%d step %d/%d objective %.5g ETA %v", name, e.Epoch, e.Epochs,
				e.Step, e.TotalSteps, e.Objective, e.ETA.Round(time.Second))
		}
	}
}
