package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/convexst/stcnn/stcnn"
	"github.com/convexst/stcnn/stcnn/training"
)

func TestFlagErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-model", "triple"}, "flag -model"},
		{[]string{"-certify", "-1"}, "flag -certify"},
		{[]string{"-certify", "1"}, "flag -certify"},
		{[]string{"-certify-time", "-1s"}, "flag -certify-time"},
		{[]string{"-optimizer", "lbfgs", "-n", "4", "-test", "0"}, "flag -optimizer"},
	} {
		err := run(tc.args, nil)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("run(%q) = %v, want an error naming %q", tc.args, err, tc.want)
		}
	}
}

// TestCertify solves a small dual training problem from the command line
// and reads back certified.json.
func TestCertify(t *testing.T) {
	dir := t.TempDir()
	if err := run([]string{"-model", "dual", "-certify", "1e-4", "-n", "20", "-test", "10", "-P", "8", "-out", dir}, nil); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(dir, "dual", "certified.json"))
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Result struct {
			Objective, Bound float64
			Converged        bool
		} `json:"result"`
		Train    struct{ Objective float64 } `json:"train"`
		TrainGap *struct{ Primal float64 }   `json:"train_gap"`
	}
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatal(err)
	}
	r := got.Result
	if !r.Converged || !(r.Bound <= r.Objective) || r.Objective-r.Bound > 1e-4*r.Objective {
		t.Errorf("certificate: objective %v, bound %v, converged %v", r.Objective, r.Bound, r.Converged)
	}
	if d := got.Train.Objective - r.Objective; d > 1e-5*r.Objective || d < -1e-5*r.Objective {
		t.Errorf("evaluated objective %v, certified %v", got.Train.Objective, r.Objective)
	}
	if got.TrainGap == nil {
		t.Error("no eq. 47 gap at the certified weights")
	}
}

// TestFlagsAndRunFolder: each misuse of the run folder flags gives a clear
// error and changes nothing; -resume may extend the epochs.
func TestFlagsAndRunFolder(t *testing.T) {
	if b, err := command("-h").CombinedOutput(); err != nil || !strings.Contains(string(b), "-checkpoint-every") {
		t.Fatalf("train -h: %v\n%s", err, b)
	}
	data := smallMNIST(t)
	out := t.TempDir()
	dualCfg := filepath.Join(t.TempDir(), "dual.json")
	if err := training.DefaultConfig(stcnn.Dual).Save(dualCfg); err != nil {
		t.Fatal(err)
	}
	tiny := []string{"-model", "primal", "-data", data, "-n", "24", "-test", "0", "-batch", "8", "-epochs", "2", "-K", "8", "-out", out}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-resume"}, "flag -resume: needs -out"},
		{[]string{"-resume", "-force", "-out", out}, "flags -resume and -force exclude each other"},
		{[]string{"-resume", "-out", out}, "holds no saved run (no primal/ or dual/ run folder); run without -resume"},
		{[]string{"-model", "primal", "-resume", "-out", out}, "primal holds no saved run to continue"},
		{[]string{"-model", "primal", "-config", dualCfg}, "flag -model primal disagrees with -config " + dualCfg + ", which configures the dual model"},
		{[]string{"-model", "dual", "-P", "2000000000"}, `TB of memory`},
		{[]string{"-model", "primal", "-optimizer", "adam", "-lr", "1e9", "-data", data, "-n", "24", "-test", "0", "-K", "8"},
			"diverged at epoch 1, step "},
		{[]string{"stray"}, `unexpected argument "stray"`},
	} {
		err := run(tc.args, nil)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("run(%q) = %v, want an error with %q", tc.args, err, tc.want)
		}
	}
	if err := run(tiny, nil); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(out, "primal")
	// Saved every epoch by default: the unit of epoch 2 and the one of epoch 1.
	for unit, epoch := range map[string]int{"state": 2, "state.prev": 1} {
		var st training.State
		b, err := os.ReadFile(filepath.Join(dir, unit, "state.json"))
		if err == nil {
			err = json.Unmarshal(b, &st)
		}
		if err != nil || st.Epoch != epoch {
			t.Fatalf("%s: epoch %d, %v", unit, st.Epoch, err)
		}
	}
	config, _ := os.ReadFile(filepath.Join(dir, "config.json"))
	for _, tc := range []struct {
		args []string
		want string
	}{
		{tiny, dir + " holds a run (state, state.prev, config.json"},
		{append(tiny, "-resume", "-lr", "0.5"), "hyperparams.lr 0.001 -> 0.5"},
		{[]string{"-model", "primal", "-resume", "-out", out, "-sigma", "0.3", "-seed", "4"}, "seed 1 -> 4; sigma 0.25 -> 0.3"},
		{[]string{"-model", "primal", "-resume", "-out", out, "-data", data, "-test", "8"}, "test_size 0 -> 8"},
	} {
		err := run(tc.args, nil)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("run(%q) = %v, want an error with %q", tc.args, err, tc.want)
		}
	}
	if now, _ := os.ReadFile(filepath.Join(dir, "config.json")); !bytes.Equal(now, config) {
		t.Fatal("a refused run rewrote config.json")
	}
	// The saved settings are the base of a resume: only -epochs is given.
	if err := run([]string{"-model", "primal", "-out", out, "-resume", "-epochs", "3"}, nil); err != nil {
		t.Fatal(err)
	}
	saved, err := training.ReadState(dir)
	if err != nil || saved.Epoch != 3 || saved.Config.TrainSize != 24 || len(saved.History.Changes) != 1 {
		t.Fatalf("extended run: %+v, %v", saved, err)
	}
	if err := run(append(tiny, "-force", "-seed", "2"), nil); err != nil {
		t.Fatal(err)
	}
	if saved, err := training.ReadState(dir); err != nil || saved.Config.Seed != 2 || saved.Epoch != 2 {
		t.Fatalf("forced run: %v", err)
	}
}

func TestResumeCommand(t *testing.T) {
	for _, tc := range []struct {
		argv []string
		want string
	}{
		{[]string{"/tmp/go-build123/b001/exe/train", "-out", "o", "-force"}, "go run ./cmd/train -out o -resume"},
		{[]string{"./train", "-out", "my runs", "-resume"}, "./train -out 'my runs' -resume"},
		{[]string{"train", "-lr=1e-3", "--force=true", "-data", "it's"}, `train -lr=1e-3 -data 'it'\''s' -resume`},
	} {
		if got := resumeCommand(tc.argv); got != tc.want {
			t.Errorf("resumeCommand(%q) = %q, want %q", tc.argv, got, tc.want)
		}
	}
}
