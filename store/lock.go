package store

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// One Leadlens server per database: `serve` (and `demo`) hold an exclusive advisory lock on
// "<database>.lock" for as long as the database is open, and the commands that must not run
// beside a server (`restore`, `migrate`) take the same lock or refuse. The kernel drops the lock
// when its holder exits, however it exits (SIGKILL included), so a stale lock file never blocks
// anything: the file stays, the lock does not. Other commands (`backup`, `users`, `collect`, …)
// do not take it: SQLite's WAL mode and busy timeout let them work beside a server.
//
// The lock is flock(2) (lock_unix.go); on systems without it the lock is not enforced.

// ErrInUse means another process holds a database's lock; errors.As gives the *InUseError.
var ErrInUse = errors.New("store: the database is in use")

// InUseError says which process holds a database's lock.
type InUseError struct {
	Path   string // the database
	PID    int    // the holder's process id (0 when it could not be read)
	Holder string // what the holder runs ("serve", "restore", …; "" when unknown)
}

// Error is one line: what holds the database and what to do.
func (e *InUseError) Error() string {
	who := "a Leadlens server"
	if e.Holder != "" && e.Holder != "serve" {
		who = "leadlens " + e.Holder
	}
	pid := "pid unknown"
	if e.PID > 0 {
		pid = "pid " + strconv.Itoa(e.PID)
	}
	return fmt.Sprintf("%s is using %s (%s); stop it first", who, e.Path, pid)
}

// Is makes errors.Is(err, ErrInUse) true for an *InUseError.
func (e *InUseError) Is(target error) bool { return target == ErrInUse }

// Lock is a held database lock. Release it when the database is closed.
type Lock struct {
	f *os.File
}

// LockPath is the lock file of the database at path.
func LockPath(path string) string { return path + ".lock" }

// LockDatabase takes the exclusive lock of the database at path for holder (the command name,
// shown to whoever is refused), or returns an *InUseError naming the process that holds it.
func LockDatabase(path, holder string) (*Lock, error) {
	f, err := os.OpenFile(LockPath(path), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("store: lock %s: %w", path, err)
	}
	ok, err := tryLock(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("store: lock %s: %w", path, err)
	}
	if !ok {
		e := &InUseError{Path: path}
		e.PID, e.Holder = readHolder(f)
		f.Close()
		return nil, e
	}
	// Who holds it, for the message of whoever is refused. Best effort: the lock is the flock,
	// not this text.
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(fmt.Sprintf("%d %s\n", os.Getpid(), holder)), 0)
	}
	return &Lock{f: f}, nil
}

// Release drops the lock. It is safe to call on a nil or released Lock.
func (l *Lock) Release() error {
	if l == nil || l.f == nil {
		return nil
	}
	// Clear the holder first, so a reader never names a process that is gone; closing the
	// file releases the flock.
	_ = l.f.Truncate(0)
	err := l.f.Close()
	l.f = nil
	return err
}

// LockHolder reports whether the database at path is locked and by whom, without keeping the
// lock (for `leadlens doctor`). A missing lock file means nobody holds it.
func LockHolder(path string) (*InUseError, error) {
	f, err := os.OpenFile(LockPath(path), os.O_RDWR, 0)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("store: lock %s: %w", path, err)
	}
	defer f.Close() // closing drops the lock if it was taken here
	ok, err := tryLock(f)
	if err != nil {
		return nil, fmt.Errorf("store: lock %s: %w", path, err)
	}
	if ok {
		return nil, nil
	}
	e := &InUseError{Path: path}
	e.PID, e.Holder = readHolder(f)
	return e, nil
}

// readHolder parses "pid holder" from a lock file.
func readHolder(f *os.File) (int, string) {
	b := make([]byte, 128)
	n, _ := f.ReadAt(b, 0)
	fields := strings.Fields(string(b[:n]))
	if len(fields) == 0 {
		return 0, ""
	}
	pid, _ := strconv.Atoi(fields[0])
	holder := ""
	if len(fields) > 1 {
		holder = fields[1]
	}
	return pid, holder
}
