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
)

// CIFAR10TestFile is the name of the CIFAR-10 test batch.
const CIFAR10TestFile = "test_batch.bin"

// CIFAR10TrainFiles returns the names of the five CIFAR-10 training batches,
// data_batch_1.bin to data_batch_5.bin.
func CIFAR10TrainFiles() []string {
	return []string{"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin"}
}

// ParseCIFAR10 parses CIFAR-10 binary records from r: any number of 3073-byte
// records, each 1 label byte (0-9) followed by the 1024 red, 1024 green and
// 1024 blue bytes of a 32x32 image in row-major order. The result is in NHWC
// layout with H = W = 32, C = 3, pixel values scaled to [0,1] by dividing by
// 255, and labels. name identifies the input in error messages.
//
// It is an error if the length of the input is not a positive multiple of
// 3073 bytes or if a label byte is greater than 9.
func ParseCIFAR10(r io.Reader, name string) (*Images, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, wrapf(err, name, "reading")
	}
	return parseCIFAR10Bytes(data, name)
}

// ReadCIFAR10 reads one CIFAR-10 binary batch file; see ParseCIFAR10.
func ReadCIFAR10(path string) (*Images, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("datasets: %w", err)
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
// Test split read from there has N = 1000.
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
		records += int(fi.Size() / cifarRecordSize)
	}
	im := &Images{H: cifarSide, W: cifarSide, C: 3,
		Pixels: make([]float32, 0, records*cifarImageLen), Labels: make([]uint8, 0, records)}
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("datasets: %w", err)
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
	if len(data) == 0 {
		return 0, errorf(name, "no CIFAR-10 records (0 bytes)")
	}
	if len(data)%cifarRecordSize != 0 {
		return 0, errorf(name, "length %d bytes is not a multiple of %d, the CIFAR-10 record size", len(data), cifarRecordSize)
	}
	n := len(data) / cifarRecordSize
	for i := range n {
		if l := data[i*cifarRecordSize]; l >= cifarClasses {
			return 0, errorf(name, "record %d: label %d out of range [0,9]", i, l)
		}
	}
	return n, nil
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
