package reproductions_test

import "testing"

func TestFig3Tiny(t *testing.T) {
	res, _ := runTiny(t, "3")
	// stcnn.DefaultConfig for MNIST: 3x3x1 patches, 512 filters and gates, 784 pixels.
	want := map[string]float64{"D": 9, "K": 512, "P": 512, "I_per_image": 784, "primal_trainable": 512*9 + 512, "dual_trainable": 2 * 512 * 9}
	for k, v := range want {
		if got := mustMetric(t, res, k); got != v {
			t.Errorf("%s = %v, want %v", k, got, v)
		}
	}
}

func TestFig4Tiny(t *testing.T) {
	res, _ := runTiny(t, "4")
	if d := mustMetric(t, res, "max_abs_diff"); !(d < 1e-6) {
		t.Errorf("ST(Yu) and Q(Yu) differ by %v", d)
	}
	s1, s2, s3 := mustMetric(t, res, "S1_count"), mustMetric(t, res, "S2_count"), mustMetric(t, res, "S3_count")
	if s1 == 0 || s2 == 0 || s3 == 0 {
		t.Errorf("want samples in all three regions, got %v/%v/%v", s1, s2, s3)
	}
}

func TestFig5Tiny(t *testing.T) {
	res, _ := runTiny(t, "5")
	if n := mustMetric(t, res, "mismatches"); n != 0 {
		t.Errorf("%v points classified differently from w.x", n)
	}
	s1, s2, s3, n := mustMetric(t, res, "S1"), mustMetric(t, res, "S2"), mustMetric(t, res, "S3"), mustMetric(t, res, "points")
	if s1+s2+s3 != n || s2 == 0 {
		t.Errorf("regions %v/%v/%v of %v points", s1, s2, s3, n)
	}
}

func TestFig6Tiny(t *testing.T) {
	res, _ := runTiny(t, "6")
	if d := mustMetric(t, res, "max_abs_diff"); !(d < 1e-5) {
		t.Errorf("patch product and direct convolution differ by %v", d)
	}
}
