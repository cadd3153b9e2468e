package reproductions

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// A figure's folder OutDir/<id> is replaced as a whole: the new content is
// built in a hidden sibling folder .<id>.run-<pid>-<n>, then the old folder
// is renamed aside (to the same name with "-old"), the new one renamed in,
// and the old one removed. A reader sees the old folder, the new folder, or
// (between the two renames) none, never a mix. Folders left by a killed run
// are removed when the figure next runs, so two reproduce processes must not
// share an output folder.

// newStage creates a fresh, empty folder for figure id inside outDir.
func newStage(outDir, id string) (string, error) {
	for i := 0; ; i++ {
		d := filepath.Join(outDir, fmt.Sprintf(".%s.run-%d-%d", id, os.Getpid(), i))
		err := os.Mkdir(d, 0o755)
		if err == nil {
			return d, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return "", fmt.Errorf("reproductions: %w", err)
		}
	}
}

// publish replaces dst by the folder stage.
func publish(stage, dst string) error {
	old := stage + "-old"
	hadOld := true
	if err := os.Rename(dst, old); err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("reproductions: replacing %s: %w", dst, err)
		}
		hadOld = false
	}
	if err := os.Rename(stage, dst); err != nil {
		if hadOld {
			os.Rename(old, dst)
		}
		return fmt.Errorf("reproductions: %w", err)
	}
	if hadOld {
		// The new folder is in place; an old one that cannot be removed is a
		// hidden leftover, removed by the figure's next run.
		os.RemoveAll(old)
	}
	return nil
}

// removeLeftovers removes the hidden folders of figure id left in outDir by
// a run that was killed.
func removeLeftovers(outDir, id string) {
	matches, _ := filepath.Glob(filepath.Join(outDir, "."+id+".run-*"))
	for _, m := range matches {
		os.RemoveAll(m)
	}
}

// CheckOutDir creates the output folder dir and checks that files can be
// created in it, so that an unusable folder is reported before any figure
// runs.
func CheckOutDir(dir string) error {
	if dir == "" {
		return errors.New("reproductions: empty output folder name")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("reproductions: output folder: %w", err)
	}
	return probe(dir)
}

// CheckReportPath checks that a report can be written to path: path is not
// a folder, and its folder exists (it is created if missing) and accepts new
// files (WriteReport writes a temporary file there and renames it onto path).
func CheckReportPath(path string) error {
	if path == "" {
		return errors.New("reproductions: empty report file name")
	}
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return fmt.Errorf("reproductions: report %s is a folder, want a file name", path)
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("reproductions: report folder: %w", err)
	}
	return probe(dir)
}

// probe creates and removes a file in dir.
func probe(dir string) error {
	f, err := os.CreateTemp(dir, ".probe-*")
	if err != nil {
		return fmt.Errorf("reproductions: cannot create files in %s: %w", dir, err)
	}
	name := f.Name()
	f.Close()
	if err := os.Remove(name); err != nil {
		return fmt.Errorf("reproductions: cannot remove files in %s: %w", dir, err)
	}
	return nil
}
