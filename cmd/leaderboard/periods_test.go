package leaderboard_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/varcade/statsctl/internal/cmdtest"
	"github.com/varcade/statsctl/internal/handler"
	"github.com/varcade/statsctl/internal/store"
	"github.com/varcade/statsctl/internal/testredis"
)

// The periodic and split board through the CLI: --period previous and
// --segment read their own instance, --periods lists every instance with
// its size and a status (ended until the closer closes a past period,
// then closed; live for the current one), and -o csv carries the stored
// fields.
func TestLeaderboardPeriodsAndSegments(t *testing.T) {
	srv := testredis.Start(t)
	cfg := filepath.Join(t.TempDir(), "games.yaml")
	if err := os.WriteFile(cfg, []byte("products:\n  exrps:\n    boards:\n      - {name: wins, scorer: wins}\n"+
		"      - {name: weekly, scorer: wins, period: weekly, keep: 3, split_by: [region], segments: [eu, us]}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	env := cmdtest.Redis(srv.URL())
	env["STATSCTL_CONFIG"] = cfg
	per, err := handler.ParsePeriod("weekly", time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	cur := per.Start(now)
	prev := per.Prev(cur)
	at := func(week time.Time, i int) string {
		return week.Add(now.Sub(cur)/2 + time.Duration(i)*time.Second).UTC().Format(time.RFC3339)
	}
	// Last week: ann beats bob twice in eu, cy beats bob in us. This week:
	// bob beats ann in eu.
	games := []struct {
		week         time.Time
		region, w, l string
	}{{prev, "eu", "ann", "bob"}, {prev, "eu", "ann", "bob"}, {prev, "us", "cy", "bob"}, {cur, "eu", "bob", "ann"}}
	lines := ""
	for i, g := range games {
		lines += fmt.Sprintf(`{"id":"g%d","time":%q,"product_id":"exrps","type":"game_over","winner_id":%q,"loser_id":%q,"region":%q}`+"\n",
			i, at(g.week, i), g.w, g.l, g.region)
	}
	jsonl := filepath.Join(t.TempDir(), "g.jsonl")
	if err := os.WriteFile(jsonl, []byte(lines), 0o644); err != nil {
		t.Fatal(err)
	}
	cmdtest.MustOK(t, cmdtest.Run(t, env, nil, "track", "-f", jsonl))

	r := cmdtest.MustOK(t, cmdtest.Run(t, env, nil, "leaderboard", "exrps", "--board", "weekly", "--period", "previous", "--segment", "region=eu", "-o", "csv"))
	if r.Out != "rank,user_id,score\n1,ann,2\n2,bob,0\n" {
		t.Errorf("previous week in eu:\n%s", r.Out)
	}
	r = cmdtest.MustOK(t, cmdtest.Run(t, env, nil, "leaderboard", "exrps", "--board", "weekly", "-o", "csv"))
	if r.Out != "rank,user_id,score\n1,bob,1\n2,ann,0\n" {
		t.Errorf("this week, all regions:\n%s", r.Out)
	}

	status := func() map[string]string {
		t.Helper()
		r := cmdtest.MustOK(t, cmdtest.Run(t, env, nil, "leaderboard", "exrps", "--board", "weekly", "--periods"))
		got := map[string]string{}
		for _, line := range strings.Split(r.Out, "\n") {
			f := strings.FieldsFunc(line, func(r rune) bool { return r == '│' || r == '|' })
			if len(f) == 5 && strings.TrimSpace(f[0]) != "PERIOD" {
				got[strings.TrimSpace(f[0])+"~"+strings.TrimSpace(f[1])+"="+strings.TrimSpace(f[3])] = strings.TrimSpace(f[4])
			}
		}
		return got
	}
	p, c := per.ID(prev), per.ID(cur)
	want := map[string]string{p + "~(all)=3": "ended", p + "~eu=2": "ended", p + "~us=2": "ended", c + "~(all)=2": "live", c + "~eu=2": "live"}
	if got := status(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("--periods before the close:\n got %v\nwant %v", got, want)
	}
	st := store.New(srv.Client(), store.Options{})
	if _, _, err := st.Freeze(context.Background(), store.BoardRef{Product: "exrps", Instance: "weekly@" + p}, "weekly", p, 10); err != nil {
		t.Fatal(err)
	}
	for k := range want {
		if strings.HasPrefix(k, p) {
			want[k] = "closed"
		}
	}
	if got := status(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("--periods after the close:\n got %v\nwant %v", got, want)
	}
	r = cmdtest.MustOK(t, cmdtest.Run(t, env, nil, "leaderboard", "exrps", "--board", "weekly", "--periods", "-o", "csv"))
	if !strings.HasPrefix(r.Out, "instance,period,segment,start,players,closed\n") || !strings.Contains(r.Out, "weekly@"+p+"~eu,"+p+",eu,") ||
		!strings.Contains(r.Out, ",2,true\n") || !strings.Contains(r.Out, ",2,false\n") {
		t.Errorf("--periods -o csv:\n%s", r.Out)
	}
}
