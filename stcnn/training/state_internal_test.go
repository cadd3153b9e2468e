package training

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/convexst/stcnn/stcnn"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// holdLockEnv makes the test binary a process that holds a run folder's
// lock until it is killed (see TestStaleLock).
const holdLockEnv = "STCNN_TRAINING_HOLD_LOCK"

func TestMain(m *testing.M) {
	if dir := os.Getenv(holdLockEnv); dir != "" {
		if _, err := lockDir(dir); err != nil {
			fmt.Println("error:", err)
			os.Exit(3)
		}
		fmt.Println("locked")
		time.Sleep(time.Hour)
	}
	os.Exit(m.Run())
}

// TestStaleLock: a lock held by another process refuses a run, naming the
// process; once that process is killed its lock is gone although the file
// stays, and the folder can be used.
func TestStaleLock(t *testing.T) {
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), holdLockEnv+"="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || line != "locked\n" {
		t.Fatalf("lock holder said %q, %v", line, err)
	}
	_, err = lockDir(dir)
	want := fmt.Sprintf("%s is in use by process %d", dir, cmd.Process.Pid)
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("second lock: %v, want %q", err, want)
	}
	cmd.Process.Kill()
	cmd.Wait()
	if _, err := os.Stat(filepath.Join(dir, lockFile)); err != nil {
		t.Fatal(err)
	}
	l, err := lockDir(dir)
	if err != nil {
		t.Fatalf("the lock of a killed process still counts: %v", err)
	}
	l.release()
}

func TestFileMode(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a.json")
	if err := WriteFileAtomic(path, []byte("{}\n")); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != FileMode() {
		t.Fatalf("mode %v, want %v", fi.Mode().Perm(), FileMode())
	}
	if FileMode()&0o044 == 0 && readUmask("/proc/self/status")&0o044 == 0 {
		t.Fatalf("mode %v is unreadable by others under a umask that allows it", FileMode())
	}
	status := filepath.Join(t.TempDir(), "status")
	for _, tc := range []struct {
		text string
		want os.FileMode
	}{{"Name:\tx\nUmask:\t0022\n", 0o022}, {"Umask:\t0077\n", 0o077}, {"Umask:\t0002\n", 0o002}, {"Name: x\n", 0o022}, {"Umask: zz\n", 0o022}} {
		os.WriteFile(status, []byte(tc.text), 0o644)
		if got := readUmask(status); got != tc.want {
			t.Errorf("%q: umask %o, want %o", tc.text, got, tc.want)
		}
	}
	if got := readUmask(filepath.Join(t.TempDir(), "missing")); got != 0o022 {
		t.Errorf("missing status: umask %o", got)
	}
}

func TestMemTotalAndFallback(t *testing.T) {
	p := filepath.Join(t.TempDir(), "meminfo")
	os.WriteFile(p, []byte("MemTotal:       24576000 kB\nMemFree: 1 kB\n"), 0o644)
	if n, ok := readMemTotal(p); !ok || n != 24576000*1024 {
		t.Fatalf("MemTotal %v %v", n, ok)
	}
	for _, bad := range []string{"MemTotal: 12 MB\n", "MemFree: 1 kB\n", "MemTotal: x kB\n"} {
		os.WriteFile(p, []byte(bad), 0o644)
		if _, ok := readMemTotal(p); ok {
			t.Errorf("%q accepted", bad)
		}
	}
	cfg := DefaultConfig(stcnn.Dual)
	cfg.BatchSize, cfg.TrainSize = 600, 600
	err := cfg.checkMemoryAgainst(1e6, "a test")
	if err == nil || !strings.Contains(err.Error(), "1.0 MB (a test)") {
		t.Fatalf("error %v", err)
	}
	if err := cfg.checkMemoryAgainst(fallbackMemory, "fallback"); err != nil {
		t.Fatal(err)
	}
}

