// Package refconv is the direct convolution that the graph convolutions are
// checked against: written out as loops, independently of stcnn.Patches.
package refconv

// Same is the "same" zero-padded cross-correlation (PyTorch's conv2d with
// padding m/2) of x [N, H, W, Cin] with the filters w [m*m*Cin, Cout], row
// (dy*m + dx)*Cin + c as in stcnn.Patches:
//
//	out[b, i, j, o] = sum_{dy, dx, c} x[b, i+dy-m/2, j+dx-m/2, c] w[(dy*m+dx)*Cin+c, o],
//
// with x zero outside the image; the sum runs in that order.
func Same(x []float64, n, h, w, cin int, wt []float64, m, cout int) []float64 {
	out := make([]float64, n*h*w*cout)
	r := m / 2
	for b := 0; b < n; b++ {
		for i := 0; i < h; i++ {
			for j := 0; j < w; j++ {
				for o := 0; o < cout; o++ {
					var s float64
					for dy := 0; dy < m; dy++ {
						for dx := 0; dx < m; dx++ {
							ii, jj := i+dy-r, j+dx-r
							if ii < 0 || ii >= h || jj < 0 || jj >= w {
								continue
							}
							for c := 0; c < cin; c++ {
								s += x[((b*h+ii)*w+jj)*cin+c] * wt[((dy*m+dx)*cin+c)*cout+o]
							}
						}
					}
					out[((b*h+i)*w+j)*cout+o] = s
				}
			}
		}
	}
	return out
}
