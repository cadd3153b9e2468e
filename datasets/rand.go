package datasets

import "math/rand/v2"

// Stream constants: the second PCG seed word is seed^stream, so that the
// same user seed gives independent streams for the different uses.
const (
	subsetStream  = 0x9e3779b97f4a7c15
	noiseStream   = 0xbf58476d1ce4e5b9
	batchesStream = 0x94d049bb133111eb
)

// newRand returns a PCG generator seeded with (seed, seed^stream).
func newRand(seed, stream uint64) *rand.Rand {
	return rand.New(rand.NewPCG(seed, seed^stream))
}
