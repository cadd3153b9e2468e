package training

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// The saved state of a run is one directory, a unit written whole or not at
// all: state.json (configuration, epoch, step, history), variables.bin (the
// raw bytes of every variable of the store: weights, gates and optimiser
// state) and manifest.json (the SHA-256 and size of both, written last).
// A save writes the unit to state.new/, flushes it, renames the current
// state/ to state.prev/ and state.new/ to state/. A reader takes state/,
// or state.prev/ when state/ is missing (a save interrupted between its two
// renames) or damaged (a file truncated, missing or not matching the
// manifest), and says so.
const (
	stateDir     = "state"
	statePrevDir = "state.prev"
	stateNewDir  = "state.new"

	stateFile     = "state.json"
	variablesFile = "variables.bin"
	manifestFile  = "manifest.json"

	stateFormat = 1
)

// State is what a run needs to continue exactly where it was saved.
type State struct {
	Format int    `json:"format"`
	Config Config `json:"config"`
	// Epoch is the number of completed epochs; Step the optimiser steps
	// taken. Step - Epoch*(steps per epoch) steps of epoch Epoch+1 are done.
	Epoch       int     `json:"epoch"`
	Step        int     `json:"step"`
	WallSeconds float64 `json:"wall_seconds"`
	History     History `json:"history"`
	// Variables lists the tensors stored back to back in variables.bin.
	Variables []SavedVariable `json:"variables"`
}

// SavedVariable locates one variable's raw bytes (machine byte order) in
// variables.bin.
type SavedVariable struct {
	Path   string `json:"path"`
	DType  string `json:"dtype"`
	Shape  []int  `json:"shape"`
	Offset int64  `json:"offset"`
	Length int64  `json:"length"`
}

type manifest struct {
	Format int                `json:"format"`
	Files  map[string]fileSum `json:"files"`
}

