package stcnn_test

import (
	"fmt"
	"testing"

	"github.com/convexst/stcnn/stcnn"
)

func TestChunkRanges(t *testing.T) {
	for _, c := range []struct {
		n, pixels, width, max int
		want                  string
	}{
		{n: 0, pixels: 784, width: 512, max: 0, want: "[]"},
		{n: 10, pixels: 10, width: 10, max: 1000, want: "[[0 10]]"},
		{n: 10, pixels: 10, width: 10, max: 400, want: "[[0 4] [4 8] [8 10]]"},
		{n: 7, pixels: 10, width: 10, max: 500, want: "[[0 4] [4 7]]"},          // 5 per chunk, evened to 4+3
		{n: 3, pixels: 1000, width: 1000, max: 10, want: "[[0 1] [1 2] [2 3]]"}, // at least one image
	} {
		if got := fmt.Sprint(stcnn.ChunkRanges(c.n, c.pixels, c.width, c.max)); got != c.want {
			t.Errorf("ChunkRanges(%d, %d, %d, %d) = %s, want %s", c.n, c.pixels, c.width, c.max, got, c.want)
		}
	}
	if got, want := stcnn.ChunkImages(784, 512, 0), stcnn.DefaultMaxChunkElements/(784*512); got != want {
		t.Errorf("ChunkImages with the default bound = %d, want %d", got, want)
	}
}

// ExampleChunkRanges splits 50 MNIST images for a dual network with
// P = 8000 gates: at most 5 images of 784 pixels x 8000 hidden values fit
// the default bound of 2^25 values, so 10 chunks of 5.
func ExampleChunkRanges() {
	r := stcnn.ChunkRanges(50, 784, 8000, 0)
	fmt.Println(stcnn.ChunkImages(784, 8000, 0), len(r), r[0], r[len(r)-1])
	// Output: 5 10 [0 5] [45 50]
}
