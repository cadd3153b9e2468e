package datasets

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

type tarMember struct {
	name string
	data []byte
	typ  byte // 0 means tar.TypeReg
}

// tarGz returns a gzipped tarball of the members.
func tarGz(t *testing.T, members ...tarMember) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	tw := tar.NewWriter(zw)
	for _, m := range members {
		typ := m.typ
		if typ == 0 {
			typ = tar.TypeReg
		}
		hdr := &tar.Header{Name: m.name, Typeflag: typ, Mode: 0o644, Size: int64(len(m.data))}
		if typ != tar.TypeReg {
			hdr.Size = 0
			hdr.Linkname = "/etc/passwd"
		}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatal(err)
		}
		if typ == tar.TypeReg {
			if _, err := tw.Write(m.data); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// cifarTarMembers returns a small stand-in for the official tarball: two
// records per batch, label i in batch i (test batch: label 9).
func cifarTarMembers() []tarMember {
	m := []tarMember{
		{name: "cifar-10-batches-bin/", typ: tar.TypeDir},
		{name: "cifar-10-batches-bin/batches.meta.txt", data: []byte("airplane\n")},
		{name: "cifar-10-batches-bin/readme.html", data: []byte("<html>")},
	}
	for i, name := range CIFAR10TrainFiles() {
		m = append(m, tarMember{name: "cifar-10-batches-bin/" + name, data: cifarBytes(byte(i), byte(i))})
	}
	return append(m, tarMember{name: "cifar-10-batches-bin/test_batch.bin", data: cifarBytes(9, 9)})
}

func TestExtractCIFAR10(t *testing.T) {
	tmp := t.TempDir()
	tgz := writeFile(t, tmp, "cifar-10-binary.tar.gz", tarGz(t, cifarTarMembers()...))
	out := filepath.Join(tmp, "out")
	if err := ExtractCIFAR10(tgz, out); err != nil {
		t.Fatal(err)
	}
	want := append(CIFAR10TrainFiles(), "test_batch.bin")
	slices.Sort(want)
	if got := dirNames(t, filepath.Join(out, CIFAR10DirName)); !slices.Equal(got, want) {
		t.Errorf("extracted %v, want %v", got, want)
	}
	train, err := LoadCIFAR10(filepath.Join(out, CIFAR10DirName), Train)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(train.Labels, []uint8{0, 0, 1, 1, 2, 2, 3, 3, 4, 4}) {
		t.Errorf("labels %v", train.Labels)
	}
	// Extracting again overwrites in place.
	if err := ExtractCIFAR10(tgz, out); err != nil {
		t.Fatal(err)
	}
	if got := dirNames(t, filepath.Join(out, CIFAR10DirName)); !slices.Equal(got, want) {
		t.Errorf("after second extraction: %v", got)
	}
}

func TestExtractCIFAR10Errors(t *testing.T) {
	evil := cifarBytes(1)
	for _, tc := range []struct {
		name    string
		members []tarMember
		phrase  string
	}{
		{"parent traversal", append(cifarTarMembers(), tarMember{name: "../evil.bin", data: evil}), `unsafe path "../evil.bin"`},
		{"nested traversal", append(cifarTarMembers(), tarMember{name: "cifar-10-batches-bin/../../evil.bin", data: evil}), "unsafe path"},
		{"absolute", append(cifarTarMembers(), tarMember{name: "/tmp/evil.bin", data: evil}), "unsafe path"},
		{"batch of a wrong size", append(cifarTarMembers(), tarMember{name: "cifar-10-batches-bin/extra.bin", data: make([]byte, 100)}),
			"cifar-10-batches-bin/extra.bin: length 100 bytes is not a multiple of 3073"},
		{"missing batch", cifarTarMembers()[:6], "archive has no cifar-10-batches-bin/data_batch_4.bin"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tmp := t.TempDir()
			tgz := writeFile(t, tmp, "c.tar.gz", tarGz(t, tc.members...))
			out := filepath.Join(tmp, "a", "b")
			err := ExtractCIFAR10(tgz, out)
			wantErr(t, err, tgz, tc.phrase)
			for _, p := range []string{filepath.Join(tmp, "a", "evil.bin"), filepath.Join(tmp, "evil.bin"), filepath.Join(out, "evil.bin")} {
				if _, err := os.Stat(p); err == nil {
					t.Errorf("%s written", p)
				}
			}
		})
	}

	t.Run("symlink skipped", func(t *testing.T) {
		tmp := t.TempDir()
		members := append(cifarTarMembers(), tarMember{name: "cifar-10-batches-bin/link.bin", typ: tar.TypeSymlink})
		tgz := writeFile(t, tmp, "c.tar.gz", tarGz(t, members...))
		if err := ExtractCIFAR10(tgz, tmp); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Lstat(filepath.Join(tmp, CIFAR10DirName, "link.bin")); err == nil {
			t.Error("symlink extracted")
		}
	})

	t.Run("not gzip", func(t *testing.T) {
		p := writeFile(t, t.TempDir(), "c.tar.gz", []byte("plain text"))
		wantErr(t, ExtractCIFAR10(p, t.TempDir()), p, "gzip")
	})

	t.Run("truncated", func(t *testing.T) {
		b := tarGz(t, cifarTarMembers()...)
		tmp := t.TempDir()
		p := writeFile(t, tmp, "c.tar.gz", b[:len(b)/2])
		out := filepath.Join(tmp, "out")
		wantErr(t, ExtractCIFAR10(p, out), p)
		for _, name := range dirNames(t, filepath.Join(out, CIFAR10DirName)) {
			if filepath.Ext(name) != ".bin" {
				t.Errorf("left %s behind", name)
			}
		}
	})
}

func TestDownloadCIFAR10(t *testing.T) {
	tgz := tarGz(t, cifarTarMembers()...)
	_, srv := newFileServer(t, map[string][]byte{"/c.tar.gz": tgz})
	dir := t.TempDir()
	// The official MD5 cannot match the test tarball.
	err := DownloadCIFAR10(context.Background(), srv.Client(), srv.URL+"/c.tar.gz", dir)
	wantErr(t, err, srv.URL+"/c.tar.gz", "md5 mismatch", "want c32a1d4ab5d03f1284b67883e8d87530", "got "+md5Hex(tgz))
	if names := dirNames(t, dir); len(names) != 0 {
		t.Errorf("left %v", names)
	}
	// Download + ExtractCIFAR10 with the test tarball's own MD5.
	src := Source{Name: "cifar-10-binary.tar.gz", URL: srv.URL + "/c.tar.gz", MD5: md5Hex(tgz)}
	p, err := Download(context.Background(), srv.Client(), src, dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := ExtractCIFAR10(p, dir); err != nil {
		t.Fatal(err)
	}
	got, err := CIFAR10Dir(filepath.Join(dir, CIFAR10DirName))
	if err != nil {
		t.Fatal(err)
	}
	test, err := LoadCIFAR10(got, Test)
	if err != nil {
		t.Fatal(err)
	}
	if test.N != 2 || test.Labels[0] != 9 {
		t.Errorf("test split N=%d labels %v", test.N, test.Labels)
	}
}
