package datasets

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Source describes a file to download and how to verify it.
type Source struct {
	Name string // file name to store it under (no directory part)
	URL  string // where to GET it
	MD5  string // expected MD5 of the content, lower-case hex; required
	Size int64  // expected size in bytes; 0 if unknown (not checked)
}

// DefaultMNISTBaseURL is the mirror of the MNIST files used by MNISTSources
// when no base URL is given.
const DefaultMNISTBaseURL = "https://ossci-datasets.s3.amazonaws.com/mnist/"

// DefaultCIFAR10URL is the official CIFAR-10 binary tarball.
const DefaultCIFAR10URL = "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz"

// cifar10TarballMD5 is the MD5 of the official cifar-10-binary.tar.gz.
const cifar10TarballMD5 = "c32a1d4ab5d03f1284b67883e8d87530"

// MNISTSources returns the four official gzipped MNIST files with their
// MD5s and sizes, to be fetched from baseURL followed by the file name
// (baseURL defaults to DefaultMNISTBaseURL when empty; a missing trailing
// slash is added).
func MNISTSources(baseURL string) []Source {
	if baseURL == "" {
		baseURL = DefaultMNISTBaseURL
	}
	if !strings.HasSuffix(baseURL, "/") {
		baseURL += "/"
	}
	files := []struct {
		name, md5 string
		size      int64
	}{
		{MNISTTrainImages + ".gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873", 9912422},
		{MNISTTrainLabels + ".gz", "d53e105ee54ea40749a09fcbcd1e9432", 28881},
		{MNISTTestImages + ".gz", "9fb629c4189551a2d022fa330f9573f3", 1648877},
		{MNISTTestLabels + ".gz", "ec29112dd5afa0611ce80d1b7f02629c", 4542},
	}
	srcs := make([]Source, len(files))
	for i, f := range files {
		srcs[i] = Source{Name: f.name, URL: baseURL + f.name, MD5: f.md5, Size: f.size}
	}
	return srcs
}

// CIFAR10Source returns the CIFAR-10 binary tarball cifar-10-binary.tar.gz,
// fetched from url (DefaultCIFAR10URL when empty), with its official MD5.
func CIFAR10Source(url string) Source {
	if url == "" {
		url = DefaultCIFAR10URL
	}
	return Source{Name: "cifar-10-binary.tar.gz", URL: url, MD5: cifar10TarballMD5}
}

// Timeouts of the downloads: a machine without internet fails within
// connectTimeout instead of waiting for the system's TCP timeout, and a
// transfer that stops sending fails after stallTimeout without data.
const (
	connectTimeout = 15 * time.Second
	headerTimeout  = 30 * time.Second
)

// stallTimeout is a variable for the tests.
var stallTimeout = 60 * time.Second

// newClient returns the HTTP client used when none is given: the default
// transport (proxy from the environment) with connect, TLS handshake and
// response header timeouts. There is no overall limit, as the CIFAR-10
// tarball is 170 MB; a stalled transfer is ended by Download.
func newClient() *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.DialContext = (&net.Dialer{Timeout: connectTimeout, KeepAlive: 30 * time.Second}).DialContext
	tr.TLSHandshakeTimeout = connectTimeout
	tr.ResponseHeaderTimeout = headerTimeout
	return &http.Client{Transport: tr}
}

// Download fetches src into dir/src.Name and returns that path. If the file
// already exists with the expected MD5 (and size, if src.Size > 0), nothing
// is fetched. Otherwise the response body is streamed into a temporary file
// dir/<src.Name>.partial-XXXX while being hashed; only if the MD5 and size
// match is it renamed to dir/src.Name (mode 0644 under the umask), replacing
// any previous file, so a failed download leaves no new file and does not
// touch an existing one. dir is created if needed. client nil means a
// client with connect and response header timeouts; a transfer that sends
// nothing for a minute fails.
//
// It is an error if the response status is not 200 OK or the content does
// not match; the error names the URL and, for a mismatch, the expected and
// actual MD5.
func Download(ctx context.Context, client *http.Client, src Source, dir string) (path string, err error) {
	return download(ctx, client, src, dir, nil)
}

