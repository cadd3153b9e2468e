package stcnn

// DefaultMaxChunkElements bounds the hidden layer of one graph execution
// (images x pixels x HiddenWidth); 1<<25 float32 values is 128 MiB. A dual
// step holds a few tensors of this size and some of twice it (both branches).
const DefaultMaxChunkElements = 1 << 25

// ChunkImages is the largest number of images of `pixels` pixels each whose
// hidden layer of `width` values per pixel holds at most maxElements values
// (<= 0: DefaultMaxChunkElements); at least 1. Every chunked computation of
// the project (Trainer, Denoiser, the certified solver, the figures'
// per-image passes) sizes its chunks with it.
func ChunkImages(pixels, width, maxElements int) int {
	if maxElements <= 0 {
		maxElements = DefaultMaxChunkElements
	}
	return max(1, maxElements/max(1, pixels*width))
}

// ChunkRanges splits n images into contiguous ranges [from, to) of equal
// size (the last may be shorter) of at most ChunkImages(pixels, width,
// maxElements) images, so that few distinct shapes are compiled.
func ChunkRanges(n, pixels, width, maxElements int) [][2]int {
	per := ChunkImages(pixels, width, maxElements)
	count := (n + per - 1) / per
	if count == 0 {
		return nil
	}
	size := (n + count - 1) / count
	var out [][2]int
	for from := 0; from < n; from += size {
		out = append(out, [2]int{from, min(n, from+size)})
	}
	return out
}
