package training

import (
	"bufio"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"sync"
)

// FileMode is the mode of the files this package writes: 0666 less the
// process's umask, as os.WriteFile and the shell give (0644 under the
// usual umask 022). The umask is read once from /proc/self/status, which
// unlike syscall.Umask does not change it; where that file is missing
// (not Linux) the usual umask 022 is assumed.
func FileMode() fs.FileMode { return fileMode() }

var fileMode = sync.OnceValue(func() fs.FileMode {
	return 0o666 &^ readUmask("/proc/self/status")
})

// readUmask returns the "Umask:" field of a /proc/PID/status file, or 022.
func readUmask(path string) fs.FileMode {
	const usual = 0o022
	f, err := os.Open(path)
	if err != nil {
		return usual
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "Umask:"); ok {
			if u, err := strconv.ParseUint(strings.TrimSpace(rest), 8, 32); err == nil {
				return fs.FileMode(u) & 0o777
			}
			return usual
		}
	}
	return usual
}

// syncDir flushes a directory, so that a rename in it survives a power
// loss. It is best effort: some systems cannot open or sync a directory.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
}
