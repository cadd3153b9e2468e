package datasets

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// idxBytes returns an IDX file with the given magic, dimensions and data.
func idxBytes(magic uint32, dims []uint32, data []byte) []byte {
	var b bytes.Buffer
	binary.Write(&b, binary.BigEndian, magic)
	for _, d := range dims {
		binary.Write(&b, binary.BigEndian, d)
	}
	b.Write(data)
	return b.Bytes()
}

// idxImageBytes returns a valid idx3-ubyte file of n h-by-w images whose
// pixel k is byte(k).
func idxImageBytes(n, h, w int) []byte {
	pix := make([]byte, n*h*w)
	for k := range pix {
		pix[k] = byte(k)
	}
	return idxBytes(idxImagesMagic, []uint32{uint32(n), uint32(h), uint32(w)}, pix)
}

// idxLabelBytes returns a valid idx1-ubyte file with the given labels.
func idxLabelBytes(labels ...byte) []byte {
	return idxBytes(idxLabelsMagic, []uint32{uint32(len(labels))}, labels)
}

// gzipBytes returns data gzip-compressed.
func gzipBytes(t testing.TB, data []byte) []byte {
	t.Helper()
	return gzipLevelBytes(t, data, gzip.DefaultCompression)
}

// gzipLevelBytes gzips data at a compression level. With gzip.NoCompression
// the stream is a 10-byte header, one 5-byte stored-block header and data
// verbatim, whatever the Go version's compressor does.
func gzipLevelBytes(t testing.TB, data []byte, level int) []byte {
	t.Helper()
	var b bytes.Buffer
	zw, err := gzip.NewWriterLevel(&b, level)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := zw.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// cifarBytes returns CIFAR-10 records with the given labels; pixel byte k
// of record i is byte(i+k).
func cifarBytes(labels ...byte) []byte {
	var b []byte
	for i, l := range labels {
		b = append(b, l)
		for k := range cifarImageLen {
			b = append(b, byte(i+k))
		}
	}
	return b
}

// writeFile writes data to dir/name and returns the path.
func writeFile(t testing.TB, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// wantErr fails unless err is non-nil and its message contains each of
// the phrases.
func wantErr(t testing.TB, err error, phrases ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want one containing %q", phrases)
	}
	for _, p := range phrases {
		if !strings.Contains(err.Error(), p) {
			t.Errorf("error %q does not contain %q", err, p)
		}
	}
}

// realMNISTDir returns the MNIST directory or fails the test.
func realMNISTDir(t testing.TB) string { return realDataDir(t, "MNIST", MNISTDir) }

// realCIFAR10Dir returns the CIFAR-10 directory or fails the test.
func realCIFAR10Dir(t testing.TB) string { return realDataDir(t, "CIFAR-10", CIFAR10Dir) }

// realDataDir returns the directory find gives for the data set name, or
// fails the test.
func realDataDir(t testing.TB, name string, find func(explicit string) (string, error)) string {
	t.Helper()
	dir, err := find("")
	if err != nil {
		t.Fatalf("%s data needed for this test: %v", name, err)
	}
	return dir
}
