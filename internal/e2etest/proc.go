package e2etest

import (
	"errors"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// EnvWithout is the test's environment minus the named variables, so a
// developer's STATSCTL_REDIS_URL cannot point a test at their own Redis.
func EnvWithout(names ...string) []string {
	var out []string
	for _, kv := range os.Environ() {
		keep := true
		for _, n := range names {
			if strings.HasPrefix(kv, n+"=") {
				keep = false
			}
		}
		if keep {
			out = append(out, kv)
		}
	}
	return out
}

// Tail is the last 30 lines of a log, for failure messages.
func Tail(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > 30 {
		lines = lines[len(lines)-30:]
	}
	return strings.Join(lines, "\n")
}

// Proc is one running statsctl process (consume, serve, ...) with its log
// in a file.
type Proc struct {
	Cmd    *exec.Cmd
	Log    string
	exited chan error
	done   chan struct{}
	code   int
}

// Start starts `statsctl args...` with a clean environment (no Redis,
// config, listen or token variables from the developer's shell; a private
// data dir); it is killed when t ends.
func Start(t testing.TB, bin string, args ...string) *Proc {
	t.Helper()
	logf, err := os.CreateTemp(t.TempDir(), "statsctl-*.log")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(EnvWithout("STATSCTL_REDIS_URL", "STATS_TRACKER_REDIS_URL", "GAME_EVENT_STREAM_REDIS_URL",
		"STATSCTL_CONFIG", "STATSCTL_LISTEN", "STATSCTL_WRITE_TOKEN"), "STATSCTL_DATA_DIR="+t.TempDir())
	cmd.Stdout = logf
	cmd.Stderr = logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &Proc{Cmd: cmd, Log: logf.Name(), exited: make(chan error, 1), done: make(chan struct{})}
	go func() { p.exited <- cmd.Wait(); logf.Close() }()
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	return p
}

// StartConsume starts `statsctl consume args...` (see Start).
func StartConsume(t testing.TB, bin string, args ...string) *Proc {
	t.Helper()
	return Start(t, bin, append([]string{"consume"}, args...)...)
}

// ServeStartLine is the one line `statsctl serve` prints once it listens;
// the submatch is the API's base URL (with --listen host:0 the only way to
// learn the port).
var ServeStartLine = regexp.MustCompile(`statsctl serve: API on (http://\S+?);`)

// StartServe starts `statsctl serve args...` (see Start), waits for its
// start line and returns the process and the API's base URL. Pass
// --listen 127.0.0.1:0 for a free port.
func StartServe(t testing.TB, bin string, args ...string) (*Proc, string) {
	t.Helper()
	p := Start(t, bin, append([]string{"serve"}, args...)...)
	deadline := time.Now().Add(20 * time.Second)
	for {
		if m := ServeStartLine.FindStringSubmatch(p.Output()); m != nil {
			return p, m[1]
		}
		if p.Exited() {
			t.Fatalf("statsctl serve exited %d before listening; log:\n%s", p.code, Tail(p.Output()))
		}
		if time.Now().After(deadline) {
			t.Fatalf("statsctl serve printed no start line in 20s; log:\n%s", Tail(p.Output()))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// ProcStatusKB reads a kB field of /proc/<pid>/status (VmRSS: resident
// now, VmHWM: peak resident), the figure an operator's tools show; 0 once
// the process is gone.
func ProcStatusKB(pid int, field string) int64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb
		}
	}
	return 0
}

// Output is the process's log so far.
func (p *Proc) Output() string {
	b, _ := os.ReadFile(p.Log)
	return string(b)
}

// Exited reports whether the process has ended, without waiting.
func (p *Proc) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
	}
	select {
	case err := <-p.exited:
		p.code = exitCode(err)
		close(p.done)
		return true
	default:
		return false
	}
}

// Wait waits for exit and returns the exit code (-1 for a signal); the
// test fails if the process is still running after within.
func (p *Proc) Wait(t testing.TB, within time.Duration) int {
	t.Helper()
	select {
	case <-p.done:
		return p.code
	default:
	}
	select {
	case err := <-p.exited:
		p.code = exitCode(err)
		close(p.done)
		return p.code
	case <-time.After(within):
		t.Fatalf("%s did not exit within %s; log:\n%s", p.name(), within, Tail(p.Output()))
		return -1
	}
}

// Stop sends SIGTERM (what a supervisor sends) and returns the exit code;
// the test fails if the process is still running after within.
func (p *Proc) Stop(t testing.TB, within time.Duration) int {
	t.Helper()
	_ = p.Cmd.Process.Signal(syscall.SIGTERM)
	return p.Wait(t, within)
}

// name is "statsctl <command>", for messages.
func (p *Proc) name() string {
	if len(p.Cmd.Args) > 1 {
		return "statsctl " + p.Cmd.Args[1]
	}
	return "statsctl"
}

// Kill sends SIGKILL (a crash) and waits for the process to be gone.
func (p *Proc) Kill(t testing.TB) {
	t.Helper()
	_ = p.Cmd.Process.Signal(syscall.SIGKILL)
	p.Wait(t, 10*time.Second)
}

func exitCode(err error) int {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	if err != nil {
		return -1
	}
	return 0
}
