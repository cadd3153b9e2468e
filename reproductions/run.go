package reproductions

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// RunFigure runs f and publishes OutDir/<id> as one unit. The figure writes
// into a fresh folder; on success its manifest (status "ok") is added and
// the folder replaces OutDir/<id>. On failure OutDir/<id> is replaced by a
// folder holding only a manifest with status "failed" and the error, so no
// file of an earlier run is left to contradict it. A panic in the figure
// counts as a failure.
func RunFigure(env Env, f Figure) (*Result, error) {
	start := time.Now()
	if err := os.MkdirAll(env.OutDir, 0o755); err != nil {
		return nil, fmt.Errorf("figure %s: reproductions: %w", f.ID, err)
	}
	removeLeftovers(env.OutDir, f.ID)
	res, err := runStaged(env, f, start)
	if err == nil {
		return res, nil
	}
	err = fmt.Errorf("figure %s: %w", f.ID, err)
	if markErr := publishFailure(env, f, start, err); markErr != nil {
		return nil, errors.Join(err, fmt.Errorf("figure %s: marking it failed: %w", f.ID, markErr))
	}
	return nil, err
}

// runStaged runs f into a fresh folder, writes its manifest there and
// publishes the folder.
func runStaged(env Env, f Figure, start time.Time) (*Result, error) {
	stage, err := newStage(env.OutDir, f.ID)
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(stage) // partial outputs of a failed run; nothing once published
	env.stageID, env.stageDir, env.readBack = f.ID, stage, &readBackRuns{}
	res, err := callFigure(env, f)
	if err != nil {
		return nil, err
	}
	res.ID = f.ID
	res.Scale = env.Scale
	res.Seconds = time.Since(start).Seconds()
	if err := WriteManifest(env, f, stage, start, res.Settings, res); err != nil {
		return nil, err
	}
	if err := publish(stage, filepath.Join(env.OutDir, f.ID)); err != nil {
		return nil, err
	}
	return res, nil
}

// callFigure calls f.Run, turning a panic (GoMLX reports graph errors by
// panicking) or a missing result into an error.
func callFigure(env Env, f Figure) (res *Result, err error) {
	defer func() {
		if r := recover(); r != nil {
			res, err = nil, fmt.Errorf("panic: %v", r)
		}
	}()
	res, err = f.Run(env)
	if err == nil && res == nil {
		err = errors.New("reproductions: the figure returned no result")
	}
	return res, err
}

// publishFailure replaces OutDir/<id> by a folder holding only a manifest
// with status "failed" and runErr.
func publishFailure(env Env, f Figure, start time.Time, runErr error) error {
	stage, err := newStage(env.OutDir, f.ID)
	if err != nil {
		return err
	}
	defer os.RemoveAll(stage)
	if err := writeFailedManifest(env, f, stage, start, runErr); err != nil {
		return err
	}
	return publish(stage, filepath.Join(env.OutDir, f.ID))
}

// Outcome is what running one figure gave: its result, or the error that
// stopped it.
type Outcome struct {
	Figure Figure
	// Scale the figure ran at.
	Scale Scale
	// Result is nil when Err is set.
	Result *Result
	Err    error
	// Seconds is the wall time, failed or not.
	Seconds float64
}

// RunAll runs figs in order with RunFigure, each at scaleOf(f) (env.Scale
// when scaleOf is nil). A failed figure is recorded and the next one runs.
// Progress goes to env.Log.
func RunAll(env Env, figs []Figure, scaleOf func(Figure) Scale) []Outcome {
	gitCommit() // the revision the runs start from, recorded in every manifest
	out := make([]Outcome, 0, len(figs))
	for i, f := range figs {
		if interrupted(env.Stop) {
			env.Logf("\n[%d/%d] figure %s: not started (interrupted)", i+1, len(figs), f.ID)
			out = append(out, Outcome{Figure: f, Scale: env.Scale, Err: ErrInterrupted})
			continue
		}
		fenv := env
		if scaleOf != nil {
			fenv.Scale = scaleOf(f)
		}
		env.Logf("\n[%d/%d] figure %s: %s", i+1, len(figs), f.ID, f.Title)
		start := time.Now()
		res, err := RunFigure(fenv, f)
		out = append(out, Outcome{Figure: f, Scale: fenv.Scale, Result: res, Err: err, Seconds: time.Since(start).Seconds()})
		if err != nil {
			env.Logf("figure %s FAILED: %v", f.ID, err)
			continue
		}
		env.Logf("figure %s done in %.1fs (agrees with the paper: %s): %s", f.ID, res.Seconds, res.Agrees, res.Summary)
	}
	return out
}

// ErrInterrupted is the error of a figure that Env.Stop kept from starting.
var ErrInterrupted = errors.New("interrupted before the figure started")

func interrupted(stop <-chan struct{}) bool {
	select {
	case <-stop:
		return true
	default:
		return false
	}
}

// Failed returns the outcomes that failed, in order.
func Failed(outcomes []Outcome) []Outcome {
	var failed []Outcome
	for _, o := range outcomes {
		if o.Err != nil {
			failed = append(failed, o)
		}
	}
	return failed
}
