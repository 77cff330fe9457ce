package config

import (
	"go.yaml.in/yaml/v3"

	"github.com/varcade/statsctl/internal/event"
	"github.com/varcade/statsctl/internal/handler"
	"github.com/varcade/statsctl/internal/rating"
)

var openSkillKeys = []string{"name", "scorer", "model", "mu", "sigma", "beta", "tau", "kappa", "z", "limit_sigma"}

// openSkill reads an openskill board. beta defaults to sigma/2 and tau to
// mu/300 of the configured mu and sigma, as the reference implementations
// derive them.
func (p *parser) openSkill(f map[string]*yaml.Node, name, what string) handler.Handler {
	s := handler.NewOpenSkill(name)
	m := &s.Model
	if v, ok := f["model"]; ok {
		switch v.Value {
		case "plackett_luce":
			m.Model = rating.PlackettLuce
		case "bradley_terry_full":
			m.Model = rating.BradleyTerryFull
		default:
			p.errorf(v, "%s model %q: want plackett_luce (the default) or bradley_terry_full", what, v.Value)
		}
	}
	if v, ok := f["mu"]; ok {
		m.Mu = p.num(v, what+" mu", 0, 1e6)
		m.Tau = m.Mu / 300
	}
	if v, ok := f["sigma"]; ok {
		m.Sigma = p.num(v, what+" sigma", 0.001, 1e6)
		m.Beta = m.Sigma / 2
	}
	if v, ok := f["beta"]; ok {
		m.Beta = p.num(v, what+" beta (performance noise, default sigma/2)", 0.001, 1e6)
	}
	if v, ok := f["tau"]; ok {
		m.Tau = p.num(v, what+" tau (dynamics added to sigma per match, default mu/300)", 0, 1e6)
	}
	if v, ok := f["kappa"]; ok {
		m.Kappa = p.num(v, what+" kappa (variance floor, default 0.0001)", 1e-12, 1)
	}
	if v, ok := f["z"]; ok {
		s.Z = p.num(v, what+" z (the board ranks by mu - z*sigma; 0 ranks by mu)", 0, 10)
	}
	if v, ok := f["limit_sigma"]; ok {
		switch v.Value {
		case "true":
			m.LimitSigma = true
		case "false":
		default:
			p.errorf(v, "%s limit_sigma %q: want true or false", what, v.Value)
		}
	}
	return s
}

// results reads a product's results: section, the rules every handler of
// the product applies to game_over and match_over events alike.
func (p *parser) results(n *yaml.Node, what string) handler.ResultRules {
	what += " results"
	f := p.mapping(n, what, "max_teams", "max_players", "draw_field", "draw_value")
	var r handler.ResultRules
	if v, ok := f["max_teams"]; ok {
		r.MaxTeams = int(p.num(v, what+" max_teams", 2, 1000))
	}
	if v, ok := f["max_players"]; ok {
		r.MaxPlayers = int(p.num(v, what+" max_players", 2, 1000))
	}
	df, hasField := f["draw_field"]
	dv, hasValue := f["draw_value"]
	switch {
	case hasField && hasValue:
		r.DrawField = p.str(df, what+" draw_field")
		r.DrawValue = p.str(dv, what+" draw_value")
		if r.DrawField == event.FieldWinner || r.DrawField == event.FieldLoser || r.DrawField == event.FieldType {
			p.errorf(df, "%s draw_field %q is a field every game_over uses; name a field of its own, e.g. result", what, r.DrawField)
		}
	case hasField || hasValue:
		p.errorf(n, "%s: give draw_field and draw_value together (e.g. draw_field: result, draw_value: draw)", what)
	}
	return r
}

// resultStats reads result_stats: true, the built-in result counting
// (games, wins, losses, draws, matches, podiums, placement_sum) for a
// product whose results are not only decided 1v1 game_overs.
func (p *parser) resultStats(n *yaml.Node, what string) []handler.Handler {
	switch n.Value {
	case "true":
		return []handler.Handler{handler.GameOverStats{}}
	case "false":
		return nil
	}
	p.errorf(n, "%s result_stats %q: want true (count every game_over and match_over as the built-in products do) or false", what, n.Value)
	return nil
}
