package handler

import (
	"fmt"
	"sort"
	"strings"

	"github.com/varcade/statsctl/internal/event"
)

// Rule is a declarative stats handler, so a new game's stats need a config
// file rather than code. It matches events by field values, names the
// player by a field, and adds to fixed stats (Add) and/or to one stat whose
// name is a template filled from the event (Stat, e.g.
// "{event_data}_selection_count"), with placeholder values mapped through
// Values ("0" -> "rock"; a value not in the map makes the event invalid).
type Rule struct {
	Match    map[string]string // field -> exact value; all must hold
	Player   string            // field naming the player, e.g. user_id
	Require  []string          // fields that must be present (else missing_field)
	Distinct []string          // fields that must all differ (else same_player)
	Add      map[string]int64  // stat -> increment
	Stat     string            // template; "" = none
	By       int64             // increment of Stat (0 means 1)
	Values   map[string]string // placeholder value map; nil = use values as they are
	// UnknownReason is the reason code for a value not in Values
	// (default ReasonUnknownValue).
	UnknownReason string
}

// Placeholders lists the fields a template names, in order.
func Placeholders(tmpl string) ([]string, error) {
	var out []string
	rest := tmpl
	for {
		i := strings.IndexAny(rest, "{}")
		if i < 0 {
			return out, nil
		}
		if rest[i] == '}' {
			return nil, fmt.Errorf("template %q has a '}' without '{'", tmpl)
		}
		j := strings.IndexByte(rest[i:], '}')
		if j < 0 {
			return nil, fmt.Errorf("template %q has a '{' without '}'", tmpl)
		}
		name := rest[i+1 : i+j]
		if name == "" || strings.ContainsAny(name, "{") {
			return nil, fmt.Errorf("template %q has an empty or nested placeholder", tmpl)
		}
		out = append(out, name)
		rest = rest[i+j+1:]
	}
}

// Matches reports whether the rule applies to ev.
func (r Rule) Matches(ev event.Event) bool {
	for f, v := range r.Match {
		if ev.Fields[f] != v {
			return false
		}
	}
	return true
}

// Handle applies the rule to a matching event; others are not its business.
func (r Rule) Handle(ev event.Event, _ Values) ([]Change, error) {
	if !r.Matches(ev) {
		return nil, nil
	}
	what := r.describe()
	user, ok := ev.Get(r.Player)
	if !ok {
		return nil, Invalidf(ReasonMissingField, "%s without %s", what, r.Player)
	}
	for _, f := range r.Require {
		if _, ok := ev.Get(f); !ok {
			return nil, Invalidf(ReasonMissingField, "%s without %s", what, f)
		}
	}
	if err := event.CheckUser(user); err != nil {
		return nil, Invalidf(ReasonBadUser, "%s: %v", r.Player, err)
	}
	for i := 0; i < len(r.Distinct); i++ {
		for j := i + 1; j < len(r.Distinct); j++ {
			a, b := ev.Fields[r.Distinct[i]], ev.Fields[r.Distinct[j]]
			if a != "" && a == b {
				return nil, Invalidf(ReasonSamePlayer, "%s names %q as both %s and %s", what, a, r.Distinct[i], r.Distinct[j])
			}
		}
	}
	out := make([]Change, 0, len(r.Add)+1)
	names := make([]string, 0, len(r.Add))
	for k := range r.Add {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		out = append(out, Change{Op: StatAdd, User: user, Field: k, Int: r.Add[k]})
	}
	if r.Stat != "" {
		name, err := r.fill(ev, what)
		if err != nil {
			return nil, err
		}
		by := r.By
		if by == 0 {
			by = 1
		}
		out = append(out, Change{Op: StatAdd, User: user, Field: name, Int: by})
	}
	return out, nil
}

func (r Rule) describe() string {
	keys := make([]string, 0, len(r.Match))
	for k := range r.Match {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, k+"="+r.Match[k])
	}
	if len(parts) == 0 {
		return "event"
	}
	return strings.Join(parts, " ")
}

func (r Rule) fill(ev event.Event, what string) (string, error) {
	var b strings.Builder
	rest := r.Stat
	for {
		i := strings.IndexByte(rest, '{')
		if i < 0 {
			b.WriteString(rest)
			break
		}
		j := strings.IndexByte(rest, '}')
		b.WriteString(rest[:i])
		field := rest[i+1 : j]
		rest = rest[j+1:]
		v, ok := ev.Get(field)
		if !ok {
			return "", Invalidf(ReasonMissingField, "%s without %s", what, field)
		}
		if r.Values != nil {
			mapped, known := r.Values[v]
			if !known {
				reason := r.UnknownReason
				if reason == "" {
					reason = ReasonUnknownValue
				}
				return "", Invalidf(reason, "%s with unknown %s %.20q (want one of %s)", what, field, v, strings.Join(r.valueKeys(), ", "))
			}
			v = mapped
		} else if err := checkStatPart(v); err != nil {
			return "", Invalidf(ReasonMalformed, "%s: %s %v", what, field, err)
		}
		b.WriteString(v)
	}
	return b.String(), nil
}

func (r Rule) valueKeys() []string {
	out := make([]string, 0, len(r.Values))
	for k := range r.Values {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// checkStatPart keeps raw event text used in a stat name short and plain,
// so a hostile value cannot mint thousands of odd hash fields.
func checkStatPart(v string) error {
	if len(v) > 64 {
		return fmt.Errorf("value %.20q... is too long for a stat name", v)
	}
	for _, c := range v {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.') {
			return fmt.Errorf("value %q cannot be part of a stat name (letters, digits, _ - . only)", v)
		}
	}
	return nil
}
