package reproductions_test

import (
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/convexst/stcnn/reproductions"
)

func TestCertifiedTiny(t *testing.T) {
	res, _ := runTiny(t, "certified")
	for _, sigma := range []string{"0.25", "0.50", "0.75"} {
		key := "sigma" + sigma
		obj, bound := mustMetric(t, res, key+"_objective"), mustMetric(t, res, key+"_bound")
		if !(bound <= obj) || math.IsNaN(bound) {
			t.Errorf("%s: bound %v not below objective %v", key, bound, obj)
		}
		// Adam's objectives are objectives of the same problem: never below
		// a certified lower bound.
		if best := mustMetric(t, res, key+"_adam_best"); best < bound*(1-1e-6) {
			t.Errorf("%s: Adam reached %v, below the certified bound %v", key, best, bound)
		}
	}
}

// TestCertifiedMode runs Figs. 9 and 11 and Table I in the certified mode:
// the certified bound is a lower bound of the very problem every dual run
// trains, so no optimiser's final dual objective may lie below it.
func TestCertifiedMode(t *testing.T) {
	certify := func(e *reproductions.Env) { e.Certify = true }
	t.Run("9", func(t *testing.T) {
		res, dir := runTinyWith(t, "9", certify)
		obj, bound := mustMetric(t, res, "certified_objective"), mustMetric(t, res, "certified_bound")
		if !(bound <= obj) || !(bound > 0) {
			t.Fatalf("certified bound %v, objective %v", bound, obj)
		}
		for _, v := range []string{"sgd", "asgd", "adam"} {
			if ex, ok := res.Metrics["dual_"+v+"_excess_over_bound"]; !ok || ex < -1e-6 {
				t.Errorf("dual %s: final objective %v relative to the certified bound (want >= 0)", v, ex)
			}
		}
		if !strings.Contains(res.Summary, "Certified solver") {
			t.Errorf("summary does not report the certificate: %s", res.Summary)
		}
		header, _ := mnistReadCSV(t, filepath.Join(dir, "fig9.csv"))
		if !slices.Contains(header, "dual_certified_train_objective") {
			t.Errorf("fig9.csv has no certified column: %v", header)
		}
	})
	t.Run("11", func(t *testing.T) {
		res, _ := runTinyWith(t, "11", certify)
		for _, sigma := range []string{"0.25", "0.50", "0.75"} {
			key := "sigma" + sigma + "_"
			if ex, ok := res.Metrics[key+"dual_excess_over_bound"]; !ok || ex < -1e-6 {
				t.Errorf("sigma %s: trained dual relative to the certified bound %v (want >= 0)", sigma, ex)
			}
		}
	})
	t.Run("table1", func(t *testing.T) {
		res, dir := runTinyWith(t, "table1", certify)
		_, rows := mnistReadCSV(t, filepath.Join(dir, "table1_certified.csv"))
		if len(rows) != 3 {
			t.Fatalf("table1_certified.csv has %d rows, want 3", len(rows))
		}
		for _, r := range rows {
			objective, bound, trained := r[5], r[6], r[9]
			if !(bound <= objective) || trained < bound*(1-1e-6) {
				t.Errorf("sigma %v: bound %v, certified objective %v, trained dual %v", r[0], bound, objective, trained)
			}
		}
		if mustMetric(t, res, "sigma0.25_certified_test_psnr") == 0 {
			t.Error("no certified PSNR in the metrics")
		}
	})
	t.Run("off", func(t *testing.T) {
		res, _ := runTiny(t, "table1")
		if _, ok := res.Metrics["sigma0.25_certified_objective"]; ok {
			t.Error("certified metrics without the certified mode")
		}
	})
}
