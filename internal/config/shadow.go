package config

import (
	"regexp"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/varcade/statsctl/internal/handler"
)

// ratingFields are the stat names a product's rating boards show beside its
// stats (Store.PlayerStats merges them: "elo_rating", "elo_games", ...),
// each with the board it belongs to.
func ratingFields(prod handler.Product) map[string]string {
	out := map[string]string{}
	for _, b := range prod.Boards {
		d, ok := b.Scorer.(handler.Describer)
		if !ok {
			continue
		}
		for _, kv := range d.Describe(b.Name, handler.RatingState{}.Encode()) {
			out[kv[0]] = b.Name
		}
	}
	return out
}

// checkShadowing refuses a stats rule that can write a stat named like a
// rating field: the stats hash and the rating state would then give two
// values for one name (the portal's /stats route shows the counter, the v1
// API and `statsctl stats` the rating). nodes are the rules' YAML nodes, in
// the order of prod.Stats, for the line numbers.
func (p *parser) checkShadowing(prod handler.Product, what string, nodes []*yaml.Node) {
	fields := ratingFields(prod)
	if len(fields) == 0 {
		return
	}
	names := make([]string, 0, len(fields))
	for f := range fields {
		names = append(names, f)
	}
	sort.Strings(names)
	for i, h := range prod.Stats {
		r, ok := h.(handler.Rule)
		if !ok || i >= len(nodes) {
			continue
		}
		if add := child(nodes[i], "add"); add != nil {
			for j := 0; j+1 < len(add.Content); j += 2 {
				if b, hit := fields[add.Content[j].Value]; hit {
					p.errorf(add.Content[j], "%s stats rule: stat %q is a field of rating board %s (%s); rename the stat",
						what, add.Content[j].Value, b, strings.Join(names, ", "))
				}
			}
		}
		if r.Stat == "" {
			continue
		}
		re := templatePattern(r)
		for _, f := range names {
			if re.MatchString(f) {
				p.errorf(child(nodes[i], "stat"), "%s stats rule: stat template %q can name %q, a field of rating board %s; rename the stat or map its values away from it",
					what, r.Stat, f, fields[f])
				break
			}
		}
	}
}

// templatePattern is the set of stat names a rule's template can produce:
// each placeholder becomes one of the mapped values, or any text when the
// rule has no value map.
func templatePattern(r handler.Rule) *regexp.Regexp {
	part := "(?:.+)"
	if r.Values != nil {
		alts := make([]string, 0, len(r.Values))
		for _, v := range r.Values {
			alts = append(alts, regexp.QuoteMeta(v))
		}
		part = "(?:" + strings.Join(alts, "|") + ")"
	}
	var b strings.Builder
	b.WriteString("^")
	rest := r.Stat
	for {
		i := strings.IndexByte(rest, '{')
		j := strings.IndexByte(rest, '}')
		if i < 0 || j < i {
			b.WriteString(regexp.QuoteMeta(rest))
			break
		}
		b.WriteString(regexp.QuoteMeta(rest[:i]))
		b.WriteString(part)
		rest = rest[j+1:]
	}
	b.WriteString("$")
	return regexp.MustCompile(b.String())
}

// child is the value node of key in mapping n, or nil.
func child(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return resolve(n.Content[i+1])
		}
	}
	return nil
}
