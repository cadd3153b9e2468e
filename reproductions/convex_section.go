package reproductions

import (
	"strings"

	"github.com/convexst/stcnn/reproductions/convex"
)

// ConvexSectionHeading opens the report's section on the convex side.
const ConvexSectionHeading = "## The convex side (measured by cmd/convexrun, copied from reproductions/convex/RESULTS.md)"

// ConvexSection is the report's section on the convex side
// (package convex): certified solves at three noise levels, the hinge
// weight sweep, and eq. 47 against the refitted and the warm-started
// primal. The tables are the committed measurements (convex.Measured,
// headings two levels down), copied rather than run: at the paper's sizes
// they take hours, and reproduce must stay minutes at the quick scale.
func ConvexSection() string {
	var b strings.Builder
	b.WriteString(ConvexSectionHeading + "\n\n")
	b.WriteString("Not measured by this run of `reproduce`: the tables below are `reproductions/convex/RESULTS.md` as compiled into it, " +
		"written by `go run ./reproductions/convex/cmd/convexrun` (flags `-scale`, `-p`, `-sigmas`, `-max-seconds`, `-only`). " +
		"Their command, scale, machine, date and load are stated in the copy's preface and headings; times measured under load " +
		"on shared cores are upper bounds. What they mean for the paper's zero-gap claim: the full dual's optimum lower-bounds " +
		"the primal's, but not the converse for lambda > 0 (`go doc ./stcnn`, \"The dual is a relaxation, not an equivalent\"; " +
		"`go doc ./reproductions/convex`).\n\n")
	b.WriteString(strings.TrimRight(convex.Measured(2), "\n") + "\n")
	return b.String()
}
