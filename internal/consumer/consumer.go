// Package consumer is the stream daemon behind `statsctl consume`: it reads
// the game event stream through a Redis consumer group and applies every
// event through the engine, so that it can be killed at any instant, run
// several times at once and restarted without losing or double-counting an
// event. It knows nothing of cobra, so `statsctl serve` can run it in-process.
package consumer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/varcade/statsctl/internal/engine"
	"github.com/varcade/statsctl/internal/event"
)

// Defaults of Config, chosen for the platform's stream: a large batch makes
// the round trips noise, a short block keeps shutdown prompt.
const (
	DefaultStream     = "game_event_stream"
	DefaultGroup      = "statsctl"
	DefaultCount      = 1000
	DefaultBlock      = time.Second
	DefaultClaimAfter = time.Minute
	DefaultMinBackoff = 100 * time.Millisecond
	DefaultMaxBackoff = 10 * time.Second
	DefaultGrace      = 5 * time.Second
	// LegacyCursorKey is where the old Stats Tracker worker kept the id of
	// the last entry it processed; --start legacy continues from it.
	LegacyCursorKey = "_stats_tracker.workers.event_stream_index"
	// StartLegacy asks for the group to start at the old worker's cursor.
	StartLegacy = "legacy"
)

// Config says which stream to read and how. Zero fields take the defaults.
type Config struct {
	Stream     string // stream key; DefaultStream
	Group      string // consumer group; DefaultGroup
	Consumer   string // this consumer's name; DefaultName()
	DeadLetter string // dead-letter stream on the stream server; Stream + ":dead"
	// Start is where a NEW group starts: "0" (whole history, the default),
	// "$" (new entries only), StartLegacy, or an explicit entry id. An
	// existing group keeps its position.
	Start      string
	Count      int           // entries per read
	Block      time.Duration // how long one read waits for new entries
	ClaimAfter time.Duration // idle time after which another consumer's pending entries are taken over
	// Drain stops Run (returning nil) once the group has caught up: nothing
	// pending for any consumer and no undelivered entry.
	Drain bool
	// ConnectTimeout, when > 0, makes Run fail if Redis never answered
	// within it after start. Once connected, outages are retried forever.
	ConnectTimeout time.Duration
	MinBackoff     time.Duration
	MaxBackoff     time.Duration
	// Grace is how long the batch in hand may still take to apply and ack
	// after ctx is cancelled. Past it Run gives up the batch unacknowledged
	// (it is redelivered; nothing is lost or counted twice).
	Grace time.Duration
	// Namespace prefixes the dead-letter marker keys; store.DefaultNamespace
	// when empty.
	Namespace string
	Logger    *slog.Logger // nil: discard
	Metrics   *Metrics     // nil: no metrics
	Now       func() time.Time
}

// DefaultName is the default consumer name, host name and pid, unique per
// process so two daemons on one host never share pending entries.
func DefaultName() string {
	h, err := os.Hostname()
	if err != nil || h == "" {
		h = "statsctl"
	}
	return h + "-" + strconv.Itoa(os.Getpid())
}

