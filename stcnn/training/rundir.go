package training

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/convexst/stcnn/stcnn"
	"github.com/gomlx/gomlx/ml/model"
)

// A run folder (Options.Dir) holds:
//
//	.lock                     the lock of the running process (lock.go)
//	state/, state.prev/       the saved state unit and the previous one (state.go)
//	config.json               the configuration, for reading
//	history.csv, history.json the history so far, for reading
//
// Only the state unit is read back; the other files are views of it,
// rewritten at every save. Earlier versions wrote progress.json and
// checkpoints/ instead of the unit.

// runFiles are the names a run writes into its folder, as Force clears them.
var runFiles = []string{stateDir, statePrevDir, stateNewDir, "config.json", "history.csv", "history.json",
	"progress.json", "checkpoints"}

// presentRunFiles lists the run files present in dir.
func presentRunFiles(dir string) []string {
	var out []string
	for _, name := range runFiles {
		if _, err := os.Lstat(filepath.Join(dir, name)); err == nil {
			out = append(out, name)
		}
	}
	return out
}

// clearRun removes the run files of dir and nothing else.
func clearRun(dir string) error {
	for _, name := range runFiles {
		if err := os.RemoveAll(filepath.Join(dir, name)); err != nil {
			return fmt.Errorf("training: clearing %s: %w", dir, err)
		}
	}
	return nil
}

// ConfigChange is one setting that differs between two configurations.
type ConfigChange struct {
	// Field is the JSON path, e.g. "hyperparams.learning_rate".
	Field    string
	From, To string
}

func (c ConfigChange) String() string { return fmt.Sprintf("%s %s -> %s", c.Field, c.From, c.To) }

// resultNeutral are the settings that do not change the weights or the
// history of a run, so a resumed run may change them: the number of epochs
// (a run may be extended), the save cadence, where the data are read from,
// the label and the divergence threshold (the run has not diverged so far).
var resultNeutral = []string{"epochs", "checkpoint_every", "checkpoint_every_steps", "data_dir", "name", "diverge_factor"}

// DiffConfig lists the settings that differ from saved to now, split into
// those that change the result (every setting but the resultNeutral ones)
// and the neutral ones. An unset setting equals a zero one.
func DiffConfig(saved, now Config) (changing, neutral []ConfigChange) {
	a, b := flatten(saved), flatten(now)
	keys := map[string]bool{}
	for k := range a {
		keys[k] = true
	}
	for k := range b {
		keys[k] = true
	}
	sorted := make([]string, 0, len(keys))
	for k := range keys {
		sorted = append(sorted, k)
	}
	sort.Strings(sorted)
	for _, k := range sorted {
		from, to := a[k], b[k]
		if from == to || (isZeroJSON(from) && isZeroJSON(to)) {
			continue
		}
		ch := ConfigChange{Field: k, From: orUnset(from), To: orUnset(to)}
		if slices.Contains(resultNeutral, k) {
			neutral = append(neutral, ch)
		} else {
			changing = append(changing, ch)
		}
	}
	return changing, neutral
}

func orUnset(s string) string {
	if s == "" {
		return "(unset)"
	}
	return s
}

// isZeroJSON reports whether a leaf is absent or a zero value (omitempty
// leaves those out, so both mean the same setting).
func isZeroJSON(s string) bool {
	return s == "" || s == "0" || s == `""` || s == "false" || s == "null"
}

// flatten maps each leaf of c's JSON form to its JSON text, by dotted path.
func flatten(c Config) map[string]string {
	data, _ := json.Marshal(c)
	var v any
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	_ = dec.Decode(&v)
	out := map[string]string{}
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				walk(strings.TrimPrefix(prefix+"."+k, "."), e)
			}
		default:
			js, _ := json.Marshal(x)
			out[prefix] = string(js)
		}
	}
	walk("", v)
	return out
}

// HasRun reports whether dir holds a run (any of the files a run writes).
func HasRun(dir string) bool { return len(presentRunFiles(dir)) > 0 }

// CheckRunDir makes the checks of the run folder that Run makes before
// it writes anything (a run held without Resume or Force, a resume with no
// saved state or with settings that change the result), so that a caller
// can make them before loading data. Run makes them again under the lock.
func CheckRunDir(cfg Config, opts Options) error {
	if opts.Dir == "" {
		return nil
	}
	_, _, err := checkRunDir(cfg, opts)
	return err
}

