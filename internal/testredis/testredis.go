// Package testredis starts real redis-server processes for tests, because
// Redis semantics (Lua atomicity, scripts cache, persistence, restarts) are
// what statsctl's guarantees rest on and a fake cannot prove them. Backends
// runs one test on such a server and on miniredis, the fake the embedded
// store is built on, because statsctl must also work there.
package testredis

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// clientTimeout is the test clients' read and write timeout. go-redis's
// default of 3 s is a quiet machine's: under make test and make test-faults
// at once on 2 cores, a fault test's final read-back of tens of thousands
// of keys timed out (issue 16). A dead server still fails at once
// (connection refused or reset); this only waits out a slow one.
const clientTimeout = 30 * time.Second

// startWithin bounds how long a (re)start may take to answer PING.
const startWithin = 90 * time.Second

// Server is one redis-server on a loopback port, owned by a test.
type Server struct {
	Addr string
	Dir  string
	t    testing.TB
	args []string
	cmd  *exec.Cmd
}

// Binary finds redis-server. In CI (CI=true) its absence fails the test, so
// a green CI always means the real-Redis tests ran; elsewhere they skip.
func Binary(t testing.TB) string {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("redis-server not found in CI: install it (apt-get install redis-server): %v", err)
		}
		t.Skip("redis-server not installed; install it to run the real-Redis tests (apt-get install redis-server)")
	}
	return bin
}

// Start launches redis-server with extra config args (e.g. "--appendonly",
// "yes") on a free port; it is stopped and its files removed when the test
// ends.
func Start(t testing.TB, extra ...string) *Server {
	t.Helper()
	bin := Binary(t)
	s := &Server{t: t, Dir: t.TempDir(), args: extra}
	var lastErr error
	for attempt := 0; attempt < 5; attempt++ {
		port, err := freePort()
		if err != nil {
			t.Fatalf("find a free port: %v", err)
		}
		s.Addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
		if lastErr = s.start(bin); lastErr == nil {
			t.Cleanup(s.Kill)
			return s
		}
	}
	t.Fatalf("start redis-server: %v", lastErr)
	return nil
}

// StartDurable is Start with the append-only file fsynced before every
// reply (appendonly yes, appendfsync always): the one setting under which
// Redis promises that an acknowledged write survives a crash of the
// process. Under Redis's default, everysec, a SIGKILL can lose up to about
// two seconds of acknowledged writes when the disk is slow: while a
// background fsync is still running, Redis postpones writing its AOF buffer
// (for up to 2 s) yet goes on replying to clients. A test that kills the
// server and then checks that every acknowledged entry is still there needs
// this; one that only restarts it may use Start with "--appendonly", "yes".
func StartDurable(t testing.TB, extra ...string) *Server {
	t.Helper()
	return Start(t, append([]string{"--appendonly", "yes", "--appendfsync", "always"}, extra...)...)
}

func (s *Server) start(bin string) error {
	_, port, _ := net.SplitHostPort(s.Addr)
	args := append([]string{"--port", port, "--bind", "127.0.0.1", "--dir", s.Dir,
		"--save", "", "--daemonize", "no", "--logfile", filepath.Join(s.Dir, "redis.log")}, s.args...)
	cmd := exec.Command(bin, args...)
	if err := cmd.Start(); err != nil {
		return err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	c := redis.NewClient(&redis.Options{Addr: s.Addr, MaxRetries: -1})
	defer c.Close()
	// A restart loads the whole AOF before it answers PING (LOADING until
	// then). On a quiet machine that is milliseconds; under the load of the
	// whole suite on 2 cores a fault test's AOF of tens of MB took over 10 s
	// (issue 16), so the bound is generous: it only stops a hung server.
	deadline := time.Now().Add(startWithin)
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			log, _ := os.ReadFile(filepath.Join(s.Dir, "redis.log"))
			return fmt.Errorf("redis-server exited: %v\n%s", err, log)
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		err := c.Ping(ctx).Err()
		cancel()
		if err == nil {
			s.cmd = cmd
			go func() { <-exited }()
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	_ = cmd.Process.Kill()
	log, _ := os.ReadFile(filepath.Join(s.Dir, "redis.log"))
	return fmt.Errorf("redis-server on %s did not answer within %s; its log:\n%s", s.Addr, startWithin, log)
}

// Client returns a go-redis client for the server, closed with the test.
func (s *Server) Client() *redis.Client {
	c := redis.NewClient(&redis.Options{Addr: s.Addr, ReadTimeout: clientTimeout, WriteTimeout: clientTimeout})
	s.t.Cleanup(func() { _ = c.Close() })
	return c
}

// URL is the redis:// URL of the server, as a user would pass to --redis.
func (s *Server) URL() string { return "redis://" + s.Addr }

// Kill stops the server at once (SIGKILL): what a crash looks like.
func (s *Server) Kill() {
	if s.cmd != nil && s.cmd.Process != nil {
		_ = s.cmd.Process.Kill()
		// Wait until the port is free so a restart can bind it.
		for i := 0; i < 200; i++ {
			c, err := net.DialTimeout("tcp", s.Addr, 50*time.Millisecond)
			if err != nil {
				break
			}
			_ = c.Close()
			time.Sleep(10 * time.Millisecond)
		}
		s.cmd = nil
	}
}

// Restart kills the server and starts it again on the same port and data
// directory, so data survives exactly as Redis's persistence settings allow.
func (s *Server) Restart() { s.t.Helper(); s.RestartAfter(0) }

// RestartAfter is Restart with the server down for d in between. A restart
// from a small AOF takes a few milliseconds, which go-redis's own command
// retries (3, backing off up to 512 ms) can hide from the client; a test
// that must see the outage (its log lines, its 503s) needs one longer
// than that.
func (s *Server) RestartAfter(d time.Duration) {
	s.t.Helper()
	s.Kill()
	time.Sleep(d)
	if err := s.start(Binary(s.t)); err != nil {
		s.t.Fatalf("restart redis-server: %v", err)
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
