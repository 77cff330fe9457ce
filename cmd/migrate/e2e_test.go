package migrate_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/varcade/statsctl/internal/e2etest"
	"github.com/varcade/statsctl/internal/testredis"
)

var ctx = context.Background()

const stream = "game_event_stream"

// platformEvents are n events of three products: game overs, exrps weapon
// picks, and some the old worker skipped and statsctl dead-letters.
func platformEvents(seed uint64, n int, products ...string) []e2etest.Entry {
	r := rand.New(rand.NewPCG(seed, 3))
	var out []e2etest.Entry
	for i := 0; i < n; i++ {
		p := products[r.IntN(len(products))]
		w, l := "p"+strconv.Itoa(r.IntN(30)), "p"+strconv.Itoa(r.IntN(30))
		gid := fmt.Sprintf("g%d-%d", seed, i)
		switch {
		case i%29 == 7:
			out = append(out, e2etest.Entry{"product_id", p, "game_id", gid, "type", "game_over", "winner_id", w})
		case i%31 == 4:
			out = append(out, e2etest.Entry{"product_id", p, "game_id", gid, "type", "state_change", "new_state", "playing"})
		case p == "exrps" && r.IntN(2) == 0:
			out = append(out, e2etest.Entry{"product_id", p, "game_id", gid, "type", "gameplay", "event_name", "select_weapon",
				"event_data", []string{"0", "1", "2", "null"}[r.IntN(4)], "user_id", w})
		case w != l:
			out = append(out, e2etest.Entry{"product_id", p, "game_id", gid, "type", "game_over", "winner_id", w, "loser_id", l})
		}
	}
	return out
}

// run runs one short statsctl command to its end.
func run(t *testing.T, bin string, args ...string) (string, int) {
	t.Helper()
	p := e2etest.Start(t, bin, args...)
	code := p.Wait(t, 60*time.Second)
	return p.Output(), code
}

// waitConsumed waits until the group has read and acknowledged the stream
// up to lastID.
func waitConsumed(t *testing.T, rdb *redis.Client, lastID string, cons *e2etest.Proc) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		gs, err := rdb.XInfoGroups(ctx, stream).Result()
		if err == nil && len(gs) == 1 && gs[0].LastDeliveredID == lastID && gs[0].Pending == 0 {
			return
		}
		if cons.Exited() {
			t.Fatalf("consume exited; log:\n%s", e2etest.Tail(cons.Output()))
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("consume did not catch up to %s; log:\n%s", lastID, e2etest.Tail(cons.Output()))
}

func get(t *testing.T, url string, v any) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %s", url, resp.StatusCode, b)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("GET %s: %v: %s", url, err, b)
	}
	return string(b)
}

// checkPortal compares the Game Portal's answers for every product and
// player with the model.
func checkPortal(t *testing.T, base string, m *e2etest.Model, products []string) {
	t.Helper()
	for _, p := range products {
		var top []struct {
			UserID string  `json:"user_id"`
			Score  float64 `json:"score"`
		}
		get(t, base+"/leaderboards/top_ten/"+p, &top)
		want := m.TopTen(p)
		if len(top) != len(want) || len(want) == 0 {
			t.Fatalf("top ten of %s: %v, want %v", p, top, want)
		}
		for i := range want {
			if top[i].UserID != want[i].User || top[i].Score != want[i].Score {
				t.Fatalf("top ten of %s, place %d: %v, want %v\n got %v\nwant %v", p, i+1, top[i], want[i], top, want)
			}
		}
		for _, u := range m.Users(p) {
			var got map[string]string
			get(t, base+"/stats/"+p+"/"+u, &got)
			w := map[string]string{}
			for k, v := range m.Stats(p, u) {
				w[k] = strconv.FormatInt(v, 10)
			}
			if !maps.Equal(got, w) {
				t.Fatalf("stats of %s in %s: %v, want %v", u, p, got, w)
			}
		}
	}
}

