package training

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
)

// ID identifies the run a configuration describes: the hex SHA-256 of the
// configuration's canonical JSON (encoding/json of Config, whose fields are
// written in a fixed order) with the settings that change neither the
// weights nor the history cleared: the name, the data folder and the
// checkpoint cadence. The data set, sizes, noise, seeds, network,
// optimiser, epochs and evaluation cadence all enter it, so two
// configurations with the same ID train the same run.
func (c Config) ID() string {
	c.Name, c.DataDir, c.CheckpointEvery, c.CheckpointEverySteps = "", "", 0, 0
	data, err := json.Marshal(c)
	if err != nil { // a Config holds only numbers, strings and flat structs
		panic(fmt.Sprintf("training: encoding a configuration: %v", err))
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// RunStore hands out runs by their configuration's ID, training each once:
// a run finished earlier in the process is returned as it is, and with a
// Dir a run finished by an earlier process is read back from its run
// folder Dir/<ID> (a partial one is resumed there), instead of being
// trained again; with an Archive, a finished run archived there
// (ArchiveRuns) is read back when Dir holds no run of that ID. A run in a
// run folder saves its state every epoch unless its configuration sets a
// cadence, so that an interrupted run loses at most an epoch. Its results
// are shared: callers must not train them further or change their
// variables (evaluating at ASGD's averaged weights swaps them back). The
// zero RunStore keeps runs in memory only; it is safe for concurrent use.
type RunStore struct {
	// Dir, when set, holds one run folder per ID.
	Dir string
	// Archive, when set, is a run archive (see ArchiveRuns) to read
	// finished runs from; Result.Provenance says where such a run was trained.
	Archive string
	// Provenance is recorded (with the run's ID, name, time and date) in
	// the folder of every run this store finishes in Dir, for ArchiveRuns:
	// the caller's code revision, backend and machine.
	Provenance Provenance

	mu   sync.Mutex
	runs map[string]*Result
}

// ErrNotStorable is returned for a run the store cannot identify by its
// configuration: images given in Options.Data under the "given" data set,
// weights in Options.Store, or hooks (whose work a stored run would skip).
var ErrNotStorable = errors.New("training: run cannot be shared by a RunStore")

// Run returns the run of cfg, training it with Run only when the store
// holds no finished run of cfg.ID(). opts are Run's options; their Dir and
// Resume are the store's. reused reports a run returned from the store.
//
// The gap is measured at evaluations and changes no weight, so a finished
// run that measured it serves the same configuration without it.
func (s *RunStore) Run(cfg Config, opts Options) (res *Result, reused bool, err error) {
	if cfg.Dataset == Given || opts.Store != nil || !opts.Hooks.empty() {
		return nil, false, fmt.Errorf("%w (%s)", ErrNotStorable, cfg.Name)
	}
	id := cfg.ID() // Run validates cfg before anything is stored under id
	withGap := cfg
	withGap.MeasureGap = true
	s.mu.Lock()
	defer s.mu.Unlock()
	if r, ok := s.runs[id]; ok {
		return r.as(cfg), true, nil
	}
	if r, ok := s.runs[withGap.ID()]; ok && !cfg.MeasureGap {
		return r.as(cfg), true, nil
	}
	target, prov, cleanup, err := s.locate(cfg, withGap)
	if err != nil {
		return nil, false, err
	}
	defer cleanup()
	if target.dir != "" {
		opts.Dir, opts.Resume, opts.Force = target.dir, true, false
		if target.cfg.CheckpointEvery == 0 && target.cfg.CheckpointEverySteps == 0 {
			target.cfg.CheckpointEvery = 1 // not part of the ID
		}
	}
	stepped := false
	opts.Hooks.AfterStep = func(Event) error { stepped = true; return nil }
	if res, err = Run(target.cfg, opts); err != nil {
		return res, false, err
	}
	if !stepped {
		res.Provenance = prov
	} else if s.Dir != "" && res.History.Stopped == nil && res.Epoch >= target.cfg.Epochs {
		if err := writeProvenance(target.dir, s.Provenance, res, target.resumedFrom > 0); err != nil {
			return res, false, err
		}
	}
	if s.runs == nil {
		s.runs = map[string]*Result{}
	}
	s.runs[target.cfg.ID()] = res
	return res.as(cfg), !stepped, nil
}

// storedRun is where RunStore.Run finds or trains a run: its configuration
// (cfg or its with-gap twin), its run folder ("" for a run in memory) and
// the step its saved state had reached.
type storedRun struct {
	cfg         Config
	dir         string
	resumedFrom int
}

// locate chooses the run folder of cfg, in this order: a finished run of
// withGap in Dir, a run of cfg in Dir (finished or not), a finished run of
// cfg and then of withGap in the Archive (copied with its provenance into
// Dir, or into a temporary folder that cleanup removes), and else a new run
// of cfg in Dir or in memory. prov is the provenance of a finished run.
func (s *RunStore) locate(cfg, withGap Config) (target storedRun, prov *Provenance, cleanup func(), err error) {
	cleanup = func() {}
	candidates := []Config{cfg}
	if !cfg.MeasureGap {
		candidates = []Config{withGap, cfg}
	}
	if s.Dir != "" {
		for _, c := range candidates {
			dir := filepath.Join(s.Dir, c.ID())
			st, err := ReadState(dir)
			if err == nil && finished(st) {
				p, err := readProvenance(dir, st)
				if err != nil {
					return target, nil, cleanup, err
				}
				return storedRun{cfg: c, dir: dir, resumedFrom: st.Step}, &p, cleanup, nil
			}
			if err == nil && c.ID() == cfg.ID() {
				return storedRun{cfg: c, dir: dir, resumedFrom: st.Step}, nil, cleanup, nil
			}
			if c.ID() == cfg.ID() && HasRun(dir) {
				return storedRun{cfg: c, dir: dir}, nil, cleanup, nil // Run reports what is wrong with it
			}
		}
	}
	if s.Archive != "" {
		// The exact configuration first, then its with-gap twin.
		for i := len(candidates) - 1; i >= 0; i-- {
			run, p, cleanup, err := s.fromArchive(candidates[i])
			if err != nil || p != nil {
				return run, p, cleanup, err
			}
		}
	}
	if s.Dir != "" {
		return storedRun{cfg: cfg, dir: filepath.Join(s.Dir, cfg.ID())}, nil, cleanup, nil
	}
	return storedRun{cfg: cfg}, nil, cleanup, nil
}

// as returns a copy of res for the configuration cfg of the same run: its
// name, and without the gaps when cfg does not measure them (the variables,
// trainer and records are shared).
func (res *Result) as(cfg Config) *Result {
	out := *res
	out.Config.Name, out.History.Name = cfg.Name, cfg.Name
	if res.Config.MeasureGap && !cfg.MeasureGap {
		out.Config.MeasureGap = false
		out.History.Records = make([]Record, len(res.History.Records))
		for i, r := range res.History.Records {
			r.TrainGap, r.TestGap = nil, nil
			out.History.Records[i] = r
		}
	}
	return &out
}
