package datasets

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func md5Hex(b []byte) string {
	s := md5.Sum(b)
	return hex.EncodeToString(s[:])
}

// fileServer serves files by path and counts requests.
type fileServer struct {
	files    map[string][]byte
	requests atomic.Int64
}

func (s *fileServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.requests.Add(1)
	b, ok := s.files[r.URL.Path]
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Write(b)
}

func newFileServer(t *testing.T, files map[string][]byte) (*fileServer, *httptest.Server) {
	fs := &fileServer{files: files}
	srv := httptest.NewServer(fs)
	t.Cleanup(srv.Close)
	return fs, srv
}

// dirNames returns the sorted names of the entries of dir.
func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

func TestDownload(t *testing.T) {
	content := []byte("the content of the file")
	fsrv, srv := newFileServer(t, map[string][]byte{"/f.bin": content})
	ctx := context.Background()
	good := Source{Name: "f.bin", URL: srv.URL + "/f.bin", MD5: md5Hex(content), Size: int64(len(content))}

	t.Run("success", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "new", "dir")
		p, err := Download(ctx, srv.Client(), good, dir)
		if err != nil {
			t.Fatal(err)
		}
		if p != filepath.Join(dir, "f.bin") {
			t.Errorf("path %s", p)
		}
		got, err := os.ReadFile(p)
		if err != nil || string(got) != string(content) {
			t.Errorf("file content %q, %v", got, err)
		}
		if names := dirNames(t, dir); !slices.Equal(names, []string{"f.bin"}) {
			t.Errorf("directory holds %v, want only f.bin", names)
		}
		if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != umaskedMode(t) {
			t.Errorf("mode %v, %v; want %v (0644 under the umask)", fi.Mode().Perm(), err, umaskedMode(t))
		}

		// Present with the right MD5: no request.
		before := fsrv.requests.Load()
		if _, err := Download(ctx, srv.Client(), good, dir); err != nil {
			t.Fatal(err)
		}
		if fsrv.requests.Load() != before {
			t.Error("file present with the right MD5 was downloaded again")
		}
	})

	t.Run("replaces stale file", func(t *testing.T) {
		dir := t.TempDir()
		writeFile(t, dir, "f.bin", []byte("stale"))
		p, err := Download(ctx, nil, Source{Name: good.Name, URL: good.URL, MD5: good.MD5}, dir)
		if err != nil {
			t.Fatal(err)
		}
		if got, _ := os.ReadFile(p); string(got) != string(content) {
			t.Errorf("file content %q", got)
		}
	})

	for _, tc := range []struct {
		name   string
		src    Source
		phrase []string
	}{
		{"md5 mismatch", Source{Name: "f.bin", URL: good.URL, MD5: strings.Repeat("0", 32)},
			[]string{good.URL, "md5 mismatch", "want " + strings.Repeat("0", 32), "got " + good.MD5}},
		{"size mismatch", Source{Name: "f.bin", URL: good.URL, MD5: good.MD5, Size: 5},
			[]string{good.URL, "size mismatch: want 5 bytes, got 6"}},
		{"404", Source{Name: "f.bin", URL: srv.URL + "/missing", MD5: good.MD5},
			[]string{srv.URL + "/missing", "404 Not Found"}},
		{"bad md5 string", Source{Name: "f.bin", URL: good.URL, MD5: "xyz"}, []string{"f.bin", "MD5"}},
		{"bad name", Source{Name: "../f.bin", URL: good.URL, MD5: good.MD5}, []string{"plain file name"}},
		{"unreachable", Source{Name: "f.bin", URL: "http://127.0.0.1:1/f.bin", MD5: good.MD5}, []string{"127.0.0.1:1/f.bin"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			_, err := Download(ctx, srv.Client(), tc.src, dir)
			wantErr(t, err, tc.phrase...)
			if names := dirNames(t, dir); len(names) != 0 {
				t.Errorf("directory holds %v after a failed download", names)
			}

			// A failed download leaves an existing file untouched.
			old := []byte("previous version")
			writeFile(t, dir, "f.bin", old)
			_, err = Download(ctx, srv.Client(), tc.src, dir)
			wantErr(t, err, tc.phrase...)
			if names := dirNames(t, dir); !slices.Equal(names, []string{"f.bin"}) {
				t.Errorf("directory holds %v, want only f.bin", names)
			}
			if got, _ := os.ReadFile(filepath.Join(dir, "f.bin")); string(got) != string(old) {
				t.Errorf("existing file changed to %q", got)
			}
		})
	}

	t.Run("canceled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(ctx)
		cancel()
		dir := t.TempDir()
		_, err := Download(ctx, srv.Client(), good, dir)
		wantErr(t, err, "canceled")
		if names := dirNames(t, dir); len(names) != 0 {
			t.Errorf("directory holds %v", names)
		}
	})
}