// The swap of issue 10 §6, with the real binary and the platform's
// databases: the old service kept its boards, stats and cursor in
// database 2 and read the stream from database 1, which has entries before
// and after its cursor. migrate, then consume --start legacy, then more
// events: the portal must answer old plus new.
func TestSwapKeepsEveryScore(t *testing.T) {
	bin := e2etest.BuildStatsctl(t)
	srv := testredis.Start(t)
	streamDB := redis.NewClient(&redis.Options{Addr: srv.Addr, DB: 1})
	oldDB := redis.NewClient(&redis.Options{Addr: srv.Addr, DB: 2})
	defer streamDB.Close()
	defer oldDB.Close()
	statsURL, streamURL := srv.URL()+"/2", srv.URL()+"/1"

	// The old worker processed `before`; `after` came in once it was stopped.
	before := platformEvents(1, 1500, "exrps", "ttt", "late")
	after := platformEvents(2, 200, "exrps", "ttt", "late")
	ids := e2etest.XAddAll(ctx, t, streamDB, stream, append(append([]e2etest.Entry(nil), before...), after...))
	old := e2etest.OldService{RDB: oldDB}
	for _, e := range before {
		old.Apply(ctx, t, e)
	}
	old.SaveCursor(ctx, t, ids[len(before)-1])
	oldKeys := e2etest.Dump(ctx, t, oldDB, "_*")

	// The independent expectation: the old keys as read, plus the model of
	// every event after the cursor. It must also equal one clean pass of the
	// whole history (the old service followed the same rules).
	want := e2etest.NewModel()
	want.AddLegacy(ctx, t, oldDB)

	// Import exrps and ttt; "late" waits (its import is tested below).
	out, code := run(t, bin, "--redis", statsURL, "migrate", "legacy", "--from", statsURL, "--dry-run", "exrps", "ttt")
	if code != 0 || !strings.Contains(out, "would_import") || !strings.Contains(out, "nothing was written") {
		t.Fatalf("dry run exit %d:\n%s", code, out)
	}
	if n := len(e2etest.Keys(ctx, t, oldDB, "statsctl:*")); n != 0 {
		t.Fatalf("dry run wrote %d keys", n)
	}
	out, code = run(t, bin, "--redis", statsURL, "migrate", "legacy", "--from", statsURL, "exrps", "ttt")
	if code != 0 || strings.Count(out, "imported") != 2 || !strings.Contains(out, ids[len(before)-1]) {
		t.Fatalf("migrate exit %d:\n%s", code, out)
	}

	cons := e2etest.StartConsume(t, bin, "--redis", statsURL, "--stream-redis", streamURL, "--start", "legacy",
		"--metrics-addr", "off", "--count", "50")
	more := platformEvents(3, 400, "exrps", "ttt", "late")
	ids = append(ids, e2etest.XAddAll(ctx, t, streamDB, stream, more)...)
	waitConsumed(t, streamDB, ids[len(ids)-1], cons)

	for _, e := range after {
		want.Add(e)
	}
	for _, e := range more {
		want.Add(e)
	}
	if d := want.Diff(ctx, t, oldDB, "statsctl"); len(d) == 0 {
		t.Fatal("late is not imported yet, so statsctl must differ from old plus new there")
	}
	whole := e2etest.ModelOf(append(append(append([]e2etest.Entry(nil), before...), after...), more...))

	_, base := e2etest.StartServe(t, bin, "--redis", statsURL, "--listen", "127.0.0.1:0", "--cache-ttl", "0")
	checkPortal(t, base, want, []string{"exrps", "ttt"})
	checkPortal(t, base, whole, []string{"exrps", "ttt"})
	checkBytesAsDocumented(t, base+"/leaderboards/top_ten/exrps", `[{"score":`, `"}]`+"\n")
	checkBytesAsDocumented(t, base+"/stats/exrps/"+want.Users("exrps")[0], `{"`, `"}`+"\n")

	// A second run changes nothing and says so per product.
	snap := e2etest.Dump(ctx, t, oldDB, "statsctl:*")
	out, code = run(t, bin, "--redis", statsURL, "migrate", "legacy", "--from", statsURL, "exrps", "ttt")
	if code != 0 || strings.Count(out, "already_migrated") != 2 {
		t.Fatalf("second migrate exit %d:\n%s", code, out)
	}
	if !maps.Equal(snap, e2etest.Dump(ctx, t, oldDB, "statsctl:*")) {
		t.Fatal("the second migrate changed statsctl's keys")
	}

	// "late" has had new events counted by statsctl since: refused without
	// --merge (exit 1, nothing changed), summed with it.
	out, code = run(t, bin, "--redis", statsURL, "migrate", "legacy", "--from", statsURL, "late")
	if code != 1 || !strings.Contains(out, "refused_has_data") || !strings.Contains(out, "--merge") {
		t.Fatalf("migrate late without --merge: exit %d:\n%s", code, out)
	}
	if !maps.Equal(snap, e2etest.Dump(ctx, t, oldDB, "statsctl:*")) {
		t.Fatal("a refused migrate changed statsctl's keys")
	}
	out, code = run(t, bin, "--redis", statsURL, "-o", "json", "migrate", "legacy", "--from", statsURL, "late", "--merge")
	var rep struct {
		Products []struct{ Product, Status string }
	}
	if err := json.Unmarshal([]byte(out[:strings.LastIndex(out, "}")+1]), &rep); code != 0 || err != nil || len(rep.Products) != 1 || rep.Products[0].Status != "merged" {
		t.Fatalf("migrate late --merge: exit %d, %v:\n%s", code, err, out)
	}
	checkPortal(t, base, want, []string{"exrps", "ttt", "late"})
	checkPortal(t, base, whole, []string{"exrps", "ttt", "late"})
	want.Compare(ctx, t, oldDB, "statsctl")

	if !maps.Equal(oldKeys, e2etest.Dump(ctx, t, oldDB, "_*")) {
		t.Fatal("the old service's keys changed")
	}
	if code := cons.Stop(t, 20*time.Second); code != 0 {
		t.Fatalf("consume exit %d:\n%s", code, e2etest.Tail(cons.Output()))
	}
}

// checkBytesAsDocumented checks the portal's bytes against what
// docs/serve.md says differs from the old service: application/json,
// compact separators, score before user_id, a trailing newline.
func checkBytesAsDocumented(t *testing.T, url, prefix, suffix string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	body := string(b)
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("%s: Content-Type %q, docs/serve.md says application/json", url, ct)
	}
	if !strings.HasPrefix(body, prefix) || !strings.HasSuffix(body, suffix) || strings.Contains(body, ", ") || strings.Contains(body, ": ") {
		t.Errorf("%s: body %q is not laid out as docs/serve.md says", url, body)
	}
}

// docs/serve.md once said the portal could not tell the services apart;
// the bytes differ, and the page must say how (the contract's "Databases
// and bytes").
func TestServeDocStatesByteDifferences(t *testing.T) {
	b, err := os.ReadFile("../../docs/serve.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	if strings.Contains(doc, "cannot tell the") {
		t.Error("docs/serve.md claims the portal cannot tell the services apart")
	}
	for _, want := range []string{"`text/html; charset=utf-8`", "`application/json`", `[{"user_id": "u1", "score": 14.0}]`, `[{"score":14.0,"user_id":"u1"}]`} {
		if !strings.Contains(doc, want) {
			t.Errorf("docs/serve.md does not state %s", want)
		}
	}
}
