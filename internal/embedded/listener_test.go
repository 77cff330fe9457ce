package embedded

import (
	"context"
	"net"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// emfileListener fails every Accept with EMFILE while failing is set, as a
// process out of file descriptors does.
type emfileListener struct {
	net.Listener
	failing atomic.Bool
	fails   atomic.Int64
}

func (l *emfileListener) Accept() (net.Conn, error) {
	for l.failing.Load() {
		l.fails.Add(1)
		return nil, &net.OpError{Op: "accept", Net: "tcp", Err: syscall.EMFILE}
	}
	return l.Listener.Accept()
}

// Accept errors do not end the accept loop: it backs off, reports itself
// unhealthy only once they last, and serves again when they stop.
func TestAcceptSurvivesEMFILE(t *testing.T) {
	s, err := Open(Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	el := &emfileListener{Listener: ln}
	el.failing.Store(true)
	var warned atomic.Int64
	a := newAcceptor(el, s.m, 0, func(string, ...any) { warned.Add(1) })
	a.failFor = 300 * time.Millisecond
	defer a.close()

	time.Sleep(100 * time.Millisecond)
	if err := a.healthy(); err != nil {
		t.Fatalf("healthy after 100ms of EMFILE (a passing shortage): %v", err)
	}
	time.Sleep(400 * time.Millisecond)
	if err := a.healthy(); err == nil || !strings.Contains(err.Error(), "ulimit") {
		t.Fatalf("healthy after 500ms of EMFILE: %v, want an error naming the fix", err)
	}
	if n := el.fails.Load(); n > 20 {
		t.Errorf("%d accept attempts in 500ms: no backoff", n)
	}
	el.failing.Store(false)
	c := redis.NewClient(&redis.Options{Addr: ln.Addr().String(), Username: AdminUser, Password: s.adminPW})
	defer c.Close()
	if err := c.Ping(context.Background()).Err(); err != nil {
		t.Fatalf("PING once accepts work again: %v", err)
	}
	if err := a.healthy(); err != nil {
		t.Fatalf("healthy after recovery: %v", err)
	}
	if warned.Load() != 2 {
		t.Errorf("%d log lines, want 2 (failing, accepting again)", warned.Load())
	}
}

// Past MaxConns a client gets Redis's own error; a freed slot is reused.
func TestMaxConns(t *testing.T) {
	s, err := Open(Options{Dir: t.TempDir(), MaxConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	dial := func() *redis.Client {
		return redis.NewClient(&redis.Options{Addr: s.Addr(), Username: AdminUser, Password: s.adminPW, PoolSize: 1, MaxRetries: -1})
	}
	a, b := dial(), dial()
	for _, c := range []*redis.Client{a, b} {
		if err := c.Ping(ctx).Err(); err != nil {
			t.Fatal(err)
		}
	}
	raw, err := net.Dial("tcp", s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	raw.SetReadDeadline(time.Now().Add(2 * time.Second))
	buf := make([]byte, 64)
	n, _ := raw.Read(buf)
	raw.Close()
	if got := string(buf[:n]); got != tooManyClients {
		t.Fatalf("third client read %q, want %q", got, tooManyClients)
	}
	if active, refused := s.Clients(); active != 2 || refused != 1 {
		t.Fatalf("clients %d refused %d, want 2 and 1", active, refused)
	}
	a.Close()
	b.Close()
	third := dial()
	defer third.Close()
	deadline := time.Now().Add(2 * time.Second)
	for {
		if err := third.Ping(ctx).Err(); err == nil {
			break
		} else if time.Now().After(deadline) {
			t.Fatalf("no slot after two clients left: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
