package config

import (
	"fmt"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/varcade/statsctl/internal/handler"
)

// Value boards, the board spec every kind takes, and value stats rules
// (issue 11, docs/config.md "Value boards").

// specKeys are the board spec keys every kind takes.
var specKeys = []string{"order", "ties", "format"}

// valueBoardKeys are the value scorer's own keys.
var valueBoardKeys = []string{"name", "scorer", "match", "player", "field", "op", "scale", "min", "max", "max_change", "floor", "meta"}

// valueRuleKeys are a value stats rule's keys.
var valueRuleKeys = []string{"match", "player", "field", "stat", "op", "scale", "min", "max", "max_change", "max_distinct"}

// DefaultMaxDistinct bounds a distinct-count stat's set when the rule
// gives no max_distinct; MaxDistinct is the largest a rule may ask for.
const (
	DefaultMaxDistinct = 1000
	MaxDistinct        = 100000
)

// spec reads order, ties and format; a value board's scale and metadata
// come from its scorer.
func (p *parser) spec(f map[string]*yaml.Node, what string, h handler.Handler) handler.Spec {
	var s handler.Spec
	if v, ok := f["order"]; ok {
		switch v.Value {
		case "desc":
		case "asc":
			s.Order = handler.Asc
		default:
			p.errorf(v, "%s order %q: want desc (higher is better) or asc (lower is better)", what, v.Value)
		}
	}
	if v, ok := f["ties"]; ok {
		switch v.Value {
		case "shared":
		case "first":
			s.Ties = handler.First
		default:
			p.errorf(v, "%s ties %q: want shared (1, 2, 2, 4) or first (who reached the score first ranks higher)", what, v.Value)
		}
	}
	if v, ok := f["format"]; ok {
		fm, known := handler.ParseFormat(v.Value)
		if !known {
			p.errorf(v, "%s format %q: want one of %s", what, v.Value, strings.Join(handler.Formats, ", "))
		}
		s.Format = fm
	}
	vb, isValue := h.(handler.Value)
	if s.Ties == handler.First && !isValue {
		p.errorf(f["ties"], "%s: ties: first needs a value board (scorer: value); other kinds rank ties shared", what)
	}
	if isValue {
		s.Fixed, s.Scale, s.Meta = true, vb.Scale, vb.Meta
	}
	return s
}

// valueBoard reads a value scorer. Order and ties are the spec's; Board
// sets them on the scorer after spec (see board).
func (p *parser) valueBoard(f map[string]*yaml.Node, n *yaml.Node, name, what string) handler.Handler {
	v := handler.Value{Board: name, Op: handler.OpBest}
	v.Match = p.match(f, n, what)
	v.Player = p.required(f, n, "player", what, "name the field holding the player, e.g. player: user_id")
	v.Field = p.required(f, n, "field", what, "name the field holding the value, e.g. field: score")
	if o, ok := f["op"]; ok {
		op, known := handler.ValueOps[o.Value]
		if !known {
			p.errorf(o, "%s op %q: want best, last (set), sum (incr), decr, min or max", what, o.Value)
		}
		v.Op = op
	}
	v.Scale = p.scale(f, what)
	v.Bounds = p.bounds(f, what, v.Scale)
	if fl, ok := f["floor"]; ok {
		if v.Op != handler.OpDecr {
			p.errorf(fl, "%s: floor is decr's minimum; this board's op is %s", what, v.Op)
		}
		v.Floor = p.fixed(fl, what+" floor", v.Scale)
	}
	if m, ok := f["meta"]; ok {
		v.Meta = p.strs(m, what+" meta")
		if len(v.Meta) > handler.MaxMetaFields {
			p.errorf(m, "%s meta lists %d fields; a board keeps at most %d", what, len(v.Meta), handler.MaxMetaFields)
		}
	}
	if o, ok := f["order"]; ok && o.Value == "asc" {
		v.Order = handler.Asc
	}
	if t, ok := f["ties"]; ok && t.Value == "first" {
		v.Ties = handler.First
	}
	return v
}

func (p *parser) match(f map[string]*yaml.Node, n *yaml.Node, what string) map[string]string {
	m, ok := f["match"]
	if !ok || m.Kind != yaml.MappingNode || len(m.Content) == 0 {
		p.errorf(n, "%s needs match: a mapping of field to value, e.g. {type: gameplay, event_name: lap}", what)
		return nil
	}
	out := map[string]string{}
	for i := 0; i+1 < len(m.Content); i += 2 {
		out[m.Content[i].Value] = p.str(m.Content[i+1], what+" match value")
	}
	return out
}

