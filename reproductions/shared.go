package reproductions

import (
	"fmt"
	"sync"
	"time"

	"github.com/convexst/stcnn/datasets"
	"github.com/convexst/stcnn/stcnn"
	"github.com/convexst/stcnn/stcnn/training"
)

// Shared is what the figures of one invocation share, so that figures
// built on the same runs (Figs. 11, 12 and Table I; Figs. 16, 17 and
// Table II; the certified mode of Figs. 9-11 and Table I) compute each once:
// the training runs, by their configuration's ID (training.RunStore), the
// networks' outputs on an image set, and the certified solutions of the
// dual runs' problems.
type Shared struct {
	Runs training.RunStore

	mu          sync.Mutex
	certified   map[string]*mnistCertified
	data        map[dataKey]*training.Data
	predictions map[predictionKey]*datasets.Images
}

// predictionKey identifies a finished run's outputs on an image set: the
// run's variables and the images, by identity.
type predictionKey struct {
	store  any
	images *datasets.Images
}

// dataKey is what training.LoadData's images depend on.
type dataKey struct {
	dataset, dir string
	train, test  int
	sigma        float64
	clip         bool
	seed         uint64
}

// NewShared returns a Shared whose runs are kept in memory and, when
// runsDir is not empty, in run folders under runsDir, from which a later
// invocation reads them back instead of training them again (remove the
// folder after changing the training code). When archive is not empty,
// finished runs archived there (training.ArchiveRuns; the committed
// paper-scale runs are in reproductions/paper/runs) are read back instead of
// trained. Each manifest lists the runs its figure read back, from either
// place, with the revision that trained them. Runs this invocation finishes in runsDir
// record commit, backend and machine for a later archive.
func NewShared(runsDir, archive string, backend string) *Shared {
	return &Shared{Runs: training.RunStore{Dir: runsDir, Archive: archive,
		Provenance: training.Provenance{Commit: gitCommit(), Backend: backend, Machine: machine()}}}
}

// train returns the run of cfg on data (data must be training.LoadData's
// for cfg): from env.Shared when the configuration was trained before,
// else trained now with training.Run. The last record of the run it
// returns has test metrics whenever cfg has test images.
func (e Env) train(cfg training.Config, data *training.Data) (*training.Result, error) {
	start := time.Now()
	opts := training.Options{Backend: e.Backend, Data: data, Stop: e.Stop, Progress: e.progress(cfg.Name)}
	var res *training.Result
	var err error
	reused := false
	if e.Shared != nil {
		res, reused, err = e.Shared.Runs.Run(cfg, opts)
	} else {
		res, err = training.Run(cfg, opts)
	}
	if err != nil {
		return res, fmt.Errorf("run %s: %w", cfg.Name, err)
	}
	how := fmt.Sprintf("%.1fs", time.Since(start).Seconds())
	if reused {
		how = "shared run"
	}
	if p := res.Provenance; p != nil {
		how = fmt.Sprintf("run read back, trained at commit %s on %s", shortCommit(p.Commit), p.Backend)
		e.readBack.add(*p)
	}
	last := res.History.Last()
	if last.Test == nil && cfg.TestSize > 0 { // a completed run measures them at its last evaluation
		return res, fmt.Errorf("run %s: its last evaluation measured no test metrics", cfg.Name)
	}
	test := stcnn.Metrics{} // a run without test images logs zeros
	if last.Test != nil {
		test = *last.Test
	}
	msg := fmt.Sprintf("  %-22s objective train %.4g test %.4g, PSNR train %.2f dB test %.2f dB", cfg.Name,
		last.Train.Objective, test.Objective, last.Train.PSNR, test.PSNR)
	if last.TrainGap != nil {
		msg += fmt.Sprintf(", gap %.4g (%.1f%%)", last.TrainGap.Gap, 100*last.TrainGap.Relative)
	}
	e.Logf("%s (%s)", msg, how)
	return res, nil
}

// readBackRuns collects the finished runs a figure read back (from a run
// folder or the run archive) instead of training them, for its manifest.
type readBackRuns struct {
	mu   sync.Mutex
	runs []training.Provenance
}

