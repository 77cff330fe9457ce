package deploy_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/varcade/statsctl/internal/e2etest"
	"github.com/varcade/statsctl/internal/gen"
	"github.com/varcade/statsctl/internal/testredis"
)

// series is what one scrape exported: sample name -> label sets.
type series map[string][]map[string]string

// scrape reads a Prometheus text exposition.
func scrape(t testing.TB, u string) series {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatalf("scrape %s: %v", u, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("scrape %s: %s", u, resp.Status)
	}
	s, err := parseExposition(string(b))
	if err != nil {
		t.Fatalf("scrape %s: %v", u, err)
	}
	return s
}

// parseExposition parses the sample lines of the text format.
func parseExposition(text string) (series, error) {
	out := series{}
	for _, line := range strings.Split(text, "\n") {
		if line == "" || line[0] == '#' {
			continue
		}
		end := strings.IndexAny(line, "{ ")
		if end < 0 {
			return nil, fmt.Errorf("bad sample line %q", line)
		}
		name, labels := line[:end], map[string]string{}
		if line[end] == '{' {
			rest := line[end+1:]
			for !strings.HasPrefix(rest, "}") {
				eq := strings.Index(rest, `="`)
				if eq < 0 {
					return nil, fmt.Errorf("bad labels in %q", line)
				}
				key := strings.TrimPrefix(rest[:eq], ",")
				var v strings.Builder
				i := eq + 2
				for ; i < len(rest) && rest[i] != '"'; i++ {
					if rest[i] == '\\' && i+1 < len(rest) {
						i++
						if rest[i] == 'n' {
							v.WriteByte('\n')
							continue
						}
					}
					v.WriteByte(rest[i])
				}
				if i >= len(rest) {
					return nil, fmt.Errorf("unterminated label value in %q", line)
				}
				labels[key] = v.String()
				rest = strings.TrimPrefix(rest[i+1:], ",")
			}
		}
		out[name] = append(out[name], labels)
	}
	return out, nil
}

// unexported lists what each query names that no scraped series has: an
// unknown metric, a label the metric does not carry, or (for =) a label
// value never seen. A misspelled name in a rule or a panel shows here.
func unexported(qs []query, have series) []string {
	var out []string
	for _, q := range qs {
		sels, err := selectors(q.Expr)
		if err != nil {
			out = append(out, fmt.Sprintf("%s: cannot read %q: %v", q.Where, q.Expr, err))
			continue
		}
		if len(sels) == 0 {
			out = append(out, fmt.Sprintf("%s: %q names no metric", q.Where, q.Expr))
		}
		for _, s := range sels {
			sets, ok := have[s.Metric]
			if !ok {
				out = append(out, fmt.Sprintf("%s: metric %s is exported by neither consume nor serve", q.Where, s.Metric))
				continue
			}
			for _, m := range s.Matchers {
				if m.Label == "__name__" {
					continue
				}
				hasLabel, hasValue := false, false
				for _, ls := range sets {
					v, ok := ls[m.Label]
					hasLabel = hasLabel || ok
					hasValue = hasValue || ok && v == m.Value
				}
				switch {
				case !hasLabel:
					out = append(out, fmt.Sprintf("%s: metric %s has no label %q", q.Where, s.Metric, m.Label))
				case m.Op == "=" && !hasValue:
					out = append(out, fmt.Sprintf("%s: metric %s never has %s=%q", q.Where, s.Metric, m.Label, m.Value))
				}
			}
		}
	}
	return out
}

