// Package embedded runs statsctl's default store: an in-process,
// Redis-compatible server (miniredis) whose data lives in a snapshot file in a
// data directory. It exists so statsctl works on a machine with no Redis
// server: `statsctl track` in one process and `statsctl leaderboard` in the
// next see the same data. The rest of statsctl only dials Addr() with go-redis,
// so it cannot tell the embedded store from a real Redis.
//
// # Files in the data directory
//
//   - statsctl.snapshot: the data (see Save for the format and what is kept).
//   - lock: flock'd for a Store's whole lifetime; holds the holder's pid.
//     Exactly one process serves a directory at a time, so two invocations
//     cannot overwrite each other's writes.
//   - redis.password, redis.admin-password (0600): the game servers' and
//     statsctl's own Redis passwords (see auth.go); generated on first start.
//   - server.addr: written only by a holder that listens on a fixed address
//     (Options.Listen, as `statsctl serve` does). A later Open that finds the
//     lock held and this address answering returns a remote-mode Store that
//     talks to that server instead of waiting for it to exit.
//
// # What a snapshot keeps
//
// Database 0 only: strings, hashes, sorted sets (exact float64 scores, ±inf
// included), sets, lists and streams (entries with ids and fields in order,
// the last generated id, consumer groups with last-delivered id, consumers,
// and pending entries with consumer, delivery count and idle time), plus each
// key's TTL (which keeps running while the store is closed).
//
// Not kept: databases other than 0; HyperLogLog keys (Save writes everything
// else and returns an error naming them, so nothing is dropped silently); per-field hash TTLs (HEXPIRE); the Lua script cache (as
// with a restarted Redis, EVALSHA then answers NOSCRIPT, which go-redis's
// Script.Run handles by falling back to EVAL); a group's entries-read/lag
// counters and consumers' seen/active times (miniredis does not expose them);
// pub/sub subscriptions and client connections.
//
// # Where the code lives
//
// embedded.go opens, serves, saves and closes a Store; saveloop.go is the
// periodic save of long-running commands (serve, consume); snapshot.go is the
// snapshot's format (encode and decode); snapshotfile.go reads the file and
// replaces it crash-safely; capture.go takes a consistent copy of database 0
// from the running server; restore.go loads a copy back into a fresh one;
// listener.go is the TCP accept loop (backoff on EMFILE, a client cap,
// Healthy); auth.go is the two users and what the game servers' may run.
package embedded

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/alicebob/miniredis/v2/server"
	"github.com/redis/go-redis/v9"
)

// DefaultLockWait is how long Open waits for another statsctl holding the
// directory when Options.LockWait is 0: long enough for a typical `track`
// run to finish, short enough that a wedged holder is reported.
const DefaultLockWait = 30 * time.Second

// lockFile, addrFile name the coordination files in the data directory.
const (
	lockFile = "lock"
	addrFile = "server.addr"
)

// identifyCommand is a private command the embedded server answers with its
// data directory, so a remote-mode Open only attaches to a server that really
// serves its directory (not to whatever reused a stale server.addr port).
const identifyCommand = "STATSCTL.DATADIR"

// lockPoll is how often a waiting Open retries the lock.
const lockPoll = 50 * time.Millisecond

// Options configures Open. The zero value (plus Dir) is the usual CLI case.
type Options struct {
	// Dir is the data directory; created (0700) if missing. Required.
	Dir string
	// Listen is the address to serve on. "" picks a free 127.0.0.1 port that
	// only this process knows. A non-empty address (e.g. "127.0.0.1:6379",
	// used by `statsctl serve`) is also advertised in DIR/server.addr so other
	// invocations can share the running server.
	Listen string
	// LockWait bounds how long Open waits for another statsctl holding Dir;
	// 0 means DefaultLockWait.
	LockWait time.Duration
	// Notify, if set, gets one "waiting for ..." line when Open has to wait,
	// so a user knows why the command pauses.
	Notify io.Writer
	// MaxConns caps the Redis clients served at once on the TCP listener
	// (past it a client gets Redis's "max number of clients reached");
	// 0 means DefaultMaxConns.
	MaxConns int
	// Logger, if set, hears about accept errors (fd exhaustion) and
	// recovery; nil is silent.
	Logger *slog.Logger
	// Password is the game servers' Redis password; "" keeps the one in
	// DIR/redis.password, generated on first start. Either way every
	// client must authenticate (see auth.go).
	Password string
	// GameStreams are the streams game servers may XADD to; nil means
	// DefaultGameStreams.
	GameStreams []string
	// Now is the clock used to stamp snapshots and age TTLs and pending
	// entries across restarts; nil means time.Now. (The running miniredis
	// itself follows the wall clock.)
	Now func() time.Time
}