type fileSum struct {
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

func sumOf(data []byte) fileSum {
	sum := sha256.Sum256(data)
	return fileSum{Size: int64(len(data)), SHA256: hex.EncodeToString(sum[:])}
}

// savedDTypes are the variable types a state may hold.
var savedDTypes = []dtypes.DType{dtypes.Float32, dtypes.Float64, dtypes.Int32, dtypes.Int64}

// encodeVariables returns the variables of store, sorted by path, as
// entries and the concatenation of their raw bytes.
func encodeVariables(store *model.Store) ([]SavedVariable, []byte, error) {
	var vars []*model.Variable
	for v := range store.IterVariables() {
		vars = append(vars, v)
	}
	slices.SortFunc(vars, func(a, b *model.Variable) int { return strings.Compare(a.Path(), b.Path()) })
	var entries []SavedVariable
	var buf bytes.Buffer
	for _, v := range vars {
		t, err := v.Value()
		if err != nil {
			return nil, nil, fmt.Errorf("training: saving variable %s: %w", v.Path(), err)
		}
		if !slices.Contains(savedDTypes, t.DType()) {
			return nil, nil, fmt.Errorf("training: saving variable %s: dtype %s cannot be saved", v.Path(), t.DType())
		}
		e := SavedVariable{Path: v.Path(), DType: t.DType().String(), Shape: t.Shape().Dimensions, Offset: int64(buf.Len())}
		if err := t.ConstBytes(func(b []byte) { buf.Write(b) }); err != nil {
			return nil, nil, fmt.Errorf("training: saving variable %s: %w", v.Path(), err)
		}
		e.Length = int64(buf.Len()) - e.Offset
		entries = append(entries, e)
	}
	return entries, buf.Bytes(), nil
}

// decodeVariables checks every entry against the bytes and returns the tensors by path.
func decodeVariables(entries []SavedVariable, data []byte) (map[string]*tensors.Tensor, error) {
	out := make(map[string]*tensors.Tensor, len(entries))
	var next int64
	for i, e := range entries {
		bad := func(format string, args ...any) error {
			return fmt.Errorf("variable %d (%q): %s", i, e.Path, fmt.Sprintf(format, args...))
		}
		if e.Path == "" || e.Path[0] != '/' {
			return nil, bad("path must start with /")
		}
		if _, dup := out[e.Path]; dup {
			return nil, bad("saved twice")
		}
		dt, err := dtypes.DTypeString(e.DType)
		if err != nil || !slices.Contains(savedDTypes, dt) {
			return nil, bad("unsupported dtype %q", e.DType)
		}
		size := int64(dt.Size())
		for _, d := range e.Shape {
			if d < 0 || int64(d) > int64(len(data)) {
				return nil, bad("dimension %d out of range", d)
			}
			size *= int64(d)
			if size > int64(len(data)) {
				return nil, bad("shape %v larger than %s", e.Shape, variablesFile)
			}
		}
		if e.Offset != next || e.Length != size || e.Offset+e.Length > int64(len(data)) {
			return nil, bad("bytes [%d, %d+%d) do not follow the previous variable (at %d) or do not hold shape %v in %d bytes",
				e.Offset, e.Offset, e.Length, next, e.Shape, len(data))
		}
		t := tensors.FromShape(shapes.Make(dt, e.Shape...))
		if err := t.MutableBytes(func(b []byte) { copy(b, data[e.Offset:e.Offset+e.Length]) }); err != nil {
			return nil, bad("%v", err)
		}
		out[e.Path] = t
		next += e.Length
	}
	if next != int64(len(data)) {
		return nil, fmt.Errorf("%s has %d bytes after the last variable", variablesFile, int64(len(data))-next)
	}
	return out, nil
}

// writeState saves st and the variables of store as the run's state unit
// in dir (see the layout above).
func writeState(dir string, st State, store *model.Store) error {
	entries, vars, err := encodeVariables(store)
	if err != nil {
		return err
	}
	st.Format, st.Variables = stateFormat, entries
	js, err := json.MarshalIndent(st, "", " ")
	if err != nil {
		return fmt.Errorf("training: encoding the state: %w", err)
	}
	files := map[string][]byte{variablesFile: vars, stateFile: append(js, '\n')}
	man := manifest{Format: stateFormat, Files: map[string]fileSum{}}
	for name, data := range files {
		man.Files[name] = sumOf(data)
	}
	manJS, err := json.MarshalIndent(man, "", " ")
	if err != nil {
		return fmt.Errorf("training: encoding the manifest: %w", err)
	}
	newDir := filepath.Join(dir, stateNewDir)
	if err := os.RemoveAll(newDir); err != nil {
		return fmt.Errorf("training: %w", err)
	}
	if err := os.MkdirAll(newDir, 0o755); err != nil {
		return fmt.Errorf("training: %w", err)
	}
	// The manifest goes last: a unit without it is incomplete.
	for _, name := range []string{variablesFile, stateFile} {
		if err := writeSynced(filepath.Join(newDir, name), files[name]); err != nil {
			return err
		}
	}
	if err := writeSynced(filepath.Join(newDir, manifestFile), append(manJS, '\n')); err != nil {
		return err
	}
	syncDir(newDir)
	cur, prev := filepath.Join(dir, stateDir), filepath.Join(dir, statePrevDir)
	if _, err := os.Stat(cur); err == nil {
		if err := os.RemoveAll(prev); err != nil {
			return fmt.Errorf("training: %w", err)
		}
		if err := os.Rename(cur, prev); err != nil {
			return fmt.Errorf("training: %w", err)
		}
	}
	if err := os.Rename(newDir, cur); err != nil {
		return fmt.Errorf("training: %w", err)
	}
	syncDir(dir)
	return nil
}

// writeSynced creates path with data and flushes it to disk.
func writeSynced(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, FileMode())
	if err == nil {
		_, err = f.Write(data)
		if serr := f.Sync(); err == nil {
			err = serr
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		return fmt.Errorf("training: writing %s: %w", path, err)
	}
	return nil
}

// SavedState is a state read back from a run folder.
type SavedState struct {
	State
	// Tensors are the saved variables by path.
	Tensors map[string]*tensors.Tensor
	// Unit is the directory the state was read from (state or state.prev).
	Unit string
	// Damaged describes a newer unit that could not be used (empty if none).
	Damaged string
}

// ErrNoState means a run folder holds no saved state unit.
var ErrNoState = errors.New("no saved state")

// ReadState reads the newest good state unit of the run folder dir: state/,
// or state.prev/ when state/ is missing or damaged (SavedState.Damaged
// then says why). It returns an error wrapping ErrNoState when neither
// exists, and one naming both problems when neither is good.
func ReadState(dir string) (*SavedState, error) {
	cur, err := readUnit(filepath.Join(dir, stateDir))
	if err == nil {
		cur.Unit = stateDir
		return cur, nil
	}
	curMissing := errors.Is(err, os.ErrNotExist)
	damaged := fmt.Sprintf("%s/ is damaged: %v", stateDir, err)
	if curMissing {
		damaged = stateDir + "/ is missing (a save was interrupted between its renames)"
	}
	prev, perr := readUnit(filepath.Join(dir, statePrevDir))
	switch {
	case perr == nil:
		prev.Unit, prev.Damaged = statePrevDir, damaged
		return prev, nil
	case curMissing && errors.Is(perr, os.ErrNotExist):
		return nil, fmt.Errorf("training: %s: %w (neither %s/ nor %s/ exists)", dir, ErrNoState, stateDir, statePrevDir)
	case errors.Is(perr, os.ErrNotExist):
		return nil, fmt.Errorf("training: %s: no good saved state: %s; %s/ is missing", dir, damaged, statePrevDir)
	}
	return nil, fmt.Errorf("training: %s: no good saved state: %s; %s/ is damaged: %v", dir, damaged, statePrevDir, perr)
}

// readUnit reads and verifies one state unit. A missing unit directory
// gives an error wrapping os.ErrNotExist.
func readUnit(unit string) (*SavedState, error) {
	if _, err := os.Stat(unit); err != nil {
		return nil, err
	}
	read := func(name string) ([]byte, error) {
		data, err := os.ReadFile(filepath.Join(unit, name))
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("%s is missing", name)
		}
		return data, err
	}
	manData, err := read(manifestFile)
	if err != nil {
		return nil, err
	}
	stData, err := read(stateFile)
	if err != nil {
		return nil, err
	}
	varData, err := read(variablesFile)
	if err != nil {
		return nil, err
	}
	return decodeUnit(manData, stData, varData)
}

