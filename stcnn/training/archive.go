package training

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// A run archive holds finished runs for later processes and other machines
// to read instead of training them again (RunStore.Archive): one folder per
// run, named by its configuration's ID,
//
//	<ID>/state/           the run's last state unit as Run saved it (state.go):
//	                      weights, optimiser state, history; checked by size and SHA-256 when read
//	<ID>/provenance.json  where it was trained (Provenance)
//	<ID>/config.json      the configuration, for reading
//
// ArchiveRuns fills it from a run store's folder. A run is only as current
// as the code that trained it: a change to the training code that changes
// results must come with a new archive (or none), and what reports on an
// archived run names the revision in its Provenance.

// provenanceFile is the name of the provenance record in a run folder and
// in an archive entry.
const provenanceFile = "provenance.json"

// Provenance records where a run was trained.
type Provenance struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	// Commit is the revision of the code of the process that finished the
	// run; Resumed is set when that process continued a state saved by an
	// earlier one, whose revision may differ.
	Commit  string `json:"commit"`
	Resumed bool   `json:"resumed,omitempty"`
	Backend string `json:"backend"`
	Machine string `json:"machine"`
	// WallSeconds is the run's training time (evaluations excluded) over
	// all its processes; Finished when it finished (RFC 3339).
	WallSeconds float64 `json:"wall_seconds"`
	Finished    string  `json:"finished"`
}

// unrecorded is the Commit of a run folder written without a provenance record.
const unrecorded = "unrecorded"

// writeProvenance records in the run folder dir that this process finished
// the run res, with the commit, backend and machine of p.
func writeProvenance(dir string, p Provenance, res *Result, resumed bool) error {
	p.ID, p.Name, p.Resumed = res.Config.ID(), res.Config.Name, resumed
	p.WallSeconds = trainingSeconds(res.History)
	p.Finished = time.Now().UTC().Format(time.RFC3339)
	return WriteJSON(filepath.Join(dir, provenanceFile), p)
}

// trainingSeconds is a history's training time over all its processes
// (its last record's; evaluations excluded).
func trainingSeconds(h History) float64 {
	if n := len(h.Records); n > 0 {
		return h.Records[n-1].WallSeconds
	}
	return 0
}

// readProvenance reads the provenance record of a run folder or archive
// entry; a folder without one gets Commit "unrecorded".
func readProvenance(dir string, st *SavedState) (Provenance, error) {
	p := Provenance{ID: st.Config.ID(), Name: st.Config.Name, Commit: unrecorded, WallSeconds: trainingSeconds(st.History)}
	data, err := os.ReadFile(filepath.Join(dir, provenanceFile))
	if errors.Is(err, os.ErrNotExist) {
		return p, nil
	}
	if err != nil {
		return p, fmt.Errorf("training: %w", err)
	}
	if err := json.Unmarshal(data, &p); err != nil {
		return p, fmt.Errorf("training: %s: %w", filepath.Join(dir, provenanceFile), err)
	}
	if p.ID != st.Config.ID() {
		return p, fmt.Errorf("training: %s names run %s but the state holds run %s", filepath.Join(dir, provenanceFile), p.ID, st.Config.ID())
	}
	return p, nil
}

// finished reports whether a saved state completed its configured epochs
// without an early stop.
func finished(st *SavedState) bool {
	return st.Epoch >= st.Config.Epochs && st.History.Stopped == nil
}

// ArchiveRuns copies every finished run of the run store folder storeDir
// (one folder per ID, as RunStore.Dir) into the archive folder archiveDir,
// each entry written whole or not at all, and returns the provenance of the
// runs archived, by ID. A run already archived with the same state is left
// as it is; unfinished runs, and folders of runs that have not saved a
// state yet (a run starting while the store is archived), are skipped and
// listed in skipped. A damaged state is an error naming its folder.
func ArchiveRuns(storeDir, archiveDir string) (archived []Provenance, skipped []string, err error) {
	entries, err := os.ReadDir(storeDir)
	if err != nil {
		return nil, nil, fmt.Errorf("training: archiving runs: %w", err)
	}
	for _, e := range entries {
		if !e.IsDir() || e.Name()[0] == '.' {
			continue
		}
		dir := filepath.Join(storeDir, e.Name())
		st, err := ReadState(dir)
		if errors.Is(err, ErrNoState) {
			skipped = append(skipped, e.Name()+" (no saved state yet)")
			continue
		}
		if err != nil {
			return archived, skipped, fmt.Errorf("training: archiving runs: %w", err)
		}
		if st.Config.ID() != e.Name() {
			return archived, skipped, fmt.Errorf("training: archiving runs: %s holds run %s, not the run its name says", dir, st.Config.ID())
		}
		if !finished(st) {
			skipped = append(skipped, fmt.Sprintf("%s (%s: %d of %d epochs)", e.Name(), st.Config.Name, st.Epoch, st.Config.Epochs))
			continue
		}
		p, err := readProvenance(dir, st)
		if err != nil {
			return archived, skipped, err
		}
		if err := archiveRun(dir, st, p, filepath.Join(archiveDir, e.Name())); err != nil {
			return archived, skipped, err
		}
		archived = append(archived, p)
	}
	return archived, skipped, nil
}

