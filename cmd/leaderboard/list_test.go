package leaderboard_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/varcade/statsctl/internal/cmdtest"
	"github.com/varcade/statsctl/internal/testredis"
)

func TestLeaderboardUsers(t *testing.T) {
	srv := testredis.Start(t)
	env := cmdtest.Redis(srv.URL())
	seed(t, env)
	r := cmdtest.MustOK(t, cmdtest.Run(t, env, nil, "leaderboard", "exrps", "--users", "u4,u2,ghost,u2", "-o", "json"))
	want := `{"total":4,"entries":[{"list_rank":1,"rank":2,"user_id":"u2","score":1},{"list_rank":2,"rank":4,"user_id":"u4","score":0}],"absent":["ghost"]}`
	if strings.TrimSpace(r.Out) != want {
		t.Fatalf("json\n got %s\nwant %s", r.Out, want)
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "friends.txt")
	if err := os.WriteFile(file, []byte("u1\n\nu3\r\nu4\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r = cmdtest.MustOK(t, cmdtest.Run(t, env, nil, "leaderboard", "exrps", "--users-file", file, "--around", "u4", "--limit", "2", "-o", "csv"))
	if r.Out != "list_rank,rank,user_id,score\n2,2,u3,1\n3,4,u4,0\n" {
		t.Fatalf("csv %q", r.Out)
	}
	r = cmdtest.MustOK(t, cmdtest.Run(t, env, nil, "leaderboard", "exrps", "--users", "u1,ghost"))
	if !strings.Contains(r.Out, "IN LIST") || !strings.Contains(r.Err, "Not on the wins board of exrps: ghost.") {
		t.Fatalf("table %q %q", r.Out, r.Err)
	}
	many := strings.Repeat("x,", 1000) + "y"
	for _, args := range [][]string{
		{"leaderboard", "exrps", "--users", many},
		{"leaderboard", "exrps", "--users", "u1", "--users-file", file},
		{"leaderboard", "exrps", "--users", "u1", "--offset", "2"},
		{"leaderboard", "exrps", "--users", "u1,\x01"},
		{"leaderboard", "exrps", "--users-file", filepath.Join(dir, "missing")},
	} {
		if r := cmdtest.Run(t, env, nil, args...); r.Code != 2 {
			t.Errorf("%.80q: exit %d (%s), want 2", args, r.Code, r.Err)
		}
	}
	if r := cmdtest.Run(t, env, nil, "leaderboard", "exrps", "--users", many); !strings.Contains(r.Err, "lists 1001 players; at most 1000 per list") {
		t.Errorf("bound message %q", r.Err)
	}
	if r := cmdtest.Run(t, env, nil, "leaderboard", "exrps", "--users", "u1,u2", "--around", "u4"); r.Code != 1 || !strings.Contains(r.Err, "u4 is not among the listed players") {
		t.Errorf("around an unlisted player: %d %q", r.Code, r.Err)
	}
}
