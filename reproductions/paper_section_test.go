package reproductions

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
)

// TestCommittedPaperManifests checks that every committed paper-scale
// folder has a manifest at the paper scale and every file it lists.
func TestCommittedPaperManifests(t *testing.T) {
	manifests, err := PaperManifests(paperFiles)
	if err != nil {
		t.Fatal(err)
	}
	for _, tab := range paperTables {
		if _, err := tab.primalSweepSection(paperFiles); err != nil {
			t.Error(err)
		}
	}
	for id, m := range manifests {
		if m.Status != StatusOK {
			t.Errorf("paper/%s: status %q (%s): commit finished figures only", id, m.Status, m.Error)
		}
		for _, f := range m.Files {
			if _, err := os.Stat(filepath.Join("paper", id, f)); err != nil {
				t.Errorf("paper/%s: manifest lists %s: %v", id, f, err)
			}
		}
	}
}

func paperManifestFile(t *testing.T, m Manifest) *fstest.MapFile {
	t.Helper()
	raw, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return &fstest.MapFile{Data: raw}
}

func TestPaperSection(t *testing.T) {
	table1 := Manifest{Figure: "table1", Status: StatusOK, Scale: Paper, Commit: "0123456789abcdef", Machine: "2-core test machine", Seconds: 12,
		Result: &Result{Summary: "table summary", Agrees: "yes", Metrics: map[string]float64{
			"sigma0.25_primal_test_psnr": 21.24, "sigma0.25_dual_test_psnr": 20.5}}}
	fig11 := Manifest{Figure: "11", Status: StatusOK, Scale: Paper, Commit: "0123456789abcdef+dirty",
		Result: &Result{Summary: "gap summary", Agrees: "no", Metrics: map[string]float64{
			"sigma0.25_train_gap_relative": 4.15, "sigma0.25_test_gap_relative": 4.28}}}
	table2 := Manifest{Figure: "table2", Status: StatusOK, Scale: Paper, Commit: "0123456789abcdef", Machine: "2-core test machine", Seconds: 34,
		Result: &Result{Summary: "cifar summary", Agrees: "yes", Metrics: map[string]float64{
			"sigma0.5_primal_test_psnr": 17.77, "sigma0.5_dual_test_psnr": 17.23}}}
	fsys := fstest.MapFS{
		"paper/README.md":            &fstest.MapFile{Data: []byte("x")},
		"paper/table2/manifest.json": paperManifestFile(t, table2),
		"paper/table1/manifest.json": paperManifestFile(t, table1),
		"paper/11/manifest.json":     paperManifestFile(t, fig11),
		PrimalSweepFile: &fstest.MapFile{Data: []byte("setting,sigma,m,lambda,lr,epochs,clipped,train_psnr,test_psnr,seconds\n" +
			"lambda_0.4,0.25,3,0.4,1e-3,30,false,23.1,23.2178,115\n")},
		PrimalSweepCIFAR10File: &fstest.MapFile{Data: []byte("setting,sigma,m,lambda,lr,epochs,clipped,train_psnr,test_psnr,seconds\n" +
			"sigma0.5_lambda_0.8,0.5,3,0.8,1e-2,30,false,18,18.104,800\n")},
	}
	quick := []Outcome{{Figure: Figure{ID: "table1"}, Scale: Quick, Result: &Result{Scale: Quick, Metrics: map[string]float64{
		"sigma0.25_primal_test_psnr": 19.34, "sigma0.25_dual_test_psnr": 19.31}}}}
	got, err := PaperSection(fsys, quick)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		PaperSectionHeading,
		"| sigma | paper | ours, paper scale | ours, quick | eq. 47 gap, paper scale (train / test) |",
		"| 0.25 | 23.09 / 23.11 | 21.24 / 20.50 | 19.34 / 19.31 | +415% / +428% |",
		"| 0.50 | 19.12 / 19.12 | not run | not run | not measured |",
		// Table II takes its gap from Fig. 16 (CIFAR-10), never from Fig. 11 (MNIST).
		"| 0.50 | 19.50 / 19.40 | 17.77 / 17.23 | not run | Fig. 16 not run |",
		"| table1 | table summary | yes | 12 | 0123456 |",
		"| 11 | gap summary | no | 0 | 0123456+dirty |",
		"| lambda_0.4 | 0.25 | 3x3 | 0.4 | 1e-3 | 30 | not clipped | 23.22 | 23.09 | +0.13 |",
		// Each sweep is compared with its own table: CIFAR-10's with Table II.
		"Where the PSNR of Table II (CIFAR-10) lies: the primal at the paper's sizes (3000 / 400 images",
		"| sigma0.5_lambda_0.8 | 0.5 | 3x3 | 0.8 | 1e-2 | 30 | not clipped | 18.10 | 19.50 | -1.40 |",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("PaperSection lacks %q:\n%s", want, got)
		}
	}
	fsys["paper/16/manifest.json"] = paperManifestFile(t, Manifest{Figure: "16", Status: StatusOK, Scale: Paper, Commit: "0123456789abcdef",
		Result: &Result{Summary: "cifar gap", Agrees: "no", Metrics: map[string]float64{
			"sigma0.5_rebuilt_train_gap_relative": 4.36, "sigma0.5_rebuilt_test_gap_relative": 4.25}}})
	if got, err := PaperSection(fsys, quick); err != nil || !strings.Contains(got, "| 0.50 | 19.50 / 19.40 | 17.77 / 17.23 | not run | +436% / +425% |") ||
		!strings.Contains(got, "| 0.25 | 23.09 / 23.11 | 21.24 / 20.50 | 19.34 / 19.31 | +415% / +428% |") {
		t.Errorf("PaperSection with Fig. 16: %v\n%s", err, got)
	}
	if got, err := PaperSection(fstest.MapFS{"paper/README.md": &fstest.MapFile{}}, quick); err != nil ||
		!strings.Contains(got, "No figure has been run at the paper scale yet.") {
		t.Errorf("PaperSection without manifests: %v\n%s", err, got)
	}
}

