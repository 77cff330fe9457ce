package server

import (
	"net"
	"net/http"
	"sync"
	"sync/atomic"
)

// DefaultMaxConns caps serve's open HTTP connections when
// RunOptions.MaxConns is 0. Each open connection costs about 18 KB
// (3,000 idle keep-alive connections took serve from 27 to 82 MB), so the
// default holds that near 18 MB while leaving room for many portal
// instances and game servers.
const DefaultMaxConns = 1024

// limitListener caps the open connections of an http.Server. Accept takes
// a connection from the kernel only while fewer than max are open; at the
// cap it first closes the longest-idle keep-alive connection (HTTP lets a
// server close an idle connection at any time; clients reconnect), and
// when every connection is busy with a request it waits, so new
// connections queue in the kernel's listen backlog until one closes.
//
// The per-request work (connState, twice a request) is two atomic
// operations: no lock, no map, no clock. Idleness is a logical time from
// a shared counter, so "longest idle" is the smallest mark, and the set of
// open connections changes only when one opens or closes. Under wrk the
// lock-and-map version was about 3% of serve's CPU.
type limitListener struct {
	net.Listener
	max int

	mu    sync.Mutex
	conns map[*limitConn]struct{} // open connections, under mu

	clock   atomic.Uint64 // logical time of idle marks
	waiting atomic.Bool   // an Accept at the cap is looking for an idle connection
	freed   chan struct{} // a slot may be free, or a connection idle
	done    chan struct{} // closed by Close
	once    sync.Once
}

func newLimitListener(l net.Listener, max int) *limitListener {
	return &limitListener{Listener: l, max: max, conns: map[*limitConn]struct{}{},
		freed: make(chan struct{}, 1), done: make(chan struct{})}
}

// Accept waits for a free slot (closing an idle connection to make one)
// and then for a connection.
func (l *limitListener) Accept() (net.Conn, error) {
	c := &limitConn{l: l}
	for {
		// Set before looking, so a connection going idle after the look
		// wakes us (connState reads it after marking itself idle).
		l.waiting.Store(true)
		l.mu.Lock()
		if len(l.conns) < l.max {
			l.conns[c] = struct{}{} // holds the slot until Accept returns
			l.mu.Unlock()
			l.waiting.Store(false)
			break
		}
		victim := l.oldestIdle()
		l.mu.Unlock()
		if victim != nil {
			_ = victim.Close()
			continue
		}
		select {
		case <-l.freed:
		case <-l.done:
			l.waiting.Store(false)
			return nil, net.ErrClosed
		}
	}
	nc, err := l.Listener.Accept()
	if err != nil {
		l.remove(c)
		return nil, err
	}
	c.Conn = nc
	return c, nil
}

// oldestIdle claims the connection idle the longest (so a request that
// starts on it meanwhile is not cut), nil if none; l.mu held.
func (l *limitListener) oldestIdle() *limitConn {
	for {
		var victim *limitConn
		var since uint64
		for c := range l.conns {
			if t := c.idleSince.Load(); t != 0 && (victim == nil || t < since) {
				victim, since = c, t
			}
		}
		if victim == nil || victim.idleSince.CompareAndSwap(since, 0) {
			return victim
		}
	}
}

// remove gives c's slot back.
func (l *limitListener) remove(c *limitConn) {
	l.mu.Lock()
	delete(l.conns, c)
	l.mu.Unlock()
	l.wake()
}

// wake tells a waiting Accept to look again.
func (l *limitListener) wake() {
	select {
	case l.freed <- struct{}{}:
	default:
	}
}

// Close stops a waiting Accept and closes the listener.
func (l *limitListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return l.Listener.Close()
}

// connState is the http.Server's ConnState hook: it tells the listener
// which connections are idle keep-alive ones.
func (l *limitListener) connState(c net.Conn, st http.ConnState) {
	lc, ok := c.(*limitConn)
	if !ok {
		return
	}
	if st != http.StateIdle {
		lc.idleSince.Store(0)
		return
	}
	lc.idleSince.Store(l.clock.Add(1))
	if l.waiting.Load() {
		l.wake() // an Accept waiting at the cap may close this one
	}
}

// Open is how many connections hold a slot now.
func (l *limitListener) Open() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.conns)
}

// limitConn gives its slot back once, when it is closed.
type limitConn struct {
	net.Conn
	l         *limitListener
	idleSince atomic.Uint64 // the clock when it last went idle; 0 while busy
	closeOnce sync.Once
}

func (c *limitConn) Close() error {
	err := c.Conn.Close()
	c.closeOnce.Do(func() { c.l.remove(c) })
	return err
}
