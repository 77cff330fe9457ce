// Package e2etest is shared support for end-to-end tests that run the real
// statsctl binary against real Redis (one server or a cluster): building the
// binary, generating and XADDing a stream, running `statsctl consume`
// processes that tests SIGKILL, and an expected end state computed straight
// from the contract's rules. It lives in one place so the consume, cluster
// and fault tests prove the same thing the same way. Only tests import it.
package e2etest

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/redis/go-redis/v9"

	"github.com/varcade/statsctl/internal/gen"
)

// BuildStatsctl builds the real binary into a temp dir of t, so tests run
// exactly what an operator runs (without the race detector: the processes
// are killed at random, their speed matters more than race reports).
func BuildStatsctl(t testing.TB) string {
	t.Helper()
	return buildInto(t, t.TempDir())
}

func buildInto(t testing.TB, dir string) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	root := filepath.Join(filepath.Dir(file), "..", "..")
	bin := filepath.Join(dir, "statsctl")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// Binary builds the binary once, on first use, into a directory that lives
// as long as the test that made it: subtests sharing one setup (the
// cluster test's one cluster) pay for one build between them, and a run
// that selects none of those subtests pays nothing. Subtests must run in
// turn (not t.Parallel) to share one.
type Binary struct {
	dir string
	bin string
}

// NewBinary is a Binary whose file lives until t ends.
func NewBinary(t testing.TB) *Binary {
	return &Binary{dir: t.TempDir()}
}

// Path builds the binary on the first call (failing t if that fails) and
// returns its path.
func (b *Binary) Path(t testing.TB) string {
	t.Helper()
	if b.bin == "" {
		b.bin = buildInto(t, b.dir)
	}
	return b.bin
}

// Entry is one stream entry as a test writes it: field, value, ...
type Entry []string

