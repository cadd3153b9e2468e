package datasets

import (
	"bufio"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
)

// initialReadSize bounds the first allocation made when reading a declared
// number of bytes, so that a corrupt header cannot force a huge allocation:
// storage then grows only as data actually arrives.
const initialReadSize = 1 << 16

// maybeGunzip returns a reader of the decompressed content of r if r starts
// with the gzip magic bytes 1f 8b, and a reader of r's bytes otherwise,
// and whether it was gzipped. The returned close function releases the
// gzip reader, if any.
func maybeGunzip(r io.Reader) (io.Reader, bool, func() error, error) {
	br := bufio.NewReader(r)
	magic, err := br.Peek(2)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, false, nil, err
	}
	if len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, true, nil, err
		}
		return zr, true, zr.Close, nil
	}
	return br, false, func() error { return nil }, nil
}

// readExact reads exactly n bytes from r. Storage grows geometrically as
// data arrives, so memory stays proportional to the input actually present.
// On a short read it returns the bytes read and io.ErrUnexpectedEOF (or the
// underlying read error).
func readExact(r io.Reader, n int) ([]byte, error) {
	buf := make([]byte, 0, min(n, initialReadSize))
	for len(buf) < n {
		if len(buf) == cap(buf) {
			buf = slices.Grow(buf, min(n-len(buf), len(buf)))
		}
		end := min(cap(buf), n)
		k, err := io.ReadFull(r, buf[len(buf):end])
		buf = buf[:len(buf)+k]
		if err != nil {
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return buf, err
		}
	}
	return buf, nil
}

// readSized reads the file at path after check(path, size) has accepted
// its size, allocating only that size. It is an error if the file is
// shorter or longer than its size when read.
func readSized(path string, check func(name string, size int64) error) ([]byte, error) {
	f, size, err := openSized(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if err := check(path, size); err != nil {
		return nil, err
	}
	data := make([]byte, size)
	if _, err := io.ReadFull(f, data); err != nil {
		return nil, wrapf(err, path, "reading")
	}
	if err := checkEOF(f, path, len(data)); err != nil {
		return nil, err
	}
	return data, nil
}

// openSized opens the regular file at path and returns its size.
func openSized(path string) (*os.File, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, fmt.Errorf("datasets: %w", err)
	}
	fi, err := f.Stat()
	if err == nil && !fi.Mode().IsRegular() {
		err = errors.New("not a regular file")
	}
	if err != nil {
		f.Close()
		return nil, 0, wrapf(err, path, "opening")
	}
	return f, fi.Size(), nil
}

// checkEOF reports an error if r yields any more data (or a read error,
// such as a gzip checksum failure) instead of a clean end of input.
func checkEOF(r io.Reader, name string, consumed int) error {
	var b [1]byte
	for range 100 {
		k, err := r.Read(b[:])
		if k > 0 {
			return errorf(name, "unexpected trailing data after %d bytes", consumed)
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return wrapf(err, name, "reading")
		}
	}
	return wrapf(io.ErrNoProgress, name, "reading")
}

// bytesToUnit converts bytes to float32 values b/255 in dst, which must be
// at least as long as src.
func bytesToUnit(dst []float32, src []byte) {
	dst = dst[:len(src)]
	for i, b := range src {
		dst[i] = float32(b) / 255
	}
}
