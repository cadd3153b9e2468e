package convex

import (
	_ "embed"
	"strings"
)

// measured is RESULTS.md beside this file: the tables cmd/convexrun
// measured, with the command, scale, machine and load of each.
//
//go:embed RESULTS.md
var measured string

// Measured returns the committed measurements of the experiments
// (reproductions/convex/RESULTS.md as compiled in), with every Markdown
// heading moved shift levels down so that the text can sit under a
// heading of another document (shift 2 puts its title at level 3). They
// are copied, not recomputed: at the paper's sizes they take hours.
func Measured(shift int) string { return shiftHeadings(measured, shift) }

// shiftHeadings moves every Markdown heading of text outside fenced code
// shift levels down.
func shiftHeadings(text string, shift int) string {
	if shift <= 0 {
		return text
	}
	lines := strings.SplitAfter(text, "\n")
	fenced := false
	for i, l := range lines {
		if strings.HasPrefix(l, "```") {
			fenced = !fenced
		}
		if !fenced && isHeading(l) {
			lines[i] = strings.Repeat("#", shift) + l
		}
	}
	return strings.Join(lines, "")
}

// isHeading reports whether a line is an ATX heading ("#".."######" and a
// space).
func isHeading(l string) bool {
	n := len(l) - len(strings.TrimLeft(l, "#"))
	return n >= 1 && n <= 6 && (len(l) == n || l[n] == ' ' || l[n] == '\n')
}
