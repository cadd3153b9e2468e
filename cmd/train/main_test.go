package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
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
		err := run(tc.args)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("run(%q) = %v, want an error naming %q", tc.args, err, tc.want)
		}
	}
}

// TestCertify solves a small dual training problem from the command line
// and reads back certified.json.
func TestCertify(t *testing.T) {
	dir := t.TempDir()
	if err := run([]string{"-model", "dual", "-certify", "1e-4", "-n", "20", "-test", "10", "-P", "8", "-out", dir}); err != nil {
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
