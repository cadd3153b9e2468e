package reproductions_test

import "testing"

func TestFig1Tiny(t *testing.T) {
	res, _ := runTiny(t, "1")
	m := res.Metrics
	if g := m["certified_gap"]; !(g >= -1e-12 && g < 1e-8) {
		t.Errorf("certified gap %v, want in [0, 1e-8)", g)
	}
	if m["certified_bound"] > m["convex_optimum"] {
		t.Errorf("bound %v above the optimum %v", m["certified_bound"], m["convex_optimum"])
	}
	// Weak duality: no nonconvex iterate can go below the certified bound.
	if d := m["min_nonconvex_minus_bound"]; d < -1e-9 {
		t.Errorf("a nonconvex run reached %v below the certified optimum", -d)
	}
	// The network rebuilt from the convex solution has the convex objective in stcnn.
	if d := m["rebuilt_network_objective"] - m["convex_optimum"]; d > 1e-9 || d < -1e-9 {
		t.Errorf("rebuilt network objective differs from the convex optimum by %v", d)
	}
	if m["activation_patterns"] != 9 {
		t.Errorf("5 distinct points with a bias have 9 nonzero ReLU patterns, got %v", m["activation_patterns"])
	}
}

func TestFig7Tiny(t *testing.T) {
	res, _ := runTiny(t, "7")
	m := res.Metrics
	for _, k := range []string{"primal_final_init1", "primal_final_init2", "primal_final_init3", "dual_final", "rebuilt_primal_objective"} {
		if v, ok := m[k]; !ok || v < 0 {
			t.Errorf("metric %s = %v, %v", k, v, ok)
		}
	}
	if f := m["dual_violated_fraction"]; f < 0 || f > 1 {
		t.Errorf("violated fraction %v", f)
	}
	if m["dual_final_without_hinge"] > m["dual_final"]+1e-12 {
		t.Errorf("dual objective without the hinge %v above the objective with it %v", m["dual_final_without_hinge"], m["dual_final"])
	}
}
