package datasets

import (
	"fmt"
	"math"
)

// AddGaussianNoise returns a new image set y = x + sigma*z, where x is im and
// z holds independent standard normal samples drawn from a PCG generator
// seeded with (seed, seed^0xbf58476d1ce4e5b9). The result is NOT clipped to
// [0,1]; this matches the additive white Gaussian noise model of the denoising
// problem. sigma is in the units of the pixel values, so noise level 25 on the
// 0-255 scale is sigma = 25.0/255. Labels are copied; im is not modified.
// The result depends only on im, sigma and seed.
//
// It is an error if sigma is negative, NaN or infinite.
func AddGaussianNoise(im *Images, sigma float64, seed uint64) (*Images, error) {
	if math.IsNaN(sigma) || math.IsInf(sigma, 0) || sigma < 0 {
		return nil, fmt.Errorf("datasets: noise level sigma = %v, want a finite value >= 0", sigma)
	}
	if err := im.Validate(); err != nil {
		return nil, err
	}
	out := &Images{N: im.N, H: im.H, W: im.W, C: im.C, Pixels: make([]float32, len(im.Pixels))}
	if im.Labels != nil {
		out.Labels = append([]uint8(nil), im.Labels...)
	}
	r := newRand(seed, noiseStream)
	for i, x := range im.Pixels {
		out.Pixels[i] = float32(float64(x) + sigma*r.NormFloat64())
	}
	return out, nil
}

// ClipToUnitRange sets every pixel p of im to min(max(p, 0), 1), in place:
// noisy images clipped to the range of the clean ones, as image pipelines
// that store noisy images as images do.
func ClipToUnitRange(im *Images) {
	for i, p := range im.Pixels {
		im.Pixels[i] = min(max(p, 0), 1)
	}
}
