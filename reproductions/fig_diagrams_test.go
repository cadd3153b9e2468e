package reproductions_test

import "testing"

func TestFig3Tiny(t *testing.T) {
	res, _ := runTiny(t, "3")
	m := res.Metrics
	// stcnn.DefaultConfig for MNIST: 3x3x1 patches, 512 filters and gates, 784 pixels.
	want := map[string]float64{"D": 9, "K": 512, "P": 512, "I_per_image": 784, "primal_trainable": 512*9 + 512, "dual_trainable": 2 * 512 * 9}
	for k, v := range want {
		if m[k] != v {
			t.Errorf("%s = %v, want %v", k, m[k], v)
		}
	}
}

func TestFig4Tiny(t *testing.T) {
	res, _ := runTiny(t, "4")
	m := res.Metrics
	if d := m["max_abs_diff"]; !(d < 1e-6) {
		t.Errorf("ST(Yu) and Q(Yu) differ by %v", d)
	}
	if m["S1_count"] == 0 || m["S2_count"] == 0 || m["S3_count"] == 0 {
		t.Errorf("want samples in all three regions, got %v/%v/%v", m["S1_count"], m["S2_count"], m["S3_count"])
	}
}

func TestFig5Tiny(t *testing.T) {
	res, _ := runTiny(t, "5")
	m := res.Metrics
	if m["mismatches"] != 0 {
		t.Errorf("%v points classified differently from w.x", m["mismatches"])
	}
	if m["S1"]+m["S2"]+m["S3"] != m["points"] || m["S2"] == 0 {
		t.Errorf("regions %v/%v/%v of %v points", m["S1"], m["S2"], m["S3"], m["points"])
	}
}

func TestFig6Tiny(t *testing.T) {
	res, _ := runTiny(t, "6")
	if d := res.Metrics["max_abs_diff"]; !(d < 1e-5) {
		t.Errorf("patch product and direct convolution differ by %v", d)
	}
}
