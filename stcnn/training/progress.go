package training

import (
	"fmt"
	"io"
	"os"
	"time"
)

// LineProgress returns a Progress callback that writes one line per
// evaluation to w, and, when w is a terminal, keeps a live status line
// (epoch, step, objective, ETA) updated after every step.
func LineProgress(w io.Writer, name string) func(Event) {
	tty := false
	if f, ok := w.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			tty = true
		}
	}
	return func(e Event) {
		if e.Record != nil {
			r := e.Record
			line := fmt.Sprintf("%s epoch %d/%d step %d/%d: train objective %.5g PSNR %.2f dB RLNE %.4f", name,
				e.Epoch, e.Epochs, e.Step, e.TotalSteps, r.Train.Objective, r.Train.PSNR, r.Train.RLNE)
			if r.Test != nil {
				line += fmt.Sprintf(" | test objective %.5g PSNR %.2f dB", r.Test.Objective, r.Test.PSNR)
			}
			if r.TrainGap != nil {
				line += fmt.Sprintf(" | gap %.4g (%.1f%%)", r.TrainGap.Gap, 100*r.TrainGap.Relative)
			}
			if tty {
				fmt.Fprint(w, "\r\033[K")
			}
			fmt.Fprintln(w, line)
			return
		}
		if tty {
			fmt.Fprintf(w, "\r\033[K%s epoch %d/%d step %d/%d objective %.5g ETA %v", name, e.Epoch, e.Epochs,
				e.Step, e.TotalSteps, e.Objective, e.ETA.Round(time.Second))
		}
	}
}
