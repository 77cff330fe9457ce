package leaderboard_test

import (
	"bytes"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"

	"github.com/varcade/statsctl/internal/e2etest"
	"github.com/varcade/statsctl/internal/testredis"
)

// screen collects what the program wrote to the pseudo-terminal, escape
// sequences removed, so a test can wait for text to be on it.
type screen struct {
	mu  sync.Mutex
	buf bytes.Buffer
	off int // bytes of buf already consumed by waitFor
}

var ansiSeq = regexp.MustCompile(`\x1b\[[0-9;?<=>]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(\x07|\x1b\\)|\x1b[()][A-Za-z0-9]|\x1b[=>78]`)

func (s *screen) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.Write(p)
}

// waitFor waits until every pattern matches one line of the output written
// since the last successful wait, and consumes it.
func (s *screen) waitFor(t *testing.T, what string, patterns ...string) {
	t.Helper()
	res := make([]*regexp.Regexp, len(patterns))
	for i, p := range patterns {
		res[i] = regexp.MustCompile(p)
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		s.mu.Lock()
		text := ansiSeq.ReplaceAllString(s.buf.String()[s.off:], "")
		ok := true
		for _, re := range res {
			if !re.MatchString(text) {
				ok = false
			}
		}
		if ok {
			s.off = s.buf.Len()
		}
		s.mu.Unlock()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: the terminal never showed %q; it showed:\n%s", what, patterns, text)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestWatch: watchInPseudoTerminal runs the real binary's `leaderboard --watch`
// on a pseudo-terminal over a real Redis, records games between frames
// (with the real binary too), and reads the screen: the rows move, a new
// player is marked new, a small window cuts the board, q ends it with 0.
func TestWatch(t *testing.T) {
	bin := e2etest.NewBinary(t)
	t.Run("pseudo-terminal", func(t *testing.T) { watchInPseudoTerminal(t, bin.Path(t)) })
	t.Run("not a terminal", func(t *testing.T) { watchNotATerminal(t, bin.Path(t)) })
	t.Run("ctrl-c and around", func(t *testing.T) { watchCtrlCAround(t, bin.Path(t)) })
}

// watchCtrlCAround: --around a player not on the board yet shows the
// waiting note, then the player once they play; Ctrl-C (a key in the raw
// terminal, not a signal) ends the watch with exit 0.
func watchCtrlCAround(t *testing.T, bin string) {
	srv := testredis.Start(t)
	env := append(os.Environ(), "NO_COLOR=1", "TERM=xterm-256color", "STATSCTL_REDIS_URL="+srv.URL(), "STATSCTL_DATA_DIR="+t.TempDir())
	cmd := exec.Command(bin, "leaderboard", "exrps", "--watch", "--around", "zed", "--limit", "2")
	cmd.Env = env
	tty, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 30, Cols: 100})
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	defer tty.Close()
	var scr screen
	go func() { _, _ = ioCopy(&scr, tty) }()
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	scr.waitFor(t, "waiting", `zed is not on the wins board of exrps yet; waiting`)
	rec := exec.Command(bin, "record", "exrps", "zed", "amy")
	rec.Env = env
	if out, err := rec.CombinedOutput(); err != nil {
		t.Fatalf("record: %v\n%s", err, out)
	}
	scr.waitFor(t, "zed arrived", `│ +1 │ +new │ zed +│ +1 │`, `│ +2 │ +new │ amy +│ +0 │`)
	if _, err := tty.Write([]byte{3}); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("ctrl-c: the watch ended with %v, want exit 0", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("ctrl-c: the watch did not exit within 10 s")
	}
}

func watchInPseudoTerminal(t *testing.T, bin string) {
	srv := testredis.Start(t)
	env := append(os.Environ(), "NO_COLOR=", "TERM=xterm-256color", "STATSCTL_REDIS_URL="+srv.URL(), "STATSCTL_DATA_DIR="+t.TempDir())
	record := func(w, l string) {
		t.Helper()
		c := exec.Command(bin, "record", "exrps", w, l)
		c.Env = env
		if out, err := c.CombinedOutput(); err != nil {
			t.Fatalf("record %s %s: %v\n%s", w, l, err, out)
		}
	}
	record("alice", "bob")
	record("alice", "bob")
	record("bob", "carol") // alice 2, bob 1, carol 0

	cmd := exec.Command(bin, "leaderboard", "exrps", "--watch")
	cmd.Env = env
	tty, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 30, Cols: 80})
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	defer tty.Close()
	var scr screen
	copied := make(chan struct{})
	go func() { _, _ = ioCopy(&scr, tty); close(copied) }()
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() { _ = cmd.Process.Kill() })

	scr.waitFor(t, "first frame",
		`exrps / wins .*3 players`,
		`│ +1 │ += │ alice +│ +2 │`,
		`│ +2 │ += │ bob +│ +1 │`,
		`│ +3 │ += │ carol +│ +0 │`)

	record("carol", "bob")
	record("carol", "bob")
	record("dave", "alice") // alice 2, carol 2, bob 1, dave 1
	scr.waitFor(t, "after four games",
		`4 players`,
		`│ +1 │ +▲2 │ carol +│ +2 │`,
		`│ +3 │ +▼1 │ bob +│ +1 │`,
		`│ +3 │ +new │ dave +│ +1 │`)

	if err := pty.Setsize(tty, &pty.Winsize{Rows: 6, Cols: 30}); err != nil {
		t.Fatal(err)
	}
	scr.waitFor(t, "resized to 6x30", `… \d+ more lines`)

	if _, err := tty.Write([]byte("q")); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("q: the watch ended with %v, want exit 0", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("q: the watch did not exit within 10 s")
	}
	_ = tty.Close()
	<-copied
}

// watchNotATerminal: with stdout a pipe, --watch prints --count plain
// snapshots (one per interval) and exits 0, its movement column included.
func watchNotATerminal(t *testing.T, bin string) {
	srv := testredis.Start(t)
	env := append(os.Environ(), "STATSCTL_REDIS_URL="+srv.URL(), "STATSCTL_DATA_DIR="+t.TempDir())
	rec := exec.Command(bin, "record", "exrps", "alice", "bob")
	rec.Env = env
	if out, err := rec.CombinedOutput(); err != nil {
		t.Fatalf("record: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "leaderboard", "exrps", "--watch", "--count", "2", "-o", "json")
	cmd.Env = env
	start := time.Now()
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("watch: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != 2 {
		t.Fatalf("want 2 JSON snapshots, got %d:\n%s", len(lines), out)
	}
	for _, l := range lines {
		if !strings.Contains(l, `"entries":[{"rank":1,"user_id":"alice","score":1,"move":"same","by":0},{"rank":2,"user_id":"bob","score":0,"move":"same","by":0}]`) {
			t.Fatalf("snapshot %s", l)
		}
	}
	if d := time.Since(start); d < time.Second {
		t.Fatalf("two snapshots in %v: the interval of 1 s was not kept", d)
	}
}
