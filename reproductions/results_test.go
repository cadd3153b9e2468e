package reproductions_test

import (
	"flag"
	"os"
	"strings"
	"testing"

	"github.com/convexst/stcnn/reproductions"
)

var updateResults = flag.Bool("update-results", false, "write the convex section of RESULTS.md from reproductions/convex/RESULTS.md")

// TestCommittedResultsConvexSection checks that the committed RESULTS.md
// holds the section on the convex side exactly as reproduce writes it now
// (reproductions.ConvexSection), so that it shows the current
// reproductions/convex/RESULTS.md. With -update-results it writes that
// section in place (before the first figure's metrics when missing)
// instead of failing; the figures' parts are left as they are.
func TestCommittedResultsConvexSection(t *testing.T) {
	const path = "RESULTS.md"
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	text, want := string(b), reproductions.ConvexSection()
	from := strings.Index(text, reproductions.ConvexSectionHeading+"\n")
	to := -1
	if from >= 0 {
		to = from + len(reproductions.ConvexSectionHeading)
		if n := strings.Index(text[to:], "\n## "); n >= 0 {
			to += n + 1
		} else {
			to = len(text)
		}
		if text[from:to] == want+"\n" || (to == len(text) && text[from:to] == want) {
			return
		}
	}
	if !*updateResults {
		t.Fatalf("%s: the section %q is missing or differs from what reproduce writes now (reproductions/convex/RESULTS.md changed?); "+
			"run `go test ./reproductions -run TestCommittedResultsConvexSection -update-results` and commit %s", path, reproductions.ConvexSectionHeading, path)
	}
	if from < 0 {
		from = strings.Index(text, "\n## Figure ")
		if from < 0 {
			t.Fatalf("%s: no figure metrics section to insert the convex section before", path)
		}
		from++
		to = from
	}
	if err := os.WriteFile(path, []byte(text[:from]+want+"\n"+text[to:]), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote the convex section into %s", path)
}
