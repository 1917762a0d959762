//go:build !unix

package store

import "os"

// tryLock does not lock on systems without flock(2): Leadlens targets Linux, where the lock is
// enforced (lock_unix.go). Elsewhere, run one server per database by hand.
func tryLock(*os.File) (bool, error) { return true, nil }
