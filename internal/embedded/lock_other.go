//go:build !unix

package embedded

import (
	"errors"
	"os"
)

// errLockUnsupported is returned on systems without flock: without a lock two
// statsctl processes could overwrite each other's snapshot, so we refuse.
var errLockUnsupported = errors.New("the embedded store is not supported on this OS (no flock); run a Redis server and use --redis")

func tryLock(*os.File) (bool, error) { return false, errLockUnsupported }

func unlock(*os.File) error { return errLockUnsupported }
