package datasets

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// MNISTDir returns the MNIST folder: explicit if not empty, else the first
// place of l that holds the files, fetching them as the last resort; see
// the function MNISTDir for the places and their order.
func (l *Locator) MNISTDir(ctx context.Context, explicit string) (string, error) {
	if explicit != "" {
		return existingDir(explicit, "MNIST directory")
	}
	s := &search{}
	if s.look("$"+EnvData+"/"+MNISTDirName, l.DataDir, l.reason("data"), MNISTDirName, mnistComplete) ||
		s.look("per-user cache", l.CacheDir, l.reason("cache"), MNISTDirName, mnistComplete) ||
		s.look("Go module cache", l.ModCache, l.reason("modcache"), goMNISTModuleDir()+"/data", mnistComplete) {
		return s.found, nil
	}
	goPlace := "go mod download -json " + GoMNISTModule + "@" + GoMNISTVersion
	if l.GoCommand == "" {
		s.fail(goPlace, l.reason("go"))
	} else {
		l.note("datasets: fetching MNIST (module %s@%s) with %s", GoMNISTModule, GoMNISTVersion, l.GoCommand)
		if dir, err := goModDownload(ctx, l.GoCommand, GoMNISTModule+"@"+GoMNISTVersion, l.Offline, l.GoTimeout); err != nil {
			s.fail(goPlace, err.Error())
		} else if s.look(goPlace, dir, "", "data", mnistComplete) {
			return s.found, nil
		}
	}
	downloadPlace := "download into the per-user cache"
	if why := l.downloadOff(len(l.MNIST) > 0); why != "" {
		s.fail(downloadPlace, why)
	} else {
		dir := filepath.Join(l.CacheDir, MNISTDirName)
		l.note("datasets: downloading MNIST into %s", dir)
		if err := l.fetchMNIST(ctx, dir); err != nil {
			s.fail(downloadPlace, err.Error())
		} else if s.look(downloadPlace, dir, "", "", mnistComplete) {
			return s.found, nil
		}
	}
	return "", &NotFoundError{What: "MNIST", Tried: s.tried,
		Fix: fmt.Sprintf("go mod download %s@%s (or set %s to a folder holding %s/)", GoMNISTModule, GoMNISTVersion, EnvData, MNISTDirName)}
}

// CIFAR10Dir returns the CIFAR-10 folder: explicit if not empty, else the
// first place of l that holds the batches, downloading them as the last
// resort; see the function CIFAR10Dir for the places and their order.
func (l *Locator) CIFAR10Dir(ctx context.Context, explicit string) (string, error) {
	if explicit != "" {
		return existingDir(explicit, "CIFAR-10 directory")
	}
	s := &search{}
	if s.look("$"+EnvData+"/"+CIFAR10DirName, l.DataDir, l.reason("data"), CIFAR10DirName, cifarComplete) ||
		s.look("per-user cache", l.CacheDir, l.reason("cache"), CIFAR10DirName, cifarComplete) {
		return s.found, nil
	}
	if l.WorkDir == "" {
		s.fail("shared/datasets at or above the working directory", l.reason("workdir"))
	} else if dir := findShared(l.WorkDir); dir == "" {
		s.fail("shared/datasets at or above "+l.WorkDir, "no "+filepath.Join("shared", "datasets", CIFAR10DirName)+" there or beside an ancestor")
	} else if s.look("shared/datasets", dir, "", "", cifarComplete) {
		return s.found, nil
	}
	downloadPlace := "download into the per-user cache"
	if why := l.downloadOff(l.CIFAR10.URL != ""); why != "" {
		s.fail(downloadPlace, why)
	} else {
		l.note("datasets: downloading CIFAR-10 into %s", filepath.Join(l.CacheDir, CIFAR10DirName))
		if dir, err := l.fetchCIFAR10(ctx); err != nil {
			s.fail(downloadPlace, err.Error())
		} else if s.look(downloadPlace, dir, "", "", cifarComplete) {
			return s.found, nil
		}
	}
	target := l.CacheDir
	if target == "" {
		target = "DIR"
	}
	fix := fmt.Sprintf("mkdir -p %s && curl -fL %s | tar -xz -C %s", target, DefaultCIFAR10URL, target)
	if l.CacheDir == "" {
		fix += " && export " + EnvData + "=DIR"
	}
	return "", &NotFoundError{What: "CIFAR-10", Tried: s.tried, Fix: fix}
}

// NotFoundError reports that no place held a data set: each place tried,
// why it failed, and a command that fixes it. It matches fs.ErrNotExist.
type NotFoundError struct {
	What  string    // "MNIST" or "CIFAR-10"
	Tried []Attempt // in the order tried
	Fix   string    // a shell command that provides the data
}

// Attempt is one place a data set was looked for, and why it did not serve.
type Attempt struct {
	Place, Why string
}

// Error lists the places tried, one a line, and the command that fixes it.
func (e *NotFoundError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "datasets: %s not found; tried:", e.What)
	for _, a := range e.Tried {
		fmt.Fprintf(&b, "\n  - %s: %s", a.Place, a.Why)
	}
	fmt.Fprintf(&b, "\nfix: %s", e.Fix)
	return b.String()
}

