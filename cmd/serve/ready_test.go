package serve_test

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// readOnly makes dir unwritable until the test ends: chmod for a normal
// user, the immutable attribute for root (whom mode bits do not stop).
func readOnly(t *testing.T, dir string) func() {
	t.Helper()
	if os.Geteuid() != 0 {
		if err := os.Chmod(dir, 0o555); err != nil {
			t.Fatal(err)
		}
		return func() { _ = os.Chmod(dir, 0o755) }
	}
	if out, err := exec.Command("chattr", "+i", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot make %s read-only as root (chattr +i: %v %s)", dir, err, out)
	}
	return func() { _ = exec.Command("chattr", "-i", dir).Run() }
}

// TestReadyzFailsWhileSnapshotsCannotBeWritten: with the embedded store's
// data dir read-only, every save failed (in the log only) while /readyz
// said 200. It says 503 and why, and recovers when the dir is writable.
func TestReadyzFailsWhileSnapshotsCannotBeWritten(t *testing.T) {
	dir := t.TempDir()
	var errOut syncBuf
	api, _, stop := startEmbeddedServe(t, dir, freeAddr(t), &errOut)
	if code, body := get(t, api+"/readyz"); code != 200 {
		t.Fatalf("readyz before: %d %s", code, body)
	}
	undo := readOnly(t, dir)
	t.Cleanup(undo)
	code, body := get(t, api+"/readyz")
	if code != 503 || !strings.Contains(body, "cannot write its snapshots in "+dir) {
		undo()
		t.Fatalf("readyz with a read-only data dir: %d %s", code, body)
	}
	undo()
	if code, body := get(t, api+"/readyz"); code != 200 {
		t.Fatalf("readyz after: %d %s", code, body)
	}
	stop()
}
