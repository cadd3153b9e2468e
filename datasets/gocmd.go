package datasets

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"
)

// goModDownload runs `goCmd mod download -json modVersion` (module@version)
// and returns the module's folder in the module cache, Dir in the JSON the
// go command prints. It runs in the temporary directory, outside any
// module, so that no go.mod or go.work around the caller changes what is
// fetched or which toolchain runs. With offline, GOPROXY=off keeps the go
// command to the module cache. The run is ended after timeout.
func goModDownload(ctx context.Context, goCmd, modVersion string, offline bool, timeout time.Duration) (string, error) {
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	cmd := exec.CommandContext(ctx, goCmd, "mod", "download", "-json", modVersion)
	cmd.Dir = os.TempDir()
	cmd.Env = os.Environ()
	if offline {
		cmd.Env = append(cmd.Env, "GOPROXY=off")
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.WaitDelay = time.Second // a child holding the output open is not waited for
	runErr := cmd.Run()
	if ctx.Err() != nil {
		return "", fmt.Errorf("%s: stopped after %s: %w", strings.Join(cmd.Args, " "), timeout, ctx.Err())
	}
	dir, err := parseModDownload(stdout.Bytes())
	if runErr == nil {
		return dir, err
	}
	if err == nil || stdout.Len() == 0 {
		err = runErr // the go command failed without saying why in JSON
	}
	if msg := strings.TrimSpace(stderr.String()); msg != "" {
		err = fmt.Errorf("%w: %s", err, msg)
	}
	return "", err
}

// parseModDownload returns Dir from the JSON printed by
// `go mod download -json` for one module, or its Error.
func parseModDownload(out []byte) (string, error) {
	var m struct {
		Path, Version, Dir, Error string
	}
	if err := json.Unmarshal(out, &m); err != nil {
		return "", fmt.Errorf("reading the output of go mod download -json: %w", err)
	}
	if m.Error != "" {
		return "", errors.New(m.Error)
	}
	if m.Dir == "" {
		return "", fmt.Errorf("go mod download -json printed no Dir for %s@%s", m.Path, m.Version)
	}
	return m.Dir, nil
}
