package handler

import (
	"errors"
	"testing"

	"github.com/varcade/statsctl/internal/event"
)

func TestRuleTemplatesAndVerdicts(t *testing.T) {
	r := Rule{Match: map[string]string{"type": "gameplay", "event_name": "emote"}, Player: "user_id", Stat: "{event_data}_emotes"}
	ev := func(kv ...string) event.Event {
		e := event.Event{Fields: map[string]string{"type": "gameplay", "event_name": "emote"}}
		for i := 0; i+1 < len(kv); i += 2 {
			e.Fields[kv[i]] = kv[i+1]
		}
		return e
	}
	ch, err := r.Handle(ev("user_id", "u1", "event_data", "wave"), NoValues{})
	if err != nil || len(ch) != 1 || ch[0].Field != "wave_emotes" || ch[0].Int != 1 {
		t.Fatalf("raw value: %v %v", ch, err)
	}
	if ch, _ := r.Handle(event.Event{Fields: map[string]string{"type": "game_over"}}, NoValues{}); ch != nil {
		t.Fatal("a rule must ignore events it does not match")
	}
	reason := func(e event.Event, rule Rule) string {
		_, err := rule.Handle(e, NoValues{})
		var inv *Invalid
		if !errors.As(err, &inv) {
			return "ok"
		}
		return inv.Reason
	}
	if got := reason(ev("user_id", "u1", "event_data", "a b"), r); got != ReasonMalformed {
		t.Fatalf("a raw value unfit for a stat name: %s", got)
	}
	if got := reason(ev("user_id", "u1"), r); got != ReasonMissingField {
		t.Fatalf("missing placeholder field: %s", got)
	}
	if got := reason(ev("event_data", "x"), r); got != ReasonMissingField {
		t.Fatalf("missing player: %s", got)
	}
	r.Values = map[string]string{"1": "one"}
	if got := reason(ev("user_id", "u1", "event_data", "2"), r); got != ReasonUnknownValue {
		t.Fatalf("value not in the map: %s", got)
	}
	if _, err := Placeholders("{a}_{b}"); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"{a", "a}", "{}", "{{a}}"} {
		if _, err := Placeholders(bad); err == nil {
			t.Fatalf("template %q accepted", bad)
		}
	}
}