// download is Download reporting the transfer to progressOut (if not nil).
func download(ctx context.Context, client *http.Client, src Source, dir string, progressOut io.Writer) (path string, err error) {
	if err := src.check(); err != nil {
		return "", err
	}
	if client == nil {
		client = newClient()
	}
	path = filepath.Join(dir, src.Name)
	if ok, err := src.matches(path); err != nil {
		return "", err
	} else if ok {
		return path, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("datasets: %w", err)
	}

	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	timeout := stallTimeout
	stall := time.AfterFunc(timeout, func() {
		cancel(fmt.Errorf("no data received for %s", timeout))
	})
	defer stall.Stop()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, src.URL, nil)
	if err != nil {
		return "", fmt.Errorf("datasets: %s: %w", src.URL, err)
	}
	resp, err := client.Do(req)
	if err != nil {
		return "", fmt.Errorf("datasets: %w", causeOf(ctx, err)) // *url.Error names the URL
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("datasets: GET %s: unexpected status %s", src.URL, resp.Status)
	}

	tmp, err := createTemp(dir, src.Name+".partial-")
	if err != nil {
		return "", fmt.Errorf("datasets: %w", err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	body := io.Reader(resp.Body)
	if src.Size > 0 {
		body = io.LimitReader(body, src.Size+1) // one extra byte shows an oversize body
	}
	total := src.Size
	if total <= 0 {
		total = resp.ContentLength
	}
	h := md5.New()
	sinks := []io.Writer{tmp, h, stallReset{stall, timeout}}
	bar := newProgress(progressOut, src.Name, total)
	if bar != nil {
		sinks = append(sinks, bar)
	}
	n, err := io.Copy(io.MultiWriter(sinks...), body)
	bar.finish()
	if err != nil {
		return "", fmt.Errorf("datasets: GET %s: %w", src.URL, causeOf(ctx, err))
	}
	if src.Size > 0 && n != src.Size {
		return "", fmt.Errorf("datasets: GET %s: size mismatch: want %d bytes, got %d", src.URL, src.Size, n)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != strings.ToLower(src.MD5) {
		return "", fmt.Errorf("datasets: GET %s: md5 mismatch: want %s, got %s", src.URL, strings.ToLower(src.MD5), got)
	}
	if err = tmp.Sync(); err != nil {
		return "", fmt.Errorf("datasets: %w", err)
	}
	if err = tmp.Close(); err != nil {
		return "", fmt.Errorf("datasets: %w", err)
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return "", fmt.Errorf("datasets: %w", err)
	}
	return path, nil
}

// stallReset restarts the stall timer t whenever data arrives.
type stallReset struct {
	t *time.Timer
	d time.Duration
}

func (s stallReset) Write(b []byte) (int, error) {
	s.t.Reset(s.d)
	return len(b), nil
}

// causeOf returns the reason ctx was cancelled, wrapping err, when it was
// cancelled with a cause (a stalled transfer), and err otherwise.
func causeOf(ctx context.Context, err error) error {
	if c := context.Cause(ctx); c != nil && !errors.Is(c, context.Canceled) && !errors.Is(c, context.DeadlineExceeded) {
		return fmt.Errorf("%w (%v)", err, c)
	}
	return err
}

// check reports whether src is usable.
func (src Source) check() error {
	if src.Name == "" || src.Name == "." || src.Name == ".." || strings.ContainsAny(src.Name, `/\`) {
		return fmt.Errorf("datasets: source %q: name must be a plain file name", src.Name)
	}
	if src.URL == "" {
		return fmt.Errorf("datasets: source %s: empty URL", src.Name)
	}
	if b, err := hex.DecodeString(src.MD5); err != nil || len(b) != md5.Size {
		return fmt.Errorf("datasets: source %s: MD5 %q is not 32 hex digits", src.Name, src.MD5)
	}
	return nil
}

// matches reports whether path exists with the size and MD5 of src.
func (src Source) matches(path string) (bool, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("datasets: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return false, fmt.Errorf("datasets: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return false, fmt.Errorf("datasets: %s exists and is not a regular file", path)
	}
	if src.Size > 0 && fi.Size() != src.Size {
		return false, nil
	}
	h := md5.New()
	if _, err := io.Copy(h, f); err != nil {
		return false, fmt.Errorf("datasets: %w", err)
	}
	return hex.EncodeToString(h.Sum(nil)) == strings.ToLower(src.MD5), nil
}

// DownloadMNIST downloads the four gzipped MNIST files from baseURL (see
// MNISTSources) into dir, which is then ready for LoadMNIST; files already
// present with the right MD5 are kept. Use $STCNN_DATA/mnist as dir for
// MNISTDir to find them.
func DownloadMNIST(ctx context.Context, client *http.Client, baseURL, dir string) error {
	for _, src := range MNISTSources(baseURL) {
		if _, err := Download(ctx, client, src, dir); err != nil {
			return err
		}
	}
	return nil
}

// DownloadCIFAR10 downloads the CIFAR-10 binary tarball from url (see
// CIFAR10Source) into dir, keeping it there so that a later call skips the
// download, and extracts its batches into dir/cifar-10-batches-bin, which is
// then ready for LoadCIFAR10. Use $STCNN_DATA as dir for CIFAR10Dir to find
// them.
func DownloadCIFAR10(ctx context.Context, client *http.Client, url, dir string) error {
	path, err := Download(ctx, client, CIFAR10Source(url), dir)
	if err != nil {
		return err
	}
	return ExtractCIFAR10(path, dir)
}
