package datasets

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// fakeEnv returns an environment with the given variables, home, cache and
// working directories, and a go command at goPath ("" for none) with no
// GOROOT.
func fakeEnv(vars map[string]string, home, cache, wd, goPath string) environment {
	dirOrErr := func(d string) func() (string, error) {
		return func() (string, error) {
			if d == "" {
				return "", errors.New("no such place")
			}
			return d, nil
		}
	}
	return environment{
		getenv:       func(k string) string { return vars[k] },
		homeDir:      dirOrErr(home),
		userCacheDir: dirOrErr(cache),
		getwd:        dirOrErr(wd),
		lookPath:     func(string) (string, error) { return dirOrErr(goPath)() },
	}
}

func mkdir(t *testing.T, parts ...string) string {
	t.Helper()
	d := filepath.Join(parts...)
	if err := os.MkdirAll(d, 0o755); err != nil {
		t.Fatal(err)
	}
	return d
}

func TestEscapeModulePath(t *testing.T) {
	if got, want := escapeModulePath(GoMNISTModule), "github.com/petar/!go!m!n!i!s!t"; got != want {
		t.Errorf("escapeModulePath = %q, want %q", got, want)
	}
}

func TestDefaultLocatorFromEnvironment(t *testing.T) {
	sep := string(filepath.ListSeparator)
	for _, tc := range []struct {
		name                       string
		vars                       map[string]string
		home, cache, goPath        string
		data, cacheDir, modCache   string
		goCommand                  string
		offline                    bool
		skippedKey, skippedMessage string
	}{
		{name: "GOMODCACHE", vars: map[string]string{"GOMODCACHE": "/m", "GOPATH": "/g", EnvData: "/d"}, home: "/h", cache: "/c", goPath: "/bin/go",
			data: "/d", cacheDir: "/c/stcnn", modCache: "/m", goCommand: "/bin/go"},
		{name: "GOPATH first entry", vars: map[string]string{"GOPATH": "/g1" + sep + "/g2"}, home: "/h", cache: "/c",
			cacheDir: "/c/stcnn", modCache: "/g1/pkg/mod", skippedKey: "go", skippedMessage: "no go command on PATH or in GOROOT/bin"},
		{name: "HOME", home: "/h", cache: "/c", goPath: "/go",
			cacheDir: "/c/stcnn", modCache: "/h/go/pkg/mod", goCommand: "/go", skippedKey: "data", skippedMessage: EnvData + " is not set"},
		{name: "no home, no cache", vars: map[string]string{EnvOffline: "1"},
			offline: true, skippedKey: "cache", skippedMessage: "no such place"},
		{name: "offline 0", vars: map[string]string{EnvOffline: "0"}, skippedKey: "modcache", skippedMessage: "no such place"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := fakeEnv(tc.vars, tc.home, tc.cache, "/w", tc.goPath).locator()
			if l.DataDir != tc.data || l.CacheDir != filepath.FromSlash(tc.cacheDir) || l.ModCache != filepath.FromSlash(tc.modCache) ||
				l.GoCommand != tc.goCommand || l.Offline != tc.offline || l.WorkDir != "/w" {
				t.Errorf("got data %q cache %q modcache %q go %q offline %v workdir %q", l.DataDir, l.CacheDir, l.ModCache, l.GoCommand, l.Offline, l.WorkDir)
			}
			if tc.skippedKey != "" && l.reason(tc.skippedKey) != tc.skippedMessage {
				t.Errorf("reason(%s) = %q, want %q", tc.skippedKey, l.reason(tc.skippedKey), tc.skippedMessage)
			}
			if len(l.MNIST) != 4 || l.CIFAR10.URL != DefaultCIFAR10URL || l.Progress != os.Stderr {
				t.Errorf("sources %v %v, progress %v", l.MNIST, l.CIFAR10, l.Progress)
			}
		})
	}
	t.Run("go in GOROOT", func(t *testing.T) {
		root := t.TempDir()
		goBin := writeFile(t, mkdir(t, root, "bin"), "go", nil)
		e := fakeEnv(nil, "", "", "/w", "")
		e.goroot = root
		if got := e.locator().GoCommand; got != goBin {
			t.Errorf("GoCommand %q, want %q", got, goBin)
		}
	})
}

// mnistFolder makes dir hold four (empty) MNIST files and returns it.
func mnistFolder(t *testing.T, parts ...string) string {
	dir := mkdir(t, parts...)
	for _, name := range []string{MNISTTrainImages, MNISTTrainLabels + ".gz", MNISTTestImages + ".gz", MNISTTestLabels} {
		writeFile(t, dir, name, nil)
	}
	return dir
}