func TestDownloadStalled(t *testing.T) {
	// The server sends part of the body, then nothing.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "100")
		w.Write([]byte("0123456789"))
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	}))
	t.Cleanup(srv.Close)
	defer func(d time.Duration) { stallTimeout = d }(stallTimeout)
	stallTimeout = 200 * time.Millisecond
	dir := t.TempDir()
	_, err := Download(context.Background(), srv.Client(), Source{Name: "f.bin", URL: srv.URL + "/f.bin", MD5: strings.Repeat("0", 32)}, dir)
	wantErr(t, err, srv.URL+"/f.bin", "no data received for 200ms")
	if names := dirNames(t, dir); len(names) != 0 {
		t.Errorf("directory holds %v", names)
	}
}

func TestDownloadMNIST(t *testing.T) {
	// Serve the real MNIST files and check they verify and load.
	dir := realMNISTDir(t)
	files := make(map[string][]byte)
	for _, src := range MNISTSources("") {
		b, err := os.ReadFile(filepath.Join(dir, src.Name))
		if err != nil {
			t.Fatal(err)
		}
		if md5Hex(b) != src.MD5 || int64(len(b)) != src.Size {
			t.Fatalf("%s: local copy has md5 %s size %d, sources say %s %d", src.Name, md5Hex(b), len(b), src.MD5, src.Size)
		}
		files["/mnist/"+src.Name] = b
	}
	_, srv := newFileServer(t, files)
	out := t.TempDir()
	if err := DownloadMNIST(context.Background(), srv.Client(), srv.URL+"/mnist", out); err != nil {
		t.Fatal(err)
	}
	im, err := LoadMNIST(out, Test)
	if err != nil {
		t.Fatal(err)
	}
	if im.N != 10000 {
		t.Errorf("N = %d", im.N)
	}
	err = DownloadMNIST(context.Background(), srv.Client(), srv.URL+"/elsewhere/", t.TempDir())
	wantErr(t, err, "/elsewhere/train-images-idx3-ubyte.gz", "404")
}

func TestSources(t *testing.T) {
	srcs := MNISTSources("")
	if len(srcs) != 4 || srcs[0].URL != DefaultMNISTBaseURL+"train-images-idx3-ubyte.gz" {
		t.Errorf("MNISTSources(\"\") = %v", srcs)
	}
	for _, s := range srcs {
		if err := s.check(); err != nil {
			t.Error(err)
		}
	}
	if got := MNISTSources("http://x/y")[3].URL; got != "http://x/y/t10k-labels-idx1-ubyte.gz" {
		t.Errorf("URL %s", got)
	}
	c := CIFAR10Source("")
	if c.URL != DefaultCIFAR10URL || c.MD5 != "c32a1d4ab5d03f1284b67883e8d87530" || c.check() != nil {
		t.Errorf("CIFAR10Source(\"\") = %v", c)
	}
	if got := CIFAR10Source("http://m/c.tgz").URL; got != "http://m/c.tgz" {
		t.Errorf("URL %s", got)
	}
}
