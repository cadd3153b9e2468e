package training

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// lockFile is the lock of a run folder.
const lockFile = ".lock"

var errBusy = errors.New("locked by another process")

// dirLock is an exclusive lock on a run folder, held from Run's start to
// its return. It is a flock(2) on dir/.lock, which the kernel releases when
// the holding process exits or dies, so a lock left by a killed process is
// stale by construction: the file may remain, but nothing holds it, and
// the next run takes it. The file records the holder's process id for the
// message a second process gets.
type dirLock struct{ f *os.File }

// lockDir takes the lock of dir or says which process holds it.
func lockDir(dir string) (*dirLock, error) {
	path := filepath.Join(dir, lockFile)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, FileMode())
	if err != nil {
		return nil, fmt.Errorf("training: locking %s: %w", dir, err)
	}
	if err := tryLock(f); err != nil {
		f.Close()
		if errors.Is(err, errBusy) {
			holder := "another process"
			if b, rerr := os.ReadFile(path); rerr == nil {
				if pid, perr := strconv.Atoi(strings.TrimSpace(string(b))); perr == nil {
					holder = fmt.Sprintf("process %d", pid)
				}
			}
			return nil, fmt.Errorf("training: %s is in use by %s (it holds %s); wait for it to finish or stop it", dir, holder, path)
		}
		return nil, fmt.Errorf("training: locking %s: %w", path, err)
	}
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return &dirLock{f: f}, nil
}

// release gives the lock up.
func (l *dirLock) release() {
	if l != nil && l.f != nil {
		l.f.Close()
		l.f = nil
	}
}
