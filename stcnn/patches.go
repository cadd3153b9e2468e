package stcnn

import (
	"github.com/gomlx/compute"
	. "github.com/gomlx/gomlx/core/graph"
)

// Patches returns the patch matrix of eq. 21: for images of shape
// [N, H, W, C] and an odd filter size m, a [N*H*W, m*m*C] matrix whose row
// i = (n*H + h)*W + w holds the m x m x C neighbourhood of pixel (h, w) of
// image n, with "same" zero padding. Column (dy*m + dx)*C + c holds channel c
// at offset (dy - m/2, dx - m/2). A convolution (cross-correlation, as in
// PyTorch's conv2d) with a filter u laid out the same way is Patches(Y) u.
func Patches(images *Node, m int) *Node {
	n, h, w, c := images.Shape().Dim(0), images.Shape().Dim(1), images.Shape().Dim(2), images.Shape().Dim(3)
	if m == 1 {
		return Reshape(images, n*h*w, c)
	}
	r := m / 2
	padded := Pad(images, ScalarZero(images.Graph(), images.DType()),
		compute.PadAxis{}, compute.PadAxis{Start: r, End: r}, compute.PadAxis{Start: r, End: r}, compute.PadAxis{})
	parts := make([]*Node, 0, m*m)
	for dy := 0; dy < m; dy++ {
		for dx := 0; dx < m; dx++ {
			parts = append(parts, Slice(padded, AxisRange(), AxisRange(dy, dy+h), AxisRange(dx, dx+w), AxisRange()))
		}
	}
	// [N, H, W, m*m, C] -> [N*H*W, m*m*C]
	return Reshape(Stack(parts, 3), n*h*w, m*m*c)
}
