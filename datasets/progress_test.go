package datasets

import (
	"bytes"
	"strings"
	"testing"
)

func TestProgressLines(t *testing.T) {
	// Not a terminal: one line per tenth of a known total, none repeated.
	var out bytes.Buffer
	p := newProgress(&out, "f.bin", 1000)
	for range 100 {
		p.Write(make([]byte, 10))
	}
	p.finish()
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != 10 || !strings.HasPrefix(lines[0], "f.bin [===") || !strings.Contains(lines[0], " 10% 0.0 MB of 0.0 MB") ||
		!strings.Contains(lines[9], "[==============================] 100%") {
		t.Errorf("got %d lines:\n%s", len(lines), out.String())
	}

	// Unknown total: a line when a 10 MB step is passed, and a last one
	// for the bytes since.
	out.Reset()
	p = newProgress(&out, "g.bin", -1)
	p.Write(make([]byte, 25<<20))
	p.Write(make([]byte, progressStep))
	p.Write(make([]byte, 1<<20))
	p.finish()
	lines = strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "g.bin 26.2 MB (") || !strings.HasPrefix(lines[2], "g.bin 37.7 MB (") {
		t.Errorf("got %d lines:\n%s", len(lines), out.String())
	}

	if newProgress(nil, "x", 1) != nil {
		t.Error("progress without a writer")
	}
	var none *progress
	none.finish() // no writer: nothing to do, no panic
}
