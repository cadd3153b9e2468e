package datasets

import (
	"archive/tar"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// ExtractCIFAR10 extracts the CIFAR-10 binary batches, the regular files
// cifar-10-batches-bin/*.bin, from the gzipped tarball at tarGzPath (the
// official cifar-10-binary.tar.gz) into dir/cifar-10-batches-bin. Other
// members are skipped. Each file is written under a temporary name and then
// renamed into place, so no partially written batch is ever visible under
// its final name.
//
// It is an error if a member name is absolute or leaves the archive root
// (path traversal), if a batch's size is not that of 1 to 10000 CIFAR-10
// records (checked before it is written), or if any of data_batch_1.bin to data_batch_5.bin and
// test_batch.bin is missing from the archive.
func ExtractCIFAR10(tarGzPath, dir string) error {
	f, err := os.Open(tarGzPath)
	if err != nil {
		return fmt.Errorf("datasets: %w", err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return wrapf(err, tarGzPath, "reading")
	}
	defer zr.Close()

	outDir := filepath.Join(dir, CIFAR10DirName)
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return fmt.Errorf("datasets: %w", err)
	}
	found := make(map[string]bool)
	tr := tar.NewReader(zr)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return wrapf(err, tarGzPath, "reading archive")
		}
		name := strings.TrimPrefix(hdr.Name, "./")
		if name == "" || path.IsAbs(name) || strings.Contains(name, `\`) || !filepath.IsLocal(filepath.FromSlash(name)) {
			return errorf(tarGzPath, "unsafe path %q in archive", hdr.Name)
		}
		name = path.Clean(name)
		dirPart, base := path.Split(name)
		if dirPart != CIFAR10DirName+"/" || !strings.HasSuffix(base, ".bin") || !hdr.FileInfo().Mode().IsRegular() {
			continue
		}
		if err := checkCIFAR10Size(tarGzPath+": "+name, hdr.Size); err != nil {
			return err
		}
		if err := extractFile(tr, hdr.Size, outDir, base); err != nil {
			return wrapf(err, tarGzPath, "extracting %s", name)
		}
		found[base] = true
	}
	for _, want := range append(CIFAR10TrainFiles(), CIFAR10TestFile) {
		if !found[want] {
			return errorf(tarGzPath, "archive has no %s/%s", CIFAR10DirName, want)
		}
	}
	return nil
}

// extractFile copies size bytes from r to dir/base through a temporary file.
func extractFile(r io.Reader, size int64, dir, base string) (err error) {
	tmp, err := createTemp(dir, base+".partial-")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err = io.CopyN(tmp, r, size); err != nil {
		return err
	}
	if err = tmp.Sync(); err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), filepath.Join(dir, base))
}
