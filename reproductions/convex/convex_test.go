package convex

import (
	"bytes"
	"strings"
	"testing"

	"github.com/convexst/stcnn/internal/testutil"
)

// TestTinyClaims runs every experiment at the tiny scale and checks the
// claim-level properties: every certified bound lies below its objective;
// the hinge does not grow with rho beyond what the certified gaps allow;
// the repaired point satisfies every constraint, so [bound, feasible] is an
// ordered bracket of the constrained optimum; the refitted primal is no
// worse than eq. 47's rebuild; the warm start begins at the refitted
// primal; and the Markdown holds every table.
func TestTinyClaims(t *testing.T) {
	backend := testutil.Backend(t)
	s, err := SettingsFor("tiny")
	if err != nil {
		t.Fatal(err)
	}
	s.Sigmas = []float64{0.25, 0.75}
	cert, err := RunCertified(backend, s)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cert {
		if !(c.Bound <= c.Objective) || !c.Converged {
			t.Errorf("sigma %g: bound %.10g, objective %.10g, converged %v", c.Sigma, c.Bound, c.Objective, c.Converged)
		}
	}
	rho, err := RunRhoSweep(backend, s)
	if err != nil {
		t.Fatal(err)
	}
	for i, x := range rho {
		if !(x.Bound <= x.Objective) || !(x.Bound <= x.Feasible) {
			t.Errorf("rho %g: bound %.10g above objective %.10g or feasible %.10g", x.Rho, x.Bound, x.Objective, x.Feasible)
		}
		// Penalty monotonicity: for eps-optimal points of F_rho = f + rho h
		// at rho_1 < rho_2, adding the two optimality inequalities gives
		// (rho_2 - rho_1)(h_2 - h_1) <= eps_1 + eps_2, with eps the
		// certified absolute gaps.
		if i > 0 {
			p := rho[i-1]
			slack := ((p.Objective - p.Bound) + (x.Objective - x.Bound)) / (x.Rho - p.Rho)
			if x.Hinge > p.Hinge+slack {
				t.Errorf("hinge %.6g at rho %g above %.6g at rho %g by more than the certified slack %.3g", x.Hinge, x.Rho, p.Hinge, p.Rho, slack)
			}
		}
		if x.FeasibleViolated != 0 {
			t.Errorf("rho %g: the repaired point violates %.2g of the constraints", x.Rho, x.FeasibleViolated)
		}
		if !(x.RefitRel <= x.Eq47Rel) {
			t.Errorf("rho %g: refit %+.3f above eq. 47 %+.3f", x.Rho, x.RefitRel, x.Eq47Rel)
		}
	}
	rb, err := RunRebuild(backend, s)
	if err != nil {
		t.Fatal(err)
	}
	if !(rb.Refit <= rb.Eq47) {
		t.Errorf("refitted primal %.8g worse than eq. 47's %.8g", rb.Refit, rb.Eq47)
	}
	if len(rb.Starts) != 3 {
		t.Fatalf("%d starts, want 3", len(rb.Starts))
	}
	for _, st := range rb.Starts {
		if len(st.Objective) != s.Epochs+1 {
			t.Errorf("%s: %d points, want %d", st.Start, len(st.Objective), s.Epochs+1)
		}
	}
	if warm := rb.Starts[0].Objective; warm[0] != rb.Refit {
		t.Errorf("warm start begins at %.10g, the refitted primal's objective is %.10g", warm[0], rb.Refit)
	}
	var buf bytes.Buffer
	if err := WriteMarkdown(&buf, Report{Settings: s, Certified: cert, Rho: rho, Rebuild: rb}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"## The convex side", "| sigma |", "| rho |", "eq. 47 rebuild", "refit (convex warm start)"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("Markdown lacks %q", want)
		}
	}
	t.Log("\n" + buf.String())
}
