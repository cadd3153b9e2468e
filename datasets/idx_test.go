package datasets

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestLoadMNISTReal(t *testing.T) {
	dir := realMNISTDir(t)
	for _, tc := range []struct {
		split     Split
		n         int
		firstLbls []uint8
	}{
		{Train, 60000, []uint8{5, 0, 4, 1, 9}},
		{Test, 10000, []uint8{7, 2, 1, 0, 4}},
	} {
		t.Run(tc.split.String(), func(t *testing.T) {
			im, err := LoadMNIST(dir, tc.split)
			if err != nil {
				t.Fatal(err)
			}
			if err := im.Validate(); err != nil {
				t.Fatal(err)
			}
			if im.N != tc.n || im.H != 28 || im.W != 28 || im.C != 1 {
				t.Fatalf("shape N=%d H=%d W=%d C=%d, want %d 28 28 1", im.N, im.H, im.W, im.C, tc.n)
			}
			if got := im.Labels[:len(tc.firstLbls)]; !slices.Equal(got, tc.firstLbls) {
				t.Errorf("first labels %v, want %v", got, tc.firstLbls)
			}
			var counts [10]int
			for _, l := range im.Labels {
				counts[l]++ // LoadMNIST guarantees l <= 9
			}
			for c, k := range counts {
				if k < tc.n/20 {
					t.Errorf("class %d has only %d images", c, k)
				}
			}
			lo, hi := slices.Min(im.Pixels), slices.Max(im.Pixels)
			if lo != 0 || hi != 1 {
				t.Errorf("pixel range [%v,%v], want [0,1]", lo, hi)
			}
		})
	}
}

// TestIDXGzipRawEquivalent checks that a raw copy of a gzipped file, under a
// name without .gz, and the gzipped file under a name without .gz, all read
// the same.
func TestIDXGzipRawEquivalent(t *testing.T) {
	src := filepath.Join(realMNISTDir(t), MNISTTestImages+".gz")
	gz, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	rawPath := writeFile(t, tmp, MNISTTestImages, raw)
	gzNoSuffix := writeFile(t, tmp, "gzipped-without-suffix", gz)

	want, err := ReadIDXImages(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{rawPath, gzNoSuffix} {
		got, err := ReadIDXImages(p)
		if err != nil {
			t.Fatal(err)
		}
		if got.N != want.N || got.H != want.H || got.W != want.W || got.C != want.C || !slices.Equal(got.Pixels, want.Pixels) {
			t.Errorf("%s reads differently from %s", p, src)
		}
	}

	// LoadMNIST on a folder of raw files equals LoadMNIST on the gzipped ones.
	lbl, err := os.ReadFile(filepath.Join(realMNISTDir(t), MNISTTestLabels+".gz"))
	if err != nil {
		t.Fatal(err)
	}
	zr, err = gzip.NewReader(bytes.NewReader(lbl))
	if err != nil {
		t.Fatal(err)
	}
	rawLbl, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, tmp, MNISTTestLabels, rawLbl)
	fromRaw, err := LoadMNIST(tmp, Test)
	if err != nil {
		t.Fatal(err)
	}
	fromGz, err := LoadMNIST(realMNISTDir(t), Test)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(fromRaw.Pixels, fromGz.Pixels) || !slices.Equal(fromRaw.Labels, fromGz.Labels) {
		t.Error("LoadMNIST differs between raw and gzipped files")
	}
}

func TestParseIDXSmall(t *testing.T) {
	for _, gz := range []bool{false, true} {
		data := idxImageBytes(2, 3, 4)
		lbl := idxLabelBytes(3, 8)
		if gz {
			data, lbl = gzipBytes(t, data), gzipBytes(t, lbl)
		}
		im, err := ParseIDXImages(bytes.NewReader(data), "small")
		if err != nil {
			t.Fatal(err)
		}
		if im.N != 2 || im.H != 3 || im.W != 4 || im.C != 1 || im.Labels != nil {
			t.Fatalf("got N=%d H=%d W=%d C=%d labels %v", im.N, im.H, im.W, im.C, im.Labels)
		}
		for k, v := range im.Pixels {
			if want := float32(k) / 255; v != want {
				t.Fatalf("pixel %d = %v, want %v", k, v, want)
			}
		}
		if got := im.Image(1)[0]; got != float32(12)/255 {
			t.Errorf("image 1 pixel 0 = %v, want 12/255", got)
		}
		labels, err := ParseIDXLabels(bytes.NewReader(lbl), "small")
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(labels, []uint8{3, 8}) {
			t.Errorf("labels %v, want [3 8]", labels)
		}
	}
}

