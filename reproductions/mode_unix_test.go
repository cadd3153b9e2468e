//go:build unix

package reproductions_test

import (
	"os"
	"syscall"
	"testing"
)

// checkDirMode checks that dir has mode 0755 under the process's umask,
// as os.MkdirAll gives.
func checkDirMode(t *testing.T, dir string) {
	t.Helper()
	umask := syscall.Umask(0)
	syscall.Umask(umask)
	fi, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := fi.Mode().Perm(), os.FileMode(0o755&^umask); got != want {
		t.Errorf("%s: mode %v, want %v", dir, got, want)
	}
}
