package admin_test

import (
	"strings"
	"testing"

	"github.com/varcade/statsctl/internal/cmdtest"
	"github.com/varcade/statsctl/internal/testredis"
)

func TestAdminCommands(t *testing.T) {
	srv := testredis.Start(t)
	env := cmdtest.Redis(srv.URL())
	env["USER"] = "alice"
	for _, g := range [][2]string{{"u1", "u2"}, {"u1", "u3"}, {"u2", "u4"}, {"u3", "u4"}} {
		cmdtest.MustOK(t, cmdtest.Run(t, env, nil, "record", "exrps", g[0], g[1]))
	}
	r := cmdtest.MustOK(t, cmdtest.Run(t, env, nil, "admin", "ban", "exrps", "u4", "--reason", "aimbot", "-o", "json"))
	if strings.TrimSpace(r.Out) != `[{"product_id":"exrps","user_id":"u4","board_entries":1,"rating_states":0,"stats_erased":false,"history_erased":0,"ban_changed":true}]` {
		t.Fatalf("ban: %s", r.Out)
	}
	if r := cmdtest.Run(t, env, nil, "record", "exrps", "u4", "u1"); r.Code != 1 || !strings.Contains(r.Err, "u4 is banned from exrps") {
		t.Fatalf("record of a banned player: %d %q", r.Code, r.Err)
	}
	r = cmdtest.MustOK(t, cmdtest.Run(t, env, nil, "admin", "bans", "exrps", "-o", "csv"))
	if !strings.HasPrefix(r.Out, "user_id,reason,actor,at\nu4,aimbot,alice,") {
		t.Fatalf("bans: %q", r.Out)
	}
	cmdtest.MustOK(t, cmdtest.Run(t, env, nil, "admin", "remove", "exrps", "u1", "--reason", "x", "--erase-stats", "--actor", "bob"))
	r = cmdtest.MustOK(t, cmdtest.Run(t, env, nil, "leaderboard", "exrps", "-o", "csv"))
	if r.Out != "rank,user_id,score\n1,u3,1\n1,u2,1\n" {
		t.Fatalf("board after ban and remove: %q", r.Out)
	}
	cmdtest.MustOK(t, cmdtest.Run(t, env, nil, "admin", "reset", "exrps", "--board", "wins", "--archive", "s1", "--reason", "season end"))
	r = cmdtest.MustOK(t, cmdtest.Run(t, env, nil, "admin", "reset", "exrps", "--board", "wins", "--archive", "s1", "--reason", "season end", "-o", "json"))
	if !strings.Contains(r.Out, `"already_done":true`) {
		t.Fatalf("reset again: %s", r.Out)
	}
	r = cmdtest.MustOK(t, cmdtest.Run(t, env, nil, "admin", "archive", "exrps", "s1", "-o", "csv"))
	if r.Out != "rank,user_id,score\n1,u3,1\n1,u2,1\n" {
		t.Fatalf("archive s1: %q", r.Out)
	}
	r = cmdtest.MustOK(t, cmdtest.Run(t, env, nil, "admin", "archives", "exrps", "-o", "csv"))
	if !strings.HasPrefix(r.Out, "archive,board,order,ties,actor,at\ns1,wins,desc,shared,alice,") {
		t.Fatalf("archives: %q", r.Out)
	}
	if r := cmdtest.Run(t, env, nil, "admin", "archive", "exrps", "s9"); r.Code != 1 || !strings.Contains(r.Err, "no archive s9") {
		t.Fatalf("unknown archive: %d %q", r.Code, r.Err)
	}
	cmdtest.MustOK(t, cmdtest.Run(t, env, nil, "admin", "erase", "u2", "--reason", "GDPR"))
	r = cmdtest.MustOK(t, cmdtest.Run(t, env, nil, "admin", "archive", "exrps", "s1", "-o", "csv"))
	if r.Out != "rank,user_id,score\n1,u3,1\n" {
		t.Fatalf("archive s1 after erasing u2: %q", r.Out)
	}
	cmdtest.MustOK(t, cmdtest.Run(t, env, nil, "admin", "unban", "exrps", "u4"))
	r = cmdtest.MustOK(t, cmdtest.Run(t, env, nil, "admin", "audit", "-o", "json"))
	for _, want := range []string{`"actor":"alice"`, `"actor":"bob"`, `"action":"erase"`, `"status":"done"`, `"via":"cli"`} {
		if !strings.Contains(r.Out, want) {
			t.Fatalf("audit lacks %s:\n%s", want, r.Out)
		}
	}
	noUser := cmdtest.Redis(srv.URL())
	for _, c := range []struct {
		env  cmdtest.Env
		args []string
	}{
		{env, []string{"admin", "ban", "exrps", "u4"}},                                 // no reason
		{noUser, []string{"admin", "ban", "exrps", "u4", "--reason", "x"}},             // no actor
		{env, []string{"admin", "reset", "exrps", "--board", "wins", "--reason", "x"}}, // no archive
		{env, []string{"admin", "reset", "exrps", "--board", "wins", "--archive", "A B", "--reason", "x"}},
		{env, []string{"admin", "reset", "exrps", "--board", "nope", "--archive", "a", "--reason", "x"}},
		{env, []string{"admin", "remove", "exrps", "bad\x01id", "--reason", "x"}},
		{env, []string{"admin", "erase"}},
		{env, []string{"admin", "audit", "--limit", "-1"}},
		{env, []string{"admin", "archive", "exrps", "A B"}},
		{env, []string{"admin", "archive", "exrps", "s1", "--offset", "-1"}},
	} {
		if r := cmdtest.Run(t, c.env, nil, c.args...); r.Code != 2 {
			t.Errorf("%q: exit %d (%s), want 2", c.args, r.Code, r.Err)
		}
	}
}
