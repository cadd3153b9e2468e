package notebooks

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// outputsRecord is what scripts/notebooks.sh --commit-outputs writes into a
// notebook's metadata: which code cells the committed outputs come from.
type outputsRecord struct {
	Scale          string   `json:"scale"`
	Date           string   `json:"date"`
	CodeCellSHA256 []string `json:"code_cell_sha256"`
}

// committedNotebook is the part of a committed notebook the outputs check
// reads.
type committedNotebook struct {
	Cells []struct {
		CellType       string   `json:"cell_type"`
		Source         []string `json:"source"`
		ExecutionCount *int     `json:"execution_count"`
		Outputs        []struct {
			OutputType string          `json:"output_type"`
			Name       string          `json:"name"`
			Text       json.RawMessage `json:"text"`
			Ename      string          `json:"ename"`
			Evalue     string          `json:"evalue"`
		} `json:"outputs"`
	} `json:"cells"`
	Metadata struct {
		Outputs *outputsRecord `json:"stcnn_outputs"`
	} `json:"metadata"`
}

// regenerate is what to run when a committed notebook's outputs are stale.
const regenerate = "run scripts/notebooks.sh --commit-outputs NAME (quick scale) and commit the notebook"

// failedRun matches what a failed cell prints on stderr (see
// scripts/notebooks.sh): a non-zero exit status or a panic.
var failedRun = regexp.MustCompile(`(?m)^exit status \d+|panic:`)

// outputProblems checks a committed notebook: it carries the record of the
// code cells its outputs were made from, each code cell's source still
// hashes to its record, every cell that runs code (GoNB's "%%" body) has
// outputs and an execution count, and no output is an error.
func outputProblems(b []byte) []string {
	var nb committedNotebook
	if err := json.Unmarshal(b, &nb); err != nil {
		return []string{"does not parse: " + err.Error()}
	}
	rec := nb.Metadata.Outputs
	if rec == nil {
		return []string{"no outputs record (metadata.stcnn_outputs): the notebook was not committed with its outputs; " + regenerate}
	}
	var p []string
	if rec.Scale != "quick" {
		p = append(p, fmt.Sprintf("outputs of scale %q, want quick; %s", rec.Scale, regenerate))
	}
	code := 0
	for i, c := range nb.Cells {
		if c.CellType != "code" {
			continue
		}
		src := strings.Join(c.Source, "")
		sum := sha256.Sum256([]byte(src))
		switch {
		case code >= len(rec.CodeCellSHA256):
			p = append(p, fmt.Sprintf("cell %d: a code cell added after the outputs were made; %s", i, regenerate))
		case hex.EncodeToString(sum[:]) != rec.CodeCellSHA256[code]:
			p = append(p, fmt.Sprintf("cell %d: its source changed after its outputs were made; %s", i, regenerate))
		}
		code++
		if strings.Contains(src, "%%") && (len(c.Outputs) == 0 || c.ExecutionCount == nil) {
			p = append(p, fmt.Sprintf("cell %d runs code but carries no outputs; %s", i, regenerate))
		}
		for _, o := range c.Outputs {
			var text string
			if len(o.Text) > 0 {
				var parts []string
				if json.Unmarshal(o.Text, &parts) != nil {
					_ = json.Unmarshal(o.Text, &text)
				} else {
					text = strings.Join(parts, "")
				}
			}
			switch {
			case o.OutputType == "error":
				p = append(p, fmt.Sprintf("cell %d holds an error output: %s: %s", i, o.Ename, o.Evalue))
			case o.OutputType == "stream" && o.Name == "stderr" && failedRun.MatchString(text):
				p = append(p, fmt.Sprintf("cell %d holds a failed run on stderr: %.300s", i, text))
			}
		}
	}
	if code < len(rec.CodeCellSHA256) {
		p = append(p, fmt.Sprintf("%d code cells, %d recorded: cells were removed after the outputs were made; %s",
			code, len(rec.CodeCellSHA256), regenerate))
	}
	return p
}

// TestCommittedOutputs checks, without running anything, that every
// notebook in the repository carries the outputs of a quick-scale run of
// its current code cells, without errors.
func TestCommittedOutputs(t *testing.T) {
	files, err := filepath.Glob("*.ipynb")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no notebooks")
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range outputProblems(b) {
			t.Errorf("%s: %s", f, strings.ReplaceAll(p, "NAME", strings.TrimSuffix(f, ".ipynb")))
		}
	}
}

func TestOutputProblems(t *testing.T) {
	hash := func(s string) string { h := sha256.Sum256([]byte(s)); return hex.EncodeToString(h[:]) }
	setup, body := "!*go mod edit\n", "%%\nfmt.Println(1)\n"
	nb := func(bodySrc, outputs, record string) []byte {
		return []byte(`{"cells": [
			{"cell_type": "markdown", "source": ["# t"]},
			{"cell_type": "code", "source": [` + strings.TrimSpace(fmt.Sprintf("%q", setup)) + `], "execution_count": 1, "outputs": []},
			{"cell_type": "code", "source": [` + fmt.Sprintf("%q", bodySrc) + `], "execution_count": 2, "outputs": [` + outputs + `]}],
			"metadata": {` + record + `}}`)
	}
	good := `"stcnn_outputs": {"scale": "quick", "code_cell_sha256": ["` + hash(setup) + `", "` + hash(body) + `"]}`
	stdout := `{"output_type": "stream", "name": "stdout", "text": ["1\n"]}`
	for _, c := range []struct {
		name string
		b    []byte
		want string // a substring of the one problem expected; "" for none
	}{
		{"good", nb(body, stdout, good), ""},
		{"no record", nb(body, stdout, ""), "no outputs record"},
		{"changed source", nb(body+"fmt.Println(2)\n", stdout, good), "source changed"},
		{"no outputs", nb(body, "", good), "carries no outputs"},
		{"error output", nb(body, stdout+`, {"output_type": "error", "ename": "E", "evalue": "bad", "traceback": []}`, good), "error output"},
		{"panic on stderr", nb(body, `{"output_type": "stream", "name": "stderr", "text": "panic: x\n"}`, good), "failed run"},
		{"removed cell", nb(body, stdout, `"stcnn_outputs": {"scale": "quick", "code_cell_sha256": ["`+hash(setup)+`", "`+hash(body)+`", "x"]}`), "removed"},
		{"tiny scale", nb(body, stdout, `"stcnn_outputs": {"scale": "tiny", "code_cell_sha256": ["`+hash(setup)+`", "`+hash(body)+`"]}`), "want quick"},
	} {
		p := outputProblems(c.b)
		switch {
		case c.want == "" && len(p) > 0:
			t.Errorf("%s: problems %q, want none", c.name, p)
		case c.want != "" && (len(p) != 1 || !strings.Contains(p[0], c.want)):
			t.Errorf("%s: problems %q, want one containing %q", c.name, p, c.want)
		}
	}
}
