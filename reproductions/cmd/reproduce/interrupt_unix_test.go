//go:build unix

package main

import (
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestInterruptions: SIGINT closes the stop channel (the training run in
// progress then saves its state and stops) instead of killing the process.
func TestInterruptions(t *testing.T) {
	var stderr strings.Builder
	stop, release := interruptions(&stderr, true, "OUT")
	defer release()
	if err := syscall.Kill(os.Getpid(), syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case <-stop:
	case <-time.After(10 * time.Second):
		t.Fatal("SIGINT did not close the stop channel")
	}
	if !strings.Contains(stderr.String(), "OUT/runs") {
		t.Errorf("message %q does not say where the runs are kept", stderr.String())
	}
}
