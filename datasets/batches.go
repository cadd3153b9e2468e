package datasets

import "fmt"

// Batches splits the indices 0..n-1 into consecutive batches of batchSize
// indices; the last batch holds the remainder and may be smaller. If shuffle
// is true the indices are first permuted with a PCG generator seeded with
// (shuffleSeed, shuffleSeed^0x94d049bb133111eb), otherwise they are in
// increasing order. The batches share one backing array. n == 0 gives no
// batches. It is an error if n < 0 or batchSize < 1.
func Batches(n, batchSize int, shuffleSeed uint64, shuffle bool) ([][]int, error) {
	if batchSize < 1 {
		return nil, fmt.Errorf("datasets: batch size %d, want >= 1", batchSize)
	}
	if n < 0 {
		return nil, fmt.Errorf("datasets: number of items %d, want >= 0", n)
	}
	var idx []int
	if shuffle {
		idx = newRand(shuffleSeed, batchesStream).Perm(n)
	} else {
		idx = make([]int, n)
		for i := range idx {
			idx[i] = i
		}
	}
	batches := make([][]int, 0, (n+batchSize-1)/batchSize)
	for lo := 0; lo < n; lo += batchSize {
		hi := min(lo+batchSize, n)
		batches = append(batches, idx[lo:hi:hi])
	}
	return batches, nil
}
