package datasets

import (
	"fmt"
	"io"
	"os"
	"time"
)

// progress reports the bytes of a download as they arrive: on a terminal a
// bar redrawn in place, elsewhere (a log, CI) one line per tenth of the
// total, or per 10 MB when the total is unknown.
type progress struct {
	w     io.Writer
	name  string
	total int64 // expected bytes; <= 0 if unknown
	tty   bool

	done      int64
	start     time.Time
	lastDraw  time.Time
	lastStep  int64
	printed   int64 // bytes done at the last line-based report
	finalised bool
}

// progressStep is the byte interval of the line-based report when the
// total is unknown.
const progressStep = 10 << 20

// newProgress returns a reporter writing to w, or nil if w is nil.
func newProgress(w io.Writer, name string, total int64) *progress {
	if w == nil {
		return nil
	}
	return &progress{w: w, name: name, total: total, tty: isTerminal(w), start: time.Now()}
}

// isTerminal reports whether w is a character device such as a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// Write counts len(b) bytes as arrived; it never fails.
func (p *progress) Write(b []byte) (int, error) {
	p.done += int64(len(b))
	if p.tty {
		if now := time.Now(); now.Sub(p.lastDraw) >= 200*time.Millisecond {
			p.lastDraw = now
			fmt.Fprintf(p.w, "\r%s", p.line())
		}
		return len(b), nil
	}
	step := int64(progressStep)
	if p.total > 0 {
		step = max(p.total/10, 1)
	}
	if p.done/step > p.lastStep {
		p.lastStep, p.printed = p.done/step, p.done
		fmt.Fprintln(p.w, p.line())
	}
	return len(b), nil
}

// finish writes the final state once, ending the terminal line.
func (p *progress) finish() {
	if p == nil || p.finalised {
		return
	}
	p.finalised = true
	if p.tty {
		fmt.Fprintf(p.w, "\r%s\n", p.line())
	} else if p.done != p.printed {
		fmt.Fprintln(p.w, p.line()) // the last bytes were not reported
	}
}

// line describes the state: name, bar and percentage when the total is
// known, bytes so far and the mean rate.
func (p *progress) line() string {
	rate := float64(p.done) / max(time.Since(p.start).Seconds(), 1e-3)
	if p.total <= 0 {
		return fmt.Sprintf("%s %s (%s/s)", p.name, megabytes(p.done), megabytes(int64(rate)))
	}
	frac := min(float64(p.done)/float64(p.total), 1)
	const width = 30
	bar := make([]byte, width)
	for i := range bar {
		bar[i] = ' '
		if float64(i) < frac*width {
			bar[i] = '='
		}
	}
	return fmt.Sprintf("%s [%s] %3.0f%% %s of %s (%s/s)", p.name, bar, 100*frac, megabytes(p.done), megabytes(p.total), megabytes(int64(rate)))
}

// megabytes formats n bytes in MB with one decimal.
func megabytes(n int64) string {
	return fmt.Sprintf("%.1f MB", float64(n)/1e6)
}
