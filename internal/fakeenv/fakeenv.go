// Package fakeenv is a fixed environment for code that takes an injected
// lookup in os.LookupEnv's shape (the CLI's getenv, render.ColorEnabled)
// instead of reading the process's environment, so a test never sees the
// developer's shell. It imports nothing of statsctl, so the tests of any
// package can use it. Only tests import it.
package fakeenv

// Map is a fixed set of variables; a nil Map is an empty environment.
type Map map[string]string

// Lookup is os.LookupEnv over m, to pass where code takes an injected
// lookup.
func (m Map) Lookup(key string) (string, bool) {
	v, ok := m[key]
	return v, ok
}
