// Package config reads the games configuration: which products statsctl
// knows, their boards (scorer and parameters) and their stats rules. A new
// game, a second board or a changed K-factor is then a file edit, not a
// release. Errors name the file, the line and what to change.
package config

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/varcade/statsctl/internal/event"
	"github.com/varcade/statsctl/internal/handler"
	"github.com/varcade/statsctl/internal/rating"
)

// Error is one problem in a config file, at a line.
type Error struct {
	File string
	Line int
	Msg  string
}

func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Msg)
}

// Config is a parsed, checked configuration.
type Config struct {
	File     string
	Products map[string]handler.Product
	Default  handler.Product
	// Rules counts the stats rules per product, for `config check`'s report.
	Rules map[string]int
}

// Registry builds the handler registry the configuration describes.
func (c *Config) Registry() (*handler.Registry, error) {
	r := handler.NewRegistry(c.Default)
	for name, p := range c.Products {
		if err := r.Register(name, p); err != nil {
			return nil, fmt.Errorf("%s: %w", c.File, err)
		}
	}
	return r, nil
}

// Load reads and checks a config file.
func Load(path string) (*Config, error) {
	data, err := readLimited(path)
	if err != nil {
		return nil, err
	}
	return Parse(path, data)
}

// LoadRegistry reads a config file and builds its registry: what
// --config / STATSCTL_CONFIG does at start.
func LoadRegistry(path string) (*handler.Registry, error) {
	c, err := Load(path)
	if err != nil {
		return nil, err
	}
	return c.Registry()
}

// parser collects every problem of a file, so one `config check` run lists
// them all.
type parser struct {
	file string
	errs []error
}

func (p *parser) errorf(n *yaml.Node, format string, args ...any) {
	line := 0
	if n != nil {
		line = n.Line
	}
	p.errs = append(p.errs, &Error{File: p.file, Line: line, Msg: fmt.Sprintf(format, args...)})
}

// Parse checks config text; name is used in messages.
func Parse(name string, data []byte) (*Config, error) {
	if len(data) > MaxFileBytes {
		return nil, tooBig(name, int64(len(data)))
	}
	p := &parser{file: name}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, &Error{File: name, Msg: strings.TrimPrefix(err.Error(), "yaml: ")}
	}
	// A text of only comments has no content; a lone "---" has a null one.
	if len(doc.Content) == 0 || (doc.Content[0].Kind == yaml.ScalarNode && doc.Content[0].Tag == "!!null") {
		return nil, &Error{File: name, Msg: "empty config; it needs at least a products: section (see testdata/config/statsctl.yaml)"}
	}
	anchorEmptyValues(&doc)
	root := resolve(doc.Content[0])
	c := &Config{File: name, Products: map[string]handler.Product{}, Default: handler.DefaultProduct(), Rules: map[string]int{}}
	fields := p.mapping(root, "the config", "version", "products", "default")
	if v, ok := fields["version"]; ok {
		if v.Value != "1" {
			p.errorf(v, "version %q is not supported; this statsctl reads version 1", v.Value)
		}
	}
	if prods, ok := fields["products"]; ok {
		if prods.Kind != yaml.MappingNode {
			p.errorf(prods, "products must be a mapping of product id to product")
		} else {
			for i := 0; i+1 < len(prods.Content); i += 2 {
				k, v := prods.Content[i], prods.Content[i+1]
				if err := event.CheckProduct(k.Value); err != nil {
					p.errorf(k, "%v", err)
					continue
				}
				if _, dup := c.Products[k.Value]; dup {
					p.errorf(k, "product %s is configured twice", k.Value)
					continue
				}
				prod, rules := p.product(resolve(v), k.Value)
				c.Products[k.Value] = prod
				c.Rules[k.Value] = rules
			}
		}
	} else if _, ok := fields["default"]; !ok {
		p.errorf(root, "nothing configured: add a products: section (and optionally default:)")
	}
	if d, ok := fields["default"]; ok {
		prod, rules := p.product(d, "default")
		c.Default = prod
		c.Rules["(default)"] = rules
	}
	if len(p.errs) > 0 {
		return nil, errors.Join(p.errs...)
	}
	return c, nil
}