func (c *Config) fill() error {
	if c.Stream == "" {
		c.Stream = DefaultStream
	}
	if c.Group == "" {
		c.Group = DefaultGroup
	}
	if c.Consumer == "" {
		c.Consumer = DefaultName()
	}
	if c.DeadLetter == "" {
		c.DeadLetter = c.Stream + ":dead"
	}
	if c.DeadLetter == c.Stream {
		return fmt.Errorf("dead-letter stream must differ from the stream %q: statsctl never writes to the shared stream", c.Stream)
	}
	if c.Start == "" {
		c.Start = "0"
	}
	if c.Start != "$" && c.Start != StartLegacy {
		if _, err := parseID(c.Start); err != nil {
			return fmt.Errorf("start %q: want 0, $, legacy or an entry id such as 1700000000000-0", c.Start)
		}
	}
	if c.Count <= 0 {
		c.Count = DefaultCount
	}
	if c.Block <= 0 {
		c.Block = DefaultBlock
		if c.Drain {
			// A drain ends on the first empty read; don't make it wait long.
			c.Block = 100 * time.Millisecond
		}
	}
	if c.ClaimAfter <= 0 {
		c.ClaimAfter = DefaultClaimAfter
	}
	if c.MinBackoff <= 0 {
		c.MinBackoff = DefaultMinBackoff
	}
	if c.MaxBackoff < c.MinBackoff {
		c.MaxBackoff = max(DefaultMaxBackoff, c.MinBackoff)
	}
	if c.Grace <= 0 {
		c.Grace = DefaultGrace
	}
	if c.Namespace == "" {
		c.Namespace = "statsctl"
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return nil
}

// Status is a snapshot of the daemon's counters, for the live status line
// and for tests.
type Status struct {
	Events      int64 // entries processed (acknowledged), redeliveries included
	Applied     int64
	Duplicate   int64
	Ignored     int64
	Invalid     int64
	DeadLetters int64 // dead letters newly written by this process
	Claimed     int64 // entries taken over from other consumers
	Lag         int64 // entries not yet delivered to the group; -1 unknown
	Pending     int64 // entries delivered to the group but not acknowledged
}

// Consumer is one member of the consumer group. Create it with New and run
// it with Run; it is not reusable after Run returns.
type Consumer struct {
	cfg    Config
	eng    *engine.Engine
	stream redis.UniversalClient
	log    *slog.Logger
	dead   *redis.Script
	m      *Metrics

	events, applied, duplicate, ignored, invalid, deadLetters, claimed atomic.Int64
	lag, pending                                                       atomic.Int64
	connected                                                          atomic.Bool
}

// New makes a consumer that applies through eng and reads the stream from
// stream (which may be the stats store's own client).
func New(cfg Config, eng *engine.Engine, stream redis.UniversalClient) (*Consumer, error) {
	if eng == nil || stream == nil {
		return nil, errors.New("consumer: engine and stream client are required")
	}
	if err := cfg.fill(); err != nil {
		return nil, err
	}
	c := &Consumer{cfg: cfg, eng: eng, stream: stream, log: cfg.Logger, dead: redis.NewScript(deadLetterSrc), m: cfg.Metrics}
	c.lag.Store(-1)
	return c, nil
}

// Config is the configuration in effect, defaults filled in.
func (c *Consumer) Config() Config { return c.cfg }

// Status returns the current counters.
func (c *Consumer) Status() Status {
	return Status{
		Events: c.events.Load(), Applied: c.applied.Load(), Duplicate: c.duplicate.Load(),
		Ignored: c.ignored.Load(), Invalid: c.invalid.Load(), DeadLetters: c.deadLetters.Load(),
		Claimed: c.claimed.Load(), Lag: c.lag.Load(), Pending: c.pending.Load(),
	}
}

// Healthy reports whether the consumer has reached Redis and is running;
// /healthz answers from it.
func (c *Consumer) Healthy() bool { return c.connected.Load() }

// errStop is returned by retried work when the daemon is told to stop.
var errStop = errors.New("stopping")

// Run consumes until ctx is cancelled (returning nil once the batch in hand
// is acknowledged), until caught up with Config.Drain (nil), or until an
// error that retrying cannot fix.
func (c *Consumer) Run(ctx context.Context) error {
	// hard outlives ctx by the grace period: the batch in hand is finished
	// with it after a stop was asked for.
	hard, cancelHard := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelHard()
	stopGrace := context.AfterFunc(ctx, func() { time.AfterFunc(c.cfg.Grace, cancelHard) })
	defer stopGrace()

	c.log.Info("consumer starting", "stream", c.cfg.Stream, "group", c.cfg.Group, "consumer", c.cfg.Consumer,
		"dead_letter", c.cfg.DeadLetter, "drain", c.cfg.Drain)
	started := c.cfg.Now()
	err := c.retry(ctx, hard, "create consumer group", func(x context.Context) error {
		if err := c.ensureGroup(x); err != nil {
			if c.cfg.ConnectTimeout > 0 && transient(err) && c.cfg.Now().Sub(started) >= c.cfg.ConnectTimeout {
				return &fatal{fmt.Errorf("redis did not answer within --connect-timeout %s: %w", c.cfg.ConnectTimeout, err)}
			}
			return err
		}
		return nil
	})
	if err != nil {
		return c.finish(ctx, err)
	}
	c.connected.Store(true)
	defer c.connected.Store(false)

	// Entries this consumer name read but never acknowledged (a previous
	// run under the same --consumer name) come first.
	if err := c.ownPending(ctx, hard); err != nil {
		return c.finish(ctx, err)
	}
	var lastClaim, lastInfo time.Time
	var ahead readAhead
	for ctx.Err() == nil {
		now := c.cfg.Now()
		if now.Sub(lastClaim) >= c.claimEvery() {
			lastClaim = now
			if err := c.claim(ctx, hard); err != nil {
				return c.finish(ctx, err)
			}
		}
		n, err := c.readNew(ctx, hard, &ahead)
		if err != nil {
			return c.finish(ctx, err)
		}
		if n == 0 || now.Sub(lastInfo) >= time.Second {
			lastInfo = now
			done, err := c.refreshGroupInfo(ctx, hard)
			if err != nil {
				return c.finish(ctx, err)
			}
			if n == 0 && c.cfg.Drain {
				if done {
					c.log.Info("caught up; drain finished", c.summaryAttrs()...)
					return nil
				}
				if c.pending.Load() > 0 {
					// Entries held by other (possibly dead) consumers: keep
					// claiming until they are done or taken over.
					if err := c.claim(ctx, hard); err != nil {
						return c.finish(ctx, err)
					}
					lastClaim = c.cfg.Now()
				}
			}
		}
	}
	// A stop arrived with the next batch read ahead: it is in hand too, so
	// finish it within the grace period rather than leave it pending.
	if r, ok := ahead.take(); ok && r.err == nil && len(r.msgs) > 0 {
		if err := c.process(ctx, hard, r.msgs); err != nil {
			return c.finish(ctx, err)
		}
	}
	return c.finish(ctx, nil)
}

func (c *Consumer) claimEvery() time.Duration { return max(c.cfg.ClaimAfter/2, 100*time.Millisecond) }

// finish turns the end of Run into its result: a stop asked for via ctx is
// a clean exit whatever was in flight, since unacknowledged entries are
// redelivered and re-applying them changes nothing.
func (c *Consumer) finish(ctx context.Context, err error) error {
	if ctx.Err() != nil && (err == nil || errors.Is(err, errStop) || errors.Is(err, context.Canceled)) {
		c.log.Info("consumer stopped", c.summaryAttrs()...)
		return nil
	}
	var f *fatal
	if errors.As(err, &f) {
		return f.err
	}
	return err
}

func (c *Consumer) summaryAttrs() []any {
	s := c.Status()
	return []any{"events", s.Events, "applied", s.Applied, "duplicate", s.Duplicate, "ignored", s.Ignored,
		"invalid", s.Invalid, "dead_letters", s.DeadLetters, "claimed", s.Claimed}
}

// ensureGroup creates the group (and the stream if missing) at the start
// position; an existing group keeps its position.
func (c *Consumer) ensureGroup(ctx context.Context) error {
	start := c.cfg.Start
	if start == StartLegacy {
		id, err := c.legacyCursor(ctx)
		if err != nil {
			return err
		}
		start = id
	}
	err := c.stream.XGroupCreateMkStream(ctx, c.cfg.Stream, c.cfg.Group, start).Err()
	if err != nil && !strings.HasPrefix(err.Error(), "BUSYGROUP") {
		return fmt.Errorf("create consumer group %s on %s at %s: %w", c.cfg.Group, c.cfg.Stream, start, err)
	}
	if err == nil {
		c.log.Info("created consumer group", "stream", c.cfg.Stream, "group", c.cfg.Group, "start", start)
	}
	return nil
}

// legacyCursor reads the old worker's cursor. It lived with the stats data
// in the old deployment, but an operator may have pointed both at one
// server or kept it beside the stream, so the stats server is asked first,
// then the stream server.
func (c *Consumer) legacyCursor(ctx context.Context) (string, error) {
	clients := []redis.UniversalClient{c.eng.Store().Client()}
	if c.stream != clients[0] {
		clients = append(clients, c.stream)
	}
	for _, rdb := range clients {
		v, err := rdb.Get(ctx, LegacyCursorKey).Result()
		if errors.Is(err, redis.Nil) {
			continue
		}
		if err != nil {
			return "", fmt.Errorf("read the old worker's cursor %s: %w", LegacyCursorKey, err)
		}
		if _, perr := parseID(v); perr != nil {
			return "", &fatal{fmt.Errorf("the old worker's cursor %s holds %.40q, not a stream entry id; fix or delete it, or use --start 0 or $", LegacyCursorKey, v)}
		}
		return v, nil
	}
	return "", &fatal{fmt.Errorf("--start legacy: key %s not found on the stats or stream server; the old worker never ran there, so use --start 0 (whole history) or --start $ (new events only)", LegacyCursorKey)}
}

// ownPending re-processes entries delivered to this consumer name but never
// acknowledged (reading from id 0 returns this consumer's pending list).
func (c *Consumer) ownPending(ctx, hard context.Context) error {
	from := "0"
	for ctx.Err() == nil {
		msgs, err := c.read(ctx, hard, from, 0)
		if err != nil {
			return err
		}
		if len(msgs) == 0 {
			return nil
		}
		c.log.Info("re-processing own pending entries", "count", len(msgs), "from", msgs[0].ID)
		if err := c.process(ctx, hard, msgs); err != nil {
			return err
		}
		from = msgs[len(msgs)-1].ID
	}
	return nil
}

// readAhead is the read of the next batch, running while the current one
// is applied: the consumer's own work and Redis's then overlap instead of
// taking turns (a drain used to keep neither statsctl nor Redis busy).
type readAhead struct {
	ch chan readResult // nil when no read is in flight
}

type readResult struct {
	msgs []redis.XMessage
	err  error
}

// take waits for the read in flight; ok is false when there is none.
func (a *readAhead) take() (r readResult, ok bool) {
	if a.ch == nil {
		return readResult{}, false
	}
	r = <-a.ch
	a.ch = nil
	return r, true
}

// readNew processes one batch of new entries, the one read ahead if there
// is one, and returns how many. After a full batch it starts reading the
// next (without blocking: an empty answer just means caught up), so the
// read overlaps this batch's apply. Entries read ahead are in this
// consumer's pending list like any others: a crash redelivers them.
func (c *Consumer) readNew(ctx, hard context.Context, ahead *readAhead) (int, error) {
	r, ok := ahead.take()
	if !ok {
		r.msgs, r.err = c.read(ctx, hard, ">", c.cfg.Block)
	}
	msgs, err := r.msgs, r.err
	if err != nil {
		return 0, err
	}
	if len(msgs) == 0 {
		return 0, nil
	}
	if len(msgs) == c.cfg.Count && ctx.Err() == nil {
		ch := make(chan readResult, 1)
		go func() {
			m, err := c.read(ctx, hard, ">", 0)
			ch <- readResult{m, err}
		}()
		ahead.ch = ch
	}
	return len(msgs), c.process(ctx, hard, msgs)
}

// read runs one XREADGROUP. It runs under hard, so entries the server hands
// over are processed even if a stop arrives meanwhile; a stop only ends the
// retrying of a failed read.
func (c *Consumer) read(ctx, hard context.Context, from string, block time.Duration) ([]redis.XMessage, error) {
	var msgs []redis.XMessage
	err := c.retry(ctx, hard, "read stream", func(x context.Context) error {
		args := &redis.XReadGroupArgs{Group: c.cfg.Group, Consumer: c.cfg.Consumer,
			Streams: []string{c.cfg.Stream, from}, Count: int64(c.cfg.Count), Block: -1}
		if block > 0 {
			args.Block = block
		}
		res, err := c.stream.XReadGroup(x, args).Result()
		if errors.Is(err, redis.Nil) {
			msgs = nil
			return nil
		}
		if err != nil {
			if isNoGroup(err) {
				// The server lost the group (restarted without persistence,
				// or someone destroyed it): recreate it and read again.
				c.log.Warn("consumer group missing; recreating it", "stream", c.cfg.Stream, "group", c.cfg.Group, "start", c.cfg.Start)
				if gerr := c.ensureGroup(x); gerr != nil {
					return gerr
				}
				return errRetryNow
			}
			return fmt.Errorf("read %s as %s/%s: %w", c.cfg.Stream, c.cfg.Group, c.cfg.Consumer, err)
		}
		msgs = nil
		if len(res) > 0 {
			msgs = res[0].Messages
		}
		return nil
	})
	return msgs, err
}

// claim takes over entries other consumers left pending longer than
// ClaimAfter (they died, or hang) and processes them.
func (c *Consumer) claim(ctx, hard context.Context) error {
	start := "0-0"
	for rounds := 0; ctx.Err() == nil && rounds < 1000; rounds++ {
		var msgs []redis.XMessage
		var next string
		err := c.retry(ctx, hard, "claim pending entries", func(x context.Context) error {
			var err error
			msgs, next, err = c.stream.XAutoClaim(x, &redis.XAutoClaimArgs{Stream: c.cfg.Stream, Group: c.cfg.Group,
				Consumer: c.cfg.Consumer, MinIdle: c.cfg.ClaimAfter, Start: start, Count: int64(c.cfg.Count)}).Result()
			if err != nil && isNoGroup(err) {
				if gerr := c.ensureGroup(x); gerr != nil {
					return gerr
				}
				return errRetryNow
			}
			if err != nil {
				return fmt.Errorf("claim idle entries of %s/%s: %w", c.cfg.Stream, c.cfg.Group, err)
			}
			return nil
		})
		if err != nil {
			return err
		}
		if len(msgs) > 0 {
			c.claimed.Add(int64(len(msgs)))
			c.log.Info("claimed entries left pending by another consumer", "count", len(msgs), "first", msgs[0].ID,
				"idle_over", c.cfg.ClaimAfter)
			if err := c.process(ctx, hard, msgs); err != nil {
				return err
			}
		}
		if next == "" || next == "0-0" {
			return nil
		}
		start = next
	}
	return nil
}

// process applies a batch, writes its dead letters, then acknowledges it,
// in that order: a crash at any point redelivers the batch, and both the
// apply script and the dead-letter script skip what they did before.
func (c *Consumer) process(ctx, hard context.Context, msgs []redis.XMessage) error {
	began := c.cfg.Now()
	evs := make([]event.Event, 0, len(msgs))
	ids := make([]string, len(msgs))
	deleted := 0
	for i, m := range msgs {
		ids[i] = m.ID
		if len(m.Values) == 0 {
			// A pending entry deleted from the stream since delivery: it has
			// nothing to apply; acknowledging it clears it from the group.
			deleted++
			continue
		}
		evs = append(evs, event.FromStream(m.ID, m.Values))
	}
	if deleted > 0 {
		c.log.Info("acknowledging pending entries that were deleted from the stream", "count", deleted)
	}
	var outs []engine.Outcome
	err := c.retry(hard, hard, "apply batch", func(x context.Context) error {
		var err error
		outs, err = c.eng.Apply(x, evs)
		if err != nil {
			return fmt.Errorf("apply batch %s..%s: %w", ids[0], ids[len(ids)-1], err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	var dead []deadLetter
	for i, o := range outs {
		if o.Status == engine.Invalid {
			dead = append(dead, deadLetter{ev: evs[i], out: o})
		}
	}
	if len(dead) > 0 {
		if err := c.retry(hard, hard, "write dead letters", func(x context.Context) error {
			return c.writeDeadLetters(x, dead)
		}); err != nil {
			return err
		}
	}
	if err := c.retry(hard, hard, "acknowledge batch", func(x context.Context) error {
		if err := c.stream.XAck(x, c.cfg.Stream, c.cfg.Group, ids...).Err(); err != nil {
			return fmt.Errorf("acknowledge %d entries of %s: %w", len(ids), c.cfg.Stream, err)
		}
		return nil
	}); err != nil {
		return err
	}
	c.count(evs, outs, c.cfg.Now().Sub(began))
	return nil
}

func (c *Consumer) count(evs []event.Event, outs []engine.Outcome, took time.Duration) {
	var ap, du, ig, in int64
	for _, o := range outs {
		switch o.Status {
		case engine.Applied:
			ap++
		case engine.Duplicate:
			du++
		case engine.Ignored:
			ig++
		case engine.Invalid:
			in++
		}
	}
	c.applied.Add(ap)
	c.duplicate.Add(du)
	c.ignored.Add(ig)
	c.invalid.Add(in)
	c.events.Add(int64(len(outs)))
	if c.m != nil {
		c.m.observeBatch(evs, outs, took)
	}
}

// refreshGroupInfo updates the lag and pending gauges and reports whether
// the group has caught up: nothing pending and nothing undelivered.
//
// XINFO GROUPS's lag is exact on Redis >= 7 but may be missing (after
// deletions) or, on the embedded store, an upper bound; so "caught up" is
// decided by looking for an entry after the group's last-delivered id.
func (c *Consumer) refreshGroupInfo(ctx, hard context.Context) (bool, error) {
	var done bool
	err := c.retry(ctx, hard, "read group status", func(x context.Context) error {
		groups, err := c.stream.XInfoGroups(x, c.cfg.Stream).Result()
		if err != nil {
			return fmt.Errorf("group status of %s: %w", c.cfg.Stream, err)
		}
		var g *redis.XInfoGroup
		for i := range groups {
			if groups[i].Name == c.cfg.Group {
				g = &groups[i]
			}
		}
		if g == nil {
			if err := c.ensureGroup(x); err != nil {
				return err
			}
			return errRetryNow
		}
		after, err := c.stream.XRangeN(x, c.cfg.Stream, g.LastDeliveredID, "+", 2).Result()
		if err != nil {
			return fmt.Errorf("look for undelivered entries of %s: %w", c.cfg.Stream, err)
		}
		if len(after) > 0 && after[0].ID == g.LastDeliveredID {
			after = after[1:]
		}
		lag := g.Lag
		if len(after) == 0 {
			lag = 0
		} else if lag <= 0 {
			lag = -1
		}
		c.lag.Store(lag)
		c.pending.Store(g.Pending)
		if c.m != nil {
			c.m.setGroup(lag, g.Pending)
		}
		done = len(after) == 0 && g.Pending == 0
		return nil
	})
	return done, err
}

// fatal marks an error that retrying cannot fix (a usage problem found at
// run time, a timeout given up on).
type fatal struct{ err error }

func (f *fatal) Error() string { return f.err.Error() }
func (f *fatal) Unwrap() error { return f.err }

// errRetryNow asks retry to run the work again at once (after repairing a
// lost group).
var errRetryNow = errors.New("retry now")

// retry runs fn under hard until it succeeds. Errors that a later attempt
// can fix (connection refused or reset, timeouts, Redis loading its data
// after a restart) are retried with capped exponential backoff and logged;
// waiting between attempts ends when stop is done. Other errors are
// returned at once.
func (c *Consumer) retry(stop, hard context.Context, what string, fn func(context.Context) error) error {
	wait := c.cfg.MinBackoff
	failing := false
	for attempt := 1; ; attempt++ {
		if hard.Err() != nil {
			return errStop
		}
		err := fn(hard)
		if err == nil {
			if failing {
				c.log.Info("redis is back; resuming", "op", what, "attempts", attempt)
				c.connected.Store(true)
			}
			return nil
		}
		if errors.Is(err, errRetryNow) && attempt < 5 {
			continue
		}
		var f *fatal
		if errors.As(err, &f) || !transient(err) {
			if hard.Err() != nil {
				return errStop
			}
			return err
		}
		if stop.Err() != nil || hard.Err() != nil {
			return errStop
		}
		failing = true
		c.connected.Store(false)
		if c.m != nil {
			c.m.redisErrors.Inc()
		}
		c.log.Warn("redis unavailable; retrying", "op", what, "attempt", attempt, "retry_in", wait.String(), "err", err.Error())
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-stop.Done():
			t.Stop()
			return errStop
		case <-hard.Done():
			t.Stop()
			return errStop
		}
		wait = min(wait*2, c.cfg.MaxBackoff)
	}
}

// transient reports whether an error may go away by itself: network
// failures and the replies Redis gives while it cannot serve yet.
func transient(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return true
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return true
	}
	var oe *net.OpError
	if errors.As(err, &oe) {
		return true
	}
	msg := err.Error()
	for _, p := range []string{"LOADING", "BUSY ", "TRYAGAIN", "CLUSTERDOWN", "MASTERDOWN", "READONLY", "NOREPLICAS"} {
		if strings.HasPrefix(msg, p) || strings.Contains(msg, ": "+p) {
			return true
		}
	}
	for _, s := range []string{"connection refused", "connection reset", "broken pipe", "i/o timeout", "use of closed network connection", "EOF", "no such host"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

func isNoGroup(err error) bool {
	return err != nil && strings.Contains(err.Error(), "NOGROUP")
}

// parseID parses a stream entry id "<ms>-<seq>" (or "<ms>").
func parseID(id string) ([2]uint64, error) {
	ms, seq, hasSeq := strings.Cut(id, "-")
	a, err := strconv.ParseUint(ms, 10, 64)
	if err != nil {
		return [2]uint64{}, fmt.Errorf("bad stream id %q", id)
	}
	var b uint64
	if hasSeq {
		if b, err = strconv.ParseUint(seq, 10, 64); err != nil {
			return [2]uint64{}, fmt.Errorf("bad stream id %q", id)
		}
	}
	return [2]uint64{a, b}, nil
}
