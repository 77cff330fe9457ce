package handler

import (
	"testing"
	"time"

	"github.com/varcade/statsctl/internal/event"
	"github.com/varcade/statsctl/internal/gen"
)

func mustPeriod(t *testing.T, spec, zone string) Period {
	t.Helper()
	loc, err := time.LoadLocation(zone)
	if err != nil {
		t.Fatal(err)
	}
	p, err := ParsePeriod(spec, loc)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// The expected ids are written out by hand from a calendar, not computed.
func TestPeriodIDs(t *testing.T) {
	for _, c := range []struct {
		spec, zone, at, want, next string
	}{
		{"weekly", "UTC", "2026-11-30T12:00:00Z", "2026-W49", "2026-W50"},
		{"weekly", "UTC", "2026-12-31T23:59:59Z", "2026-W53", "2027-W01"},           // 2026 has 53 ISO weeks
		{"weekly", "UTC", "2027-01-03T10:00:00Z", "2026-W53", "2027-W01"},           // a Sunday, still 2026's week
		{"weekly", "UTC", "2025-12-29T00:00:00Z", "2026-W01", "2026-W02"},           // ISO 2026 starts in December 2025
		{"weekly", "Europe/Berlin", "2026-11-29T23:30:00Z", "2026-W49", "2026-W50"}, // Monday 00:30 in Berlin
		{"daily", "America/New_York", "2026-03-08T04:59:00Z", "2026-03-07", "2026-03-08"},
		{"daily", "America/New_York", "2026-03-09T03:59:00Z", "2026-03-08", "2026-03-09"}, // the 23-hour DST day
		{"monthly", "UTC", "2028-02-29T23:59:59Z", "2028-02", "2028-03"},
		{"monthly", "Pacific/Auckland", "2026-11-30T11:30:00Z", "2026-12", "2027-01"}, // already December there
		{"0 6 * * 1", "UTC", "2026-11-30T05:59:00Z", "2026-11-23T0600", "2026-11-30T0600"},
		{"0 6 * * 1", "UTC", "2026-11-30T06:00:00Z", "2026-11-30T0600", "2026-12-07T0600"},
	} {
		p := mustPeriod(t, c.spec, c.zone)
		at, _ := time.Parse(time.RFC3339, c.at)
		s := p.Start(at)
		if got := p.ID(s); got != c.want {
			t.Errorf("%s %s at %s: id %s, want %s", c.spec, c.zone, c.at, got, c.want)
		}
		if got := p.ID(p.Next(s)); got != c.next {
			t.Errorf("%s %s at %s: next %s, want %s", c.spec, c.zone, c.at, got, c.next)
		}
		if got := p.ID(p.Prev(p.Next(s))); got != c.want {
			t.Errorf("%s: prev of next is %s", c.want, got)
		}
		back, err := p.ParseID(c.want)
		if err != nil || !back.Equal(s) {
			t.Errorf("ParseID(%s) = %v, %v; want %v", c.want, back, err, s)
		}
		if !p.Shift(s, 3).Equal(p.Next(p.Next(p.Next(s)))) || !p.Shift(s, -2).Equal(p.Prev(p.Prev(s))) {
			t.Errorf("%s: Shift disagrees with Next/Prev", c.want)
		}
	}
}

func TestPeriodParseIDRefuses(t *testing.T) {
	w := mustPeriod(t, "weekly", "UTC")
	for _, id := range []string{"2025-W53", "2026-W54", "2026-W00", "2026-W1", "26-W10", "2026-11", ""} {
		if _, err := w.ParseID(id); err == nil {
			t.Errorf("weekly ParseID(%q) accepted", id)
		}
	}
	m := mustPeriod(t, "monthly", "UTC")
	for _, id := range []string{"2026-13", "2026-1", "2026-11-01"} {
		if _, err := m.ParseID(id); err == nil {
			t.Errorf("monthly ParseID(%q) accepted", id)
		}
	}
	c := mustPeriod(t, "0 6 * * 1", "UTC")
	if _, err := c.ParseID("2026-11-30T0700"); err == nil {
		t.Error("cron ParseID accepted a time no firing starts at")
	}
	for _, spec := range []string{"* * * * *", "*/30 * * * *", "@every 1h", "CRON_TZ=UTC 0 6 * * 1", "bogus", "0 0 30 2 *"} {
		if _, err := ParsePeriod(spec, time.UTC); err == nil {
			t.Errorf("ParsePeriod(%q) accepted", spec)
		}
	}
}

func TestLayeredPlacesEvents(t *testing.T) {
	per := mustPeriod(t, "weekly", "UTC")
	l := Layered{Board: "wk", Kind: Wins{}, Period: &per, Split: &Split{By: []string{"region"}, Max: 4}}
	ev := func(id string, kv ...string) event.Event {
		f := map[string]string{"product_id": "p", "type": "game_over", "winner_id": "a", "loser_id": "b"}
		for i := 0; i+1 < len(kv); i += 2 {
			f[kv[i]] = kv[i+1]
		}
		return event.Event{ID: id, Fields: f}
	}
	ms := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC).UnixMilli()
	ch, err := l.Handle(ev(itoa(ms)+"-0", "region", "eu"), NoValues{})
	if err != nil {
		t.Fatal(err)
	}
	boards := map[string]int{}
	for _, c := range ch {
		boards[c.Board]++
	}
	if boards["wk@2026-W49"] != 3 || boards["wk@2026-W49~eu"] != 3 {
		t.Errorf("changes %v", ch)
	}
	if _, err := l.Handle(ev("", "region", "eu"), NoValues{}); err == nil || err.(*Invalid).Reason != ReasonMissingTime {
		t.Errorf("no time: %v", err)
	}
	if _, err := l.Handle(ev(itoa(ms)+"-0"), NoValues{}); err == nil || err.(*Invalid).Reason != ReasonMissingField {
		t.Errorf("no region: %v", err)
	}
	if _, err := l.Handle(ev(itoa(ms)+"-0", "region", "e~u"), NoValues{}); err == nil || err.(*Invalid).Reason != ReasonBadSegment {
		t.Errorf("bad region: %v", err)
	}
	other := event.Event{Fields: map[string]string{"product_id": "p", "type": "state_change"}}
	if ch, err := l.Handle(other, NoValues{}); err != nil || len(ch) != 0 {
		t.Errorf("an event the kind ignores must stay ignored without a time: %v %v", ch, err)
	}
}