// anchorEmptyValues moves each empty value ("key:" or "? key" with nothing
// after it) to its key's line. yaml.v3 places such a value at the next
// token, which can be a later key's line or, at the end of the text, a line
// past the end; an error about the value belongs on the key's line.
// Alias nodes are not followed, so a self-referencing anchor cannot loop.
func anchorEmptyValues(n *yaml.Node) {
	if n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if v.Kind == yaml.ScalarNode && v.Value == "" && v.Tag == "!!null" && v.Style == 0 && v.Anchor == "" {
				v.Line, v.Column = k.Line, k.Column
			}
		}
	}
	for _, c := range n.Content {
		anchorEmptyValues(c)
	}
}

// mapping checks n is a mapping with only the allowed keys and returns
// key -> value node.
func (p *parser) mapping(n *yaml.Node, what string, allowed ...string) map[string]*yaml.Node {
	out := map[string]*yaml.Node{}
	if n.Kind != yaml.MappingNode {
		p.errorf(n, "%s must be a mapping (key: value lines)", what)
		return out
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		if !slices.Contains(allowed, k.Value) {
			p.errorf(k, "unknown key %q in %s (allowed: %s)", k.Value, what, strings.Join(allowed, ", "))
			continue
		}
		if _, dup := out[k.Value]; dup {
			p.errorf(k, "key %q given twice in %s", k.Value, what)
			continue
		}
		out[k.Value] = resolve(n.Content[i+1])
	}
	return out
}

