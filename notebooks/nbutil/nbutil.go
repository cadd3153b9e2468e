// Package nbutil holds the display plumbing shared by the GoNB notebooks in
// notebooks/: choosing the notebook's size and output folder, creating the
// backend, running a registered figure of package reproductions and showing
// its files, rendering gonum plots and image grids inline, and a live
// training progress line. It contains no model or training code: the
// notebooks call packages stcnn, training, datasets and reproductions for
// that, and this package only shows what they return.
//
// Every Show function sends its output to the notebook through gonbui; outside
// a GoNB kernel the displays are silently skipped (gonbui.IsNotebook is false),
// so the functions can be unit tested. A notebook cell must still call
// gonbui.Sync() after its last display, or GoNB may drop that output.
package nbutil

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	gb "github.com/convexst/stcnn/gomlx_backend"
	"github.com/convexst/stcnn/reproductions"
)

// EnvScale is the environment variable that overrides a notebook's size
// switch: "tiny" (CI: seconds per figure), "quick" or "paper".
const EnvScale = "STCNN_NOTEBOOK_SCALE"

// EnvOut is the environment variable naming the folder notebooks write their
// figures and training runs into (scripts/notebooks.sh sets it under
// build/notebooks); by default <repository>/build/notebooks/out.
const EnvOut = "STCNN_NOTEBOOK_OUT"

// Scale returns the notebook's size: $STCNN_NOTEBOOK_SCALE when it is set,
// else the notebook's own switch def.
func Scale(def string) (reproductions.Scale, error) {
	return scaleFrom(def, os.LookupEnv)
}

func scaleFrom(def string, lookup func(string) (string, bool)) (reproductions.Scale, error) {
	s := def
	if v, ok := lookup(EnvScale); ok && strings.TrimSpace(v) != "" {
		s = strings.TrimSpace(v)
	}
	sc, err := reproductions.ParseScale(s)
	if err != nil {
		return "", fmt.Errorf("nbutil: notebook scale (switch %q, $%s): %w", def, EnvScale, err)
	}
	return sc, nil
}

// RepoRoot returns the repository root: the first folder holding a go.mod
// of module github.com/convexst/stcnn, from the working directory up (GoNB
// runs cells in the notebook's folder).
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("nbutil: %w", err)
	}
	for {
		b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && strings.HasPrefix(strings.TrimSpace(string(b)), "module github.com/convexst/stcnn\n") {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("nbutil: no go.mod of github.com/convexst/stcnn above the working directory")
		}
		dir = parent
	}
}

// OutDir returns (and creates) the folder a notebook at the given scale
// writes into: $STCNN_NOTEBOOK_OUT/<scale>, else
// <repository>/build/notebooks/out/<scale> (build/ is ignored by git).
func OutDir(scale reproductions.Scale) (string, error) {
	root := os.Getenv(EnvOut)
	if root == "" {
		repo, err := RepoRoot()
		if err != nil {
			return "", err
		}
		root = filepath.Join(repo, "build", "notebooks", "out")
	}
	dir := filepath.Join(root, string(scale))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("nbutil: %w", err)
	}
	return dir, nil
}

// NewEnv creates the backend (gomlx_backend.Default: GOMLX_BACKEND, else
// XLA/CUDA when its plugin is installed, else the pure-Go backend) and the
// reproductions environment of a notebook, logging progress to standard
// output, and prints the choice.
func NewEnv(scale reproductions.Scale) (reproductions.Env, error) {
	backend, choice, err := gb.Default()
	if err != nil {
		return reproductions.Env{}, err
	}
	out, err := OutDir(scale)
	if err != nil {
		return reproductions.Env{}, err
	}
	fmt.Printf("backend: %s\nscale: %s, outputs under %s\n", choice, scale, out)
	return reproductions.Env{Backend: backend, Choice: choice, Scale: scale, OutDir: out, Log: os.Stdout}, nil
}
