package config

import (
	"strings"
	"testing"

	"github.com/varcade/statsctl/internal/event"
	"github.com/varcade/statsctl/internal/handler"
	"github.com/varcade/statsctl/internal/rating"
)

func TestTeamGameConfig(t *testing.T) {
	c, err := Load("../../testdata/config/team-game.yaml")
	if err != nil {
		t.Fatal(err)
	}
	reg, err := c.Registry()
	if err != nil {
		t.Fatal(err)
	}
	p := reg.Lookup("exarena")
	os, ok := p.Boards[0].Scorer.(handler.OpenSkill)
	if !ok || os.Model != rating.DefaultOpenSkill() || os.Z != 3 || os.Rules.MaxTeams != 16 || os.Rules.MaxPlayers != 32 || os.Rules.DrawField != "result" {
		t.Fatalf("openskill board %+v", p.Boards[0].Scorer)
	}
	if e := p.Boards[1].Scorer.(handler.Elo); e.K != 32 || e.Rules.MaxTeams != 16 {
		t.Fatalf("elo board %+v", e)
	}
	if len(p.Stats) != 1 || p.Stats[0].(handler.GameOverStats).Rules.MaxPlayers != 32 {
		t.Fatalf("stats %+v", p.Stats)
	}
	// The bound holds for every handler of the product: 17 teams are refused.
	teams := make([]string, 17)
	for i := range teams {
		teams[i] = `["p` + string(rune('a'+i)) + `"]`
	}
	ev := event.Event{Fields: map[string]string{"product_id": "exarena", "type": "match_over", "teams": "[" + strings.Join(teams, ",") + "]", "ranks": "[" + strings.Repeat("1,", 16) + "1]"}}
	if _, err := p.Handle(ev, handler.NoValues{}); err == nil || !strings.Contains(err.Error(), "max_teams") {
		t.Fatalf("17 teams: %v", err)
	}
}

func TestOpenSkillConfigDefaultsFollowMuAndSigma(t *testing.T) {
	c, err := Parse("x.yaml", []byte("products:\n  p:\n    boards:\n      - {name: s, scorer: openskill, mu: 30, sigma: 10, model: bradley_terry_full, z: 0, limit_sigma: true}\n"))
	if err != nil {
		t.Fatal(err)
	}
	s := c.Products["p"].Boards[0].Scorer.(handler.OpenSkill)
	if m := s.Model; m.Mu != 30 || m.Sigma != 10 || m.Beta != 5 || m.Tau != 0.1 || m.Model != rating.BradleyTerryFull || !m.LimitSigma || s.Z != 0 || m.Kappa != rating.DefaultOSKappa {
		t.Fatalf("%+v", s)
	}
}

func TestBadResultsConfigs(t *testing.T) {
	const b = "products:\n  p:\n    boards:\n      - {name: s, scorer: openskill"
	cases := []struct{ name, text, want string }{
		{"model", b + ", model: glicko}\n", "x.yaml:4: product p board s model \"glicko\": want plackett_luce"},
		{"sigma", b + ", sigma: 0}\n", "x.yaml:4: product p board s sigma 0 is out of range"},
		{"z", b + ", z: 11}\n", "x.yaml:4: product p board s z (the board ranks by mu - z*sigma; 0 ranks by mu) 11 is out of range"},
		{"foreign key", b + ", k: 32}\n", "unknown key \"k\""},
		{"limit_sigma", b + ", limit_sigma: maybe}\n", "limit_sigma \"maybe\": want true or false"},
		{"max_teams", b + "}\n    results: {max_teams: 1}\n", "x.yaml:5: product p results max_teams 1 is out of range [2, 1000]"},
		{"draw field alone", b + "}\n    results: {draw_field: result}\n", "x.yaml:5: product p results: give draw_field and draw_value together"},
		{"draw field winner", b + "}\n    results: {draw_field: winner_id, draw_value: x}\n", "draw_field \"winner_id\" is a field every game_over uses"},
		{"results key", b + "}\n    results: {teams: 3}\n", "unknown key \"teams\" in product p results"},
		{"result_stats", b + "}\n    result_stats: yes please\n", "result_stats \"yes please\": want true"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse("x.yaml", []byte(c.text))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error\n%v\nwant it to contain\n%s", err, c.want)
			}
		})
	}
}
