package datasets

import (
	"bytes"
	"slices"
	"strings"
	"testing"
)

// checkParsed fails unless exactly one of im and err is non-nil, err names
// the input, and im is a valid image set with values in [0,1].
func checkParsed(t *testing.T, im *Images, err error, name string) {
	t.Helper()
	if err != nil {
		if im != nil {
			t.Fatalf("got both images and error %v", err)
		}
		if !strings.Contains(err.Error(), name) {
			t.Fatalf("error %q does not name the input %q", err, name)
		}
		return
	}
	if im == nil {
		t.Fatal("got neither images nor error")
	}
	if err := im.Validate(); err != nil {
		t.Fatal(err)
	}
	if im.N < 1 {
		t.Fatalf("parsed %d images without error", im.N)
	}
	for i, v := range im.Pixels {
		if !(v >= 0 && v <= 1) {
			t.Fatalf("pixel %d = %v outside [0,1]", i, v)
		}
	}
}

func FuzzParseIDXImages(f *testing.F) {
	valid := idxImageBytes(2, 3, 3)
	f.Add(valid)
	f.Add(gzipBytes(f, valid))
	f.Add(idxImageBytes(1, 1, 1))
	f.Add(valid[:10])                               // truncated header
	f.Add(valid[:len(valid)-2])                     // truncated pixels
	f.Add(append(valid[:len(valid):len(valid)], 7)) // trailing byte
	f.Add(idxLabelBytes(1, 2, 3))                   // wrong magic
	f.Add(idxImageBytes(0, 3, 3))                   // zero images
	f.Add(idxBytes(idxImagesMagic, []uint32{0xffffffff, 0xffffffff, 0xffffffff}, nil))
	f.Add(idxBytes(idxImagesMagic, []uint32{1 << 20, 28, 28}, make([]byte, 64)))
	f.Add([]byte{0x1f, 0x8b})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		im, err := ParseIDXImages(bytes.NewReader(data), "fuzz-input")
		checkParsed(t, im, err, "fuzz-input")
		if err == nil && (im.C != 1 || im.Labels != nil) {
			t.Fatalf("C=%d labels %v, want C=1 and no labels", im.C, im.Labels)
		}
	})
}

func FuzzParseIDXLabels(f *testing.F) {
	valid := idxLabelBytes(5, 0, 4, 1, 9)
	f.Add(valid)
	f.Add(gzipBytes(f, valid))
	f.Add(valid[:6])
	f.Add(valid[:len(valid)-1])
	f.Add(append(valid[:len(valid):len(valid)], 1))
	f.Add(idxImageBytes(1, 1, 1))
	f.Add(idxLabelBytes())
	f.Add(idxBytes(idxLabelsMagic, []uint32{0xffffffff}, []byte{1, 2}))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		labels, err := ParseIDXLabels(bytes.NewReader(data), "fuzz-input")
		if err != nil {
			if labels != nil {
				t.Fatalf("got both labels and error %v", err)
			}
			if !strings.Contains(err.Error(), "fuzz-input") {
				t.Fatalf("error %q does not name the input", err)
			}
			return
		}
		if len(labels) == 0 {
			t.Fatal("no labels and no error")
		}
		if len(labels) > len(data)*1100 {
			t.Fatalf("%d labels from %d bytes", len(labels), len(data))
		}
	})
}

func FuzzParseCIFAR10(f *testing.F) {
	valid := cifarBytes(6, 9)
	f.Add(valid)
	f.Add(valid[:cifarRecordSize])
	f.Add(valid[:len(valid)-1])
	f.Add(append(valid[:len(valid):len(valid)], 0))
	f.Add(cifarBytes(10))
	f.Add([]byte{})
	f.Add([]byte{3})
	f.Fuzz(func(t *testing.T, data []byte) {
		im, err := ParseCIFAR10(bytes.NewReader(data), "fuzz-input")
		checkParsed(t, im, err, "fuzz-input")
		if err != nil {
			return
		}
		if im.H != 32 || im.W != 32 || im.C != 3 || im.N*cifarRecordSize != len(data) {
			t.Fatalf("shape N=%d H=%d W=%d C=%d from %d bytes", im.N, im.H, im.W, im.C, len(data))
		}
		for i, l := range im.Labels {
			if l > 9 || l != data[i*cifarRecordSize] {
				t.Fatalf("label %d = %d", i, l)
			}
		}
	})
}

func FuzzLoadCIFAR10Batch(f *testing.F) {
	valid := cifarBytes(6, 9)
	f.Add(valid)
	f.Add(valid[:len(valid)-1])
	f.Add(append(valid[:len(valid):len(valid)], 0))
	f.Add(cifarBytes(10))
	f.Add([]byte{})
	// One file per fuzzing process, rewritten for each input: the inputs of
	// a process run one after another.
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		path := writeFile(t, dir, CIFAR10TestFile, data)
		im, err := LoadCIFAR10(dir, Test)
		checkParsed(t, im, err, path)
		one, oneErr := ReadCIFAR10(path)
		checkParsed(t, one, oneErr, path)
		if (err == nil) != (oneErr == nil) {
			t.Fatalf("LoadCIFAR10: %v; ReadCIFAR10: %v", err, oneErr)
		}
		if err != nil {
			return
		}
		if im.N*cifarRecordSize != len(data) || im.N > cifarBatchRecords || !slices.Equal(im.Pixels, one.Pixels) || !slices.Equal(im.Labels, one.Labels) {
			t.Fatalf("N=%d from %d bytes, or the two readers differ", im.N, len(data))
		}
	})
}

// FuzzReadIDXFile reads the input as an idx3 and an idx1 file: the file
// readers, which also check the header against the file's length, must
// accept exactly what the parsers accept, with the same result.
func FuzzReadIDXFile(f *testing.F) {
	images, labels := idxImageBytes(2, 3, 3), idxLabelBytes(5, 0, 4)
	for _, b := range [][]byte{images, labels} {
		f.Add(b)
		f.Add(gzipBytes(f, b))
		f.Add(b[:len(b)-1])
		f.Add(append(b[:len(b):len(b)], 7))
	}
	f.Add(idxBytes(idxImagesMagic, []uint32{1 << 20, 28, 28}, make([]byte, 64)))
	f.Add(gzipBytes(f, idxBytes(idxLabelsMagic, []uint32{1 << 28}, make([]byte, 64))))
	f.Add([]byte{})
	dir := f.TempDir() // as in FuzzLoadCIFAR10Batch
	f.Fuzz(func(t *testing.T, data []byte) {
		path := writeFile(t, dir, "input-idx-ubyte", data)
		im, err := ReadIDXImages(path)
		checkParsed(t, im, err, path)
		want, wantErr := ParseIDXImages(bytes.NewReader(data), path)
		if (err == nil) != (wantErr == nil) {
			t.Fatalf("ReadIDXImages: %v; ParseIDXImages: %v", err, wantErr)
		}
		if err == nil && (im.N != want.N || im.H != want.H || im.W != want.W || !slices.Equal(im.Pixels, want.Pixels)) {
			t.Fatal("ReadIDXImages and ParseIDXImages differ")
		}
		lbl, err := ReadIDXLabels(path)
		if err != nil && (lbl != nil || !strings.Contains(err.Error(), path)) {
			t.Fatalf("labels %v with error %v", lbl, err)
		}
		wantLbl, wantErr := ParseIDXLabels(bytes.NewReader(data), path)
		if (err == nil) != (wantErr == nil) || !slices.Equal(lbl, wantLbl) {
			t.Fatalf("ReadIDXLabels: %v; ParseIDXLabels: %v", err, wantErr)
		}
	})
}
