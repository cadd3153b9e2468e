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
// trained again. A run in a run folder saves its state every epoch unless
// its configuration sets a cadence, so that an interrupted run loses at
// most an epoch. Its results are shared: callers must not train them
// further or change their variables (evaluating at ASGD's averaged
// weights swaps them back). The zero RunStore keeps runs in memory only;
// it is safe for concurrent use.
type RunStore struct {
	// Dir, when set, holds one run folder per ID.
	Dir string

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
func (s *RunStore) Run(cfg Config, opts Options) (res *Result, reused bool, err error) {
	if cfg.Dataset == Given || opts.Store != nil || !opts.Hooks.empty() {
		return nil, false, fmt.Errorf("%w (%s)", ErrNotStorable, cfg.Name)
	}
	id := cfg.ID() // Run validates cfg before anything is stored under id
	s.mu.Lock()
	defer s.mu.Unlock()
	if r, ok := s.runs[id]; ok {
		return r.as(cfg), true, nil
	}
	if !cfg.MeasureGap {
		// The gap is measured at evaluations and changes no weight: a run
		// that measured it serves one that does not.
		withGap := cfg
		withGap.MeasureGap = true
		if r, ok := s.runs[withGap.ID()]; ok {
			return r.as(cfg), true, nil
		}
	}
	target := cfg // the run trained or read back
	if s.Dir != "" {
		if !cfg.MeasureGap {
			// The same rule for run folders: a finished one that measured
			// the gap is read back instead of training this run again.
			withGap := cfg
			withGap.MeasureGap = true
			if st, err := ReadState(filepath.Join(s.Dir, withGap.ID())); err == nil && st.Epoch >= withGap.Epochs {
				target = withGap
			}
		}
		opts.Dir, opts.Resume, opts.Force = filepath.Join(s.Dir, target.ID()), true, false
		if target.CheckpointEvery == 0 && target.CheckpointEverySteps == 0 {
			target.CheckpointEvery = 1 // not part of the ID
		}
	}
	stepped := false
	opts.Hooks.AfterStep = func(Event) error { stepped = true; return nil }
	if res, err = Run(target, opts); err != nil {
		return res, false, err
	}
	if s.runs == nil {
		s.runs = map[string]*Result{}
	}
	s.runs[target.ID()] = res
	return res.as(cfg), !stepped, nil
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