// TestKitMetricsExported runs consume and serve as the manifests run them
// (their args, their environment from the Secret, pointed at a real
// redis-server), makes traffic so that lazily created series exist
// (events of every outcome, a dead letter, each route, a POST, Redis
// going away), scrapes both, and checks that every metric and label the
// dashboard and the alert rules name is among what they export.
func TestKitMetricsExported(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the real binary against redis-server")
	}
	k := loadKit(t)
	srv := testredis.Start(t)
	bin := e2etest.BuildStatsctl(t)
	ctx := context.Background()

	// Every flag the manifests pass is one the binary has.
	for _, c := range []container{k.consume, k.serve} {
		help, err := exec.Command(bin, c.Args[0], "--help").CombinedOutput()
		if err != nil {
			t.Fatalf("%s --help: %v\n%s", c.Args[0], err, help)
		}
		for _, a := range c.Args[1:] {
			if strings.HasPrefix(a, "--") && !regexp.MustCompile(`(?m)\s`+regexp.QuoteMeta(strings.SplitN(a, "=", 2)[0])+`\b`).Match(help) {
				t.Errorf("statsctl %s has no flag %s (used in deploy/k8s)", c.Args[0], a)
			}
		}
	}

	// consume, listening on a free loopback port instead of :5002.
	cons := startLike(t, bin, k.consume, k.secret, srv.Addr, "--metrics-addr", "127.0.0.1:0")
	consAddr := waitLog(t, cons, regexp.MustCompile(`metrics listening.*?addr"?[=:]"?([^"\s,}]+)`))
	stream := dbClient(t, k.secret["GAME_EVENT_STREAM_REDIS_URL"], srv.Addr)
	es := e2etest.GenEntries(t, gen.Options{Games: 40, Seed: 7, Products: []string{"exrps", "chess"}, BadEvery: 15})
	es = append(es, e2etest.ExtraBad()...)
	ids := e2etest.XAddAll(ctx, t, stream, "game_event_stream", es)
	// Wait until the group has every entry delivered and acknowledged.
	deadline := time.Now().Add(30 * time.Second)
	for !caughtUp(ctx, stream, ids[len(ids)-1]) {
		if time.Now().After(deadline) {
			t.Fatalf("consume did not catch up in 30s; log:\n%s", e2etest.Tail(cons.output()))
		}
		time.Sleep(50 * time.Millisecond)
	}
	consumed := scrape(t, "http://"+consAddr+"/metrics")
	// consume's probes answer where the manifest's probes look.
	for _, pr := range []*probe{k.consume.LivenessProbe, k.consume.ReadinessProbe, k.consume.StartupProbe} {
		if resp, err := http.Get("http://" + consAddr + pr.HTTPGet.Path); err != nil || resp.StatusCode != 200 {
			t.Fatalf("consume GET %s: %v %v", pr.HTTPGet.Path, err, resp)
		} else {
			resp.Body.Close()
		}
	}
	// The Secret's databases are the ones used: the board is in the stats
	// database, not in the stream's.
	stats := dbClient(t, k.secret["STATSCTL_REDIS_URL"], srv.Addr)
	if n := stats.ZCard(ctx, "statsctl:{exrps}:lb:wins").Val(); n == 0 {
		t.Fatalf("no exrps board in the stats database of the Secret's STATSCTL_REDIS_URL")
	}

	// serve, on a free loopback port instead of :5000, with the write route on.
	token := "deploy-test-token-0123456789"
	sv := startLike(t, bin, k.serve, k.secret, srv.Addr, "--listen", "127.0.0.1:0", "--write-token", token)
	base := waitLog(t, sv, e2etest.ServeStartLine)
	get := func(path string, want int) string {
		t.Helper()
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != want {
			t.Fatalf("GET %s: %s, want %d: %s", path, resp.Status, want, b)
		}
		return string(b)
	}
	if body := get("/leaderboards/top_ten/exrps", 200); !strings.Contains(body, "user_id") {
		t.Fatalf("top_ten of the consumed board is empty: %s", body)
	}
	get("/leaderboards/top_ten/exrps", 200)
	get("/stats/exrps/u1", 200)
	get("/v1/products", 200)
	get("/v1/products/exrps/leaderboard?limit=3", 200)
	get("/healthz", 200)
	get("/readyz", 200)
	get("/nope", 404)
	req, _ := http.NewRequest("POST", base+"/v1/events", strings.NewReader(
		`{"id":"d1","product_id":"exrps","game_id":"gd","type":"game_over","winner_id":"a","loser_id":"b"}`+"\n"+
			`{"product_id":"exrps","game_id":"gd","type":"game_over","winner_id":"a"}`+"\n"))
	req.Header.Set("Authorization", "Bearer "+token)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 200 {
		t.Fatalf("POST /v1/events: %v %v", err, resp)
	}
	// Redis gone: the 5xx and not-ready series the rules name appear.
	srv.Kill()
	get("/readyz", 503)
	get("/leaderboards/top_ten/chess", 503)
	served := scrape(t, base+"/metrics")

	have := series{}
	for _, s := range []series{consumed, served} {
		for name, sets := range s {
			have[name] = append(have[name], sets...)
		}
	}
	rules, dash := ruleQueries(t), dashboardQueries(t)
	if len(rules) < 8 || len(dash) < 15 {
		t.Fatalf("read %d rule and %d dashboard expressions; the files lost their queries?", len(rules), len(dash))
	}
	for _, miss := range unexported(append(rules, dash...), have) {
		t.Error(miss)
	}
	// The check itself catches a misspelling, a wrong label and a wrong value.
	bad := []query{
		{"misspelled", "rate(statsctl_consumer_event_total[5m])"},
		{"wrong label", `statsctl_http_requests_total{status="200"}`},
		{"wrong value", `statsctl_http_requests_total{route="/leaderboards/top_ten"}`},
	}
	if got := unexported(bad, have); len(got) != len(bad) {
		t.Errorf("the check missed a bad query: reported %d of %d: %q", len(got), len(bad), got)
	}
	t.Logf("consume and serve export %d sample names; %d rule and %d dashboard expressions checked", len(have), len(rules), len(dash))
}

