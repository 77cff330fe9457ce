package record_test

import (
	"strings"
	"testing"

	"github.com/varcade/statsctl/internal/cmdtest"
	"github.com/varcade/statsctl/internal/testredis"
)

func TestRecordAppliesLikeGameOver(t *testing.T) {
	srv := testredis.Start(t)
	env := cmdtest.Redis(srv.URL())
	r := cmdtest.MustOK(t, cmdtest.Run(t, env, nil, "record", "exrps", "u1", "u2", "--id", "m1", "-o", "json"))
	want := `{"status":"applied","product":"exrps","board":"wins","winner":{"user_id":"u1","rank":1,"score":1},"loser":{"user_id":"u2","rank":2,"score":0}}`
	if strings.TrimSpace(r.Out) != want {
		t.Fatalf("got  %s\nwant %s", r.Out, want)
	}
	r = cmdtest.MustOK(t, cmdtest.Run(t, env, nil, "record", "exrps", "u1", "u2", "--id", "m1"))
	if !strings.Contains(r.Out, "Already recorded") {
		t.Fatalf("same id again: %s", r.Out)
	}
	r = cmdtest.MustOK(t, cmdtest.Run(t, env, nil, "record", "exrps", "u2", "u1", "-o", "csv"))
	if r.Out != "status,product,board,user_id,rank,score\napplied,exrps,wins,u2,1,1\napplied,exrps,wins,u1,1,1\n" {
		t.Fatalf("csv %q", r.Out)
	}
	r = cmdtest.MustOK(t, cmdtest.Run(t, env, nil, "stats", "exrps", "u1", "-o", "json"))
	if strings.TrimSpace(r.Out) != `{"games":2,"wins":1,"losses":1}` {
		t.Fatalf("stats %s", r.Out)
	}
	for _, args := range [][]string{{"record", "exrps", "u1"}, {"record", "exrps", "u1", "u1"}, {"record", "ex rps", "a", "b"}} {
		if r := cmdtest.Run(t, env, nil, args...); r.Code != 2 || r.Err == "" {
			t.Errorf("%v: exit %d %q, want 2", args, r.Code, r.Err)
		}
	}
}
