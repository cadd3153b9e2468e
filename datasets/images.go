package datasets

import (
	"errors"
	"fmt"
	"math/bits"
)

// Images is a set of images in NHWC layout, float32 values scaled to [0,1].
//
// Pixel c of row h, column w of image n is Pixels[((n*H+h)*W+w)*C+c].
// Labels, when not nil, holds the class label of each image.
//
// Values produced by the readers lie in [0,1]; values produced by
// AddGaussianNoise are not clipped and may lie outside it.
type Images struct {
	N, H, W, C int
	Pixels     []float32 // len N*H*W*C, index ((n*H+h)*W+w)*C+c
	Labels     []uint8   // len N (may be nil for unlabeled)
}

// Split selects the training or the test part of a data set.
type Split int

const (
	// Train is the training split.
	Train Split = iota
	// Test is the test split.
	Test
)

// String returns "train" or "test", or a description of an invalid split.
func (s Split) String() string {
	switch s {
	case Train:
		return "train"
	case Test:
		return "test"
	default:
		return fmt.Sprintf("Split(%d)", int(s))
	}
}

// ImageLen returns the number of values in one image, H*W*C (0 for a nil
// im).
func (im *Images) ImageLen() int {
	if im == nil {
		return 0
	}
	return im.H * im.W * im.C
}

// Image returns the pixels of image i as a slice of im.Pixels (no copy);
// writing to it changes im. Image returns nil if i is out of range or the
// layout of im is inconsistent (see Validate).
func (im *Images) Image(i int) []float32 {
	if im == nil || i < 0 || i >= im.N || im.H < 1 || im.W < 1 || im.C < 1 {
		return nil
	}
	sz := im.ImageLen()
	lo, hi := i*sz, (i+1)*sz
	if hi > len(im.Pixels) || hi < lo {
		return nil
	}
	return im.Pixels[lo:hi:hi]
}

// Validate reports whether the shape of im is consistent: N >= 0, H, W and
// C >= 1, len(Pixels) == N*H*W*C and Labels either nil or of length N.
// It does not check the range of the pixel values.
func (im *Images) Validate() error {
	if im == nil {
		return errors.New("datasets: nil *Images")
	}
	if im.N < 0 || im.H < 1 || im.W < 1 || im.C < 1 {
		return fmt.Errorf("datasets: invalid image set shape N=%d H=%d W=%d C=%d", im.N, im.H, im.W, im.C)
	}
	n, ok := mulInts(im.N, im.H, im.W, im.C)
	if !ok {
		return fmt.Errorf("datasets: image set shape N=%d H=%d W=%d C=%d overflows int", im.N, im.H, im.W, im.C)
	}
	if len(im.Pixels) != n {
		return fmt.Errorf("datasets: image set has %d pixel values, want N*H*W*C = %d", len(im.Pixels), n)
	}
	if im.Labels != nil && len(im.Labels) != im.N {
		return fmt.Errorf("datasets: image set has %d labels for %d images", len(im.Labels), im.N)
	}
	return nil
}

// Slice returns images from, from+1, ..., to-1 of im. The result shares its
// Pixels and Labels storage with im, like a Go slice expression; use Gather
// for a copy. It is an error unless 0 <= from <= to <= im.N.
func (im *Images) Slice(from, to int) (*Images, error) {
	if err := im.Validate(); err != nil {
		return nil, err
	}
	if from < 0 || from > to || to > im.N {
		return nil, fmt.Errorf("datasets: slice [%d:%d] out of range for %d images", from, to, im.N)
	}
	sz := im.ImageLen()
	out := &Images{N: to - from, H: im.H, W: im.W, C: im.C,
		Pixels: im.Pixels[from*sz : to*sz : to*sz]}
	if im.Labels != nil {
		out.Labels = im.Labels[from:to:to]
	}
	return out, nil
}

// Gather returns a new image set holding copies of images idx[0], idx[1], ...
// of im, in that order. Indices may repeat. It is an error if an index is out
// of range.
func (im *Images) Gather(idx []int) (*Images, error) {
	if err := im.Validate(); err != nil {
		return nil, err
	}
	for k, i := range idx {
		if i < 0 || i >= im.N {
			return nil, fmt.Errorf("datasets: gather index %d (position %d) out of range for %d images", i, k, im.N)
		}
	}
	sz := im.ImageLen()
	out := &Images{N: len(idx), H: im.H, W: im.W, C: im.C,
		Pixels: make([]float32, len(idx)*sz)}
	if im.Labels != nil {
		out.Labels = make([]uint8, len(idx))
	}
	for k, i := range idx {
		copy(out.Pixels[k*sz:(k+1)*sz], im.Pixels[i*sz:(i+1)*sz])
		if im.Labels != nil {
			out.Labels[k] = im.Labels[i]
		}
	}
	return out, nil
}

// Subset returns a copy of n distinct images of im, chosen as the first n
// entries of a random permutation of 0..N-1 drawn from a PCG generator seeded
// with (seed, seed^0x9e3779b97f4a7c15); the images appear in that permuted
// order. The result depends only on im.N, n and seed. It is an error if n < 1
// or n > im.N. SubsetIndices returns the chosen indices.
func (im *Images) Subset(n int, seed uint64) (*Images, error) {
	if err := im.Validate(); err != nil {
		return nil, err
	}
	idx, err := SubsetIndices(im.N, n, seed)
	if err != nil {
		return nil, err
	}
	return im.Gather(idx)
}

// SubsetIndices returns the indices of the n images out of total that
// Subset(n, seed) chooses. It is an error if n < 1 or n > total.
func SubsetIndices(total, n int, seed uint64) ([]int, error) {
	if n < 1 || n > total {
		return nil, fmt.Errorf("datasets: subset size %d out of range [1,%d]", n, total)
	}
	return newRand(seed, subsetStream).Perm(total)[:n:n], nil
}

// mulInts returns the product of non-negative xs and whether it fits in an
// int without overflow.
func mulInts(xs ...int) (int, bool) {
	p := uint64(1)
	for _, x := range xs {
		if x < 0 {
			return 0, false
		}
		hi, lo := bits.Mul64(p, uint64(x))
		if hi != 0 || lo > uint64(maxInt) {
			return 0, false
		}
		p = lo
	}
	return int(p), true
}

const maxInt = int(^uint(0) >> 1)
