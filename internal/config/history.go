package config

import (
	"strconv"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/varcade/statsctl/internal/handler"
)

// historyKey is the board key every kind takes: `history: {points: N,
// every: D}` (docs/config.md). It is added to each kind's allowed keys.
const historyKey = "history"

// history parses a board's history: setting. points defaults to
// handler.DefaultHistoryPoints and is at most handler.MaxHistoryPoints, so
// a player's history on one board instance is bounded; every is a duration
// of at least 1s (one point per interval, the latest), or absent (a point
// per game).
func (p *parser) history(n *yaml.Node, what string) handler.History {
	what += " history"
	f := p.mapping(n, what+" (points, every)", "points", "every")
	h := handler.History{Points: handler.DefaultHistoryPoints}
	if v, ok := f["points"]; ok {
		h.Points = int(p.num(v, what+" points", 1, handler.MaxHistoryPoints))
		if float64(h.Points) != mustFloat(v.Value) {
			p.errorf(v, "%s points %q must be a whole number", what, v.Value)
		}
	}
	if v, ok := f["every"]; ok {
		d, err := time.ParseDuration(v.Value)
		if err != nil || d < time.Second {
			p.errorf(v, "%s every %q must be a duration of at least 1s, such as 1h or 24h", what, v.Value)
		}
		h.Every = d
	}
	return h
}

func mustFloat(s string) float64 {
	f, _ := strconv.ParseFloat(s, 64)
	return f
}