// GenEntries turns a generated stream into stream entries. Lines that are
// not even JSON become entries with a single "raw" field (no product_id),
// which is what a broken producer would XADD.
func GenEntries(t testing.TB, o gen.Options) []Entry {
	t.Helper()
	var out []Entry
	err := gen.Each(o, func(f gen.Fields, raw string, _ bool) error {
		if raw != "" {
			out = append(out, Entry{"raw", raw})
			return nil
		}
		out = append(out, Entry(append([]string(nil), f...)))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// GenEntriesN is GenEntries for n entries: it sizes the number of games
// from a sample (gen.GamesFor; o.Games is ignored) and cuts the stream at
// n, so a benchmark of "1,000,000 events" drains exactly that many.
func GenEntriesN(t testing.TB, o gen.Options, n int) []Entry {
	t.Helper()
	games, err := gen.GamesFor(o, n)
	if err != nil {
		t.Fatal(err)
	}
	o.Games = games
	es := GenEntries(t, o)
	return es[:min(len(es), n)]
}

// ExtraBad are entries no generator line covers: non-UTF-8, an absurd size,
// a product id that cannot be a key.
func ExtraBad() []Entry {
	return []Entry{
		{"product_id", "exrps", "game_id", "gx1", "type", "game_over", "winner_id", "u1\xff\xfe", "loser_id", "u2"},
		{"product_id", "exrps", "game_id", "gx2", "type", "game_over", "winner_id", "u1", "loser_id", strings.Repeat("x", 5000)},
		{"product_id", "ex{rps}", "game_id", "gx3", "type", "game_over", "winner_id", "u1", "loser_id", "u2"},
	}
}

// EntryOf turns a stream entry read back from Redis into an Entry (fields
// sorted, which the model does not care about).
func EntryOf(m redis.XMessage) Entry {
	keys := make([]string, 0, len(m.Values))
	for k := range m.Values {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	e := make(Entry, 0, 2*len(keys))
	for _, k := range keys {
		e = append(e, k, fmt.Sprint(m.Values[k]))
	}
	return e
}

// XAddAll appends entries in pipelined chunks and returns their ids.
func XAddAll(ctx context.Context, t testing.TB, rdb redis.UniversalClient, stream string, es []Entry) []string {
	t.Helper()
	ids := make([]string, 0, len(es))
	for start := 0; start < len(es); start += 2000 {
		end := min(start+2000, len(es))
		cmds := make([]*redis.StringCmd, 0, end-start)
		_, err := rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for _, e := range es[start:end] {
				cmds = append(cmds, p.XAdd(ctx, XAddArgs(stream, e)))
			}
			return nil
		})
		if err != nil {
			t.Fatalf("xadd: %v", err)
		}
		for _, c := range cmds {
			ids = append(ids, c.Val())
		}
	}
	return ids
}

// XAddArgs is the XADD of one entry.
func XAddArgs(stream string, e Entry) *redis.XAddArgs {
	vals := make([]any, len(e))
	for i, s := range e {
		vals[i] = s
	}
	return &redis.XAddArgs{Stream: stream, Values: vals}
}

// ReadStream reads a whole stream back as entries, in stream order.
func ReadStream(ctx context.Context, t testing.TB, rdb redis.UniversalClient, stream string) []Entry {
	t.Helper()
	var out []Entry
	from := "-"
	for {
		ms, err := rdb.XRangeN(ctx, stream, from, "+", 5000).Result()
		if err != nil {
			t.Fatalf("read back %s: %v", stream, err)
		}
		for _, m := range ms {
			out = append(out, EntryOf(m))
		}
		if len(ms) < 5000 {
			return out
		}
		from = "(" + ms[len(ms)-1].ID
	}
}

// Keys lists keys matching pattern on every master of a cluster, or on one
// server (a cluster client's SCAN would see one node only).
func Keys(ctx context.Context, t testing.TB, rdb redis.UniversalClient, pattern string) []string {
	t.Helper()
	var mu sync.Mutex
	var keys []string
	scan := func(ctx context.Context, c *redis.Client) error {
		iter := c.Scan(ctx, 0, pattern, 1000).Iterator()
		for iter.Next(ctx) {
			mu.Lock()
			keys = append(keys, iter.Val())
			mu.Unlock()
		}
		return iter.Err()
	}
	var err error
	switch c := rdb.(type) {
	case *redis.ClusterClient:
		err = c.ForEachMaster(ctx, scan)
	case *redis.Client:
		err = scan(ctx, c)
	default:
		t.Fatalf("client %T", rdb)
	}
	if err != nil {
		t.Fatalf("scan %s: %v", pattern, err)
	}
	sort.Strings(keys)
	return keys
}

// GroupPending is the group's pending count (-1 if the group is unknown).
func GroupPending(ctx context.Context, rdb redis.UniversalClient, stream, group string) int64 {
	gs, err := rdb.XInfoGroups(ctx, stream).Result()
	if err != nil {
		return -1
	}
	for _, g := range gs {
		if g.Name == group {
			return g.Pending
		}
	}
	return -1
}

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

// Model is the expected end state computed straight from the contract's
// rules (stats-tracker-contract.md), deliberately without the handler
// package, so a bug there cannot hide in both sides of the comparison.
type Model struct {
	boards  map[string]map[string]float64          // product -> user -> score
	stats   map[string]map[string]map[string]int64 // product -> user -> stat -> value
	Invalid int                                    // entries that must be dead-lettered
}

// NewModel is an empty model: the state before any event.
func NewModel() *Model {
	return &Model{boards: map[string]map[string]float64{}, stats: map[string]map[string]map[string]int64{}}
}

// ModelOf is the model of one clean pass over entries.
func ModelOf(es []Entry) *Model {
	m := NewModel()
	for _, e := range es {
		m.Add(e)
	}
	return m
}

func validProductID(p string) bool {
	if p == "" || len(p) > 64 {
		return false
	}
	for _, r := range p {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-' || r == '.') {
			return false
		}
	}
	return true
}

func validUserID(u string) bool {
	if u == "" || len(u) > 128 || !utf8.ValidString(u) {
		return false
	}
	for _, r := range u {
		if r < 0x20 || r == 0x7f {
			return false
		}
	}
	return true
}

func (m *Model) stat(p, u, name string, d int64) {
	if m.stats[p] == nil {
		m.stats[p] = map[string]map[string]int64{}
	}
	if m.stats[p][u] == nil {
		m.stats[p][u] = map[string]int64{}
	}
	m.stats[p][u][name] += d
}

// Add applies one entry by the contract's rules.
func (m *Model) Add(e Entry) {
	f := map[string]string{}
	for i := 0; i+1 < len(e); i += 2 {
		f[e[i]] = e[i+1]
	}
	ok := len(f) <= 64
	for k, v := range f {
		if len(k) > 64 || len(v) > 4096 || !utf8.ValidString(k) || !utf8.ValidString(v) {
			ok = false
		}
	}
	p := f["product_id"]
	if !ok || !validProductID(p) {
		m.Invalid++
		return
	}
	switch f["type"] {
	case "game_over":
		w, l := f["winner_id"], f["loser_id"]
		if !validUserID(w) || !validUserID(l) || w == l {
			m.Invalid++
			return
		}
		if m.boards[p] == nil {
			m.boards[p] = map[string]float64{}
		}
		m.boards[p][w]++
		if _, ok := m.boards[p][l]; !ok {
			m.boards[p][l] = 0
		}
		m.stat(p, w, "games", 1)
		m.stat(p, w, "wins", 1)
		m.stat(p, w, "losses", 0)
		m.stat(p, l, "games", 1)
		m.stat(p, l, "wins", 0)
		m.stat(p, l, "losses", 1)
	case "gameplay":
		if p != "exrps" || f["event_name"] != "select_weapon" {
			return
		}
		weapon := map[string]string{"0": "rock", "1": "paper", "2": "scissors", "null": "botch"}[f["event_data"]]
		if !validUserID(f["user_id"]) || weapon == "" {
			m.Invalid++
			return
		}
		m.stat(p, f["user_id"], weapon+"_selection_count", 1)
	}
}

// Products are the products the model has boards for.
func (m *Model) Products() []string {
	var ps []string
	for p := range m.boards {
		ps = append(ps, p)
	}
	sort.Strings(ps)
	return ps
}

// Compare checks Redis (one server or a cluster) against the model: every
// board member and score, every stats hash, and no stats hash or board the
// model does not have.
func (m *Model) Compare(ctx context.Context, t testing.TB, rdb redis.UniversalClient, ns string) {
	t.Helper()
	if problems := m.Diff(ctx, t, rdb, ns); len(problems) > 0 {
		t.Fatalf("end state differs from one clean pass:\n%s", strings.Join(problems, "\n"))
	}
}

// Diff lists how Redis differs from the model (at most 21 lines).
func (m *Model) Diff(ctx context.Context, t testing.TB, rdb redis.UniversalClient, ns string) []string {
	t.Helper()
	var problems []string
	for p, board := range m.boards {
		got, err := rdb.ZRangeWithScores(ctx, ns+":{"+p+"}:lb:wins", 0, -1).Result()
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(board) {
			problems = append(problems, fmt.Sprintf("board %s: %d players, want %d", p, len(got), len(board)))
		}
		for _, z := range got {
			want, ok := board[z.Member.(string)]
			if !ok || math.Abs(want-z.Score) > 1e-9 {
				problems = append(problems, fmt.Sprintf("board %s: %s has %v, want %v (present %v)", p, z.Member, z.Score, want, ok))
			}
		}
	}
	nStats := 0
	for p, users := range m.stats {
		for u, want := range users {
			nStats++
			got, err := rdb.HGetAll(ctx, ns+":{"+p+"}:stats:"+u).Result()
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(want) {
				problems = append(problems, fmt.Sprintf("stats %s/%s: %v, want %v", p, u, got, want))
				continue
			}
			for k, v := range want {
				if got[k] != strconv.FormatInt(v, 10) {
					problems = append(problems, fmt.Sprintf("stats %s/%s %s = %q, want %d", p, u, k, got[k], v))
				}
			}
		}
	}
	boards, stats := 0, 0
	for _, k := range Keys(ctx, t, rdb, ns+":{*}:*") {
		switch {
		case strings.Contains(k, "}:lb:"):
			boards++
		case strings.Contains(k, "}:stats:"):
			stats++
		}
	}
	if boards != len(m.boards) || stats != nStats {
		problems = append(problems, fmt.Sprintf("%d boards and %d stats hashes in redis, want %d and %d", boards, stats, len(m.boards), nStats))
	}
	sort.Strings(problems)
	if len(problems) > 20 {
		problems = append(problems[:20], fmt.Sprintf("... and %d more", len(problems)-20))
	}
	return problems
}
