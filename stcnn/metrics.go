package stcnn

import (
	"fmt"
	"math"

	"github.com/convexst/stcnn/datasets"
)

// Metrics are the quantities the paper reports, on one data set. Which
// apply depends on the network's Task: SquaredError, PSNR and RLNE are a
// Regression network's (zero, not measured, for a classifier), CrossEntropy
// and Accuracy a Classification network's (zero and left out of the JSON
// for a denoiser).
type Metrics struct {
	// Objective is the data term (SquaredError or CrossEntropy) + Regularizer
	// + Rho*Hinge (eq. 21 or 22 with the hinge).
	Objective float64 `json:"objective"`
	// SquaredError is (1/N) sum_n ||f(Y_n) - X_n||^2.
	SquaredError float64 `json:"squared_error"`
	// CrossEntropy is (1/N) sum_n -log softmax(z_n)[label_n], for the logits
	// z_n = f(Y_n) of a classifier.
	CrossEntropy float64 `json:"cross_entropy,omitempty"`
	// Accuracy is the fraction of images whose largest logit is their label
	// (a classifier).
	Accuracy float64 `json:"accuracy,omitempty"`
	// Regularizer is the weight penalty.
	Regularizer float64 `json:"regularizer"`
	// Hinge is (1/N) sum_n of the hinge penalty, before the factor rho (dual).
	Hinge float64 `json:"hinge"`
	// ViolatedFraction is the fraction of sign constraints violated (dual).
	ViolatedFraction float64 `json:"violated_fraction"`
	// PSNR is the mean over images of 10 log10(1/MSE_n), peak 1, in dB.
	PSNR float64 `json:"psnr"`
	// RLNE is the mean over images of ||f(Y_n) - X_n|| / ||X_n||.
	RLNE float64 `json:"rlne"`
	// Images is N.
	Images int `json:"images"`
}

// ImageMetrics computes the squared-error part of Metrics from per-image
// squared errors e_n and clean energies ||X_n||^2 of images with `values`
// pixels*channels each: MSE_n = e_n/values, PSNR_n = 10 log10(1/MSE_n)
// (peak 1), RLNE_n = sqrt(e_n)/||X_n||, each averaged over images.
func ImageMetrics(sqErr, cleanSq []float64, values int) Metrics {
	m := Metrics{Images: len(sqErr)}
	var psnr, rlne float64
	for n, e := range sqErr {
		psnr += 10 * math.Log10(float64(values)/e)
		rlne += math.Sqrt(e) / math.Sqrt(cleanSq[n])
	}
	k := float64(len(sqErr))
	m.SquaredError, m.PSNR, m.RLNE = mean(sqErr), psnr/k, rlne/k
	return m
}

func mean(x []float64) float64 {
	var s float64
	for _, v := range x {
		s += v
	}
	return s / float64(len(x))
}

// ImageErrors returns, per image, the squared error e_n = ||out_n - x_n||^2
// and the clean energy ||x_n||^2 of images out against clean, computed on
// the host in float64 (the inputs of ImageMetrics).
func ImageErrors(out, clean *datasets.Images) (sqErr, cleanSq []float64, err error) {
	if out == nil || clean == nil || out.N != clean.N || out.H != clean.H || out.W != clean.W || out.C != clean.C {
		return nil, nil, fmt.Errorf("stcnn: ImageErrors: images %s and clean images %s do not pair up", imagesShape(out), imagesShape(clean))
	}
	sqErr, cleanSq = make([]float64, clean.N), make([]float64, clean.N)
	for n := range clean.N {
		a, b := out.Image(n), clean.Image(n)
		for i := range a {
			d := float64(a[i]) - float64(b[i])
			sqErr[n] += d * d
			cleanSq[n] += float64(b[i]) * float64(b[i])
		}
	}
	return sqErr, cleanSq, nil
}

func imagesShape(im *datasets.Images) string {
	if im == nil {
		return "nil"
	}
	return fmt.Sprintf("%dx%dx%dx%d", im.N, im.H, im.W, im.C)
}