// add records p once (nil receiver: nothing recorded).
func (a *readBackRuns) add(p training.Provenance) {
	if a == nil {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, r := range a.runs {
		if r.ID == p.ID {
			return
		}
	}
	a.runs = append(a.runs, p)
}

// progressEvery is how often a long run logs its progress.
const progressEvery = time.Minute

// progress returns a training progress callback that logs, at most once
// per progressEvery, the run's epoch and step and the time it estimates is
// left, so that an hours-long paper-scale run shows where it is.
func (e Env) progress(name string) func(training.Event) {
	if e.Log == nil {
		return nil
	}
	last := time.Now()
	return func(ev training.Event) {
		if time.Since(last) < progressEvery || ev.Step == ev.TotalSteps {
			return
		}
		last = time.Now()
		e.Logf("  %-22s epoch %d/%d, step %d/%d, %s elapsed, about %s left", name, ev.Epoch, ev.Epochs, ev.Step, ev.TotalSteps,
			ev.Elapsed.Round(time.Second), ev.ETA.Round(time.Second))
	}
}

// predict returns the outputs f(Y) of the run res for the noisy images
// (training.Result.Predict: at the weights the run is evaluated at, ASGD's
// averaged ones for ASGD). For a finished run they are computed once per
// Env.Shared and image set: Figs. 11, 12 and Table I predict the same test
// images with the same runs, which at the paper scale takes minutes.
func (e Env) predict(res *training.Result, noisy *datasets.Images) (*datasets.Images, error) {
	s := e.Shared
	if s == nil || res.Epoch < res.Config.Epochs { // a run in progress changes its weights
		return res.Predict(noisy)
	}
	key := predictionKey{res.Store, noisy}
	s.mu.Lock()
	out, ok := s.predictions[key]
	s.mu.Unlock()
	if ok {
		return out, nil
	}
	out, err := res.Predict(noisy)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.predictions == nil {
		s.predictions = map[predictionKey]*datasets.Images{}
	}
	s.predictions[key] = out
	return out, nil
}

// data returns training.LoadData's images for cfg, loaded once per
// Env.Shared.
func (e Env) data(cfg training.Config) (*training.Data, error) {
	key := dataKey{cfg.Dataset, cfg.DataDir, cfg.TrainSize, cfg.TestSize, cfg.Sigma, cfg.ClipNoisy, cfg.Seed}
	if s := e.Shared; s != nil {
		s.mu.Lock()
		defer s.mu.Unlock()
		if d, ok := s.data[key]; ok {
			return d, nil
		}
	}
	start := time.Now()
	d, err := training.LoadData(cfg)
	if err != nil {
		return nil, err
	}
	test := 0
	if d.TestClean != nil {
		test = d.TestClean.N
	}
	e.Logf("  %s: %d training / %d test images, sigma %.2f (%.1fs)", cfg.Dataset, d.TrainClean.N, test, cfg.Sigma,
		time.Since(start).Seconds())
	if s := e.Shared; s != nil {
		if s.data == nil {
			s.data = map[dataKey]*training.Data{}
		}
		s.data[key] = d
	}
	return d, nil
}

// sharedImages returns *images, loading training.LoadData's images for cfg
// into it first (Env.data) when it is nil: the images that all runs of a
// figure train on, read once also without Env.Shared.
func (e Env) sharedImages(images **training.Data, cfg training.Config) (*training.Data, error) {
	if *images == nil {
		d, err := e.data(cfg)
		if err != nil {
			return nil, err
		}
		*images = d
	}
	return *images, nil
}

// trainShared trains cfg (Env.train) on the images that all runs of a
// figure share (Env.sharedImages).
func (e Env) trainShared(cfg training.Config, images **training.Data) (*training.Result, error) {
	d, err := e.sharedImages(images, cfg)
	if err != nil {
		return nil, err
	}
	return e.train(cfg, d)
}

// certified returns the certified solution of the dual run cfg's problem,
// solving it with solve only the first time in an invocation.
func (e Env) certified(cfg training.Config, solve func() (*mnistCertified, error)) (*mnistCertified, error) {
	if e.Shared == nil {
		return solve()
	}
	s := e.Shared
	s.mu.Lock()
	defer s.mu.Unlock()
	// The solution depends on the problem only: the network, the data and
	// the seeds, not on how a run would train it.
	key := training.Config{Model: cfg.Model, Dataset: cfg.Dataset, TrainSize: cfg.TrainSize, TestSize: cfg.TestSize,
		Sigma: cfg.Sigma, Seed: cfg.Seed, MaxChunkElements: cfg.MaxChunkElements}.ID()
	if c, ok := s.certified[key]; ok {
		return c, nil
	}
	c, err := solve()
	if err != nil {
		return nil, err
	}
	if s.certified == nil {
		s.certified = map[string]*mnistCertified{}
	}
	s.certified[key] = c
	return c, nil
}