// resolve follows YAML aliases (*name), so anchors can share rule lists.
func resolve(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

func (p *parser) str(n *yaml.Node, what string) string {
	if n.Kind != yaml.ScalarNode || n.Value == "" {
		p.errorf(n, "%s must be a non-empty text value", what)
		return ""
	}
	return n.Value
}

func (p *parser) num(n *yaml.Node, what string, min, max float64) float64 {
	f, err := strconv.ParseFloat(n.Value, 64)
	if n.Kind != yaml.ScalarNode || err != nil {
		p.errorf(n, "%s must be a number, not %q", what, n.Value)
		return 0
	}
	if f < min || f > max {
		p.errorf(n, "%s %v is out of range [%v, %v]", what, f, min, max)
		return 0
	}
	return f
}

func (p *parser) strs(n *yaml.Node, what string) []string {
	if n.Kind != yaml.SequenceNode {
		p.errorf(n, "%s must be a list, e.g. [a, b]", what)
		return nil
	}
	var out []string
	for _, c := range n.Content {
		out = append(out, p.str(c, what+" entry"))
	}
	return out
}

func (p *parser) product(n *yaml.Node, name string) (handler.Product, int) {
	what := "product " + name
	f := p.mapping(n, what, "boards", "stats", "stat_order", "results", "result_stats")
	var prod handler.Product
	bn, ok := f["boards"]
	switch {
	case !ok:
		p.errorf(n, "%s has no boards: it needs at least one (the first is the default board)", what)
	case bn.Kind != yaml.SequenceNode || len(bn.Content) == 0:
		p.errorf(bn, "%s: boards must be a non-empty list", what)
	default:
		seen := map[string]bool{}
		for _, b := range bn.Content {
			b = resolve(b)
			board, ok := p.board(b, what)
			if !ok {
				continue
			}
			if seen[board.Name] {
				p.errorf(b, "%s: board %q is listed twice", what, board.Name)
				continue
			}
			seen[board.Name] = true
			prod.Boards = append(prod.Boards, board)
		}
	}
	rules := 0
	if sn, ok := f["stats"]; ok {
		if sn.Kind != yaml.SequenceNode {
			p.errorf(sn, "%s: stats must be a list of rules", what)
		} else {
			var nodes []*yaml.Node
			for _, r := range sn.Content {
				if isValueRule(resolve(r)) {
					if rule, ok := p.valueRule(resolve(r), what); ok {
						prod.Stats = append(prod.Stats, rule)
						nodes = append(nodes, resolve(r))
						rules++
					}
					continue
				}
				if rule, ok := p.rule(resolve(r), what); ok {
					prod.Stats = append(prod.Stats, rule)
					nodes = append(nodes, resolve(r))
					rules++
				}
			}
			p.checkShadowing(prod, what, nodes)
		}
	}
	if on, ok := f["stat_order"]; ok {
		prod.StatOrder = p.strs(on, what+" stat_order")
	}
	if v, ok := f["result_stats"]; ok {
		prod.Stats = append(prod.Stats, p.resultStats(v, what)...)
	}
	if rn, ok := f["results"]; ok {
		prod = prod.WithResultRules(p.results(rn, what))
	}
	return prod, rules
}

var scorerKeys = map[string][]string{
	"wins":      {"name", "scorer"},
	"elo":       {"name", "scorer", "k", "initial"},
	"glicko2":   {"name", "scorer", "rating", "rd", "volatility", "tau", "period", "rank_by"},
	"openskill": openSkillKeys,  // results.go
	"value":     valueBoardKeys, // value.go
}

func (p *parser) board(n *yaml.Node, product string) (handler.Board, bool) {
	if n.Kind != yaml.MappingNode {
		p.errorf(n, "%s: a board must be a mapping with name and scorer", product)
		return handler.Board{}, false
	}
	var scorer string
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == "scorer" {
			scorer = n.Content[i+1].Value
		}
	}
	allowed, ok := scorerKeys[scorer]
	allowed = append(allowed[:len(allowed):len(allowed)], historyKey)
	if ok {
		allowed = append(append([]string(nil), allowed...), layerKeys...)
		if scorer != "glicko2" {
			allowed = append(allowed, "period")
		}
	}
	if !ok {
		if scorer == "" {
			p.errorf(n, "%s: board has no scorer (want wins, elo, glicko2, openskill or value)", product)
		} else {
			p.errorf(n, "%s: unknown scorer %q (want wins, elo, glicko2, openskill or value)", product, scorer)
		}
		return handler.Board{}, false
	}
	before := len(p.errs)
	f := p.mapping(n, product+" board", append(allowed[:len(allowed):len(allowed)], specKeys...)...)
	nameNode, ok := f["name"]
	if !ok {
		p.errorf(n, "%s: board has no name", product)
		return handler.Board{}, false
	}
	name := p.str(nameNode, "board name")
	if err := checkBoardName(name); err != nil {
		p.errorf(nameNode, "%s: %v", product, err)
	}
	what := product + " board " + name
	var h handler.Handler
	switch scorer {
	case "wins":
		h = handler.Wins{Board: name}
	case "elo":
		e := handler.Elo{Board: name, Initial: rating.DefaultElo}
		if k, ok := f["k"]; ok && k.Value != "fide" {
			e.K = p.num(k, what+" k (a number, or fide)", 1, 1000)
		}
		if v, ok := f["initial"]; ok {
			e.Initial = p.num(v, what+" initial", 1, 10000)
		}
		h = e
	case "glicko2":
		g := handler.Glicko2{Board: name, Initial: rating.Glicko{Rating: rating.DefaultGlickoRating, RD: rating.DefaultGlickoRD, Volatility: rating.DefaultVolatility}, Tau: rating.DefaultTau}
		if v, ok := f["rating"]; ok {
			g.Initial.Rating = p.num(v, what+" rating", 1, 10000)
		}
		if v, ok := f["rd"]; ok {
			g.Initial.RD = p.num(v, what+" rd", 1, 1000)
		}
		if v, ok := f["volatility"]; ok {
			g.Initial.Volatility = p.num(v, what+" volatility", 0.0001, 1)
		}
		if v, ok := f["tau"]; ok {
			g.Tau = p.num(v, what+" tau (Glickman suggests 0.3 to 1.2)", 0.05, 2)
		}
		if v, ok := f["period"]; ok {
			d, err := time.ParseDuration(v.Value)
			if err != nil || d <= 0 {
				p.errorf(v, "%s period %q must be a positive duration such as 24h or 168h", what, v.Value)
			}
			g.Period = d
		}
		if v, ok := f["rank_by"]; ok {
			switch v.Value {
			case "rating":
			case "conservative":
				g.Conservative = true
			default:
				p.errorf(v, "%s rank_by %q: want rating or conservative (rating - 2*RD)", what, v.Value)
			}
		}
		h = g
	case "openskill":
		h = p.openSkill(f, name, what)
	case "value":
		h = p.valueBoard(f, n, name, what)
	}
	spec := p.spec(f, what, h)
	h = p.layers(f, name, what, scorer, h)
	board := handler.Board{Name: name, Scorer: h, Spec: spec}
	if v, ok := f[historyKey]; ok {
		board.History = p.history(v, what)
		if _, periodic := f["period"]; periodic && scorer != "glicko2" {
			// A periodic board's history is derived from its kept
			// instances (store.PeriodHistory); nothing is written for it.
			p.errorf(v, "%s: a periodic board takes no history: setting; its history is each player's rank in every kept period, derived from the periods themselves (statsctl stats P U --history --board B); per-game points belong on the all-time board: put history: there", what)
		}
	}
	return board, len(p.errs) == before
}