// caughtUp reports whether the consumer group statsctl has delivered the
// stream up to last and has nothing pending.
func caughtUp(ctx context.Context, rdb *redis.Client, last string) bool {
	gs, err := rdb.XInfoGroups(ctx, "game_event_stream").Result()
	if err != nil {
		return false
	}
	for _, g := range gs {
		if g.Name == "statsctl" {
			return g.LastDeliveredID == last && g.Pending == 0
		}
	}
	return false
}

// proc is a daemon started as a manifest starts it.
type proc struct {
	cmd    *exec.Cmd
	log    string
	exited chan struct{} // closed when the process has ended
}

func (p *proc) output() string { b, _ := os.ReadFile(p.log); return string(b) }

// startLike starts the container's command line with its environment,
// Secret references resolved and their Redis host replaced by addr (the
// database number and the rest of the URL kept), plus extra args (later
// flags win).
func startLike(t testing.TB, bin string, c container, secret map[string]string, addr string, extra ...string) *proc {
	t.Helper()
	env := e2etest.EnvWithout("STATSCTL_REDIS_URL", "STATS_TRACKER_REDIS_URL", "GAME_EVENT_STREAM_REDIS_URL",
		"STATSCTL_CONFIG", "STATSCTL_LISTEN", "STATSCTL_WRITE_TOKEN", "STATSCTL_DATA_DIR")
	for _, e := range c.Env {
		v := e.Value
		if ref := e.ValueFrom.SecretKeyRef; ref.Key != "" {
			v = retarget(t, secret[ref.Key], addr)
		}
		env = append(env, e.Name+"="+v)
	}
	// A read-only root filesystem: no data dir anywhere writable.
	env = append(env, "STATSCTL_DATA_DIR=/nonexistent/statsctl", "HOME=/nonexistent")
	logf, err := os.CreateTemp(t.TempDir(), c.Name+"-*.log")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, append(append([]string(nil), c.Args...), extra...)...)
	cmd.Env, cmd.Stdout, cmd.Stderr = env, logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &proc{cmd: cmd, log: logf.Name(), exited: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(p.exited) }()
	t.Cleanup(func() { _ = cmd.Process.Kill(); <-p.exited; logf.Close() })
	return p
}

// retarget is a Redis URL with its host:port replaced by addr.
func retarget(t testing.TB, raw, addr string) string {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		t.Fatalf("Secret value %q is not a redis:// URL: %v", raw, err)
	}
	u.Host = addr
	return u.String()
}

// dbClient is a client for the Secret's URL, on the test's server.
func dbClient(t testing.TB, raw, addr string) *redis.Client {
	t.Helper()
	o, err := redis.ParseURL(retarget(t, raw, addr))
	if err != nil {
		t.Fatal(err)
	}
	c := redis.NewClient(o)
	t.Cleanup(func() { c.Close() })
	return c
}

// waitLog waits for re's first submatch in the process's log.
func waitLog(t testing.TB, p *proc, re *regexp.Regexp) string {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		if m := re.FindStringSubmatch(p.output()); m != nil {
			return m[1]
		}
		select {
		case <-p.exited:
			t.Fatalf("%s exited (%v) before printing a line matching %s; log:\n%s", p.cmd.Args[1], p.cmd.ProcessState, re, e2etest.Tail(p.output()))
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: no line matching %s in 20s; log:\n%s", p.cmd.Args[1], re, e2etest.Tail(p.output()))
		}
	}
}
