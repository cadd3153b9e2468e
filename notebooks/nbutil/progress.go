package nbutil

import (
	"fmt"
	"html"
	"os"
	"time"

	"github.com/convexst/stcnn/stcnn/training"
	"github.com/janpfeifer/gonb/gonbui"
)

// Progress returns a training.Options.Progress callback for a notebook: one
// printed line per evaluation (training.LineProgress) and a live status line
// (epoch, step, batch objective, ETA) updated in place at most every
// half second through gonbui.UpdateHTML.
func Progress(name string) func(training.Event) {
	lines := training.LineProgress(os.Stdout, name)
	id := "progress_" + gonbui.UniqueID()
	var last time.Time
	return func(ev training.Event) {
		lines(ev)
		done := ev.Step == ev.TotalSteps && ev.Record != nil
		if !done && time.Since(last) < 500*time.Millisecond {
			return
		}
		last = time.Now()
		gonbui.UpdateHTML(id, StatusHTML(name, ev))
	}
}

// StatusHTML is the live status line of Progress.
func StatusHTML(name string, ev training.Event) string {
	pct := 0.0
	if ev.TotalSteps > 0 {
		pct = 100 * float64(ev.Step) / float64(ev.TotalSteps)
	}
	s := fmt.Sprintf("<code>%s</code> epoch %d/%d, step %d/%d "+
		"<progress value=\"%.0f\" max=\"100\"></progress> batch objective %.5g, elapsed %s, ETA %s",
		html.EscapeString(name), ev.Epoch, ev.Epochs, ev.Step, ev.TotalSteps, pct, ev.Objective,
		ev.Elapsed.Round(time.Second), ev.ETA.Round(time.Second))
	if r := ev.Record; r != nil {
		s += fmt.Sprintf("<br>last evaluation: train objective %.5g, train PSNR %.2f dB", r.Train.Objective, r.Train.PSNR)
		if r.Test != nil {
			s += fmt.Sprintf(", test PSNR %.2f dB", r.Test.PSNR)
		}
	}
	return s
}