// decodeUnit verifies the files of a unit against its manifest and decodes them.
func decodeUnit(manData, stData, varData []byte) (*SavedState, error) {
	var man manifest
	if err := decodeStrict(manData, &man); err != nil {
		return nil, fmt.Errorf("%s: %w", manifestFile, err)
	}
	if man.Format != stateFormat {
		return nil, fmt.Errorf("%s: format %d, want %d", manifestFile, man.Format, stateFormat)
	}
	for name, data := range map[string][]byte{stateFile: stData, variablesFile: varData} {
		want, ok := man.Files[name]
		if !ok {
			return nil, fmt.Errorf("%s does not list %s", manifestFile, name)
		}
		if got := sumOf(data); got != want {
			return nil, fmt.Errorf("%s has %d bytes and SHA-256 %.12s...; the manifest says %d bytes, %.12s...",
				name, got.Size, got.SHA256, want.Size, want.SHA256)
		}
	}
	var st State
	if err := decodeStrict(stData, &st); err != nil {
		return nil, fmt.Errorf("%s: %w", stateFile, err)
	}
	if st.Format != stateFormat {
		return nil, fmt.Errorf("%s: format %d, want %d", stateFile, st.Format, stateFormat)
	}
	if err := st.Config.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", stateFile, err)
	}
	spe := st.Config.stepsPerEpoch()
	if st.Epoch < 0 || st.Epoch > st.Config.Epochs || st.Step < st.Epoch*spe || st.Step > (st.Epoch+1)*spe ||
		(st.Epoch == st.Config.Epochs && st.Step != st.Epoch*spe) {
		return nil, fmt.Errorf("%s: epoch %d and step %d are inconsistent with %d epochs of %d steps",
			stateFile, st.Epoch, st.Step, st.Config.Epochs, spe)
	}
	ts, err := decodeVariables(st.Variables, varData)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", variablesFile, err)
	}
	return &SavedState{State: st, Tensors: ts}, nil
}