func (p *parser) required(f map[string]*yaml.Node, n *yaml.Node, key, what, hint string) string {
	v, ok := f[key]
	if !ok {
		p.errorf(n, "%s has no %s: %s", what, key, hint)
		return ""
	}
	return p.str(v, what+" "+key)
}

func (p *parser) scale(f map[string]*yaml.Node, what string) int {
	v, ok := f["scale"]
	if !ok {
		return 0
	}
	s, err := strconv.Atoi(v.Value)
	if err != nil || s < 0 || s > handler.MaxScale {
		p.errorf(v, "%s scale %q: want the number of decimal places kept, 0 to %d", what, v.Value, handler.MaxScale)
		return 0
	}
	return s
}

// fixed reads a config number at the board's scale, exactly.
func (p *parser) fixed(n *yaml.Node, what string, scale int) int64 {
	x, oor, err := handler.ParseFixed(n.Value, scale)
	switch {
	case err != nil:
		p.errorf(n, "%s: %v", what, err)
	case oor:
		p.errorf(n, "%s %s is beyond the exact range ±%s", what, n.Value, handler.FormatFixed(handler.MaxExact, scale))
	}
	return x
}

func (p *parser) bounds(f map[string]*yaml.Node, what string, scale int) handler.Bounds {
	var b handler.Bounds
	if v, ok := f["min"]; ok {
		b.Min, b.HasMin = p.fixed(v, what+" min", scale), true
	}
	if v, ok := f["max"]; ok {
		b.Max, b.HasMax = p.fixed(v, what+" max", scale), true
	}
	if b.HasMin && b.HasMax && b.Min > b.Max {
		p.errorf(f["max"], "%s: max %s is below min %s", what, f["max"].Value, f["min"].Value)
	}
	if v, ok := f["max_change"]; ok {
		b.MaxChange = p.fixed(v, what+" max_change", scale)
		if b.MaxChange <= 0 {
			p.errorf(v, "%s max_change %q must be positive", what, v.Value)
		}
	}
	return b
}

// isValueRule: a stats rule that names a field takes its value from it.
func isValueRule(n *yaml.Node) bool {
	if n == nil || n.Kind != yaml.MappingNode {
		return false
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == "field" {
			return true
		}
	}
	return false
}

var valueRuleOps = []string{"add", "max", "min", "last", "distinct"}

func (p *parser) valueRule(n *yaml.Node, product string) (handler.ValueRule, bool) {
	before := len(p.errs)
	what := product + " value stats rule"
	f := p.mapping(n, what, valueRuleKeys...)
	r := handler.ValueRule{Op: "add", MaxDistinct: DefaultMaxDistinct}
	r.Match = p.match(f, n, what)
	r.Player = p.required(f, n, "player", what, "name the field holding the player, e.g. player: user_id")
	r.Field = p.required(f, n, "field", what, "name the field holding the value, e.g. field: damage")
	r.Stat = p.required(f, n, "stat", what, "name the stat it keeps, e.g. stat: total_damage")
	if v, ok := f["stat"]; ok {
		if err := checkValueStatName(r.Stat); err != nil {
			p.errorf(v, "%s: %v", what, err)
		}
	}
	if v, ok := f["op"]; ok {
		if !contains(valueRuleOps, v.Value) {
			p.errorf(v, "%s op %q: want one of %s", what, v.Value, strings.Join(valueRuleOps, ", "))
		}
		r.Op = v.Value
	}
	r.Scale = p.scale(f, what)
	r.Bounds = p.bounds(f, what, r.Scale)
	if v, ok := f["max_distinct"]; ok {
		x, err := strconv.ParseInt(v.Value, 10, 64)
		if err != nil || x < 1 || x > MaxDistinct {
			p.errorf(v, "%s max_distinct %q: want a whole number from 1 to %d", what, v.Value, MaxDistinct)
		}
		r.MaxDistinct = x
		if r.Op != "distinct" {
			p.errorf(v, "%s: max_distinct bounds op: distinct; this rule's op is %s", what, r.Op)
		}
	}
	if r.Op == "distinct" {
		for _, k := range []string{"scale", "min", "max", "max_change"} {
			if v, ok := f[k]; ok {
				p.errorf(v, "%s: %s does not apply to op: distinct (it counts values, it does not add them)", what, k)
			}
		}
	}
	return r, len(p.errs) == before
}

// checkValueStatName keeps a value stat's name plain: it is a hash field
// and part of its distinct set's key (after the user id and a ':').
func checkValueStatName(s string) error {
	if len(s) > 64 {
		return fmt.Errorf("stat name %.20q... is longer than 64 bytes", s)
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.') {
			return fmt.Errorf("stat name %q: use letters, digits, _ - . only", s)
		}
	}
	return nil
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}
