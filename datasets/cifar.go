package datasets

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// CIFAR-10 binary record layout.
const (
	cifarSide       = 32
	cifarPlane      = cifarSide * cifarSide // bytes per colour plane
	cifarImageLen   = 3 * cifarPlane        // 3072 pixel bytes
	cifarRecordSize = 1 + cifarImageLen     // 3073 bytes with the label
	cifarClasses    = 10
	// cifarBatchRecords is the number of records of an official batch file,
	// the most a batch may hold here; cifarMaxBatchBytes is its size.
	cifarBatchRecords  = 10000
	cifarMaxBatchBytes = cifarBatchRecords * cifarRecordSize
)

// CIFAR10TestFile is the name of the CIFAR-10 test batch.
const CIFAR10TestFile = "test_batch.bin"

// CIFAR10TrainFiles returns the names of the five CIFAR-10 training batches,
// data_batch_1.bin to data_batch_5.bin.
func CIFAR10TrainFiles() []string {
	return []string{"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin"}
}

// ParseCIFAR10 parses CIFAR-10 binary records from r: one batch of 1 to
// 10000 3073-byte records, each 1 label byte (0-9) followed by the 1024 red, 1024 green and
// 1024 blue bytes of a 32x32 image in row-major order. The result is in NHWC
// layout with H = W = 32, C = 3, pixel values scaled to [0,1] by dividing by
// 255, and labels. name identifies the input in error messages.
//
// It is an error if the length of the input is not a positive multiple of
// 3073 bytes, exceeds 10000 records, or if a label byte is greater than 9.
// At most one byte more than the largest batch is read.
func ParseCIFAR10(r io.Reader, name string) (*Images, error) {
	data, err := io.ReadAll(io.LimitReader(r, cifarMaxBatchBytes+1))
	if err != nil {
		return nil, wrapf(err, name, "reading")
	}
	if len(data) > cifarMaxBatchBytes {
		return nil, errorf(name, "input is more than the %d records (%d bytes) of a CIFAR-10 batch", cifarBatchRecords, cifarMaxBatchBytes)
	}
	return parseCIFAR10Bytes(data, name)
}

// ReadCIFAR10 reads one CIFAR-10 binary batch file; see ParseCIFAR10. The
// file's size is checked before its content is read.
func ReadCIFAR10(path string) (*Images, error) {
	data, err := readSized(path, checkCIFAR10Size)
	if err != nil {
		return nil, err
	}
	return parseCIFAR10Bytes(data, path)
}

// parseCIFAR10Bytes is like ParseCIFAR10 but parses records held in memory.
func parseCIFAR10Bytes(data []byte, name string) (*Images, error) {
	n, err := checkCIFAR10(data, name)
	if err != nil {
		return nil, err
	}
	im := &Images{N: n, H: cifarSide, W: cifarSide, C: 3,
		Pixels: make([]float32, n*cifarImageLen), Labels: make([]uint8, n)}
	decodeCIFAR10(im.Pixels, im.Labels, data)
	return im, nil
}

// LoadCIFAR10 reads the CIFAR-10 training split (data_batch_1.bin to
// data_batch_5.bin, all of which must exist; 50000 images) or test split
// (test_batch.bin; 10000 images in the official data) from dir, a
// cifar-10-batches-bin folder. The result is 32x32x3 with labels.
//
// The offline copy in shared/datasets/cifar-10-batches-bin holds only the
// first 1000 of the 10000 official test records in test_batch.bin, so the
// Test split read from there has N = 1000. Each batch may hold 1 to 10000
// records; the sizes of all files are checked before memory is allocated.
func LoadCIFAR10(dir string, split Split) (*Images, error) {
	var names []string
	switch split {
	case Train:
		names = CIFAR10TrainFiles()
	case Test:
		names = []string{CIFAR10TestFile}
	default:
		return nil, fmt.Errorf("datasets: LoadCIFAR10: invalid split %v", split)
	}
	paths := make([]string, len(names))
	records := 0
	for i, name := range names {
		paths[i] = filepath.Join(dir, name)
		fi, err := os.Stat(paths[i])
		if err != nil {
			return nil, fmt.Errorf("datasets: %w", err)
		}
		if err := checkCIFAR10Size(paths[i], fi.Size()); err != nil {
			return nil, err
		}
		records += int(fi.Size() / cifarRecordSize)
	}
	im := &Images{H: cifarSide, W: cifarSide, C: 3,
		Pixels: make([]float32, 0, records*cifarImageLen), Labels: make([]uint8, 0, records)}
	for _, p := range paths {
		data, err := readSized(p, checkCIFAR10Size)
		if err != nil {
			return nil, err
		}
		if im.N+len(data)/cifarRecordSize > records {
			return nil, errorf(p, "changed size while being read")
		}
		n, err := checkCIFAR10(data, p)
		if err != nil {
			return nil, err
		}
		im.Pixels = append(im.Pixels, make([]float32, n*cifarImageLen)...)
		im.Labels = append(im.Labels, make([]uint8, n)...)
		decodeCIFAR10(im.Pixels[im.N*cifarImageLen:], im.Labels[im.N:], data)
		im.N += n
	}
	return im, nil
}

// checkCIFAR10 validates the length and labels of CIFAR-10 records in data
// and returns the number of records.
func checkCIFAR10(data []byte, name string) (int, error) {
	if err := checkCIFAR10Size(name, int64(len(data))); err != nil {
		return 0, err
	}
	n := len(data) / cifarRecordSize
	for i := range n {
		if l := data[i*cifarRecordSize]; l >= cifarClasses {
			return 0, errorf(name, "record %d: label %d out of range [0,9]", i, l)
		}
	}
	return n, nil
}

// checkCIFAR10Size reports whether size bytes can be a CIFAR-10 batch: a
// positive multiple of the record size, at most cifarBatchRecords records.
func checkCIFAR10Size(name string, size int64) error {
	switch {
	case size == 0:
		return errorf(name, "no CIFAR-10 records (0 bytes)")
	case size%cifarRecordSize != 0:
		return errorf(name, "length %d bytes is not a multiple of %d, the CIFAR-10 record size", size, cifarRecordSize)
	case size > cifarMaxBatchBytes:
		return errorf(name, "length %d bytes is more than the %d records (%d bytes) of a CIFAR-10 batch", size, cifarBatchRecords, int64(cifarMaxBatchBytes))
	}
	return nil
}

// decodeCIFAR10 converts validated records in data to NHWC pixels and labels.
func decodeCIFAR10(pix []float32, labels []uint8, data []byte) {
	for i := range len(data) / cifarRecordSize {
		rec := data[i*cifarRecordSize : (i+1)*cifarRecordSize]
		labels[i] = rec[0]
		r, g, b := rec[1:1+cifarPlane], rec[1+cifarPlane:1+2*cifarPlane], rec[1+2*cifarPlane:]
		out := pix[i*cifarImageLen : (i+1)*cifarImageLen]
		for p := range cifarPlane {
			out[3*p] = float32(r[p]) / 255
			out[3*p+1] = float32(g[p]) / 255
			out[3*p+2] = float32(b[p]) / 255
		}
	}
}
