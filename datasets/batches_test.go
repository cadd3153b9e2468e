package datasets

import (
	"slices"
	"testing"
)

func TestBatches(t *testing.T) {
	for _, tc := range []struct {
		n, size int
		shuffle bool
		lens    []int
	}{
		{10, 3, false, []int{3, 3, 3, 1}},
		{10, 3, true, []int{3, 3, 3, 1}},
		{9, 3, true, []int{3, 3, 3}},
		{5, 10, false, []int{5}},
		{1, 1, true, []int{1}},
		{0, 4, true, nil},
	} {
		b, err := Batches(tc.n, tc.size, 3, tc.shuffle)
		if err != nil {
			t.Fatal(err)
		}
		var lens []int
		var all []int
		for _, batch := range b {
			lens = append(lens, len(batch))
			all = append(all, batch...)
		}
		if !slices.Equal(lens, tc.lens) {
			t.Errorf("Batches(%d, %d): sizes %v, want %v", tc.n, tc.size, lens, tc.lens)
		}
		if !tc.shuffle && !slices.IsSorted(all) {
			t.Errorf("Batches(%d, %d) unshuffled not in order: %v", tc.n, tc.size, all)
		}
		slices.Sort(all)
		for i, v := range all {
			if v != i {
				t.Fatalf("Batches(%d, %d) does not cover 0..n-1 once: %v", tc.n, tc.size, all)
			}
		}
	}
}

func TestBatchesShuffle(t *testing.T) {
	a, _ := Batches(1000, 32, 1, true)
	b, _ := Batches(1000, 32, 1, true)
	c, _ := Batches(1000, 32, 2, true)
	flat := func(bs [][]int) []int { return slices.Concat(bs...) }
	if !slices.Equal(flat(a), flat(b)) {
		t.Error("same seed, different order")
	}
	if slices.Equal(flat(a), flat(c)) {
		t.Error("different seeds, same order")
	}
	if slices.IsSorted(flat(a)) {
		t.Error("shuffled batches are in order")
	}
}

func TestBatchesErrors(t *testing.T) {
	_, err := Batches(10, 0, 1, false)
	wantErr(t, err, "batch size 0")
	_, err = Batches(-1, 2, 1, false)
	wantErr(t, err, "number of items -1")
}
