package cmdutil

import (
	"errors"
	"fmt"
)

// Exit codes: the contract scripts and CI rely on.
const (
	ExitOK      = 0
	ExitFailure = 1
	ExitUsage   = 2
)

// UsageError is a mistake in how the command was called; it exits 2 so
// scripts can tell "you called me wrong" from "it failed".
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

// UsageErrorf builds a UsageError.
func UsageErrorf(format string, args ...any) error {
	return &UsageError{Err: fmt.Errorf(format, args...)}
}

// IsUsage reports whether err is a usage error.
func IsUsage(err error) bool {
	var u *UsageError
	return errors.As(err, &u)
}

// SilentError carries an exit code for a failure the command has already
// explained on stderr (e.g. "3 bad lines"), so Main prints nothing more.
type SilentError struct{ Code int }

func (e *SilentError) Error() string { return fmt.Sprintf("exit status %d", e.Code) }
