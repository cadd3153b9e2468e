package datasets

import (
	"slices"
	"testing"
)

// testImages returns n 2x3x2 images whose value k of image i is i+k/100,
// labelled i%10.
func testImages(n int) *Images {
	im := &Images{N: n, H: 2, W: 3, C: 2, Pixels: make([]float32, n*12), Labels: make([]uint8, n)}
	for i := range n {
		for k := range 12 {
			im.Pixels[i*12+k] = float32(i) + float32(k)/100
		}
		im.Labels[i] = uint8(i % 10)
	}
	return im
}

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		name   string
		im     *Images
		phrase string // "" for valid
	}{
		{"valid", testImages(3), ""},
		{"valid unlabeled", &Images{N: 1, H: 1, W: 1, C: 1, Pixels: []float32{0}}, ""},
		{"valid empty", &Images{N: 0, H: 2, W: 2, C: 1}, ""},
		{"nil", nil, "nil *Images"},
		{"negative N", &Images{N: -1, H: 1, W: 1, C: 1}, "invalid image set shape"},
		{"zero C", &Images{N: 1, H: 1, W: 1, C: 0}, "invalid image set shape"},
		{"short pixels", &Images{N: 2, H: 1, W: 1, C: 1, Pixels: []float32{0}}, "1 pixel values, want N*H*W*C = 2"},
		{"labels length", &Images{N: 1, H: 1, W: 1, C: 1, Pixels: []float32{0}, Labels: []uint8{1, 2}}, "2 labels for 1 images"},
		{"overflow", &Images{N: 1 << 40, H: 1 << 20, W: 1 << 20, C: 1}, "overflows"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.im.Validate()
			if tc.phrase == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			wantErr(t, err, tc.phrase)
		})
	}
}

func TestImage(t *testing.T) {
	im := testImages(3)
	img := im.Image(2)
	if len(img) != 12 || img[0] != 2 || img[11] != 2.11 {
		t.Fatalf("Image(2) = %v", img)
	}
	img[0] = -1
	if im.Pixels[24] != -1 {
		t.Error("Image does not share storage")
	}
	for _, i := range []int{-1, 3} {
		if got := im.Image(i); got != nil {
			t.Errorf("Image(%d) = %v, want nil", i, got)
		}
	}
	if got := (*Images)(nil).Image(0); got != nil {
		t.Errorf("nil.Image(0) = %v, want nil", got)
	}
}

func TestSlice(t *testing.T) {
	im := testImages(5)
	for _, tc := range []struct {
		from, to int
		ok       bool
	}{
		{0, 5, true}, {1, 3, true}, {2, 2, true}, {-1, 2, false}, {3, 2, false}, {0, 6, false},
	} {
		s, err := im.Slice(tc.from, tc.to)
		if !tc.ok {
			wantErr(t, err, "out of range")
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Validate(); err != nil {
			t.Fatal(err)
		}
		if s.N != tc.to-tc.from || !slices.Equal(s.Labels, im.Labels[tc.from:tc.to]) {
			t.Errorf("Slice(%d,%d): N=%d labels %v", tc.from, tc.to, s.N, s.Labels)
		}
		if s.N > 0 && !slices.Equal(s.Image(0), im.Image(tc.from)) {
			t.Errorf("Slice(%d,%d) image 0 differs", tc.from, tc.to)
		}
	}
}

func TestGather(t *testing.T) {
	im := testImages(5)
	g, err := im.Gather([]int{4, 0, 4})
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Validate(); err != nil {
		t.Fatal(err)
	}
	if g.N != 3 || !slices.Equal(g.Labels, []uint8{4, 0, 4}) || !slices.Equal(g.Image(1), im.Image(0)) || !slices.Equal(g.Image(2), im.Image(4)) {
		t.Errorf("Gather gave labels %v", g.Labels)
	}
	g.Pixels[0] = -1
	if im.Pixels[48] == -1 {
		t.Error("Gather does not copy")
	}
	_, err = im.Gather([]int{0, 5})
	wantErr(t, err, "gather index 5 (position 1) out of range for 5 images")
}

func TestSubset(t *testing.T) {
	im := testImages(50)
	a, err := im.Subset(20, 7)
	if err != nil {
		t.Fatal(err)
	}
	b, err := im.Subset(20, 7)
	if err != nil {
		t.Fatal(err)
	}
	c, err := im.Subset(20, 8)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(a.Pixels, b.Pixels) || !slices.Equal(a.Labels, b.Labels) {
		t.Error("same seed, different subsets")
	}
	if slices.Equal(a.Pixels, c.Pixels) {
		t.Error("different seeds, same subsets")
	}
	seen := make(map[float32]bool)
	for i := range a.N {
		first := a.Image(i)[0] // = index of the source image
		if seen[first] {
			t.Errorf("image %v chosen twice", first)
		}
		seen[first] = true
		if !slices.Equal(a.Image(i), im.Image(int(first))) {
			t.Errorf("subset image %d is not a copy of image %v", i, first)
		}
	}
	idx, err := SubsetIndices(50, 20, 7)
	if err != nil {
		t.Fatal(err)
	}
	for i, j := range idx {
		if a.Image(i)[0] != float32(j) {
			t.Errorf("SubsetIndices[%d] = %d, Subset chose %v", i, j, a.Image(i)[0])
		}
	}
	all, err := im.Subset(50, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(seen) != 20 || all.N != 50 {
		t.Errorf("got %d distinct of 20 and %d of 50", len(seen), all.N)
	}
	for _, n := range []int{0, -1, 51} {
		_, err := im.Subset(n, 1)
		wantErr(t, err, "subset size", "out of range [1,50]")
	}
}

func TestSplitString(t *testing.T) {
	for s, want := range map[Split]string{Train: "train", Test: "test", 5: "Split(5)"} {
		if got := s.String(); got != want {
			t.Errorf("Split(%d).String() = %q, want %q", int(s), got, want)
		}
	}
}