// Store is an open embedded store: either the owner of the data directory
// (running the server, holding the lock) or, in remote mode, a handle on
// another process's server for the same directory.
type Store struct {
	dir    string
	addr   string
	remote bool
	now    func() time.Time

	mu       sync.Mutex // serializes Save and Close
	m        *miniredis.Miniredis
	lock     *os.File
	addrFile bool // we wrote DIR/server.addr
	closed   bool
	closeErr error
	ticked   time.Time // when TTLs were last advanced (guarded by mu)
	acc      *acceptor // the TCP accept loop (nil in remote mode)
	gamePW   string    // the game servers' password ("" in remote mode)
	adminPW  string    // AdminUser's password
}

// DefaultDir is where statsctl keeps data when the user names no directory:
// $XDG_DATA_HOME/statsctl, else ~/.local/share/statsctl. It does not read
// $STATSCTL_DATA_DIR; the CLI applies that override so flags and env stay in
// one place.
func DefaultDir() (string, error) {
	if x := os.Getenv("XDG_DATA_HOME"); x != "" && filepath.IsAbs(x) {
		return filepath.Join(x, "statsctl"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("embedded store: find home directory for the default data dir: %w", err)
	}
	return filepath.Join(home, ".local", "share", "statsctl"), nil
}

// Open takes the data directory and starts serving it, restoring the last
// snapshot. If another statsctl holds the directory it waits up to LockWait,
// unless that holder is a listening server (see server.addr), in which case
// Open returns a remote-mode Store pointing at it (it holds no lock; if that
// server exits, dials to Addr fail and the caller should Open again). A
// damaged snapshot is an error, never an empty start: the file is left
// untouched for the user.
func Open(opts Options) (*Store, error) {
	if opts.Dir == "" {
		return nil, errors.New("embedded store: no data directory given")
	}
	dir, err := filepath.Abs(opts.Dir)
	if err != nil {
		return nil, fmt.Errorf("embedded store %s: %w", opts.Dir, err)
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	wait := opts.LockWait
	if wait <= 0 {
		wait = DefaultLockWait
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("embedded store %s: create data dir: %w", dir, err)
	}

	lf, remoteAddr, err := acquire(dir, wait, opts.Notify)
	if err != nil {
		return nil, err
	}
	if remoteAddr != "" {
		return &Store{dir: dir, addr: remoteAddr, remote: true, now: now, adminPW: readAdminPassword(dir)}, nil
	}

	s := &Store{dir: dir, now: now, lock: lf}
	if err := s.start(opts); err != nil {
		s.release()
		return nil, err
	}
	return s, nil
}

// acquire returns the locked lock file, or the address of a live server that
// holds the directory, or an error after waiting.
func acquire(dir string, wait time.Duration, notify io.Writer) (*os.File, string, error) {
	lockPath := filepath.Join(dir, lockFile)
	lf, err := os.OpenFile(lockPath, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, "", fmt.Errorf("embedded store %s: open lock file: %w", dir, err)
	}
	deadline := time.Now().Add(wait)
	notified := false
	for {
		ok, err := tryLock(lf)
		if err != nil {
			lf.Close()
			return nil, "", fmt.Errorf("embedded store %s: lock %s: %w", dir, lockPath, err)
		}
		if ok {
			pid := []byte(strconv.Itoa(os.Getpid()) + "\n")
			if err := lf.Truncate(0); err == nil {
				_, err = lf.WriteAt(pid, 0)
			}
			if err != nil {
				unlock(lf)
				lf.Close()
				return nil, "", fmt.Errorf("embedded store %s: write pid to lock file: %w", dir, err)
			}
			return lf, "", nil
		}
		if addr := liveServer(dir); addr != "" {
			lf.Close()
			return nil, addr, nil
		}
		holder := holderPID(lockPath)
		if time.Now().After(deadline) {
			lf.Close()
			return nil, "", fmt.Errorf("embedded store %s: still locked by another statsctl (pid %s) after waiting %s; let it finish, stop it, or raise the wait", dir, holder, wait)
		}
		if !notified && notify != nil {
			fmt.Fprintf(notify, "waiting for %s (held by pid %s)...\n", dir, holder)
			notified = true
		}
		time.Sleep(min(lockPoll, time.Until(deadline)+time.Millisecond))
	}
}

// holderPID reads the pid the lock holder wrote, for messages only.
func holderPID(lockPath string) string {
	b, err := os.ReadFile(lockPath)
	if p := strings.TrimSpace(string(b)); err == nil && p != "" {
		return p
	}
	return "unknown"
}

// liveServer returns the address in DIR/server.addr if a statsctl embedded
// server for this very directory answers there, else "".
func liveServer(dir string) string {
	b, err := os.ReadFile(filepath.Join(dir, addrFile))
	if err != nil {
		return ""
	}
	addr := strings.TrimSpace(string(b))
	if addr == "" {
		return ""
	}
	c := redis.NewClient(&redis.Options{
		Addr: addr, Username: AdminUser, Password: readAdminPassword(dir), DialTimeout: 500 * time.Millisecond, ReadTimeout: time.Second,
		WriteTimeout: time.Second, MaxRetries: -1, PoolSize: 1, Protocol: 2,
		DisableIdentity: true,
	})
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	got, err := c.Do(ctx, identifyCommand).Text()
	if err != nil || got != dir {
		return ""
	}
	return addr
}

// start restores the snapshot, starts the server and (for a fixed Listen)
// advertises it. It runs with the lock held.
func (s *Store) start(opts Options) error {
	listen := opts.Listen
	// A holder that died left server.addr behind; it is stale now.
	os.Remove(filepath.Join(s.dir, addrFile))
	// Leftovers of a Save interrupted by a crash: the snapshot itself is intact
	// (rename is atomic), the temp file is garbage.
	if tmps, _ := filepath.Glob(filepath.Join(s.dir, tempPrefix+"*")); len(tmps) > 0 {
		for _, t := range tmps {
			os.Remove(t)
		}
	}

	snapPath := filepath.Join(s.dir, SnapshotFile)
	snap, err := readSnapshotFile(snapPath)
	if err != nil {
		return fmt.Errorf("embedded store %s: load snapshot: %s: %w (the file was left untouched; move it aside to start empty, or restore a backup)", s.dir, snapPath, err)
	}

	// TTLs advance in Save (see advanceTTLs), not on every command:
	// miniredis's ClockTTL walks and sorts every key on each command, which
	// made a replay over a few thousand players minutes long.
	m := miniredis.NewMiniRedis()
	s.ticked = s.now()
	if snap != nil {
		if err := s.restoreInto(m, snap); err != nil {
			m.Close()
			return fmt.Errorf("embedded store %s: load snapshot: %s: %w (the file was left untouched; move it aside to start empty, or restore a backup)", s.dir, snapPath, err)
		}
		// Restoring used an in-memory server; stop it and give miniredis a
		// fresh context so blocking commands work on the real server.
		m.Close()
		m.Ctx, m.CtxCancel = context.WithCancel(context.Background())
	}

	addr := listen
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		if errors.Is(err, syscall.EADDRINUSE) || strings.Contains(err.Error(), "address already in use") {
			return fmt.Errorf("embedded store %s: listen on %s: address already in use; pick another with --redis-listen: %w", s.dir, addr, err)
		}
		return fmt.Errorf("embedded store %s: listen on %s: %w", s.dir, addr, err)
	}
	// Start miniredis without its own listener (Dial starts it on
	// in-memory connections only): acceptor feeds it TCP clients through
	// ServeConn, and survives accept errors where miniredis's loop dies.
	c0, err := m.Dial()
	if err != nil {
		ln.Close()
		return fmt.Errorf("embedded store %s: start: %w", s.dir, err)
	}
	c0.Close()
	s.m = m
	dir := s.dir
	if err := m.Server().Register(identifyCommand, func(c *server.Peer, _ string, _ []string) {
		c.WriteBulk(dir)
	}); err != nil {
		ln.Close()
		m.Close()
		return fmt.Errorf("embedded store %s: %w", s.dir, err)
	}
	if s.gamePW, err = loadPassword(s.dir, PasswordFile, opts.Password); err == nil {
		s.adminPW, err = loadPassword(s.dir, AdminPasswordFile, "")
	}
	if err != nil {
		ln.Close()
		m.Close()
		return fmt.Errorf("embedded store %s: %w", s.dir, err)
	}
	streams := opts.GameStreams
	if streams == nil {
		streams = DefaultGameStreams
	}
	installGuard(m, s.gamePW, s.adminPW, streams)
	var warn func(string, ...any)
	if opts.Logger != nil {
		warn = opts.Logger.Warn
	}
	s.acc = newAcceptor(ln, m, opts.MaxConns, warn)
	s.addr = ln.Addr().String()

	if listen != "" {
		if err := writeFileAtomic(filepath.Join(s.dir, addrFile), []byte(s.addr+"\n")); err != nil {
			s.acc.close()
			m.Close()
			return fmt.Errorf("embedded store %s: advertise server address: %w", s.dir, err)
		}
		s.addrFile = true
	}
	return nil
}

func (s *Store) restoreInto(m *miniredis.Miniredis, snap *snapshot) error {
	return restoreAll(context.Background(), m, snap, s.now())
}

// dialMiniredisDB is a go-redis client on database db over miniredis's
// in-memory connection: no TCP, and it works whether or not the TCP
// listener is running.
func dialMiniredisDB(m *miniredis.Miniredis, adminPW string, db int) *redis.Client {
	var user string
	if adminPW != "" {
		user = AdminUser
	}
	return redis.NewClient(&redis.Options{
		Username: user, Password: adminPW,
		Dialer: func(context.Context, string, string) (net.Conn, error) {
			c, err := m.Dial()
			if err != nil {
				return nil, err
			}
			return newDrainedConn(c), nil
		},
		DB: db, Protocol: 2, DisableIdentity: true, PoolSize: 1, MaxRetries: -1,
		ReadTimeout: -1, WriteTimeout: -1,
	})
}

// Addr is the host:port to dial with go-redis; in remote mode it is the
// address of the statsctl server that holds the directory.
func (s *Store) Addr() string { return s.addr }

// URL is the redis:// URL statsctl's own clients dial: Addr with
// AdminUser's credentials.
func (s *Store) URL() string {
	if s.adminPW == "" {
		return "redis://" + s.addr
	}
	return "redis://" + AdminUser + ":" + s.adminPW + "@" + s.addr
}

// GameURL is what a game server connects with (database db): the
// password of Redis's default user, which may only XADD. Empty in remote
// mode (the owner prints it).
func (s *Store) GameURL(db int) string {
	if s.gamePW == "" {
		return ""
	}
	return fmt.Sprintf("redis://:%s@%s/%d", s.gamePW, s.addr, db)
}

// Remote reports whether this Store only points at another process's server
// (and so Save/Close leave the data alone); the CLI can mention it.
func (s *Store) Remote() bool { return s.remote }

// Dir is the absolute data directory, for messages.
func (s *Store) Dir() string { return s.dir }

// Save writes a consistent snapshot now, while clients keep working, so a
// long-running server can bound what a crash loses. The snapshot is replaced
// crash-safely (temp file, fsync, rename, fsync dir). In remote mode it does
// nothing: the owning process saves.
func (s *Store) Save() error {
	if s.remote {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return fmt.Errorf("embedded store %s: save: store is closed", s.dir)
	}
	return s.saveLocked()
}

// advanceTTLs lets the time since the last call run off every TTL at once
// (expiring what is due), so the snapshot records true remaining times. One
// pass per save keeps commands O(1); between saves a TTL may overrun by up
// to one save interval, which only ever keeps data a little longer.
func (s *Store) advanceTTLs() {
	now := s.now()
	if el := now.Sub(s.ticked); el > 0 {
		s.m.FastForward(el)
		s.ticked = now
	}
}

func (s *Store) saveLocked() error {
	s.advanceTTLs()
	snap, err := captureAll(context.Background(), s.m, s.adminPW, s.now())
	if err != nil {
		return fmt.Errorf("embedded store %s: save snapshot: %w", s.dir, err)
	}
	if err := writeSnapshotFile(filepath.Join(s.dir, SnapshotFile), snap); err != nil {
		return fmt.Errorf("embedded store %s: save snapshot: %w", s.dir, err)
	}
	if len(snap.skipped) > 0 {
		return fmt.Errorf("embedded store %s: snapshot saved without %d key(s) of a type it cannot store: %s",
			s.dir, len(snap.skipped), strings.Join(snap.skipped, ", "))
	}
	return nil
}

// Close stops serving, saves a final snapshot and releases the directory, so
// the next invocation sees every write. Clients still connected are cut off.
// It is idempotent (later calls return the first result) and a no-op in
// remote mode. If the final save fails, the lock is still released and the
// error returned; the previous snapshot is left as it was.
func (s *Store) Close() error {
	if s.remote {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return s.closeErr
	}
	s.closed = true
	if s.addrFile {
		os.Remove(filepath.Join(s.dir, addrFile))
	}
	// Stop the listener first: no client can write after the final snapshot.
	s.acc.close()
	s.m.Close()
	err := s.saveLocked()
	s.m.Close() // the in-memory server saveLocked used
	if rerr := s.release(); err == nil {
		err = rerr
	}
	s.closeErr = err
	return err
}

// release drops the lock (and the pid in it).
func (s *Store) release() error {
	if s.lock == nil {
		return nil
	}
	s.lock.Truncate(0)
	err := unlock(s.lock)
	if cerr := s.lock.Close(); err == nil {
		err = cerr
	}
	s.lock = nil
	if err != nil {
		return fmt.Errorf("embedded store %s: release lock: %w", s.dir, err)
	}
	return nil
}

// writeFileAtomic writes small coordination files so readers never see a
// half-written address.
func writeFileAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(tmp)
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}

