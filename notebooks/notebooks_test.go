//go:build unix

package notebooks

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	// The notebooks build against the library through nbutil: importing it
	// makes `go test`'s cache see changes of the packages they use.
	_ "github.com/convexst/stcnn/notebooks/nbutil"
)

const (
	// envSkip lets a developer skip the notebooks deliberately.
	envSkip = "STCNN_SKIP_NOTEBOOKS"
	// installHint is what to run when the notebook tools are missing.
	installHint = "install them with scripts/install-notebook-tools.sh (Debian's jupyter-nbconvert and " +
		"jupyter-client, GoNB and goimports from tools/go.mod, the GoNB kernel spec), or set " +
		envSkip + "=1 to skip the notebooks deliberately (never under CI)"
)

// isCI reports whether the CI variable says this is a CI run.
func isCI(lookup func(string) (string, bool)) bool {
	v, ok := lookup("CI")
	v = strings.ToLower(strings.TrimSpace(v))
	return ok && v != "" && v != "0" && v != "false" && v != "no"
}

// skipDecision says whether the notebooks are skipped, or why the settings
// are an error: CI must never skip them.
func skipDecision(lookup func(string) (string, bool)) (skip bool, err error) {
	v, set := lookup(envSkip)
	if isCI(lookup) && set {
		ci, _ := lookup("CI")
		return false, fmt.Errorf("CI=%s and %s=%q: CI must execute the notebooks; remove %s from the CI environment",
			ci, envSkip, v, envSkip)
	}
	return strings.TrimSpace(v) == "1", nil
}

func TestSkipDecision(t *testing.T) {
	for _, c := range []struct {
		env     map[string]string
		skip    bool
		wantErr bool
	}{
		{env: nil},
		{env: map[string]string{envSkip: "1"}, skip: true},
		{env: map[string]string{envSkip: "0"}},
		{env: map[string]string{"CI": "true"}},
		{env: map[string]string{"CI": "true", envSkip: "1"}, wantErr: true},
		{env: map[string]string{"CI": "true", envSkip: ""}, wantErr: true},
		{env: map[string]string{"CI": "false", envSkip: "1"}, skip: true},
	} {
		lookup := func(k string) (string, bool) { v, ok := c.env[k]; return v, ok }
		skip, err := skipDecision(lookup)
		if skip != c.skip || (err != nil) != c.wantErr {
			t.Errorf("env %v: skip %v, error %v; want skip %v, error %v", c.env, skip, err, c.skip, c.wantErr)
		}
	}
}

// missingTools names the notebook tools that are not installed.
func missingTools(gobin string) []string {
	var missing []string
	for _, f := range []string{"/usr/bin/jupyter", "/usr/bin/jupyter-nbconvert", "/usr/bin/jupyter-kernelspec"} {
		if _, err := os.Stat(f); err != nil {
			missing = append(missing, f)
		}
	}
	for _, tool := range []string{"gonb", "goimports"} {
		if _, err := exec.LookPath(tool); err != nil {
			if _, err := os.Stat(filepath.Join(gobin, tool)); err != nil {
				missing = append(missing, tool+" (on PATH or in "+gobin+")")
			}
		}
	}
	return missing
}

// goBin is where `go install` puts binaries (GOBIN, else GOPATH/bin).
func goBin(t *testing.T) string {
	out, err := exec.Command("go", "env", "GOBIN", "GOPATH").Output()
	if err != nil {
		t.Fatalf("go env: %v", err)
	}
	lines := strings.Split(string(out), "\n") // GOBIN, GOPATH (GOBIN may be empty)
	if len(lines) < 2 {
		t.Fatalf("go env GOBIN GOPATH: %q", out)
	}
	if gobin := strings.TrimSpace(lines[0]); gobin != "" {
		return gobin
	}
	return filepath.Join(strings.TrimSpace(filepath.SplitList(lines[1])[0]), "bin")
}

// TestNotebooks executes every notebook headless at the tiny scale (unless
// STCNN_NOTEBOOK_SCALE says otherwise) through scripts/notebooks.sh, which
// fails on any cell error and prints the time per notebook.
func TestNotebooks(t *testing.T) {
	skip, err := skipDecision(os.LookupEnv)
	if err != nil {
		t.Fatal(err)
	}
	if skip {
		t.Skipf("%s=1: notebooks not executed", envSkip)
	}
	if missing := missingTools(goBin(t)); len(missing) > 0 {
		t.Fatalf("the notebooks cannot run, missing: %s;\n%s", strings.Join(missing, ", "), installHint)
	}
	ctx := context.Background()
	if dl, ok := t.Deadline(); ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, dl.Add(-30*time.Second))
		defer cancel()
	}
	cmd := exec.CommandContext(ctx, "bash", filepath.Join("..", "scripts", "notebooks.sh"))
	cmd.Env = os.Environ()
	if _, ok := os.LookupEnv("STCNN_NOTEBOOK_SCALE"); !ok {
		cmd.Env = append(cmd.Env, "STCNN_NOTEBOOK_SCALE=tiny")
	}
	// On timeout, kill the whole process group: nbconvert, the kernel and
	// the running cell, not only bash.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 10 * time.Second
	// The notebooks and scripts are inputs too: reading them makes `go
	// test`'s cache see their changes.
	inputs, _ := filepath.Glob("*.ipynb")
	inputs = append(inputs, filepath.Join("..", "scripts", "notebooks.sh"))
	for _, f := range inputs {
		if _, err := os.ReadFile(f); err != nil {
			t.Fatal(err)
		}
	}
	var out bytes.Buffer
	w := io.Writer(&out)
	if testing.Verbose() {
		w = io.MultiWriter(&out, os.Stdout)
	}
	cmd.Stdout, cmd.Stderr = w, w
	start := time.Now()
	err = cmd.Run()
	t.Logf("scripts/notebooks.sh took %.0fs", time.Since(start).Seconds())
	var exit *exec.ExitError
	switch {
	case err == nil:
		t.Logf("%s", tail(out.String(), 40))
	case errors.As(err, &exit) && exit.ExitCode() == 3:
		t.Fatalf("%s\n%s", out.String(), installHint)
	default:
		t.Fatalf("scripts/notebooks.sh: %v\n%s", err, out.String())
	}
}

// tail returns the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
