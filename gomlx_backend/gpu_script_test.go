package gomlxbackend_test

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestGPUScriptsDryRun builds the GPU bundle with scripts/gpu_build.sh (fast
// compression, a small CIFAR-10 subset) and runs scripts/gpu_check.sh on it:
// with --dry-run on the Go backend, where every stage must run and pass and
// a fake JAX installation must be arranged the way go-xla loads a plugin;
// then in GPU mode without any plugin, where it must stop at once, failing,
// and still leave its log.
func TestGPUScriptsDryRun(t *testing.T) {
	for _, tool := range []string{"bash", "go", "tar", "gzip", "timeout"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("the GPU scripts need %s on PATH: %v", tool, err)
		}
	}
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	build := filepath.Join(tmp, "build")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()

	start := time.Now()
	if log, err := script(ctx, root, nil, "scripts/gpu_build.sh", "--out", build, "--compress", "gzip", "--cifar-records", "4",
		// gzip -1 is for the test's speed; the bundle a device run takes is xz-compressed and held to the default limit.
		"--limit-mib", "200"); err != nil {
		t.Fatalf("gpu_build.sh: %v\n%s", err, log)
	}
	t.Logf("gpu_build.sh: %.0f s", time.Since(start).Seconds())
	manifest, err := os.ReadFile(filepath.Join(build, "MANIFEST.txt"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"bin/stcnn.test", "bin/training.test", "bin/certify.test", "bin/gomlx_backend.test", "bin/reproduce", "payload.tar.gz", "data/mnist/train-images-idx3-ubyte.gz"} {
		if !strings.Contains(string(manifest), want) {
			t.Errorf("MANIFEST.txt does not list %s:\n%s", want, manifest)
		}
	}

	// A JAX installation as pip lays it out; the plugin is never loaded.
	site := filepath.Join(tmp, "fake", "venv", "lib", "python3.12", "site-packages")
	plugin := filepath.Join(site, "jax_plugins", "xla_cuda13", "xla_cuda_plugin.so")
	ptxas := filepath.Join(site, "nvidia", "cu13", "bin", "ptxas")
	for _, d := range []string{filepath.Dir(plugin), filepath.Dir(ptxas), filepath.Join(site, "nvidia", "cu13", "lib"), filepath.Join(site, "nvidia", "cu13", "nvvm", "libdevice")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(plugin, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(ptxas, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}

	out, work := filepath.Join(tmp, "out"), filepath.Join(tmp, "work")
	env := []string{"STCNN_GPU_SEARCH_ROOTS=" + filepath.Join(tmp, "fake"), "STCNN_GOXLA_DIRS="}
	start = time.Now()
	log, err := script(ctx, root, env, "scripts/gpu_check.sh", "--dry-run", "--build", build, "--out", out, "--work", work, "--budget", "300")
	if err != nil {
		t.Fatalf("gpu_check.sh --dry-run: %v\n%s", err, log)
	}
	t.Logf("gpu_check.sh --dry-run: %.0f s", time.Since(start).Seconds())
	for _, stage := range []string{"unpack", "plugin", "backend", "test stcnn", "test stcnn/training", "test stcnn/certify", "bench_p512_k512", "figure table1", "figure 11", "figure 12", "archive"} {
		if !strings.Contains(log, "stage "+stage+": PASS") {
			t.Errorf("stage %q did not pass:\n%s", stage, log)
		}
	}
	if !strings.Contains(log, "stage bench_p8000: SKIP") {
		t.Errorf("no line for the P = 8000 benchmark:\n%s", log)
	}
	link := filepath.Join(work, "pjrt", "nvidia")
	if got, err := os.Readlink(filepath.Join(link, "pjrt_c_api_cuda_plugin.so")); err != nil || got != plugin {
		t.Errorf("plugin link = %q, %v; want %s", got, err, plugin)
	}
	for _, p := range []string{"pjrt/nvidia/bin/ptxas", "pjrt/nvidia/cu13/lib", "pjrt/nvidia/nvvm/libdevice", "nvidia/cu13/lib"} {
		if _, err := os.Stat(filepath.Join(work, p)); err != nil {
			t.Errorf("link folder: %v", err)
		}
	}
	for _, f := range []string{"gpu_check.log", "gpu_logs.tar.gz"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Error(err)
		}
	}
	names, err := tarNames(filepath.Join(out, "gpu_figures.tar.gz"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"figures/table1/manifest.json", "figures/11/manifest.json", "figures/12/manifest.json", "figures/results_table1.md"} {
		if !names[want] {
			t.Errorf("gpu_figures.tar.gz lacks %s", want)
		}
	}
	for name := range names {
		if strings.HasPrefix(name, "figures/runs/") {
			t.Errorf("gpu_figures.tar.gz holds the run store (%s); the finished runs belong in gpu_runs.tar.gz", name)
			break
		}
	}
	runs, err := tarNames(filepath.Join(out, "gpu_runs.tar.gz"))
	if err != nil {
		t.Fatal(err)
	}
	provenance := 0
	for name := range runs {
		if strings.HasSuffix(name, "/provenance.json") {
			provenance++
		}
	}
	// Table I and Figs. 11-12 at one scale: a primal and a dual per sigma,
	// and Fig. 11's gap-measuring duals (which serve Table I's).
	if provenance < 6 {
		t.Errorf("gpu_runs.tar.gz holds %d archived runs, want at least 6: %v", provenance, runs)
	}

	// GPU mode on a machine without a plugin: stop at the plugin stage.
	out2 := filepath.Join(tmp, "out2")
	env = []string{"STCNN_GPU_SEARCH_ROOTS=", "STCNN_GOXLA_DIRS="}
	log, err = script(ctx, root, env, "scripts/gpu_check.sh", "--build", build, "--out", out2, "--work", filepath.Join(tmp, "work2"))
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("gpu_check.sh without a plugin: %v, want exit status 1\n%s", err, log)
	}
	if !strings.Contains(log, "stage plugin: FAIL") || strings.Contains(log, "== backend") {
		t.Errorf("without a plugin the check must fail at the plugin stage and go no further:\n%s", log)
	}
	if _, err := os.Stat(filepath.Join(out2, "gpu_check.log")); err != nil {
		t.Error(err)
	}
}

// script runs a repository script with bash in root, in the test's
// environment less the variables the scripts read, plus env; it returns the
// combined output.
func script(ctx context.Context, root string, env []string, name string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "bash", append([]string{name}, args...)...)
	cmd.Dir = root
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch {
		case k == "GOMLX_BACKEND", k == "OUT", k == "PJRT_PLUGIN_LIBRARY_PATH", strings.HasPrefix(k, "STCNN_") && k != "STCNN_DATA":
			continue
		}
		cmd.Env = append(cmd.Env, kv)
	}
	cmd.Env = append(cmd.Env, env...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// tarNames lists the files of a .tar.gz archive.
func tarNames(path string) (map[string]bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return nil, err
	}
	names := map[string]bool{}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return names, nil
		}
		if err != nil {
			return nil, err
		}
		names[h.Name] = true
	}
}
