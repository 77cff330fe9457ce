package server

import (
	"net"
	"net/http"
	"sync"
	"time"
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
type limitListener struct {
	net.Listener
	max int

	mu    sync.Mutex
	open  int
	idle  map[*limitConn]time.Time // keep-alive connections between requests
	freed chan struct{}            // a slot may be free, or a connection idle
	done  chan struct{}            // closed by Close
	once  sync.Once
}

func newLimitListener(l net.Listener, max int) *limitListener {
	return &limitListener{Listener: l, max: max, idle: map[*limitConn]time.Time{},
		freed: make(chan struct{}, 1), done: make(chan struct{})}
}

// Accept waits for a free slot (closing an idle connection to make one)
// and then for a connection.
func (l *limitListener) Accept() (net.Conn, error) {
	for {
		l.mu.Lock()
		if l.open < l.max {
			l.open++
			l.mu.Unlock()
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
			return nil, net.ErrClosed
		}
	}
	c, err := l.Listener.Accept()
	if err != nil {
		l.release()
		return nil, err
	}
	return &limitConn{Conn: c, l: l}, nil
}

// oldestIdle is the connection idle the longest, nil if none; l.mu held.
func (l *limitListener) oldestIdle() *limitConn {
	var victim *limitConn
	var since time.Time
	for c, t := range l.idle {
		if victim == nil || t.Before(since) {
			victim, since = c, t
		}
	}
	return victim
}

func (l *limitListener) release() {
	l.mu.Lock()
	l.open--
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
	l.mu.Lock()
	idle := st == http.StateIdle && !lc.closed
	if idle {
		l.idle[lc] = time.Now()
	} else {
		delete(l.idle, lc)
	}
	l.mu.Unlock()
	if idle {
		l.wake() // an Accept waiting at the cap may close this one
	}
}

// Open is how many connections hold a slot now.
func (l *limitListener) Open() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.open
}

// limitConn gives its slot back once, when it is closed.
type limitConn struct {
	net.Conn
	l      *limitListener
	closed bool // under l.mu
}

func (c *limitConn) Close() error {
	err := c.Conn.Close()
	c.l.mu.Lock()
	first := !c.closed
	c.closed = true
	delete(c.l.idle, c)
	c.l.mu.Unlock()
	if first {
		c.l.release()
	}
	return err
}
