package convex

import (
	"fmt"
	"io"
	"strings"
)

// Report gathers the results of the experiments (nil parts are left out).
type Report struct {
	Settings  Settings       `json:"settings"`
	Certified []CertifiedRow `json:"certified,omitempty"`
	Rho       []RhoRow       `json:"rho_sweep,omitempty"`
	Rebuild   *RebuildResult `json:"rebuild,omitempty"`
}

// WriteMarkdown writes the report as one Markdown section (level-2
// heading) with the tables of CertifiedTable, RhoTable and RebuildTables.
func WriteMarkdown(w io.Writer, r Report) error {
	var b strings.Builder
	s := r.Settings
	fmt.Fprintf(&b, "## The convex side (scale %s: %d training / %d test MNIST images, P = %d)\n\n", s.Scale, s.Train, s.Test, s.P)
	if len(r.Certified) > 0 {
		b.WriteString(CertifiedTable(s, r.Certified))
	}
	if len(r.Rho) > 0 {
		b.WriteString(RhoTable(s, r.Rho))
	}
	if r.Rebuild != nil {
		b.WriteString(RebuildTables(s, r.Rebuild))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// CertifiedTable is the Markdown paragraph and table of RunCertified's rows.
func CertifiedTable(s Settings, rows []CertifiedRow) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Certified solver (stcnn/certify), rho 1e-2, from zero weights, asked for a relative gap of %g:\n\n", s.Tol)
	b.WriteString("| sigma | objective | certified bound | relative gap | converged | passes | seconds |\n| --- | --- | --- | --- | --- | --- | --- |\n")
	for _, c := range rows {
		fmt.Fprintf(&b, "| %g | %.8g | %.8g | %.2g | %v | %d | %.1f |\n", c.Sigma, c.Objective, c.Bound, c.RelGap, c.Converged, c.Passes, c.Seconds)
	}
	b.WriteString("\n")
	return b.String()
}

// RhoTable is the Markdown paragraph and table of RunRhoSweep's rows.
func RhoTable(s Settings, rows []RhoRow) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Hinge weight rho (sigma %g, each solve warm started from the previous rho). The bound also bounds the dual with its sign constraints as constraints; \"feasible\" is the objective after moving each row that violates a constraint the least distance towards its gate's ray that satisfies all of them (a feasible point), so the constrained optimum lies in [bound, feasible]. eq. 47 and refit are the rebuilt primals' objectives, relative to the dual objective of eq. 22 (no hinge):\n\n", s.Sigma)
	b.WriteString("| rho | objective | bound | gap | violated | hinge | test PSNR | eq. 47 | refit | feasible | s |\n| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n")
	for _, x := range rows {
		fmt.Fprintf(&b, "| %g | %.6g | %.6g | %.1e | %.1f%% | %.3g | %.2f | %+.1f%% | %+.1f%% | %.6g | %.0f |\n", x.Rho, x.Objective, x.Bound, x.RelGap,
			100*x.ViolatedFraction, x.Hinge, x.TestPSNR, 100*x.Eq47Rel, 100*x.RefitRel, x.Feasible, x.Seconds)
	}
	b.WriteString("\n")
	return b.String()
}

// RebuildTables is the Markdown of RunRebuild's result: the primals built
// from one dual solution against the dual, and the Adam curves.
func RebuildTables(s Settings, rb *RebuildResult) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Primal networks from one dual solution (sigma %g, rho 1e-2; dual objective of eq. 22 %.6g, penalised %.6g, certified bound %.6g):\n\n", s.Sigma, rb.Dual, rb.DualPenalised, rb.DualBound)
	b.WriteString("| primal | objective | vs dual |\n| --- | --- | --- |\n")
	fmt.Fprintf(&b, "| eq. 47 rebuild | %.6g | %+.1f%% |\n| refitted (dual directions, fitted scales and output weights, K = %d) | %.6g | %+.1f%% |\n", rb.Eq47, 100*rb.Eq47Rel, rb.K, rb.Refit, 100*rb.RefitRel)
	for _, st := range rb.Starts {
		last := st.Objective[len(st.Objective)-1]
		fmt.Fprintf(&b, "| Adam %d epochs from %s | %.6g | %+.1f%% |\n", len(st.Objective)-1, st.Start, last, 100*(last/rb.Dual-1))
	}
	if len(rb.Starts) == 0 {
		return b.String() + "\n"
	}
	fmt.Fprintf(&b, "\nAdam (lr %g, batch %d) objective over epochs and final test PSNR:\n\n| start | ", s.LearningRate, s.BatchSize)
	n := len(rb.Starts[0].Objective)
	for e := 0; e < n; e++ {
		fmt.Fprintf(&b, "epoch %d | ", e)
	}
	b.WriteString("test PSNR |\n|" + strings.Repeat(" --- |", n+2) + "\n")
	for _, st := range rb.Starts {
		fmt.Fprintf(&b, "| %s | ", st.Start)
		for _, o := range st.Objective {
			fmt.Fprintf(&b, "%.5g | ", o)
		}
		fmt.Fprintf(&b, "%.2f |\n", st.TestPSNR)
	}
	b.WriteString("\n")
	return b.String()
}
