package stats_test

import (
	"strings"
	"testing"

	"github.com/varcade/statsctl/internal/cmdtest"
	"github.com/varcade/statsctl/internal/testredis"
)

func TestStatsOrderAndFormats(t *testing.T) {
	srv := testredis.Start(t)
	env := cmdtest.Redis(srv.URL())
	cmdtest.MustOK(t, cmdtest.Run(t, env, nil, "record", "exrps", "ann", "bob"))
	for _, code := range []string{"1", "1", "null"} {
		cmdtest.MustOK(t, cmdtest.Run(t, env, nil, "track", "exrps", "type=gameplay", "event_name=select_weapon", "user_id=ann", "event_data="+code))
	}
	r := cmdtest.MustOK(t, cmdtest.Run(t, env, nil, "stats", "exrps", "ann", "-o", "json"))
	// The portal's stat_ordering: games, wins, losses, then weapon counts.
	if want := `{"games":1,"wins":1,"losses":0,"paper_selection_count":2,"botch_selection_count":1}`; strings.TrimSpace(r.Out) != want {
		t.Fatalf("json\n got %s\nwant %s", r.Out, want)
	}
	r = cmdtest.MustOK(t, cmdtest.Run(t, env, nil, "stats", "exrps", "bob", "-o", "csv"))
	if r.Out != "stat,value\ngames,1\nwins,0\nlosses,1\n" {
		t.Fatalf("csv %q", r.Out)
	}
	r = cmdtest.MustOK(t, cmdtest.Run(t, env, nil, "stats", "exrps", "nobody", "-o", "json"))
	if strings.TrimSpace(r.Out) != "{}" {
		t.Fatalf("no games: %q", r.Out)
	}
	r = cmdtest.MustOK(t, cmdtest.Run(t, env, nil, "stats", "exrps", "nobody"))
	if !strings.Contains(r.Err, "No stats for nobody in exrps yet") {
		t.Fatalf("no games, for a person: %q", r.Err)
	}
	for _, args := range [][]string{{"stats", "exrps"}, {"stats", "exrps", "a\tb"}, {"stats", "{x}", "u"}} {
		if r := cmdtest.Run(t, env, nil, args...); r.Code != 2 {
			t.Errorf("%v: exit %d, want 2", args, r.Code)
		}
	}
}

func TestUnreachableRedisFailsClearly(t *testing.T) {
	r := cmdtest.Run(t, cmdtest.Redis("redis://127.0.0.1:1"), nil, "stats", "exrps", "u1")
	if r.Code != 1 || !strings.Contains(r.Err, "connect to redis at redis://127.0.0.1:1") {
		t.Fatalf("exit %d: %s", r.Code, r.Err)
	}
	r = cmdtest.Run(t, cmdtest.Redis("localhost:6379"), nil, "stats", "exrps", "u1")
	if r.Code != 2 || !strings.Contains(r.Err, "must start with redis://") {
		t.Fatalf("exit %d: %s", r.Code, r.Err)
	}
	// The old service's variable is honoured, and a password never printed.
	r = cmdtest.Run(t, cmdtest.Env{"STATS_TRACKER_REDIS_URL": "redis://:s3cret@127.0.0.1:1/0"}, nil, "stats", "exrps", "u1")
	if r.Code != 1 || strings.Contains(r.Err, "s3cret") || !strings.Contains(r.Err, "127.0.0.1:1") {
		t.Fatalf("exit %d: %s", r.Code, r.Err)
	}
}