// drainedConn reads the server's replies into an unbounded buffer as soon
// as they are written. miniredis's in-memory connection is a synchronous
// net.Pipe: a pipeline larger than its read buffer (a snapshot sends one
// command per key) otherwise deadlocks, the server blocked writing a reply
// nobody reads yet and the client blocked writing the rest of the pipeline.
// Deadlines are not supported; dialMiniredisDB disables timeouts.
type drainedConn struct {
	net.Conn
	mu   sync.Mutex
	cond *sync.Cond
	buf  bytes.Buffer
	err  error
}

func newDrainedConn(c net.Conn) *drainedConn {
	d := &drainedConn{Conn: c}
	d.cond = sync.NewCond(&d.mu)
	go d.pump()
	return d
}

func (d *drainedConn) pump() {
	b := make([]byte, 32<<10)
	for {
		n, err := d.Conn.Read(b)
		d.mu.Lock()
		d.buf.Write(b[:n])
		if err != nil {
			d.err = err
		}
		d.cond.Broadcast()
		d.mu.Unlock()
		if err != nil {
			return
		}
	}
}

func (d *drainedConn) Read(p []byte) (int, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for d.buf.Len() == 0 && d.err == nil {
		d.cond.Wait()
	}
	if d.buf.Len() > 0 {
		return d.buf.Read(p)
	}
	return 0, d.err
}