// cifarFolder makes dir hold the six (empty) CIFAR-10 batches and returns
// it.
func cifarFolder(t *testing.T, parts ...string) string {
	dir := mkdir(t, parts...)
	for _, name := range append(CIFAR10TrainFiles(), CIFAR10TestFile) {
		writeFile(t, dir, name, nil)
	}
	return dir
}

// wantDir checks what a Locator found: the directory want, or, when want
// is empty, an error containing phrase.
func wantDir(t *testing.T, got string, err error, want, phrase string) {
	t.Helper()
	if want == "" {
		wantErr(t, err, phrase)
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	if got != filepath.Clean(want) {
		t.Errorf("got %s, want %s", got, want)
	}
}

// offlineLocator returns a Locator with every place empty and no network.
func offlineLocator() *Locator {
	return &Locator{Offline: true}
}

func TestMNISTDirOrder(t *testing.T) {
	root := t.TempDir()
	explicit := mkdir(t, root, "explicit")
	data := mnistFolder(t, root, "data", MNISTDirName)
	incomplete := mkdir(t, root, "incomplete", MNISTDirName)
	writeFile(t, incomplete, MNISTTrainImages, nil)
	cache := mnistFolder(t, root, "cache", MNISTDirName)
	modcache := mnistFolder(t, root, "modcache", goMNISTModuleDir(), "data")
	for _, tc := range []struct {
		name                          string
		explicit, data, cache, modDir string
		want                          string // "" means an error containing phrase
		phrase                        string
	}{
		{"explicit first", explicit, root + "/data", root + "/cache", root + "/modcache", explicit, ""},
		{"explicit only", filepath.Join(root, "nope"), root + "/data", "", "", "", "nope"},
		{"STCNN_DATA", "", root + "/data", root + "/cache", root + "/modcache", data, ""},
		{"incomplete STCNN_DATA, then cache", "", root + "/incomplete", root + "/cache", root + "/modcache", cache, ""},
		{"cache before module cache", "", "", root + "/cache", root + "/modcache", cache, ""},
		{"module cache", "", root + "/nothing", root + "/nothing", root + "/modcache", modcache, ""},
		{"nothing", "", root + "/incomplete", "", "", "", "incomplete/mnist: no " + MNISTTrainLabels + "(.gz)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := offlineLocator()
			l.DataDir, l.CacheDir, l.ModCache = tc.data, tc.cache, tc.modDir
			got, err := l.MNISTDir(t.Context(), tc.explicit)
			wantDir(t, got, err, tc.want, tc.phrase)
		})
	}
}

func TestCIFAR10DirOrder(t *testing.T) {
	// root/work/main/sub/deeper is a working directory; the offline copy is
	// in root/work/shared/datasets/cifar-10-batches-bin.
	root := t.TempDir()
	shared := cifarFolder(t, root, "work", "shared", "datasets", CIFAR10DirName)
	wd := mkdir(t, root, "work", "main", "sub", "deeper")
	inside := cifarFolder(t, root, "repo", "shared", "datasets", CIFAR10DirName)
	insideWD := mkdir(t, root, "repo", "x")
	explicit := mkdir(t, root, "explicit")
	data := cifarFolder(t, root, "data", CIFAR10DirName)
	cache := cifarFolder(t, root, "cache", CIFAR10DirName)
	mkdir(t, root, "nobatches", CIFAR10DirName)
	elsewhere := mkdir(t, root, "elsewhere")
	for _, tc := range []struct {
		name                      string
		explicit, data, cache, wd string
		want                      string
		phrase                    string
	}{
		{"explicit", explicit, root + "/data", root + "/cache", wd, explicit, ""},
		{"explicit missing", filepath.Join(root, "nope"), root + "/data", "", wd, "", "nope"},
		{"STCNN_DATA", "", root + "/data", root + "/cache", wd, data, ""},
		{"STCNN_DATA without batches, then cache", "", root + "/nobatches", root + "/cache", wd, cache, ""},
		{"sibling shared", "", "", root + "/elsewhere", wd, shared, ""},
		{"shared inside ancestor", "", "", "", insideWD, inside, ""},
		{"not found", "", "", "", elsewhere, "", "no shared/datasets/cifar-10-batches-bin there or beside an ancestor"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := offlineLocator()
			l.DataDir, l.CacheDir, l.WorkDir = tc.data, tc.cache, tc.wd
			got, err := l.CIFAR10Dir(t.Context(), tc.explicit)
			wantDir(t, got, err, tc.want, tc.phrase)
		})
	}
}
