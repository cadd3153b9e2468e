// Package testutil holds what the tests of several packages share: the
// backend they run on and the MNIST splits, each made once per test binary.
package testutil

import (
	"sync"
	"testing"

	"github.com/convexst/stcnn/datasets"
	gb "github.com/convexst/stcnn/gomlx_backend"
	"github.com/gomlx/compute"
)

var backend = sync.OnceValues(func() (compute.Backend, error) {
	b, _, err := gb.Default()
	return b, err
})

// Backend is the backend the tests run on: gomlx_backend.Default (the
// pure-Go backend unless GOMLX_BACKEND says otherwise).
func Backend(tb testing.TB) compute.Backend {
	tb.Helper()
	b, err := backend()
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

var mnist = map[datasets.Split]func() (*datasets.Images, error){}

func init() {
	for _, s := range []datasets.Split{datasets.Train, datasets.Test} {
		mnist[s] = sync.OnceValues(func() (*datasets.Images, error) {
			dir, err := datasets.MNISTDir("")
			if err != nil {
				return nil, err
			}
			return datasets.LoadMNIST(dir, s)
		})
	}
}

// MNIST returns the MNIST split, read once (found as datasets.MNISTDir finds it).
func MNIST(tb testing.TB, split datasets.Split) *datasets.Images {
	tb.Helper()
	load, ok := mnist[split]
	if !ok {
		tb.Fatalf("testutil: unknown MNIST split %v", split)
	}
	im, err := load()
	if err != nil {
		tb.Fatal(err)
	}
	return im
}
