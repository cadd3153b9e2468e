package reproductions_test

import "testing"

func TestFig1Tiny(t *testing.T) {
	res, _ := runTiny(t, "1")
	gap, bound, opt := mustMetric(t, res, "certified_gap"), mustMetric(t, res, "certified_bound"), mustMetric(t, res, "convex_optimum")
	if !(gap >= -1e-12 && gap < 1e-8) {
		t.Errorf("certified gap %v, want in [0, 1e-8)", gap)
	}
	if bound > opt {
		t.Errorf("bound %v above the optimum %v", bound, opt)
	}
	// Weak duality: no nonconvex iterate can go below the certified bound.
	if d := mustMetric(t, res, "min_nonconvex_minus_bound"); d < -1e-9 {
		t.Errorf("a nonconvex run reached %v below the certified optimum", -d)
	}
	// The network rebuilt from the convex solution has the convex objective in stcnn.
	if d := mustMetric(t, res, "rebuilt_network_objective") - opt; d > 1e-9 || d < -1e-9 {
		t.Errorf("rebuilt network objective differs from the convex optimum by %v", d)
	}
	if n := mustMetric(t, res, "activation_patterns"); n != 9 {
		t.Errorf("5 distinct points with a bias have 9 nonzero ReLU patterns, got %v", n)
	}
}

func TestFig7Tiny(t *testing.T) {
	res, _ := runTiny(t, "7")
	for _, k := range []string{"primal_final_init1", "primal_final_init2", "primal_final_init3", "dual_final", "rebuilt_primal_objective"} {
		if v := mustMetric(t, res, k); v < 0 {
			t.Errorf("metric %s = %v", k, v)
		}
	}
	if f := mustMetric(t, res, "dual_violated_fraction"); f < 0 || f > 1 {
		t.Errorf("violated fraction %v", f)
	}
	if without, with := mustMetric(t, res, "dual_final_without_hinge"), mustMetric(t, res, "dual_final"); without > with+1e-12 {
		t.Errorf("dual objective without the hinge %v above the objective with it %v", without, with)
	}
}
