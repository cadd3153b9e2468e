package reproductions

import (
	"math"

	"gonum.org/v1/gonum/floats"
)

// The summary statistics of the figures. Extremes come from gonum's floats
// (exact); sums are taken in order, not with floats.Sum, whose SIMD lanes
// reassociate the additions and would change the recorded numbers in their
// last digits.

// mean is the arithmetic mean of v.
func mean(v []float64) float64 {
	var s float64
	for _, x := range v {
		s += x
	}
	return s / float64(len(v))
}

// popStdDev is the population standard deviation sqrt(mean((v - mean(v))^2)).
func popStdDev(v []float64) float64 {
	m := mean(v)
	var s float64
	for _, x := range v {
		s += (x - m) * (x - m)
	}
	return math.Sqrt(s / float64(len(v)))
}

// spreadOverMin is (max - min) / min of v, the relative spread of final
// objectives across optimisers or initialisations.
func spreadOverMin(v []float64) float64 {
	lo := floats.Min(v)
	return (floats.Max(v) - lo) / lo
}

// spreadOverMean returns min, max and (max - min) / |mean| of v.
func spreadOverMean(v []float64) (lo, hi, rel float64) {
	lo, hi = floats.Min(v), floats.Max(v)
	return lo, hi, (hi - lo) / math.Abs(mean(v))
}
