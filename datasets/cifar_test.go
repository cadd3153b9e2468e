package datasets

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestReadCIFAR10Real(t *testing.T) {
	dir := realCIFAR10Dir(t)
	im, err := ReadCIFAR10(filepath.Join(dir, "data_batch_1.bin"))
	if err != nil {
		t.Fatal(err)
	}
	if err := im.Validate(); err != nil {
		t.Fatal(err)
	}
	if im.N != 10000 || im.H != 32 || im.W != 32 || im.C != 3 {
		t.Fatalf("shape N=%d H=%d W=%d C=%d, want 10000 32 32 3", im.N, im.H, im.W, im.C)
	}
	if im.Labels[0] != 6 {
		t.Errorf("first label %d, want 6 (frog)", im.Labels[0])
	}
	if lo, hi := slices.Min(im.Pixels), slices.Max(im.Pixels); lo < 0 || hi > 1 || lo == hi {
		t.Errorf("pixel range [%v,%v], want within [0,1]", lo, hi)
	}
}

func TestLoadCIFAR10Real(t *testing.T) {
	dir := realCIFAR10Dir(t)
	test, err := LoadCIFAR10(dir, Test)
	if err != nil {
		t.Fatal(err)
	}
	// The offline copy has 1000 test records, the official file 10000.
	if test.N != 1000 && test.N != 10000 {
		t.Errorf("test split has %d images, want 1000 (offline copy) or 10000", test.N)
	}
	if test.Labels[0] != 3 {
		t.Errorf("first test label %d, want 3 (cat)", test.Labels[0])
	}
	if testing.Short() {
		t.Skip("skipping the 600 MB training split in short mode")
	}
	train, err := LoadCIFAR10(dir, Train)
	if err != nil {
		t.Fatal(err)
	}
	if err := train.Validate(); err != nil {
		t.Fatal(err)
	}
	if train.N != 50000 || train.Labels[0] != 6 {
		t.Fatalf("training split N=%d first label %d, want 50000 and 6", train.N, train.Labels[0])
	}
	var counts [10]int
	for _, l := range train.Labels {
		counts[l]++
	}
	for c, k := range counts {
		if k != 5000 {
			t.Errorf("class %d has %d training images, want 5000", c, k)
		}
	}
	// Batch 2 starts at image 10000 and matches reading the file alone.
	b2, err := ReadCIFAR10(filepath.Join(dir, "data_batch_2.bin"))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(train.Image(10000), b2.Image(0)) || train.Labels[10000] != b2.Labels[0] {
		t.Error("image 10000 of the training split differs from image 0 of data_batch_2.bin")
	}
}

func TestParseCIFAR10Layout(t *testing.T) {
	rec := make([]byte, cifarRecordSize)
	rec[0] = 9
	// Red plane: value 10; green: row index; blue: column index.
	for p := range cifarPlane {
		rec[1+p] = 10
		rec[1+cifarPlane+p] = byte(p / 32)
		rec[1+2*cifarPlane+p] = byte(p % 32)
	}
	im, err := ParseCIFAR10(bytes.NewReader(append(cifarBytes(0), rec...)), "layout")
	if err != nil {
		t.Fatal(err)
	}
	if im.N != 2 || !slices.Equal(im.Labels, []uint8{0, 9}) {
		t.Fatalf("N=%d labels %v, want 2 and [0 9]", im.N, im.Labels)
	}
	img := im.Image(1)
	for h := range 32 {
		for w := range 32 {
			px := img[(h*32+w)*3 : (h*32+w)*3+3]
			want := []float32{float32(10) / 255, float32(h) / 255, float32(w) / 255}
			if !slices.Equal(px, want) {
				t.Fatalf("pixel (%d,%d) = %v, want %v", h, w, px, want)
			}
		}
	}
}

