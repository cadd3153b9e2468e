package training

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"time"

	"github.com/convexst/stcnn/datasets"
	"github.com/convexst/stcnn/stcnn"
	"github.com/convexst/stcnn/stcnn/initializers"
	"github.com/convexst/stcnn/stcnn/optimizers"
	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/ml/model"
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
	// Dir is the run folder (see rundir.go): it receives the saved state,
	// config.json and the history; empty writes nothing. Run locks it.
	Dir string
	// Resume continues the run saved in Dir. The saved configuration must
	// equal cfg but for settings that do not change the result (DiffConfig);
	// those changes are recorded in the history. A Dir that holds no run
	// starts one, so a loop of resumed runs needs no first case (callers
	// that require a saved state check HasRun first).
	Resume bool
	// Force replaces a run held in Dir (its files only) by a new one.
	// Without Resume or Force, a Dir that holds a run is an error.
	Force bool
	// Progress is called after every step (nil: no calls).
	Progress func(Event)
	// Notice receives messages about the run folder, e.g. which saved
	// state a resumed run used (nil: none).
	Notice func(string)
	// StopAfterEpoch ends the run after that epoch as if interrupted (its
	// state is saved there when Dir is set); 0 runs to the end.
	StopAfterEpoch int
	// Stop, when closed, ends the run after the step in progress: the state
	// is saved (when Dir is set) and Run returns a *StopError with reason
	// StopInterrupted.
	Stop <-chan struct{}
	// Network overrides Config.NewNetwork (a network built by the caller);
	// it must be the network the configuration describes.
	Network stcnn.Network
	// Store, when set, holds the network's initial variables (created by
	// the caller, e.g. the same weights handed to another method): Run
	// trains them in place instead of creating them from Config.Init. It
	// cannot be combined with Dir.
	Store *model.Store
	// Hooks are called as the run proceeds.
	Hooks Hooks
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
	// SavedEpoch and SavedStep are where the state in Dir was last saved
	// (-1 when nothing was saved).
	SavedEpoch, SavedStep int
	// Provenance is where the run was trained, for a finished run that a
	// RunStore read back from a run folder or its Archive instead of
	// training it (nil for a run trained, or finished, by this process).
	Provenance *Provenance

	backend compute.Backend
}