// checkBoardName keeps board names usable in key names and URLs.
func checkBoardName(name string) error {
	if name == "" || len(name) > 32 {
		return fmt.Errorf("board name %q must be 1 to 32 characters", name)
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
			return fmt.Errorf("board name %q has %q; use lowercase letters, digits, '_' or '-'", name, r)
		}
	}
	return nil
}

func (p *parser) rule(n *yaml.Node, product string) (handler.Rule, bool) {
	before := len(p.errs)
	what := product + " stats rule"
	f := p.mapping(n, what, "match", "player", "require", "distinct", "add", "stat", "by", "values", "unknown_reason")
	var r handler.Rule
	if m, ok := f["match"]; ok {
		r.Match = map[string]string{}
		if m.Kind != yaml.MappingNode {
			p.errorf(m, "%s match must be a mapping of field to value, e.g. {type: game_over}", what)
		} else {
			for i := 0; i+1 < len(m.Content); i += 2 {
				r.Match[m.Content[i].Value] = p.str(m.Content[i+1], what+" match value")
			}
		}
	}
	if len(r.Match) == 0 {
		p.errorf(n, "%s has no match: (e.g. match: {type: game_over}); a rule for every event is surely a mistake", what)
	}
	if v, ok := f["player"]; ok {
		r.Player = p.str(v, what+" player")
	} else {
		p.errorf(n, "%s has no player: name the field holding the player, e.g. player: user_id", what)
	}
	if v, ok := f["require"]; ok {
		r.Require = p.strs(v, what+" require")
	}
	if v, ok := f["distinct"]; ok {
		r.Distinct = p.strs(v, what+" distinct")
	}
	if v, ok := f["add"]; ok && v.Kind == yaml.MappingNode {
		r.Add = map[string]int64{}
		for i := 0; i+1 < len(v.Content); i += 2 {
			k, val := v.Content[i], v.Content[i+1]
			x, err := strconv.ParseInt(val.Value, 10, 64)
			if err != nil {
				p.errorf(val, "%s add %s: %q is not a whole number", what, k.Value, val.Value)
			}
			r.Add[k.Value] = x
		}
	} else if ok {
		p.errorf(v, "%s add must be a mapping of stat to increment, e.g. {games: 1}", what)
	}
	if v, ok := f["stat"]; ok {
		r.Stat = p.str(v, what+" stat")
		if _, err := handler.Placeholders(r.Stat); err != nil {
			p.errorf(v, "%s: %v", what, err)
		}
	}
	if v, ok := f["by"]; ok {
		x, err := strconv.ParseInt(v.Value, 10, 64)
		if err != nil || x == 0 {
			p.errorf(v, "%s by %q must be a non-zero whole number", what, v.Value)
		}
		r.By = x
	}
	if v, ok := f["values"]; ok {
		if v.Kind != yaml.MappingNode {
			p.errorf(v, "%s values must map event values to stat name parts, e.g. {\"0\": rock}", what)
		} else {
			r.Values = map[string]string{}
			for i := 0; i+1 < len(v.Content); i += 2 {
				r.Values[v.Content[i].Value] = p.str(v.Content[i+1], what+" values entry")
			}
		}
		if r.Stat == "" {
			p.errorf(v, "%s has values but no stat template to use them in", what)
		}
	}
	if v, ok := f["stat"]; ok && r.Values == nil {
		if err := checkBoundedTemplate(r.Stat); err != nil {
			p.errorf(v, "%s: %v", what, err)
		}
	}
	if v, ok := f["unknown_reason"]; ok {
		if !slices.Contains(handler.Reasons(), v.Value) {
			p.errorf(v, "%s unknown_reason %q: want one of %s", what, v.Value, strings.Join(handler.Reasons(), ", "))
		}
		r.UnknownReason = v.Value
	}
	if len(r.Add) == 0 && r.Stat == "" {
		p.errorf(n, "%s changes nothing: give add: {stat: n} and/or stat: \"template\"", what)
	}
	return r, len(p.errs) == before
}