func TestCIFAR10Errors(t *testing.T) {
	good := cifarBytes(1, 2)
	for _, tc := range []struct {
		name   string
		data   []byte
		phrase string
	}{
		{"empty", nil, "no CIFAR-10 records (0 bytes)"},
		{"one byte short", good[:len(good)-1], "length 6145 bytes is not a multiple of 3073"},
		{"one byte long", append(slices.Clip(good), 0), "length 6147 bytes is not a multiple of 3073"},
		{"bad label", cifarBytes(1, 2, 10, 3), "record 2: label 10 out of range [0,9]"},
		{"bad first label", cifarBytes(255), "record 0: label 255 out of range [0,9]"},
		{"more than a batch", make([]byte, (cifarBatchRecords+1)*cifarRecordSize), "more than the 10000 records (30730000 bytes) of a CIFAR-10 batch"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := writeFile(t, t.TempDir(), "data_batch_1.bin", tc.data)
			im, err := ReadCIFAR10(p)
			if im != nil {
				t.Errorf("got images with error %v", err)
			}
			wantErr(t, err, p, tc.phrase)
			_, err = ParseCIFAR10(bytes.NewReader(tc.data), "reader-name")
			wantErr(t, err, "reader-name", tc.phrase)
		})
	}
}

func TestLoadCIFAR10Errors(t *testing.T) {
	good := cifarBytes(1, 2)
	t.Run("missing batch", func(t *testing.T) {
		dir := t.TempDir()
		for _, name := range CIFAR10TrainFiles()[:4] {
			writeFile(t, dir, name, good)
		}
		_, err := LoadCIFAR10(dir, Train)
		wantErr(t, err, filepath.Join(dir, "data_batch_5.bin"), "no such file")
		if !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("error %v is not fs.ErrNotExist", err)
		}
	})
	t.Run("bad batch", func(t *testing.T) {
		dir := t.TempDir()
		for _, name := range CIFAR10TrainFiles() {
			writeFile(t, dir, name, good)
		}
		writeFile(t, dir, "data_batch_3.bin", good[:100])
		_, err := LoadCIFAR10(dir, Train)
		wantErr(t, err, filepath.Join(dir, "data_batch_3.bin"), "length 100 bytes is not a multiple of 3073")
	})
	t.Run("small train", func(t *testing.T) {
		dir := t.TempDir()
		for i, name := range CIFAR10TrainFiles() {
			writeFile(t, dir, name, cifarBytes(byte(i), byte(i)))
		}
		im, err := LoadCIFAR10(dir, Train)
		if err != nil {
			t.Fatal(err)
		}
		if err := im.Validate(); err != nil {
			t.Fatal(err)
		}
		if want := []uint8{0, 0, 1, 1, 2, 2, 3, 3, 4, 4}; !slices.Equal(im.Labels, want) {
			t.Errorf("labels %v, want %v", im.Labels, want)
		}
	})
	t.Run("oversized batches", func(t *testing.T) {
		// Sparse files the size of a batch of 10001 records and of 2^20
		// records (3.2 GB, 12.9 GB as float32): refused from their size.
		for _, records := range []int64{cifarBatchRecords + 1, 1 << 20} {
			dir := t.TempDir()
			p := writeFile(t, dir, CIFAR10TestFile, cifarBytes(1))
			if err := os.Truncate(p, records*cifarRecordSize); err != nil {
				t.Fatal(err)
			}
			phrase := fmt.Sprintf("length %d bytes is more than the 10000 records (30730000 bytes) of a CIFAR-10 batch", records*cifarRecordSize)
			_, err := LoadCIFAR10(dir, Test)
			wantErr(t, err, p, phrase)
			_, err = ReadCIFAR10(p)
			wantErr(t, err, p, phrase)
		}
	})
	t.Run("bad size before reading", func(t *testing.T) {
		dir := t.TempDir()
		for _, name := range CIFAR10TrainFiles() {
			writeFile(t, dir, name, good)
		}
		// The last batch is checked before anything is read.
		p := writeFile(t, dir, "data_batch_5.bin", good[:cifarRecordSize+1])
		_, err := LoadCIFAR10(dir, Train)
		wantErr(t, err, p, "length 3074 bytes is not a multiple of 3073")
	})
	t.Run("a batch of 1000 records", func(t *testing.T) {
		dir := t.TempDir()
		writeFile(t, dir, CIFAR10TestFile, bytes.Repeat(cifarBytes(3), 1000))
		im, err := LoadCIFAR10(dir, Test)
		if err != nil || im.N != 1000 {
			t.Fatalf("N=%v, %v", im, err)
		}
	})
	t.Run("bad split", func(t *testing.T) {
		_, err := LoadCIFAR10(t.TempDir(), Split(-1))
		wantErr(t, err, "invalid split")
	})
}
