package cmdutil

import (
	"fmt"
	"os"
	"runtime/pprof"
)

// StartCPUProfile starts a Go CPU profile into path for the long-running
// commands' --cpu-profile (performance work on a live daemon, without a
// debug endpoint open to the network). The returned stop writes it out;
// an empty path profiles nothing and stop does nothing.
func StartCPUProfile(path string) (stop func(), err error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("--cpu-profile: %w (give a writable file path)", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("--cpu-profile %s: %w", path, err)
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}
