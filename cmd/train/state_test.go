package main

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/convexst/stcnn/datasets"
	"github.com/convexst/stcnn/stcnn/training"
)

// mainEnv makes the test binary run main() with its arguments, so that the
// tests can run, signal and kill the command as a process.
const mainEnv = "STCNN_TRAIN_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(mainEnv) == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// command returns the train command (this test binary running main) with args.
func command(args ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), mainEnv+"=1")
	return cmd
}

// tinyArgs is a tiny dual run on the MNIST images in data: 4 epochs of 6
// steps, evaluated (and so printed) and saved after every step.
func tinyArgs(data, out string) []string {
	return []string{"-model", "dual", "-data", data, "-n", "24", "-test", "0", "-batch", "4", "-epochs", "4", "-P", "8",
		"-gap=false", "-eval-every", "1", "-checkpoint-every-steps", "1", "-out", out}
}

// smallMNIST writes the first 100 MNIST training images (raw IDX files) to
// a folder, so that each process of the test loads them quickly.
func smallMNIST(t *testing.T) string {
	dir, err := datasets.MNISTDir("")
	if err != nil {
		t.Fatal(err)
	}
	im, err := datasets.LoadMNIST(dir, datasets.Train)
	if err != nil {
		t.Fatal(err)
	}
	const n = 100
	pixels := make([]byte, n*28*28)
	for i := range pixels {
		pixels[i] = byte(math.Round(float64(im.Pixels[i]) * 255))
	}
	header := func(magic uint32, dims ...uint32) []byte {
		b := binary.BigEndian.AppendUint32(nil, magic)
		for _, d := range dims {
			b = binary.BigEndian.AppendUint32(b, d)
		}
		return b
	}
	out := t.TempDir()
	for name, data := range map[string][]byte{
		datasets.MNISTTrainImages: append(header(0x803, n, 28, 28), pixels...),
		datasets.MNISTTrainLabels: append(header(0x801, n), im.Labels[:n]...),
	} {
		if err := os.WriteFile(filepath.Join(out, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

const (
	tinySteps = 24 // steps of the tiny run
	tinyKills = 10 // at most this many SIGKILLs of the resumed run
)

// finalState returns the saved variables and the history (without wall
// times) of the finished run in out.
func finalState(t *testing.T, out string) (vars []byte, hist training.History) {
	t.Helper()
	dir := filepath.Join(out, "dual")
	saved, err := training.ReadState(dir)
	if err != nil {
		t.Fatal(err)
	}
	if saved.Epoch != 4 || saved.Unit != "state" {
		t.Fatalf("final state: epoch %d in %s", saved.Epoch, saved.Unit)
	}
	if vars, err = os.ReadFile(filepath.Join(dir, "state", "variables.bin")); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(dir, "history.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &hist); err != nil {
		t.Fatal(err)
	}
	for i := range hist.Records {
		hist.Records[i].WallSeconds = 0
	}
	return vars, hist
}

func sameRun(t *testing.T, what string, refVars []byte, refHist training.History, out string) {
	t.Helper()
	vars, hist := finalState(t, out)
	if !bytes.Equal(vars, refVars) {
		t.Fatalf("%s: final variables differ from the uninterrupted run's", what)
	}
	a, _ := json.Marshal(refHist)
	b, _ := json.Marshal(hist)
	if !bytes.Equal(a, b) {
		t.Fatalf("%s: history differs from the uninterrupted run's:\n%s\n%s", what, a, b)
	}
}

// TestKilledRunsResume runs the command as a process, kills it with SIGKILL
// at random moments and resumes it until it finishes: the final weights,
// optimiser state and history equal the uninterrupted run's bitwise. It
// then interrupts a run with SIGTERM, which saves, exits with 143 and
// prints the command that resumes; that command finishes the run.
func TestKilledRunsResume(t *testing.T) {
	data := smallMNIST(t)
	ref := t.TempDir()
	cmd := command(tinyArgs(data, ref)...)
	w := newWatch()
	cmd.Stdout, cmd.Stderr = w, w
	if err := cmd.Run(); err != nil {
		t.Fatalf("uninterrupted run: %v\n%s", err, w.text())
	}
	startup, took := w.firstStep(), time.Since(w.start)
	if startup == 0 {
		t.Fatalf("no step line in\n%s", w.text())
	}
	stepTime := (took - startup) / tinySteps
	refVars, refHist := finalState(t, ref)

	// Each kill lands, with probability 1/4, at a random moment of the
	// start (loading, compiling, the first save); else at a random moment
	// of a random step of the training left (its update, evaluation or save).
	out := t.TempDir()
	rng := rand.New(rand.NewPCG(20261201, 7))
	var savedAt []int // the saved step after each kill (-1: none saved yet)
	for attempt := 0; ; attempt++ {
		if attempt == 30 {
			t.Fatalf("not finished after %d attempts", attempt)
		}
		args := tinyArgs(data, out)
		if training.HasRun(filepath.Join(out, "dual")) {
			args = append(args, "-resume")
		}
		cmd := command(args...)
		w := newWatch()
		cmd.Stdout, cmd.Stderr = w, w
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		from := 0
		if n := len(savedAt); n > 0 {
			from = max(0, savedAt[n-1])
		}
		if len(savedAt) < tinyKills && from < tinySteps {
			var kill <-chan time.Time
			if rng.IntN(4) == 0 {
				kill = time.After(time.Duration(rng.Float64() * float64(startup)))
			} else {
				step := from + 1 + rng.IntN(min(tinySteps-from, 5))
				kill = w.afterStep(step, time.Duration(rng.Float64()*float64(stepTime)))
			}
			select {
			case err := <-done:
				if err != nil {
					t.Fatalf("attempt %d (%q) failed: %v\n%s", attempt, args, err, w.text())
				}
				t.Logf("the run finished before its kill")
			case <-kill:
				cmd.Process.Signal(syscall.SIGKILL)
				<-done
				saved := -1
				if st, err := training.ReadState(filepath.Join(out, "dual")); err == nil {
					saved = st.Step
				} else if !errors.Is(err, training.ErrNoState) {
					t.Fatalf("after kill %d: %v", len(savedAt)+1, err)
				}
				savedAt = append(savedAt, saved)
				continue
			}
		} else if err := <-done; err != nil {
			t.Fatalf("attempt %d (%q) failed: %v\n%s", attempt, args, err, w.text())
		}
		break
	}
	t.Logf("uninterrupted run %v (first step at %v); saved step after each of %d kills: %v",
		took.Round(time.Millisecond), startup.Round(time.Millisecond), len(savedAt), savedAt)
	sameRun(t, fmt.Sprintf("after %d kills", len(savedAt)), refVars, refHist, out)

	out = t.TempDir()
	cmd = command(tinyArgs(data, out)...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var seen bytes.Buffer
	buf := make([]byte, 4096)
	for !strings.Contains(seen.String(), "dual epoch 1/4 step 3/") {
		n, err := stdout.Read(buf)
		if err != nil {
			t.Fatalf("no progress line: %v\n%s", err, seen.String())
		}
		seen.Write(buf[:n])
	}
	cmd.Process.Signal(syscall.SIGTERM)
	go func() { _, _ = bytes.NewBuffer(nil).ReadFrom(stdout) }()
	err = cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 143 {
		t.Fatalf("SIGTERM: %v, want exit status 143\n%s", err, stderr.String())
	}
	_, resume, ok := strings.Cut(stderr.String(), "to resume: ")
	if !ok || !strings.Contains(stderr.String(), "interrupted after step") {
		t.Fatalf("SIGTERM: no resume command in\n%s", stderr.String())
	}
	fields := strings.Fields(resume)
	if fields[0] != os.Args[0] || fields[len(fields)-1] != "-resume" {
		t.Fatalf("resume command %q", resume)
	}
	if b, err := command(fields[1:]...).CombinedOutput(); err != nil {
		t.Fatalf("printed resume command: %v\n%s", err, b)
	}
	sameRun(t, "after SIGTERM", refVars, refHist, out)
}

// watch collects a process's output and notes when each step line
// ("dual epoch E/4 step S/N: ...", one per step with -eval-every 1) appeared.
type watch struct {
	start time.Time
	mu    sync.Mutex
	buf   bytes.Buffer
	steps []time.Duration // steps[s-1]: when step s was printed
	wake  chan struct{}   // closed and replaced at each step line
}

func newWatch() *watch { return &watch{start: time.Now(), wake: make(chan struct{})} }

var stepLine = regexp.MustCompile(`dual epoch \d+/\d+ step (\d+)/`)

func (w *watch) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	for _, m := range stepLine.FindAllStringSubmatch(w.buf.String(), -1) {
		s, _ := strconv.Atoi(m[1])
		for len(w.steps) < s {
			w.steps = append(w.steps, time.Since(w.start))
			close(w.wake)
			w.wake = make(chan struct{})
		}
	}
	return len(p), nil
}

func (w *watch) text() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// firstStep is when the first step line of a process appeared.
func (w *watch) firstStep() time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.steps) == 0 {
		return 0
	}
	return w.steps[0]
}

// afterStep delivers the time d after the line of step s appeared (a
// resumed process prints only the steps after its saved one).
func (w *watch) afterStep(s int, d time.Duration) <-chan time.Time {
	c := make(chan time.Time, 1)
	go func() {
		for {
			w.mu.Lock()
			last, wake := len(w.steps), w.wake
			if last == 0 && strings.Contains(w.buf.String(), "resuming") {
				// Steps before the saved one are not printed again.
				if m := regexp.MustCompile(`step (\d+)\)`).FindStringSubmatch(w.buf.String()); m != nil {
					n, _ := strconv.Atoi(m[1])
					for len(w.steps) < n {
						w.steps = append(w.steps, 0)
					}
					last = n
				}
			}
			w.mu.Unlock()
			if last >= s {
				c <- <-time.After(d)
				return
			}
			<-wake
		}
	}()
	return c
}
