package reports

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// LockName is the lock file a sweep folder's writer holds.
const LockName = "sweep.lock"

// ErrLocked is wrapped by LockDir's error when another writer holds the
// folder.
var ErrLocked = errors.New("sweep folder in use")

// DirLock is the exclusive right to write a sweep folder: an OS file lock
// on DIR/sweep.lock. The operating system releases it when the process
// ends, however it ends, so a killed writer leaves no stale lock; the file
// itself stays, holding the last writer's process id for messages.
type DirLock struct {
	f    *os.File
	path string
}

// LockDir takes the sweep folder dir (created if missing) for writing. A
// second writer, in this process or another, is refused with an error
// wrapping ErrLocked that names the folder and the holder's process id.
func LockDir(dir string) (*DirLock, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	path := filepath.Join(dir, LockName)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	held, err := tryLock(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	if !held {
		b, _ := os.ReadFile(path)
		f.Close()
		who := "another writer"
		if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && pid > 0 {
			who = fmt.Sprintf("another writer (process %d)", pid)
		}
		return nil, fmt.Errorf("%w: %s is being written by %s; wait for it to end or stop it, then try again", ErrLocked, dir, who)
	}
	if err := f.Truncate(0); err == nil {
		f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return &DirLock{f: f, path: path}, nil
}

// Close releases the lock. It may be called more than once.
func (l *DirLock) Close() error {
	if l == nil || l.f == nil {
		return nil
	}
	err := unlock(l.f)
	if cerr := l.f.Close(); err == nil {
		err = cerr
	}
	l.f = nil
	return err
}
