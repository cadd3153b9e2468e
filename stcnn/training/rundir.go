package training

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
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