// seedUnit returns the files of a small valid state unit.
func seedUnit(tb testing.TB) (man, st, vars []byte) {
	dir := tb.TempDir()
	cfg := DefaultConfig(stcnn.Dual)
	cfg.Model.P, cfg.TrainSize, cfg.BatchSize, cfg.TestSize = 2, 4, 2, 0
	store := model.NewStore()
	store.VariableWithValue("/dual/w", tensors.FromValue([][]float32{{1, 2}, {3, 4}}))
	store.VariableWithValue("/opt/step", tensors.FromValue(int64(3)))
	store.VariableWithValue("/opt/m", tensors.FromValue([]float64{0.5}))
	st0 := State{Config: cfg, Epoch: 1, Step: 3, History: History{Name: "x", Records: []Record{{Epoch: 1, Step: 2}}}}
	if err := writeState(dir, st0, store); err != nil {
		tb.Fatal(err)
	}
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join(dir, stateDir, name))
		if err != nil {
			tb.Fatal(err)
		}
		return b
	}
	return read(manifestFile), read(stateFile), read(variablesFile)
}

func TestStateRoundTrip(t *testing.T) {
	man, st, vars := seedUnit(t)
	s, err := decodeUnit(man, st, vars)
	if err != nil {
		t.Fatal(err)
	}
	if s.Epoch != 1 || s.Step != 3 || len(s.Tensors) != 3 || s.History.Records[0].Step != 2 {
		t.Fatalf("%+v", s.State)
	}
	if got := tensors.ToScalar[int64](s.Tensors["/opt/step"]); got != 3 {
		t.Fatalf("step %d", got)
	}
	if got := s.Tensors["/dual/w"].Value().([][]float32); got[1][0] != 3 {
		t.Fatalf("w %v", got)
	}
	// A state whose epoch and step disagree with its configuration is damaged.
	var raw map[string]any
	json.Unmarshal(st, &raw)
	raw["step"] = 9
	bad, _ := json.Marshal(raw)
	if _, err := decodeUnit(withManifest(bad, vars), bad, vars); err == nil || !strings.Contains(err.Error(), "inconsistent") {
		t.Fatalf("step 9 of 4 images in batches of 2: %v", err)
	}
}

// withManifest returns a manifest that matches st and vars.
func withManifest(st, vars []byte) []byte {
	man := manifest{Format: stateFormat, Files: map[string]fileSum{}}
	for name, data := range map[string][]byte{stateFile: st, variablesFile: vars} {
		man.Files[name] = sumOf(data)
	}
	b, _ := json.Marshal(man)
	return b
}

// FuzzReadRunState feeds the state reader arbitrary unit files, with the
// manifest as given or made to match (to reach the decoding of state.json
// and variables.bin): it returns an error or a state, never panics.
func FuzzReadRunState(f *testing.F) {
	man, st, vars := seedUnit(f)
	f.Add(man, st, vars, false)
	f.Add(man, st, vars[:len(vars)-3], true)
	f.Add([]byte("{}"), st[:len(st)/2], vars, true)
	f.Add([]byte(""), []byte(""), []byte(""), false)
	f.Fuzz(func(t *testing.T, man, st, vars []byte, fix bool) {
		if fix {
			man = withManifest(st, vars)
		}
		s, err := decodeUnit(man, st, vars)
		if err == nil && (s.Step < 0 || len(s.Tensors) != len(s.Variables)) {
			t.Fatalf("accepted an inconsistent state %+v", s.State)
		}
	})
}

// FuzzLoadConfig: LoadConfig's parser returns an error or a valid
// configuration that survives a save and a load unchanged.
func FuzzLoadConfig(f *testing.F) {
	js, _ := json.Marshal(DefaultConfig(stcnn.Dual))
	f.Add(js)
	f.Add(append(js, '{', '}'))
	f.Add([]byte(`{"model": {"model": "primal", "K": 4, "m": 3, "channels": 1}, "optimizer": "sgd"}`))
	f.Add([]byte(`{"optimiser": "adam"}`))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseConfig(data)
		if err != nil {
			return
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("accepted an invalid configuration: %v", err)
		}
		path := filepath.Join(dir, "c.json")
		if err := c.Save(path); err != nil {
			t.Fatal(err)
		}
		back, err := LoadConfig(path)
		if err != nil || back != c {
			t.Fatalf("round trip: %v\n%+v\n%+v", err, c, back)
		}
	})
}