func itoa(n int64) string { return formatInt(n) }

func formatInt(n int64) string {
	b := []byte{}
	for n > 0 {
		b = append([]byte{byte('0' + n%10)}, b...)
		n /= 10
	}
	return string(b)
}

// TestLayeredIgnoresCheaply: an event the kind has no business with (most
// of a stream) costs a periodic, split board what it costs the bare kind
// (every kind is Selective): no event time, period id or segment is
// worked out for it. The old Handle placed every event first (4 to 12
// more allocations: the period id, the segment, the instance names).
func TestLayeredIgnoresCheaply(t *testing.T) {
	per := mustPeriod(t, "weekly", "Europe/Berlin")
	ms := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC).UnixMilli()
	ev := event.Event{ID: itoa(ms) + "-0", Fields: map[string]string{"product_id": "p", "type": "gameplay", "event_name": "select_weapon", "region": "eu", "user_id": "a"}}
	for _, kind := range []Rebinder{Wins{Board: "wk"}, Elo{Board: "wk", K: 32}} {
		h := NewLayered(Layered{Board: "wk", Kind: kind, Period: &per, Split: &Split{By: []string{"region"}, Values: []string{"eu"}}})
		bare := kind.(Handler)
		cost := func(h Handler) float64 {
			return testing.AllocsPerRun(200, func() {
				if st, ok := h.(Stateful); ok {
					_ = st.Needs(ev)
				}
				if _, err := h.Handle(ev, NoValues{}); err != nil {
					t.Fatal(err)
				}
			})
		}
		if got, want := cost(h), cost(bare); got > want {
			t.Errorf("%T: an ignored event costs the layered board %.0f allocations, the bare kind %.0f", kind, got, want)
		}
	}
}

// TestSelectiveIsTruthful: a kind's Counts says false only of events its
// Handle returns nothing and no error for, over a generated stream with
// broken lines, team results and value events (the layers skip what
// Counts refuses, so a false "false" would drop a count or hide an
// invalid event).
func TestSelectiveIsTruthful(t *testing.T) {
	kinds := []Handler{
		Wins{Board: "w"}, Elo{Board: "e", K: 32}, Glicko2{Board: "g", Tau: 0.5}, NewOpenSkill("o"),
		Value{Board: "v", Match: map[string]string{"type": "gameplay", "event_name": "progression"}, Player: "user_id", Field: "event_data", Op: OpSum},
	}
	var evs []event.Event
	err := gen.Each(gen.Options{Games: 300, Players: 20, Seed: 7, BadEvery: 5}, func(f gen.Fields, raw string, _ bool) error {
		m := map[string]string{}
		for i := 0; i+1 < len(f); i += 2 {
			m[f[i]] = f[i+1]
		}
		evs = append(evs, event.Event{ID: "1764500000000-0", Fields: m})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	evs = append(evs,
		event.Event{Fields: map[string]string{"product_id": "p", "type": "match_over", "teams": `[["a","b"],["c"]]`, "ranks": "[1,2]"}},
		event.Event{Fields: map[string]string{"product_id": "p", "type": "match_over", "teams": `[["a"]]`, "ranks": "[1]"}},
		event.Event{Fields: map[string]string{"product_id": "p", "type": "game_over", "winner_id": "a"}},
		event.Event{Fields: map[string]string{"product_id": "p", "type": "gameplay", "event_name": "progression", "user_id": "a", "event_data": "x"}})
	for _, k := range kinds {
		counted := 0
		for _, ev := range evs {
			ch, err := k.Handle(ev, NoValues{})
			if k.(Selective).Counts(ev) {
				counted++
				continue
			}
			if err != nil || len(ch) != 0 {
				t.Fatalf("%T.Counts(%v) is false but Handle gives %v, %v", k, ev.Fields, ch, err)
			}
		}
		if counted == 0 || counted == len(evs) {
			t.Errorf("%T counts %d of %d events: the stream does not test it", k, counted, len(evs))
		}
	}
}
