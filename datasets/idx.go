package datasets

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// Magic numbers of the IDX files used by MNIST: two zero bytes, the data
// type 0x08 (unsigned byte) and the number of dimensions.
const (
	idxImagesMagic = 0x00000803 // idx3-ubyte: count, rows, columns
	idxLabelsMagic = 0x00000801 // idx1-ubyte: count
)

// ReadIDXImages reads an MNIST-style idx3-ubyte image file, gzip-compressed
// or raw (detected from the gzip magic bytes 1f 8b, not from the name).
// The result has C = 1 and nil Labels; see ParseIDXImages.
//
// The size the header declares is checked against the file's length before
// the data is read: equal to it after the header for a raw file, within the
// most a gzip file of that length can expand to (1032 times) for a
// compressed one.
func ReadIDXImages(path string) (*Images, error) {
	f, size, err := openSized(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return parseIDXImages(f, path, size)
}

// ReadIDXLabels reads an MNIST-style idx1-ubyte label file, gzip-compressed
// or raw; see ParseIDXLabels. The header is checked against the file's
// length as in ReadIDXImages.
func ReadIDXLabels(path string) ([]uint8, error) {
	f, size, err := openSized(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return parseIDXLabels(f, path, size)
}

// Limits on the data an IDX header may declare, so that no header can make
// the reader allocate more than the input can supply.
const (
	// idxMaxData is the most data bytes accepted: 1 GiB, twenty times
	// MNIST's training images (each byte becomes a 4-byte float32).
	idxMaxData = 1 << 30
	// maxDeflateRatio bounds how many times its size a deflate stream can
	// expand to (a 258-byte match in as little as 2 bits).
	maxDeflateRatio = 1032
)

// checkIDXSize checks the total data bytes a header declares for what
// ("pixel data", "label data") against idxMaxData and, when the input's
// length size is known (>= 0), against it: equal to it less the header for
// a raw input, within maxDeflateRatio times it for a gzipped one.
func checkIDXSize(name, what string, total, hdrLen int, size int64, gzipped bool) error {
	if total > idxMaxData {
		return errorf(name, "header declares %d bytes of %s, more than the %d this reader accepts", total, what, idxMaxData)
	}
	switch {
	case size < 0:
	case gzipped && int64(total)+int64(hdrLen) > maxDeflateRatio*size:
		return errorf(name, "header declares %d bytes of %s, more than a %d-byte gzip file can hold", total, what, size)
	case !gzipped && int64(total) > size-int64(hdrLen):
		return errorf(name, "truncated %s: header declares %d bytes, the file holds %d after the header", what, total, max(size-int64(hdrLen), 0))
	case !gzipped && int64(total) < size-int64(hdrLen):
		return errorf(name, "unexpected trailing data: header declares %d bytes of %s, the file holds %d after the header", total, what, size-int64(hdrLen))
	}
	return nil
}

// ParseIDXImages parses an idx3-ubyte image file from r, which may be
// gzip-compressed. The header is the big-endian uint32 magic number
// 0x00000803 followed by the image count, the number of rows and the number
// of columns; then come the pixel bytes, image after image in row-major
// order. Pixels are scaled to [0,1] by dividing by 255. The result has C = 1
// and nil Labels. name identifies the input in error messages.
//
// It is an error if the magic number is wrong, the header or the pixel data
// is truncated, a dimension is zero, or data follows the last image.
//
// At most 1 GiB of pixel data is accepted; storage grows as data arrives,
// so a header declaring more than the input holds allocates no more than
// the input.
func ParseIDXImages(r io.Reader, name string) (*Images, error) {
	return parseIDXImages(r, name, -1)
}

// parseIDXImages is ParseIDXImages for an input of size bytes (-1 if
// unknown); see checkIDXSize.
func parseIDXImages(r io.Reader, name string, size int64) (*Images, error) {
	dims, body, gzipped, closeFn, err := readIDXHeader(r, name, idxImagesMagic, 3)
	if err != nil {
		return nil, err
	}
	defer closeFn()
	n, h, w := dims[0], dims[1], dims[2]
	if n == 0 || h == 0 || w == 0 {
		return nil, errorf(name, "zero dimension in header: %d images of %dx%d", n, h, w)
	}
	total, ok := mulInts(n, h, w)
	if !ok {
		return nil, errorf(name, "header declares %d images of %dx%d, too large", n, h, w)
	}
	data, err := readIDXData(body, name, "pixel data", total, 16, size, gzipped)
	if err != nil {
		return nil, err
	}
	im := &Images{N: n, H: h, W: w, C: 1, Pixels: make([]float32, total)}
	bytesToUnit(im.Pixels, data)
	return im, nil
}

// ParseIDXLabels parses an idx1-ubyte label file from r, which may be
// gzip-compressed: the big-endian uint32 magic number 0x00000801, the label
// count, then one byte per label. The label values are not checked.
// name identifies the input in error messages.
//
// It is an error if the magic number is wrong, the header or the label data
// is truncated, the count is zero, or data follows the last label.
func ParseIDXLabels(r io.Reader, name string) ([]uint8, error) {
	return parseIDXLabels(r, name, -1)
}

// parseIDXLabels is ParseIDXLabels for an input of size bytes (-1 if
// unknown); see checkIDXSize.
func parseIDXLabels(r io.Reader, name string, size int64) ([]uint8, error) {
	dims, body, gzipped, closeFn, err := readIDXHeader(r, name, idxLabelsMagic, 1)
	if err != nil {
		return nil, err
	}
	defer closeFn()
	n := dims[0]
	if n == 0 {
		return nil, errorf(name, "header declares zero labels")
	}
	return readIDXData(body, name, "label data", n, 8, size, gzipped)
}

// readIDXData reads the total data bytes that follow a header of hdrLen
// bytes: their size checked against the input's first (checkIDXSize), and
// nothing may follow them.
func readIDXData(body io.Reader, name, what string, total, hdrLen int, size int64, gzipped bool) ([]byte, error) {
	if err := checkIDXSize(name, what, total, hdrLen, size, gzipped); err != nil {
		return nil, err
	}
	data, err := readExact(body, total)
	if err != nil {
		return nil, readErr(err, name, what, len(data), total)
	}
	if err := checkEOF(body, name, hdrLen+total); err != nil {
		return nil, err
	}
	return data, nil
}

// readIDXHeader reads the IDX header from r (gunzipping if needed), checks
// its magic number and returns the ndims dimensions and the reader
// positioned at the data, and whether r is gzipped.
func readIDXHeader(r io.Reader, name string, magic uint32, ndims int) (dims []int, body io.Reader, gzipped bool, closeFn func() error, err error) {
	body, gzipped, closeBody, err := maybeGunzip(r)
	if err != nil {
		return nil, nil, false, nil, wrapf(err, name, "reading header")
	}
	defer func() {
		if err != nil {
			closeBody()
		}
	}()
	hdrLen := 4 * (1 + ndims)
	hdr, err := readExact(body, hdrLen)
	if len(hdr) >= 4 {
		if got := binary.BigEndian.Uint32(hdr); got != magic {
			return nil, nil, false, nil, errorf(name, "wrong magic number 0x%08x, want 0x%08x", got, magic)
		}
	}
	if err != nil {
		return nil, nil, false, nil, readErr(err, name, "header", len(hdr), hdrLen)
	}
	dims = make([]int, ndims)
	for i := range dims {
		d := binary.BigEndian.Uint32(hdr[4*(i+1):])
		if uint64(d) > uint64(maxInt) {
			return nil, nil, false, nil, errorf(name, "dimension %d too large", d)
		}
		dims[i] = int(d)
	}
	return dims, body, gzipped, closeBody, nil
}

// readErr describes a failure to read want bytes of what, got bytes having
// arrived.
func readErr(err error, name, what string, got, want int) error {
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return errorf(name, "truncated %s: got %d of %d bytes", what, got, want)
	}
	return wrapf(err, name, "reading %s", what)
}

// MNIST file names, without the optional .gz suffix.
const (
	MNISTTrainImages = "train-images-idx3-ubyte"
	MNISTTrainLabels = "train-labels-idx1-ubyte"
	MNISTTestImages  = "t10k-images-idx3-ubyte"
	MNISTTestLabels  = "t10k-labels-idx1-ubyte"
)

// LoadMNIST reads the MNIST training (60000 images) or test (10000 images)
// split from dir, which must hold train-images-idx3-ubyte and
// train-labels-idx1-ubyte, or t10k-images-idx3-ubyte and
// t10k-labels-idx1-ubyte, each with a .gz suffix or without (the .gz name is
// tried first). The result is 28x28x1 with labels. It is an error if a file is
// missing or malformed, if the image and label counts differ, or if a label
// is greater than 9.
func LoadMNIST(dir string, split Split) (*Images, error) {
	var imgName, lblName string
	switch split {
	case Train:
		imgName, lblName = MNISTTrainImages, MNISTTrainLabels
	case Test:
		imgName, lblName = MNISTTestImages, MNISTTestLabels
	default:
		return nil, fmt.Errorf("datasets: LoadMNIST: invalid split %v", split)
	}
	imgPath, err := findGzOrRaw(dir, imgName)
	if err != nil {
		return nil, err
	}
	lblPath, err := findGzOrRaw(dir, lblName)
	if err != nil {
		return nil, err
	}
	im, err := ReadIDXImages(imgPath)
	if err != nil {
		return nil, err
	}
	labels, err := ReadIDXLabels(lblPath)
	if err != nil {
		return nil, err
	}
	if len(labels) != im.N {
		return nil, fmt.Errorf("datasets: %s: count mismatch: %d labels for the %d images of %s", lblPath, len(labels), im.N, imgPath)
	}
	for i, l := range labels {
		if l > 9 {
			return nil, errorf(lblPath, "label %d at index %d out of range [0,9]", l, i)
		}
	}
	im.Labels = labels
	return im, nil
}

// findGzOrRaw returns dir/name.gz if it exists, else dir/name if it exists.
func findGzOrRaw(dir, name string) (string, error) {
	gz := filepath.Join(dir, name+".gz")
	raw := filepath.Join(dir, name)
	for _, p := range []string{gz, raw} {
		if _, err := os.Stat(p); err == nil {
			return p, nil
		} else if !errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("datasets: %w", err)
		}
	}
	return "", fmt.Errorf("datasets: %s: %w (nor %s)", gz, fs.ErrNotExist, raw)
}
