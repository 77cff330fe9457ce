package migrate_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/varcade/statsctl/internal/cmdtest"
	"github.com/varcade/statsctl/internal/e2etest"
	"github.com/varcade/statsctl/internal/testredis"
)

// Usage mistakes exit 2 with a message naming the fix.
func TestUsageErrors(t *testing.T) {
	env := cmdtest.Embedded(t)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"migrate", "legacy"}, "--from"},
		{[]string{"migrate", "legacy", "--from", "redis://127.0.0.1:1/2", "--page", "0"}, "--page"},
		{[]string{"migrate", "legacy", "--from", "redis://127.0.0.1:1/2", "ex{rps}"}, "product"},
		{[]string{"migrate", "legacy", "--from", "http://x"}, "redis://"},
		{[]string{"-o", "yaml", "migrate", "legacy", "--from", "redis://127.0.0.1:1/2"}, "output"},
	} {
		r := cmdtest.Run(t, env, nil, c.args...)
		if r.Code != 2 || !strings.Contains(r.Err, c.want) {
			t.Errorf("%v: exit %d, stderr %q (want 2 and %q)", c.args, r.Code, r.Err, c.want)
		}
	}
	r := cmdtest.Run(t, env, nil, "migrate", "legacy", "--from", "redis://127.0.0.1:1/2")
	if r.Code != 1 || !strings.Contains(r.Err, "old stats Redis") {
		t.Errorf("unreachable source: exit %d, stderr %q", r.Code, r.Err)
	}
}

// The default target is the embedded store, and the source defaults to
// STATS_TRACKER_REDIS_URL (which is then also the target: same database,
// other keys). JSON and CSV are for programs.
func TestTargetsAndFormats(t *testing.T) {
	srv := testredis.Start(t)
	old := redis.NewClient(&redis.Options{Addr: srv.Addr, DB: 2})
	defer old.Close()
	events := platformEvents(11, 300, "exrps", "ttt")
	for _, e := range events {
		e2etest.OldService{RDB: old}.Apply(ctx, t, e)
	}
	env := cmdtest.Embedded(t)
	r := cmdtest.MustOK(t, cmdtest.Run(t, env, nil, "-o", "json", "migrate", "legacy", "--from", srv.URL()+"/2"))
	var rep struct {
		DryRun   bool `json:"dry_run"`
		Products []struct {
			Product, Status string
			Players         int64
		}
	}
	if err := json.Unmarshal([]byte(r.Out), &rep); err != nil || len(rep.Products) != 2 || rep.Products[0].Status != "imported" {
		t.Fatalf("json %v: %s", err, r.Out)
	}
	r = cmdtest.MustOK(t, cmdtest.Run(t, env, nil, "leaderboard", "exrps", "-o", "json"))
	if !strings.Contains(r.Out, `"user_id"`) {
		t.Fatalf("embedded board after import: %s", r.Out)
	}

	r = cmdtest.MustOK(t, cmdtest.Run(t, cmdtest.Env{"STATS_TRACKER_REDIS_URL": srv.URL() + "/2"}, nil, "-o", "csv", "migrate", "legacy"))
	if !strings.HasPrefix(r.Out, "product,status,players,stats_hashes,fields,bad_values,") || strings.Count(r.Out, ",imported,") != 2 {
		t.Fatalf("csv: %s", r.Out)
	}
	e2etest.ModelOf(events).Compare(ctx, t, old, "statsctl")
}