// Predict returns the trained network's outputs f(Y) for noisy images, at
// the weights the run is evaluated at (ASGD's averaged weights, see
// optimizers.AtEvaluationWeights), in chunks within the run's memory bound.
func (res *Result) Predict(noisy *datasets.Images) (*datasets.Images, error) {
	var out *datasets.Images
	err := optimizers.AtEvaluationWeights(res.Config.Optimizer, res.Store, func() error {
		d, err := stcnn.NewDenoiser(res.backend, res.Store, res.Trainer.Network(), res.Config.MaxChunkElements)
		if err != nil {
			return err
		}
		out, err = d.Denoise(noisy)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("training: predicting with %s: %w", res.Config.Name, err)
	}
	return out, nil
}

// Run trains the network of cfg as the options say. Same configuration,
// same backend: same weights and history, whether or not the run was
// interrupted (at any step, or killed at any moment) and resumed.
func Run(cfg Config, opts Options) (*Result, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if opts.Backend == nil {
		return nil, errors.New("training: Options.Backend is nil")
	}
	if opts.Resume && opts.Force {
		return nil, errors.New("training: Options.Resume and Options.Force exclude each other")
	}
	if opts.Store != nil && opts.Dir != "" {
		return nil, errors.New("training: Options.Store (caller's weights) cannot be combined with a run folder")
	}
	var saved *SavedState
	var changes []ConfigChange
	if opts.Dir != "" {
		if err := os.MkdirAll(opts.Dir, 0o755); err != nil {
			return nil, fmt.Errorf("training: %w", err)
		}
		lock, err := lockDir(opts.Dir)
		if err != nil {
			return nil, err
		}
		defer lock.release()
		if saved, changes, err = checkRunDir(cfg, opts); err != nil {
			return nil, err
		}
		if opts.Force {
			if err := clearRun(opts.Dir); err != nil {
				return nil, err
			}
		}
	}
	data := opts.Data
	if data == nil {
		var err error
		if data, err = LoadData(cfg); err != nil {
			return nil, err
		}
	} else if err := data.check(cfg); err != nil {
		return nil, err
	}
	net := opts.Network
	if net == nil {
		var err error
		if net, err = cfg.NewNetwork(); err != nil {
			return nil, err
		}
	}
	store := opts.Store
	if store == nil {
		store = model.NewStore()
	}
	res := &Result{Config: cfg, Store: store, Data: data, History: History{Name: cfg.Name}, SavedEpoch: -1, SavedStep: -1,
		backend: opts.Backend}
	if saved != nil {
		if err := restoreState(saved, net, store, res, changes); err != nil {
			return nil, fmt.Errorf("training: %s/%s: %w", opts.Dir, saved.Unit, err)
		}
		if err := useSaved(opts, saved); err != nil {
			return nil, err
		}
	} else if opts.Store != nil {
		if err := net.Restore(store); err != nil {
			return nil, fmt.Errorf("training: Options.Store: %w", err)
		}
	} else if cfg.Init == (initializers.Spec{}) {
		return nil, errors.New("training: config field \"init\" is empty (allowed only with weights in Options.Store)")
	} else if err := net.Init(store, cfg.Init, cfg.Seeds().Model); err != nil {
		return nil, err
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
	res.History.Task = net.Task()
	r := &runner{cfg: cfg, opts: opts, res: res, tr: tr}
	if saved != nil {
		r.wall0 = saved.WallSeconds
	}
	err = r.begin(saved != nil)
	if err == nil {
		err = r.train()
	}
	if errors.Is(err, ErrStopRun) {
		return res, r.save()
	}
	return res, r.stopped(err)
}

type runner struct {
	cfg   Config
	opts  Options
	res   *Result
	tr    *stcnn.Trainer
	start time.Time
	wall0 float64
}

// begin evaluates the initial weights of a new run and saves its first
// state, then writes config.json: a folder with config.json has a state.
func (r *runner) begin(resumed bool) error {
	if !resumed {
		if err := r.evaluate(); err != nil {
			return err
		}
		if err := r.save(); err != nil {
			return err
		}
	}
	if r.opts.Dir == "" {
		return nil
	}
	if err := r.cfg.Save(filepath.Join(r.opts.Dir, "config.json")); err != nil {
		return err
	}
	return r.res.History.Save(r.opts.Dir)
}

func (r *runner) train() error {
	cfg, res := r.cfg, r.res
	spe := cfg.stepsPerEpoch()
	total := spe * cfg.Epochs
	r.start = time.Now()
	startStep := res.Step
	if r.stopRequested() {
		return r.interrupt(res.Epoch + 1)
	}
	for epoch := res.Epoch + 1; epoch <= cfg.Epochs; epoch++ {
		batches, err := datasets.Batches(cfg.TrainSize, cfg.BatchSize, cfg.Seeds().Shuffle+uint64(epoch), !cfg.NoShuffle)
		if err != nil {
			return err
		}
		done := res.Step - (epoch-1)*spe // steps of this epoch taken before a resumption
		for _, idx := range batches[done:] {
			if err := r.step(epoch, idx, total, startStep); err != nil {
				return err
			}
			if r.stopRequested() {
				return r.interrupt(epoch)
			}
			endOfEpoch := res.Step == epoch*spe
			if cfg.CheckpointEverySteps > 0 && res.Step%cfg.CheckpointEverySteps == 0 && !endOfEpoch {
				if err := r.save(); err != nil {
					return err
				}
			}
		}
		res.Epoch = epoch
		if cfg.EvalEverySteps == 0 {
			if err := r.evaluate(); err != nil {
				return err
			}
			if r.opts.Progress != nil {
				rec := res.History.Records[len(res.History.Records)-1]
				ev := r.event(epoch, total, startStep, rec.Train.Objective)
				ev.Record = &rec
				r.opts.Progress(ev)
			}
		}
		last := epoch == cfg.Epochs || epoch == r.opts.StopAfterEpoch
		if last || (cfg.CheckpointEvery > 0 && epoch%cfg.CheckpointEvery == 0) ||
			(cfg.CheckpointEverySteps > 0 && res.Step%cfg.CheckpointEverySteps == 0) {
			if err := r.save(); err != nil {
				return err
			}
		}
		if r.opts.Dir != "" {
			if err := res.History.Save(r.opts.Dir); err != nil {
				return err
			}
		}
		if h := r.opts.Hooks.AfterEpoch; h != nil {
			if err := h(res, epoch); err != nil {
				return err
			}
		}
		if epoch == r.opts.StopAfterEpoch {
			break
		}
	}
	return nil
}

// step takes one optimiser step on the batch idx and checks the objective.
// event describes the run after its latest step; ETA extrapolates the
// time of this invocation's steps (startStep: the step it resumed from).
func (r *runner) event(epoch, total, startStep int, objective float64) Event {
	ev := Event{Epoch: epoch, Epochs: r.cfg.Epochs, Step: r.res.Step, TotalSteps: total, Objective: objective,
		Elapsed: time.Since(r.start)}
	if done := r.res.Step - startStep; done > 0 {
		ev.ETA = time.Duration(float64(ev.Elapsed) / float64(done) * float64(total-r.res.Step))
	}
	return ev
}

func (r *runner) step(epoch int, idx []int, total, startStep int) error {
	cfg, res := r.cfg, r.res
	y, err := res.Data.TrainNoisy.Gather(idx)
	if err != nil {
		return err
	}
	x, err := res.Data.TrainClean.Gather(idx)
	if err != nil {
		return err
	}
	sr, err := r.tr.Step(y, x)
	if err != nil && !math.IsNaN(sr.Objective) && !math.IsInf(sr.Objective, 0) {
		return &StopError{Stop{Reason: StopFailed, Epoch: epoch, Step: res.Step + 1, Message: fmt.Sprintf(
			"training: epoch %d, step %d: %v%s", epoch, res.Step+1, err, r.keptNote())}}
	}
	res.Step++
	if err := r.checkObjective(epoch, "the batch objective", sr.Objective); err != nil {
		return err
	}
	ev := r.event(epoch, total, startStep, sr.Objective)
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
	if h := r.opts.Hooks.AfterStep; h != nil {
		return h(ev)
	}
	return nil
}

// checkObjective stops the run when an objective is not finite or exceeds
// the starting objective (the first record's) by the divergence factor.
func (r *runner) checkObjective(epoch int, what string, v float64) error {
	res := r.res
	var why string
	if math.IsNaN(v) || math.IsInf(v, 0) {
		why = fmt.Sprintf("%s is %v", what, v)
	} else if len(res.History.Records) > 0 {
		start, f := res.History.Records[0].Train.Objective, r.cfg.divergeFactor()
		if start > 0 && v > f*start {
			why = fmt.Sprintf("%s %.4g exceeds %g times the starting objective %.4g (diverge_factor)", what, v, f, start)
		}
	}
	if why == "" {
		return nil
	}
	return &StopError{Stop{Reason: StopDiverged, Epoch: epoch, Step: res.Step, Message: fmt.Sprintf(
		"training: diverged at epoch %d, step %d: %s%s", epoch, res.Step, why, r.keptNote())}}
}

// keptNote names the saved state a stopped run leaves.
func (r *runner) keptNote() string {
	if r.opts.Dir == "" || r.res.SavedStep < 0 {
		return ""
	}
	return fmt.Sprintf("; the saved state (epoch %d, step %d) is kept", r.res.SavedEpoch, r.res.SavedStep)
}

func (r *runner) stopRequested() bool {
	select {
	case <-r.opts.Stop:
		return true
	default:
		return false
	}
}

// interrupt saves the state after the step just taken and stops the run.
func (r *runner) interrupt(epoch int) error {
	r.res.Epoch = epoch - 1
	if err := r.save(); err != nil {
		return err
	}
	msg := fmt.Sprintf("training: interrupted after step %d (epoch %d of %d)", r.res.Step, epoch, r.cfg.Epochs)
	if r.opts.Dir != "" {
		msg += fmt.Sprintf("; the state is saved in %s", r.opts.Dir)
	} else {
		msg += "; nothing was saved (no run folder)"
	}
	return &StopError{Stop{Reason: StopInterrupted, Epoch: epoch, Step: r.res.Step, Message: msg}}
}

// stopped records a StopError in the history files.
func (r *runner) stopped(err error) error {
	var se *StopError
	if !errors.As(err, &se) {
		return err
	}
	r.res.History.Stopped = &se.Stop
	if r.opts.Dir != "" {
		if herr := r.res.History.Save(r.opts.Dir); herr != nil {
			return errors.Join(err, herr)
		}
	}
	return err
}

func (r *runner) wall() float64 {
	if r.start.IsZero() {
		return r.wall0
	}
	return r.wall0 + time.Since(r.start).Seconds()
}

// save writes the state unit (when the run has a folder).
func (r *runner) save() error {
	if r.opts.Dir == "" {
		return nil
	}
	res := r.res
	st := State{Config: r.cfg, Epoch: res.Epoch, Step: res.Step, WallSeconds: r.wall(), History: res.History}
	st.History.Stopped = nil
	if err := writeState(r.opts.Dir, st, res.Store); err != nil {
		return fmt.Errorf("training: saving the state at step %d: %w", res.Step, err)
	}
	res.SavedEpoch, res.SavedStep = res.Epoch, res.Step
	return nil
}

// evaluate records the metrics at the end of epoch res.Epoch.
func (r *runner) evaluate() error { return r.evaluateAt(r.res.Epoch) }

func (r *runner) evaluateAt(epoch int) error {
	res, cfg := r.res, r.cfg
	rec := Record{Epoch: epoch, Step: res.Step, LearningRate: cfg.Hyperparams.LearningRate}
	if !r.start.IsZero() {
		rec.WallSeconds = r.wall()
	}
	pause := time.Now()
	withTest := cfg.measuresTestAt(res.Step)
	err := optimizers.AtEvaluationWeights(cfg.Optimizer, res.Store, func() error {
		m, err := evaluate(r.opts.Backend, r.tr, res.Data, cfg.MeasureGap, withTest)
		rec.Train, rec.TrainGap, rec.TestGap = m.Train, m.TrainGap, m.TestGap
		if withTest && res.Data.hasTest() {
			rec.Test = &m.Test
		}
		return err
	})
	if err != nil {
		return err
	}
	for _, m := range []struct {
		set string
		m   *stcnn.Metrics // nil: not measured
	}{{"training", &rec.Train}, {"test", rec.Test}} {
		if m.m == nil {
			continue
		}
		for _, q := range []struct {
			name string
			v    float64
		}{{"objective", m.m.Objective}, {"PSNR", m.m.PSNR}, {"RLNE", m.m.RLNE}} {
			if math.IsNaN(q.v) || math.IsInf(q.v, 0) {
				return &StopError{Stop{Reason: StopDiverged, Epoch: epoch, Step: res.Step, Message: fmt.Sprintf(
					"training: diverged: evaluation at epoch %d, step %d: %s %s is %v%s",
					epoch, res.Step, m.set, q.name, q.v, r.keptNote())}}
			}
		}
	}
	if err := r.checkObjective(epoch, "the training objective", rec.Train.Objective); err != nil {
		return err
	}
	res.History.Records = append(res.History.Records, rec)
	if !r.start.IsZero() {
		r.start = r.start.Add(time.Since(pause)) // evaluation time is not training time
	}
	if h := r.opts.Hooks.AfterEvaluation; h != nil {
		return h(res, rec)
	}
	return nil
}
