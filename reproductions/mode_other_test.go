//go:build !unix

package reproductions_test

import (
	"os"
	"testing"
)

// checkDirMode checks that dir is a folder (modes are not Unix modes here).
func checkDirMode(t *testing.T, dir string) {
	t.Helper()
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		t.Fatalf("%s: not a folder: %v", dir, err)
	}
}
