// Package cmd holds the statsctl command tree.
package cmd

import "io"

// Main runs statsctl with args and returns the process exit code, so tests can
// drive the whole CLI without a subprocess.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return 0
}
