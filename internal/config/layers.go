package config

import (
	"strings"
	"time"

	// Period boards name IANA zones; the embedded database makes them
	// load the same on a host (or CI image) without /usr/share/zoneinfo.
	_ "time/tzdata"

	"go.yaml.in/yaml/v3"

	"github.com/varcade/statsctl/internal/handler"
)

// layerKeys are the board keys of the period and segment layers
// (docs/boards.md), allowed on every kind. Glicko-2 keeps its own
// period: (its rating period, a duration), so it takes no board period.
var layerKeys = []string{"time_zone", "keep", "grace", "week_start", "standings", "split_by", "segments", "max_segments"}

// MaxStandings bounds how many entries a closed period publishes.
const MaxStandings = 1000

// ratedMinPeriod is the shortest period a rating board may restart on:
// a rating needs tens of games per player to mean anything, which a day
// rarely gives.
const ratedMinPeriod = 6 * 24 * time.Hour

// layers wraps a board's kind in its period and segment layers, if the
// board configures any.
func (p *parser) layers(f map[string]*yaml.Node, name, what, scorer string, kind handler.Handler) handler.Handler {
	l := handler.Layered{Board: name}
	var periodic, split bool
	if v, ok := f["period"]; ok && scorer != "glicko2" {
		periodic = true
		loc := time.UTC
		if z, ok := f["time_zone"]; ok {
			var err error
			if loc, err = time.LoadLocation(z.Value); err != nil || z.Value == "" || z.Value == "Local" {
				p.errorf(z, "%s time_zone %q is not an IANA zone name such as Europe/Berlin or UTC", what, z.Value)
				loc = time.UTC
			}
		}
		per, err := handler.ParsePeriod(v.Value, loc)
		if err != nil {
			p.errorf(v, "%s: %v", what, err)
			return kind
		}
		if w, ok := f["week_start"]; ok {
			switch {
			case per.Kind != handler.Weekly:
				p.errorf(w, "%s week_start applies to period: weekly only", what)
			case w.Value == "sunday":
				per.SundayWeeks = true
			case w.Value != "monday":
				p.errorf(w, "%s week_start %q: want monday (ISO weeks, the default) or sunday", what, w.Value)
			}
		}
		if k, ok := f["keep"]; ok {
			per.Keep = int(p.num(k, what+" keep (periods kept, the current one included)", 2, handler.MaxKeep))
		}
		shortest := per.Shortest()
		if g, ok := f["grace"]; ok {
			d, err := time.ParseDuration(g.Value)
			if err != nil || d < 0 {
				p.errorf(g, "%s grace %q must be a duration such as 10m or 2h", what, g.Value)
			} else if d >= shortest {
				p.errorf(g, "%s grace %v must be shorter than the board's shortest period (%v), or a period would be trimmed before it closes", what, d, shortest)
			}
			per.Grace = d
		}
		if scorer == "elo" && shortest < ratedMinPeriod {
			p.errorf(v, "%s: an Elo board restarts from scratch every period, which needs periods of a week or more (this one is %v); use weekly, monthly or a longer cron", what, shortest)
		}
		if n, ok := f["standings"]; ok {
			l.Standings = int(p.num(n, what+" standings (entries published when a period closes)", 0, MaxStandings))
		} else {
			l.Standings = 10
		}
		l.Period = &per
	} else if ok && scorer == "glicko2" {
		if _, err := time.ParseDuration(v.Value); err != nil {
			p.errorf(v, "%s: a Glicko-2 board is not periodic (its period: is the rating period, a duration such as 168h): "+
				"its deviation models skill changing between games, which a fresh start each period throws away; use an elo or wins board for a season", what)
		}
	}
	for _, k := range []string{"time_zone", "keep", "grace", "week_start", "standings"} {
		if n, ok := f[k]; ok && !periodic {
			p.errorf(n, "%s %s needs a board period: (daily, weekly, monthly or cron)", what, k)
		}
	}
	if v, ok := f["split_by"]; ok {
		split = true
		by := p.strs(v, what+" split_by")
		if len(by) == 0 || len(by) > handler.MaxSplitFields {
			p.errorf(v, "%s split_by needs 1 to %d event fields", what, handler.MaxSplitFields)
		}
		s := handler.Split{By: by}
		sv, hasValues := f["segments"]
		mv, hasMax := f["max_segments"]
		switch {
		case hasValues && hasMax:
			p.errorf(mv, "%s: give segments: (an allow-list) or max_segments:, not both", what)
		case hasValues:
			for _, seg := range p.strs(sv, what+" segments") {
				for _, part := range strings.Split(seg, ",") {
					if err := handler.CheckSegmentValue(part); err != nil {
						p.errorf(sv, "%s segments: %v", what, err)
					}
				}
				if strings.Count(seg, ",") != len(by)-1 {
					p.errorf(sv, "%s segment %q must have %d value(s) joined by ',' (split_by: %s)", what, seg, len(by), strings.Join(by, ","))
				}
				s.Values = append(s.Values, seg)
			}
			if len(s.Values) == 0 || len(s.Values) > handler.MaxSegments {
				p.errorf(sv, "%s segments must list 1 to %d segments", what, handler.MaxSegments)
			}
		case hasMax:
			s.Max = int(p.num(mv, what+" max_segments", 1, handler.MaxSegments))
		default:
			p.errorf(v, "%s: a split board needs a bound: segments: [eu, us] (allow-list) or max_segments: N", what)
		}
		l.Split = &s
	} else {
		for _, k := range []string{"segments", "max_segments"} {
			if n, ok := f[k]; ok {
				p.errorf(n, "%s %s needs split_by:", what, k)
			}
		}
	}
	if !periodic && !split {
		return kind
	}
	rb, ok := kind.(handler.Rebinder)
	if !ok {
		p.errorf(nil, "%s: its kind cannot be periodic or split (it does not implement handler.Rebinder)", what)
		return kind
	}
	l.Kind = rb
	return handler.NewLayered(l)
}
