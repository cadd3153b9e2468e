package refconv

import (
	"slices"
	"testing"
)

func TestSame(t *testing.T) {
	// A 2x3 image of one channel.
	x := []float64{1, 2, 3, 4, 5, 6}
	for _, tc := range []struct {
		name string
		wt   []float64
		want []float64
	}{
		{"identity", []float64{0, 0, 0, 0, 1, 0, 0, 0, 0}, x},
		{"left neighbour", []float64{0, 0, 0, 1, 0, 0, 0, 0, 0}, []float64{0, 1, 2, 0, 4, 5}},
		{"box", []float64{1, 1, 1, 1, 1, 1, 1, 1, 1}, []float64{12, 21, 16, 12, 21, 16}},
	} {
		if got := Same(x, 1, 2, 3, 1, tc.wt, 3, 1); !slices.Equal(got, tc.want) {
			t.Errorf("%s: got %v, want %v", tc.name, got, tc.want)
		}
	}
}