func TestMNISTErrors(t *testing.T) {
	good := idxImageBytes(3, 2, 2)
	goodLbl := idxLabelBytes(1, 2, 3)
	for _, tc := range []struct {
		name    string
		images  []byte // nil: file missing
		labels  []byte
		badFile string // file the error must name
		phrase  string
	}{
		{"missing images", nil, goodLbl, MNISTTestImages + ".gz", "file does not exist"},
		{"missing labels", good, nil, MNISTTestLabels + ".gz", "file does not exist"},
		{"truncated header", good[:10], goodLbl, MNISTTestImages, "truncated header: got 10 of 16 bytes"},
		{"empty file", []byte{}, goodLbl, MNISTTestImages, "truncated header: got 0 of 16 bytes"},
		{"truncated label header", good, goodLbl[:6], MNISTTestLabels, "truncated header: got 6 of 8 bytes"},
		{"truncated pixels", good[:len(good)-1], goodLbl, MNISTTestImages, "truncated pixel data: header declares 12 bytes, the file holds 11 after the header"},
		{"truncated gzipped pixels", gzipLevelBytes(t, good, gzip.NoCompression)[:10+5+16+4], goodLbl, MNISTTestImages, "truncated pixel data"},
		{"truncated labels", good, goodLbl[:len(goodLbl)-1], MNISTTestLabels, "truncated label data: header declares 3 bytes, the file holds 2 after the header"},
		{"trailing data", append(slices.Clip(good), 0), goodLbl, MNISTTestImages, "unexpected trailing data: header declares 12 bytes of pixel data, the file holds 13 after the header"},
		{"wrong magic images", idxBytes(idxLabelsMagic+1, []uint32{3, 2, 2}, make([]byte, 12)), goodLbl, MNISTTestImages, "wrong magic number 0x00000802, want 0x00000803"},
		{"labels file as images", goodLbl, goodLbl, MNISTTestImages, "wrong magic number 0x00000801, want 0x00000803"},
		{"images file as labels", good, good, MNISTTestLabels, "wrong magic number 0x00000803, want 0x00000801"},
		{"zero images", idxImageBytes(0, 2, 2), goodLbl, MNISTTestImages, "zero dimension"},
		{"zero width", idxImageBytes(3, 2, 0), goodLbl, MNISTTestImages, "zero dimension"},
		{"zero labels", good, idxLabelBytes(), MNISTTestLabels, "zero labels"},
		{"count mismatch", good, idxLabelBytes(1, 2), MNISTTestLabels, "count mismatch: 2 labels for the 3 images of"},
		{"bad label", good, idxLabelBytes(1, 10, 3), MNISTTestLabels, "label 10 at index 1 out of range [0,9]"},
		{"huge header, raw", idxBytes(idxImagesMagic, []uint32{60000, 28, 28}, make([]byte, 100)), goodLbl, MNISTTestImages, "truncated pixel data: header declares 47040000 bytes, the file holds 100 after the header"},
		{"header beyond the limit", idxBytes(idxImagesMagic, []uint32{60000, 280, 280}, make([]byte, 100)), goodLbl, MNISTTestImages, "header declares 4704000000 bytes of pixel data, more than the 1073741824 this reader accepts"},
		{"huge header, gzipped", gzipBytes(t, idxBytes(idxImagesMagic, []uint32{100000, 28, 28}, make([]byte, 100))), goodLbl, MNISTTestImages, "header declares 78400000 bytes of pixel data, more than a"},
		{"gzipped label header beyond the file", good, gzipBytes(t, idxBytes(idxLabelsMagic, []uint32{1 << 29}, []byte{1})), MNISTTestLabels, "bytes of label data, more than a"},
		{"corrupt gzip", append([]byte{0x1f, 0x8b}, good...), goodLbl, MNISTTestImages, "gzip"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if tc.images != nil {
				writeFile(t, dir, MNISTTestImages, tc.images)
			}
			if tc.labels != nil {
				writeFile(t, dir, MNISTTestLabels, tc.labels)
			}
			im, err := LoadMNIST(dir, Test)
			if im != nil {
				t.Errorf("got images with error %v", err)
			}
			wantErr(t, err, filepath.Join(dir, tc.badFile), tc.phrase)
		})
	}
}

func TestReadIDXMissingFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "no-such-file-idx3-ubyte.gz")
	_, err := ReadIDXImages(p)
	wantErr(t, err, p, "no such file")
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("error %v is not fs.ErrNotExist", err)
	}
	_, err = ReadIDXLabels(p)
	wantErr(t, err, p, "no such file")
}

func TestIDXHugeHeader(t *testing.T) {
	// A header declaring far more data than present must fail without
	// allocating for the declared size.
	for _, dims := range [][]uint32{
		{0xffffffff, 0xffffffff, 0xffffffff},
		{1 << 30, 28, 28},
	} {
		data := idxBytes(idxImagesMagic, dims, make([]byte, 100))
		_, err := ParseIDXImages(bytes.NewReader(data), "huge")
		wantErr(t, err, "huge")
	}
}

func TestLoadMNISTBadSplit(t *testing.T) {
	_, err := LoadMNIST(t.TempDir(), Split(7))
	wantErr(t, err, "invalid split Split(7)")
}
