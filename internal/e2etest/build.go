package e2etest

import (
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
)

// BuildStatsctl builds the real binary into a temp dir of t, so tests run
// exactly what an operator runs (without the race detector: the processes
// are killed at random, their speed matters more than race reports).
func BuildStatsctl(t testing.TB) string {
	t.Helper()
	return buildInto(t, t.TempDir())
}

func buildInto(t testing.TB, dir string) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	root := filepath.Join(filepath.Dir(file), "..", "..")
	bin := filepath.Join(dir, "statsctl")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// Binary builds the binary once, on first use, into a directory that lives
// as long as the test that made it: subtests sharing one setup (the
// cluster test's one cluster) pay for one build between them, and a run
// that selects none of those subtests pays nothing. Subtests must run in
// turn (not t.Parallel) to share one.
type Binary struct {
	dir string
	bin string
}

// NewBinary is a Binary whose file lives until t ends.
func NewBinary(t testing.TB) *Binary {
	return &Binary{dir: t.TempDir()}
}

// Path builds the binary on the first call (failing t if that fails) and
// returns its path.
func (b *Binary) Path(t testing.TB) string {
	t.Helper()
	if b.bin == "" {
		b.bin = buildInto(t, b.dir)
	}
	return b.bin
}