// Unwrap makes errors.Is(err, fs.ErrNotExist) hold.
func (e *NotFoundError) Unwrap() error { return fs.ErrNotExist }

// search records the places tried in order.
type search struct {
	tried []Attempt
	found string
}

// fail records place as tried without success.
func (s *search) fail(place, why string) {
	s.tried = append(s.tried, Attempt{Place: place, Why: why})
}

// look tries base/sub, recording place and why it did not serve, and reports
// whether complete accepts it (then s.found is it). An empty base is skipped
// with the reason skipped.
func (s *search) look(place, base, skipped, sub string, complete func(string) error) bool {
	if base == "" {
		s.fail(place, skipped)
		return false
	}
	dir := filepath.Join(base, filepath.FromSlash(sub))
	if err := complete(dir); err != nil {
		s.fail(place+" "+dir, err.Error())
		return false
	}
	s.found = dir
	return true
}

// reason returns why the place key of l is empty.
func (l *Locator) reason(key string) string {
	if why := l.skipped[key]; why != "" {
		return why
	}
	return "not configured"
}

// downloadOff returns why downloading is not possible, or "" if it is.
func (l *Locator) downloadOff(haveSources bool) string {
	switch {
	case l.Offline:
		return "switched off (" + EnvOffline + " is set)"
	case l.CacheDir == "":
		return "no per-user cache to download into: " + l.reason("cache")
	case !haveSources:
		return "no download source configured"
	}
	return ""
}

// note writes a line about a fetch to l.Progress, if set.
func (l *Locator) note(format string, args ...any) {
	if l.Progress != nil {
		fmt.Fprintf(l.Progress, format+"\n", args...)
	}
}

// goMNISTModuleDir returns the folder of GoMNIST in a module cache.
func goMNISTModuleDir() string {
	return escapeModulePath(GoMNISTModule) + "@" + escapeModulePath(GoMNISTVersion)
}

// findShared returns the first D/../shared/datasets/cifar-10-batches-bin
// or D/shared/datasets/cifar-10-batches-bin that is a directory, for D
// from wd upward, or "".
func findShared(wd string) string {
	for d := wd; ; d = filepath.Dir(d) {
		for _, c := range []string{
			filepath.Join(d, "..", "shared", "datasets", CIFAR10DirName),
			filepath.Join(d, "shared", "datasets", CIFAR10DirName),
		} {
			if isDir(c) {
				return c
			}
		}
		if filepath.Dir(d) == d {
			return ""
		}
	}
}

// mnistComplete reports whether dir holds the four MNIST files.
func mnistComplete(dir string) error {
	if !isDir(dir) {
		return fmt.Errorf("no such directory")
	}
	for _, name := range []string{MNISTTrainImages, MNISTTrainLabels, MNISTTestImages, MNISTTestLabels} {
		if _, err := findGzOrRaw(dir, name); err != nil {
			return fmt.Errorf("no %s(.gz)", name)
		}
	}
	return nil
}

// cifarComplete reports whether dir holds the six CIFAR-10 batches.
func cifarComplete(dir string) error {
	if !isDir(dir) {
		return fmt.Errorf("no such directory")
	}
	for _, name := range append(CIFAR10TrainFiles(), CIFAR10TestFile) {
		if !isFile(filepath.Join(dir, name)) {
			return fmt.Errorf("no %s", name)
		}
	}
	return nil
}

// fetchMNIST downloads l.MNIST into dir, each file atomically, so dir
// becomes complete with its last file.
func (l *Locator) fetchMNIST(ctx context.Context, dir string) error {
	for _, src := range l.MNIST {
		if _, err := download(ctx, l.Client, src, dir, l.Progress); err != nil {
			return err
		}
	}
	return nil
}

// fetchCIFAR10 downloads l.CIFAR10 into l.CacheDir, extracts its batches
// into a temporary folder there, renames the batches folder to
// l.CacheDir/cifar-10-batches-bin and deletes the tarball. A half-done
// earlier attempt found in place is replaced; one finished by another
// process meanwhile is kept.
func (l *Locator) fetchCIFAR10(ctx context.Context) (string, error) {
	tarball, err := download(ctx, l.Client, l.CIFAR10, l.CacheDir, l.Progress)
	if err != nil {
		return "", err
	}
	tmp, err := os.MkdirTemp(l.CacheDir, ".extract-")
	if err != nil {
		return "", fmt.Errorf("datasets: %w", err)
	}
	defer os.RemoveAll(tmp)
	if err := ExtractCIFAR10(tarball, tmp); err != nil {
		return "", err
	}
	final := filepath.Join(l.CacheDir, CIFAR10DirName)
	if err := os.Rename(filepath.Join(tmp, CIFAR10DirName), final); err != nil {
		if cifarComplete(final) != nil {
			// An incomplete folder is in the way: move it aside, then retry.
			if err := os.Rename(final, filepath.Join(tmp, "old")); err != nil {
				return "", fmt.Errorf("datasets: %w", err)
			}
			if err := os.Rename(filepath.Join(tmp, CIFAR10DirName), final); err != nil {
				return "", fmt.Errorf("datasets: %w", err)
			}
		}
	}
	if err := os.Remove(tarball); err != nil {
		return "", fmt.Errorf("datasets: %w", err)
	}
	return final, nil
}
