package embedded

import (
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/alicebob/miniredis/v2"
)

// DefaultMaxConns is how many Redis clients the embedded store serves at
// once when Options.MaxConns is 0: far above what a handful of game servers
// and statsctl's own pools need, far below what would exhaust the process's
// file descriptors (the HTTP API shares them).
const DefaultMaxConns = 1000

// Accept backoff after an error such as EMFILE: like net/http's, it starts
// small so a passing shortage costs milliseconds, and is capped so the
// listener retries at least every second.
const (
	acceptBackoffMin = 5 * time.Millisecond
	acceptBackoffMax = time.Second
)

// acceptFailingFor is how long accepts may keep failing before Healthy says
// the store is unreachable: a passing fd shortage is not worth a restart,
// one that lasts is.
const acceptFailingFor = 5 * time.Second

// tooManyClients is Redis's own answer past maxclients, so a client (and a
// person reading its log) sees why it was cut off.
const tooManyClients = "-ERR max number of clients reached\r\n"

// acceptor is the embedded store's own accept loop. miniredis's returns on
// the first accept error, so one moment of file-descriptor exhaustion left
// the store unreachable for good; this one backs off and goes on, caps the
// number of clients, and says whether it is healthy.
type acceptor struct {
	ln      net.Listener
	m       *miniredis.Miniredis
	max     int
	failFor time.Duration                 // acceptFailingFor; tests shorten it
	warn    func(msg string, args ...any) // nil: silent

	active       atomic.Int64
	failingSince atomic.Int64 // unix nanos of the first error of the current streak; 0: accepting fine
	lastErr      atomic.Value // string
	refused      atomic.Int64 // clients cut off at the cap
	done         chan struct{}
	exitErr      error // set before done is closed
	closing      atomic.Bool
}

func newAcceptor(ln net.Listener, m *miniredis.Miniredis, max int, warn func(string, ...any)) *acceptor {
	if max <= 0 {
		max = DefaultMaxConns
	}
	a := &acceptor{ln: ln, m: m, max: max, failFor: acceptFailingFor, warn: warn, done: make(chan struct{})}
	go a.loop()
	return a
}

func (a *acceptor) loop() {
	defer close(a.done)
	backoff := time.Duration(0)
	for {
		conn, err := a.ln.Accept()
		if err != nil {
			if a.closing.Load() || errors.Is(err, net.ErrClosed) {
				if !a.closing.Load() {
					a.exitErr = err
				}
				return
			}
			if a.failingSince.CompareAndSwap(0, time.Now().UnixNano()) && a.warn != nil {
				a.warn("embedded Redis: accept failed; retrying with backoff", "err", err.Error())
			}
			a.lastErr.Store(err.Error())
			if backoff == 0 {
				backoff = acceptBackoffMin
			} else {
				backoff = min(2*backoff, acceptBackoffMax)
			}
			time.Sleep(backoff)
			continue
		}
		if since := a.failingSince.Swap(0); since != 0 && a.warn != nil {
			a.warn("embedded Redis: accepting again", "after", time.Since(time.Unix(0, since)).Round(time.Millisecond).String())
		}
		backoff = 0
		if a.active.Add(1) > int64(a.max) {
			a.active.Add(-1)
			a.refused.Add(1)
			conn.SetWriteDeadline(time.Now().Add(100 * time.Millisecond))
			conn.Write([]byte(tooManyClients))
			conn.Close()
			continue
		}
		srv := a.m.Server()
		if srv == nil { // closing
			a.active.Add(-1)
			conn.Close()
			continue
		}
		srv.ServeConn(&countedConn{Conn: conn, a: a})
	}
}

// healthy is nil while the store accepts clients.
func (a *acceptor) healthy() error {
	select {
	case <-a.done:
		return fmt.Errorf("embedded Redis: the listener on %s stopped: %v; restart statsctl serve", a.ln.Addr(), a.exitErr)
	default:
	}
	if since := a.failingSince.Load(); since != 0 {
		if d := time.Since(time.Unix(0, since)); d > a.failFor {
			msg, _ := a.lastErr.Load().(string)
			return fmt.Errorf("embedded Redis on %s: accepting clients has failed for %s (%s); raise the file limit (ulimit -n) or lower --max-conns", a.ln.Addr(), d.Round(time.Second), msg)
		}
	}
	return nil
}

// close stops accepting and waits for the loop to end; clients already
// connected are closed by miniredis.
func (a *acceptor) close() {
	a.closing.Store(true)
	a.ln.Close()
	<-a.done
}

// countedConn gives its slot back exactly once, however often it is closed
// (miniredis closes on disconnect and again at shutdown).
type countedConn struct {
	net.Conn
	a    *acceptor
	once sync.Once
}

func (c *countedConn) Close() error {
	c.once.Do(func() { c.a.active.Add(-1) })
	return c.Conn.Close()
}

// Healthy is nil while the store serves Redis clients, and otherwise says
// what is wrong and what to do: /healthz fails on it so a supervisor
// restarts a store that cannot be reached. A remote-mode Store is healthy
// (its owner answers for itself).
func (s *Store) Healthy() error {
	if s.remote || s.acc == nil {
		return nil
	}
	return s.acc.healthy()
}

// Clients is how many Redis clients are connected over TCP now, and how
// many were cut off at the cap since start, for metrics and tests.
func (s *Store) Clients() (active, refused int64) {
	if s.acc == nil {
		return 0, 0
	}
	return s.acc.active.Load(), s.acc.refused.Load()
}
