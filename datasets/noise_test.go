package datasets

import (
	"math"
	"slices"
	"testing"
)

func TestAddGaussianNoise(t *testing.T) {
	im := &Images{N: 4, H: 64, W: 64, C: 3, Pixels: make([]float32, 4*64*64*3), Labels: []uint8{1, 2, 3, 4}}
	for i := range im.Pixels {
		im.Pixels[i] = float32(i%256) / 255
	}
	orig := slices.Clone(im.Pixels)
	for _, sigma := range []float64{0, 5.0 / 255, 25.0 / 255, 1} {
		y, err := AddGaussianNoise(im, sigma, 42)
		if err != nil {
			t.Fatal(err)
		}
		if err := y.Validate(); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(im.Pixels, orig) {
			t.Fatal("input modified")
		}
		if !slices.Equal(y.Labels, im.Labels) || &y.Labels[0] == &im.Labels[0] {
			t.Error("labels not copied")
		}
		var sum, sum2 float64
		outside := false
		for i, v := range y.Pixels {
			d := float64(v) - float64(im.Pixels[i])
			sum += d
			sum2 += d * d
			outside = outside || v < 0 || v > 1
		}
		n := float64(len(y.Pixels))
		mean := sum / n
		std := math.Sqrt(sum2/n - mean*mean)
		// Standard error of the mean is sigma/sqrt(n) = sigma/222; allow 5.
		if math.Abs(mean) > 5*sigma/math.Sqrt(n)+1e-7 {
			t.Errorf("sigma %v: noise mean %v, want ~0", sigma, mean)
		}
		if math.Abs(std-sigma) > 0.02*sigma+1e-7 {
			t.Errorf("sigma %v: noise std %v", sigma, std)
		}
		if sigma >= 25.0/255 && !outside {
			t.Errorf("sigma %v: no value outside [0,1]; noise must not be clipped", sigma)
		}

		same, err := AddGaussianNoise(im, sigma, 42)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(same.Pixels, y.Pixels) {
			t.Errorf("sigma %v: same seed, different noise", sigma)
		}
		other, err := AddGaussianNoise(im, sigma, 43)
		if err != nil {
			t.Fatal(err)
		}
		if sigma > 0 && slices.Equal(other.Pixels, y.Pixels) {
			t.Errorf("sigma %v: different seeds, same noise", sigma)
		}
	}
}

func TestAddGaussianNoiseErrors(t *testing.T) {
	im := testImages(2)
	for _, sigma := range []float64{-0.1, math.NaN(), math.Inf(1)} {
		_, err := AddGaussianNoise(im, sigma, 1)
		wantErr(t, err, "noise level sigma")
	}
	_, err := AddGaussianNoise(&Images{N: 1, H: 1, W: 1, C: 1}, 0.1, 1)
	wantErr(t, err, "pixel values")
}

func TestClipToUnitRange(t *testing.T) {
	im := &Images{N: 1, H: 1, W: 6, C: 1, Pixels: []float32{-0.5, 0, 0.25, 1, 1.5, float32(math.Inf(1))}}
	ClipToUnitRange(im)
	want := []float32{0, 0, 0.25, 1, 1, 1}
	if !slices.Equal(im.Pixels, want) {
		t.Errorf("clipped %v, want %v", im.Pixels, want)
	}
}
