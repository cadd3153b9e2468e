package convex

import (
	"strings"
	"testing"
)

func TestShiftHeadings(t *testing.T) {
	for _, c := range []struct {
		name, in string
		shift    int
		want     string
	}{
		{"none", "# a\ntext\n", 0, "# a\ntext\n"},
		{"levels", "# a\n\n## b\ntext\n", 2, "### a\n\n#### b\ntext\n"},
		{"not headings", "#tag\n####### seven\n| # |\n", 1, "#tag\n####### seven\n| # |\n"},
		{"empty heading", "#\n", 1, "##\n"},
		{"fenced", "```\n# comment\n```\n# h\n", 1, "```\n# comment\n```\n## h\n"},
	} {
		if got := shiftHeadings(c.in, c.shift); got != c.want {
			t.Errorf("%s: got %q, want %q", c.name, got, c.want)
		}
	}
}

// TestMeasured checks that the committed measurements are compiled in and
// hold the tables the report and notebook 04 show.
func TestMeasured(t *testing.T) {
	m := Measured(2)
	for _, want := range []string{"### The convex side", "| sigma | objective | certified bound |", "| rho |", "eq. 47 rebuild", "under load"} {
		if !strings.Contains(m, want) {
			t.Errorf("Measured(2) lacks %q", want)
		}
	}
	if strings.Contains(m, "\n# ") || strings.HasPrefix(m, "# ") {
		t.Error("Measured(2) has a level-1 heading")
	}
}