// checkRunDir checks the run folder against the options and, when
// resuming, reads the saved state and checks cfg against its
// configuration. It writes nothing.
func checkRunDir(cfg Config, opts Options) (*SavedState, []ConfigChange, error) {
	dir := opts.Dir
	present := presentRunFiles(dir)
	switch {
	case opts.Force, len(present) == 0:
		return nil, nil, nil
	case !opts.Resume:
		return nil, nil, fmt.Errorf("training: %s holds a run (%s); use -resume to continue it or -force to replace it",
			dir, strings.Join(present, ", "))
	}
	saved, err := ReadState(dir)
	if err != nil {
		if errors.Is(err, ErrNoState) {
			return nil, nil, fmt.Errorf("training: %s holds a run (%s) but no saved state to resume from "+
				"(written by an earlier version, or stopped before its first save); use -force to replace it",
				dir, strings.Join(present, ", "))
		}
		return nil, nil, fmt.Errorf("%w; use -force to replace the run", err)
	}
	changing, neutral := DiffConfig(saved.Config, cfg)
	if len(changing) > 0 {
		list := make([]string, len(changing))
		for i, c := range changing {
			list[i] = c.String()
		}
		return nil, nil, fmt.Errorf("training: cannot resume the run in %s with different settings: %s "+
			"(they change the result; only epochs, checkpoint_every, checkpoint_every_steps, data_dir, name and "+
			"diverge_factor may change); use -force to start a new run", dir, strings.Join(list, "; "))
	}
	if cfg.Epochs < saved.Epoch || (cfg.Epochs == saved.Epoch && saved.Step > saved.Epoch*cfg.stepsPerEpoch()) {
		return nil, nil, fmt.Errorf("training: cannot resume the run in %s with %d epochs: it has completed %d",
			dir, cfg.Epochs, saved.Epoch)
	}
	return saved, neutral, nil
}

// restoreState loads the saved variables and progress into store and res
// and records the changed settings in the history.
func restoreState(saved *SavedState, net stcnn.Network, store *model.Store, res *Result, changes []ConfigChange) error {
	paths := make([]string, 0, len(saved.Tensors))
	for p := range saved.Tensors {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	for _, p := range paths {
		// The state does not record which variables are trainable.
		store.VariableWithValue(p, saved.Tensors[p]).SetTrainable(false)
	}
	if err := net.Restore(store); err != nil {
		return fmt.Errorf("the saved variables do not match the configuration: %w", err)
	}
	res.Epoch, res.Step, res.History = saved.Epoch, saved.Step, saved.History
	res.SavedEpoch, res.SavedStep = saved.Epoch, saved.Step
	res.History.Stopped = nil
	for i, rec := range res.History.Records {
		if rec.Test != nil && rec.Test.Images == 0 {
			// Written when Record.Test was a value: zeros for a run
			// without test images, which measured nothing.
			res.History.Records[i].Test = nil
		}
	}
	for _, c := range changes {
		note := fmt.Sprintf("%s changed from %s to %s at step %d", c.Field, c.From, c.To, saved.Step)
		if c.Field == "epochs" {
			note = fmt.Sprintf("changed from %s to %s epochs at step %d", c.From, c.To, saved.Step)
			if res.Config.Epochs > saved.Config.Epochs {
				note = "extended" + strings.TrimPrefix(note, "changed")
			}
		}
		res.History.Changes = append(res.History.Changes,
			Change{Epoch: saved.Epoch, Step: saved.Step, Field: c.Field, From: c.From, To: c.To, Note: note})
	}
	return nil
}

// useSaved reports which saved state a resumed run uses and removes a
// damaged newest unit, so that the next save keeps the good one as state.prev.
func useSaved(opts Options, saved *SavedState) error {
	msg := fmt.Sprintf("resuming %s from %s/ (epoch %d, step %d)", opts.Dir, saved.Unit, saved.Epoch, saved.Step)
	if saved.Damaged != "" {
		msg += ", the previous good state, because " + saved.Damaged
		if err := os.RemoveAll(filepath.Join(opts.Dir, stateDir)); err != nil {
			return fmt.Errorf("training: %w", err)
		}
	}
	if opts.Notice != nil {
		opts.Notice(msg)
	}
	return nil
}
