package notebooks

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// notebook is the part of the .ipynb format the checks read.
type notebook struct {
	Cells []struct {
		CellType       string            `json:"cell_type"`
		Source         []string          `json:"source"`
		Outputs        []json.RawMessage `json:"outputs"`
		ExecutionCount *int              `json:"execution_count"`
	} `json:"cells"`
	Metadata struct {
		Kernelspec struct {
			Name string `json:"name"`
		} `json:"kernelspec"`
	} `json:"metadata"`
}

// setupCell is the first code cell of every notebook: GoNB builds the cells
// against this checkout (NOTES.md: the only first cell that worked for every
// import offline).
const setupCell = "!*go mod edit -replace=github.com/convexst/stcnn=${GONB_DIR}/.. " +
	"-require=github.com/convexst/stcnn@v0.0.0-00010101000000-000000000000"

// TestNotebookStructure checks, without running them, the conventions every
// notebook follows: the GoNB kernel, the setup cell
// first, the size switch, a Sync after every display, the paper's claim at
// the top and a written conclusion at the end, and figures called through
// the registry rather than re-implemented. The committed outputs are
// checked by TestCommittedOutputs.
func TestNotebookStructure(t *testing.T) {
	files, err := filepath.Glob("*.ipynb")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 7 {
		t.Fatalf("found %d notebooks, want the 7 of doc.go", len(files))
	}
	displays := regexp.MustCompile(`\b(nbutil\.Show\w*|gonbui\.Display\w*|gonbui\.Update\w*|runFigure|nbutil\.RunFigure)\(`)
	modelCode := regexp.MustCompile(`\b(NewTrainer|UpdateGraph|Gradient)\b|\.Step\(`)
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var nb notebook
		if err := json.Unmarshal(b, &nb); err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		if nb.Metadata.Kernelspec.Name != "gonb" {
			t.Errorf("%s: kernel %q, want gonb", f, nb.Metadata.Kernelspec.Name)
		}
		var code []string
		var md []string
		for i, c := range nb.Cells {
			src := strings.Join(c.Source, "")
			switch c.CellType {
			case "code":
				code = append(code, src)
				// Only cells with a body (%%) run code; the others declare.
				if strings.Contains(src, "%%") && displays.MatchString(src) && !strings.HasSuffix(strings.TrimSpace(src), "gonbui.Sync()") {
					t.Errorf("%s: code cell %d displays something but does not end with gonbui.Sync()", f, i)
				}
				if modelCode.MatchString(src) {
					t.Errorf("%s: code cell %d looks like training code (%q): call stcnn, training or reproductions instead",
						f, i, modelCode.FindString(src))
				}
			case "markdown":
				md = append(md, src)
			}
		}
		if len(code) < 3 || !strings.Contains(code[0], setupCell) {
			t.Errorf("%s: the first code cell must contain %q", f, setupCell)
		}
		if !strings.Contains(strings.Join(code, "\n"), `const notebookScale = "quick"`) {
			t.Errorf("%s: no size switch `const notebookScale = \"quick\"`", f)
		}
		if len(md) < 2 || !strings.Contains(md[0], "claim") {
			t.Errorf("%s: the first markdown cell must state the paper's claim", f)
		}
		if last := md[len(md)-1]; !strings.HasPrefix(last, "## Conclusion") || strings.Contains(last, "CONCLUSION_") {
			t.Errorf("%s: the last markdown cell must be a written conclusion", f)
		}
	}
}