// archiveRun writes the archive entry dst for the run folder src whose
// newest good state is st: into a fresh folder beside dst, renamed onto it.
func archiveRun(src string, st *SavedState, p Provenance, dst string) error {
	if sameUnit(filepath.Join(src, st.Unit), filepath.Join(dst, stateDir)) {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return fmt.Errorf("training: %w", err)
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dst), "."+filepath.Base(dst)+".tmp-*")
	if err != nil {
		return fmt.Errorf("training: %w", err)
	}
	defer os.RemoveAll(tmp)
	if err := copyUnit(filepath.Join(src, st.Unit), filepath.Join(tmp, stateDir)); err != nil {
		return err
	}
	if err := WriteJSON(filepath.Join(tmp, provenanceFile), p); err != nil {
		return err
	}
	if err := st.Config.Save(filepath.Join(tmp, "config.json")); err != nil {
		return err
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		return fmt.Errorf("training: %w", err)
	}
	if err := os.RemoveAll(dst); err != nil {
		return fmt.Errorf("training: %w", err)
	}
	if err := os.Rename(tmp, dst); err != nil {
		return fmt.Errorf("training: archiving %s: %w", src, err)
	}
	syncDir(filepath.Dir(dst))
	return nil
}

// sameUnit reports whether the state units a and b are good and hold the
// same files (their manifests record the size and SHA-256 of each).
func sameUnit(a, b string) bool {
	if _, err := readUnit(b); err != nil {
		return false
	}
	ma, errA := os.ReadFile(filepath.Join(a, manifestFile))
	mb, errB := os.ReadFile(filepath.Join(b, manifestFile))
	return errA == nil && errB == nil && string(ma) == string(mb)
}

// copyUnit copies the files of a state unit and checks the copy.
func copyUnit(src, dst string) error {
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return fmt.Errorf("training: %w", err)
	}
	for _, name := range []string{variablesFile, stateFile, manifestFile} {
		data, err := os.ReadFile(filepath.Join(src, name))
		if err != nil {
			return fmt.Errorf("training: %w", err)
		}
		if err := WriteFileAtomic(filepath.Join(dst, name), data); err != nil {
			return err
		}
	}
	if _, err := readUnit(dst); err != nil {
		return fmt.Errorf("training: copying the state unit %s: %w", src, err)
	}
	return nil
}

// fromArchive copies the finished run of c from the store's Archive, with
// its provenance, into the store's folder Dir/<ID>, or into a temporary
// folder that cleanup removes when the store has no Dir, and returns where
// it is (prov nil when the archive has no entry for c). An entry that is
// damaged or not finished is an error naming it.
func (s *RunStore) fromArchive(c Config) (run storedRun, prov *Provenance, cleanup func(), err error) {
	cleanup = func() {}
	id := c.ID()
	entry := filepath.Join(s.Archive, id)
	if _, err := os.Stat(entry); errors.Is(err, os.ErrNotExist) {
		return run, nil, cleanup, nil
	}
	st, err := readUnit(filepath.Join(entry, stateDir))
	if err != nil {
		return run, nil, cleanup, fmt.Errorf("training: archived run %s: %w", entry, err)
	}
	st.Unit = stateDir
	if st.Config.ID() != id {
		return run, nil, cleanup, fmt.Errorf("training: archived run %s holds run %s, not the run its name says", entry, st.Config.ID())
	}
	if !finished(st) {
		return run, nil, cleanup, fmt.Errorf("training: archived run %s is not finished (%d of %d epochs)", entry, st.Epoch, st.Config.Epochs)
	}
	p, err := readProvenance(entry, st)
	if err != nil {
		return run, nil, cleanup, err
	}
	dir := filepath.Join(s.Dir, id)
	if s.Dir == "" {
		if dir, err = os.MkdirTemp("", "stcnn-archived-run-*"); err != nil {
			return run, nil, cleanup, fmt.Errorf("training: %w", err)
		}
		cleanup = func() { os.RemoveAll(dir) }
	}
	if err := copyUnit(filepath.Join(entry, stateDir), filepath.Join(dir, stateDir)); err != nil {
		cleanup()
		return run, nil, func() {}, err
	}
	if err := WriteJSON(filepath.Join(dir, provenanceFile), p); err != nil {
		cleanup()
		return run, nil, func() {}, err
	}
	return storedRun{cfg: c, dir: dir, resumedFrom: st.Step}, &p, cleanup, nil
}