func TestPaperManifestsErrors(t *testing.T) {
	quickScale := Manifest{Figure: "table1", Status: StatusOK, Scale: Quick}
	for name, fsys := range map[string]fstest.MapFS{
		"paper/table1/manifest.json":          {"paper/table1/manifest.json": paperManifestFile(t, quickScale)},
		"paper/12/manifest.json":              {"paper/12/manifest.json": &fstest.MapFile{Data: []byte("{")}},
		"paper/11/manifest.json: ":            {"paper/11/plot.png": &fstest.MapFile{Data: []byte("png")}},
		PrimalSweepFile + ": want the header": {PrimalSweepFile: &fstest.MapFile{Data: []byte("setting,sigma\nx,0.25\n")}},
		PrimalSweepFile + ": row 2": {PrimalSweepFile: &fstest.MapFile{Data: []byte(
			"setting,sigma,m,lambda,lr,epochs,clipped,train_psnr,test_psnr,seconds\nx,0.25,3,0.4,1e-3,30,false,1,high,9\n")}},
		PrimalSweepCIFAR10File + ": record on line 2": {PrimalSweepCIFAR10File: &fstest.MapFile{Data: []byte(
			"setting,sigma,m,lambda,lr,epochs,clipped,train_psnr,test_psnr,seconds\nx,0.25,3,0.4,1e-3,30\n")}},
	} {
		_, err := PaperSection(fsys, nil)
		if err == nil || !strings.Contains(err.Error(), strings.TrimSuffix(name, ": ")) {
			t.Errorf("%s: error %v, want one naming the file", name, err)
		}
	}
}

// TestGitCommitNamesTheCheckout checks that, without a revision stamped into
// the test binary, the manifests' commit is the checkout's HEAD (marked
// "+dirty" when tracked files differ), read once.
func TestGitCommitNamesTheCheckout(t *testing.T) {
	head, err := exec.Command("git", "rev-parse", "HEAD").Output()
	if err != nil {
		t.Skipf("no git checkout here: %v", err)
	}
	got := gitCommit()
	want := strings.TrimSpace(string(head))
	if got != want && got != want+"+dirty" {
		t.Fatalf("gitCommit() = %q, want %q with or without +dirty", got, want)
	}
	if again := gitCommit(); again != got {
		t.Fatalf("gitCommit() changed between calls: %q then %q", got, again)
	}
}
