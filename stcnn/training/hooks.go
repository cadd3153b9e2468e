package training

import "errors"

// Hooks are per-step, per-evaluation and per-epoch work done inside a run
// (a figure's measurements, a stopping rule), so that the run is never
// restarted to do it. A hook that returns ErrStopRun ends the run there
// without error (its state is saved when the run has a folder); any other
// error ends it with that error.
type Hooks struct {
	// AfterStep is called after every optimiser step, with the event
	// Progress receives.
	AfterStep func(Event) error
	// AfterEvaluation is called after every evaluation, the one of the
	// initial weights (epoch 0) included, with its record.
	AfterEvaluation func(*Result, Record) error
	// AfterEpoch is called at the end of every epoch, after its
	// evaluation and save.
	AfterEpoch func(res *Result, epoch int) error
}

func (h Hooks) empty() bool {
	return h.AfterStep == nil && h.AfterEvaluation == nil && h.AfterEpoch == nil
}

// ErrStopRun, returned by a hook, ends the run early without error.
var ErrStopRun = errors.New("training: run ended by a hook")
