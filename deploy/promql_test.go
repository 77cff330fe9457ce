package deploy_test

import (
	"fmt"
	"strings"
)

// selector is one series selector of a PromQL expression: a metric name
// and its label matchers.
type selector struct {
	Metric   string
	Matchers []matcher
}

// matcher is one label matcher: label, operator (=, !=, =~, !~), value.
type matcher struct {
	Label, Op, Value string
}

type tokKind int

const (
	tokIdent tokKind = iota
	tokString
	tokNumber
	tokPunct
)

type token struct {
	kind tokKind
	val  string
}

// promqlKeywords are identifiers that are never metric names.
var promqlKeywords = map[string]bool{
	"and": true, "or": true, "unless": true, "bool": true, "offset": true,
	"by": true, "without": true, "on": true, "ignoring": true,
	"group_left": true, "group_right": true, "inf": true, "nan": true,
}

// labelListKeywords take a parenthesised list of label names, not an
// expression.
var labelListKeywords = map[string]bool{
	"by": true, "without": true, "on": true, "ignoring": true,
	"group_left": true, "group_right": true,
}

// aggregations are PromQL's aggregation operators: `sum by (x) (...)`
// puts a label list between the name and its argument.
var aggregations = map[string]bool{
	"sum": true, "min": true, "max": true, "avg": true, "group": true, "stddev": true, "stdvar": true,
	"count": true, "count_values": true, "bottomk": true, "topk": true, "quantile": true,
	"limitk": true, "limit_ratio": true,
}

// lex splits a PromQL expression into tokens. Grafana variables ($name,
// ${name}) become number tokens: they stand for durations or values.
func lex(s string) ([]token, error) {
	var out []token
	isIdentStart := func(c byte) bool { return c == '_' || c == ':' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
	isIdent := func(c byte) bool { return isIdentStart(c) || c >= '0' && c <= '9' }
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '"' || c == '\'' || c == '`':
			var b strings.Builder
			j := i + 1
			for ; j < len(s) && s[j] != c; j++ {
				if s[j] == '\\' && c != '`' && j+1 < len(s) {
					j++
				}
				b.WriteByte(s[j])
			}
			if j >= len(s) {
				return nil, fmt.Errorf("unterminated string at %d", i)
			}
			out = append(out, token{tokString, b.String()})
			i = j + 1
		case c == '$':
			j := i + 1
			if j < len(s) && s[j] == '{' {
				k := strings.IndexByte(s[j:], '}')
				if k < 0 {
					return nil, fmt.Errorf("unterminated ${ at %d", i)
				}
				j += k + 1
			} else {
				for j < len(s) && isIdent(s[j]) {
					j++
				}
			}
			out = append(out, token{tokNumber, s[i:j]})
			i = j
		case isIdentStart(c):
			j := i
			for j < len(s) && isIdent(s[j]) {
				j++
			}
			out = append(out, token{tokIdent, s[i:j]})
			i = j
		case c >= '0' && c <= '9' || c == '.':
			j := i
			for j < len(s) && (isIdent(s[j]) || s[j] == '.') {
				j++
			}
			out = append(out, token{tokNumber, s[i:j]})
			i = j
		default:
			if i+1 < len(s) {
				if two := s[i : i+2]; two == "=~" || two == "!~" || two == "!=" || two == "==" || two == ">=" || two == "<=" {
					out = append(out, token{tokPunct, two})
					i += 2
					continue
				}
			}
			out = append(out, token{tokPunct, string(c)})
			i++
		}
	}
	return out, nil
}

// selectors finds every series selector in a PromQL expression. It is not
// a full parser (promtool checks syntax); it knows enough to tell metric
// names from functions, keywords, label lists, ranges and strings.
func selectors(expr string) ([]selector, error) {
	toks, err := lex(expr)
	if err != nil {
		return nil, err
	}
	var out []selector
	depth := 0
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		next := func() token {
			if i+1 < len(toks) {
				return toks[i+1]
			}
			return token{}
		}
		switch {
		case t.kind == tokIdent && promqlKeywords[t.val]:
			if labelListKeywords[t.val] && next().val == "(" {
				j := i + 1
				for j < len(toks) && toks[j].val != ")" {
					j++
				}
				if j == len(toks) {
					return nil, fmt.Errorf("%s ( without )", t.val)
				}
				i = j
			}
		case t.kind == tokIdent && next().val == "(",
			t.kind == tokIdent && aggregations[t.val] && (next().val == "by" || next().val == "without"):
			// a function or an aggregation; its arguments are read on.
		case t.kind == tokIdent:
			sel := selector{Metric: t.val}
			if next().val == "{" {
				ms, n, err := matchers(toks[i+1:])
				if err != nil {
					return nil, fmt.Errorf("%s: %w", t.val, err)
				}
				sel.Matchers = ms
				i += n
			}
			out = append(out, sel)
		case t.val == "{":
			ms, n, err := matchers(toks[i:])
			if err != nil {
				return nil, err
			}
			sel := selector{Matchers: ms}
			for _, m := range ms {
				if m.Label == "__name__" && m.Op == "=" {
					sel.Metric = m.Value
				}
			}
			out = append(out, sel)
			i += n - 1
		case t.val == "[":
			j := i
			for j < len(toks) && toks[j].val != "]" {
				j++
			}
			if j == len(toks) {
				return nil, fmt.Errorf("[ without ]")
			}
			i = j
		case t.val == "(":
			depth++
		case t.val == ")":
			depth--
			if depth < 0 {
				return nil, fmt.Errorf(") without (")
			}
		}
	}
	if depth != 0 {
		return nil, fmt.Errorf("unbalanced parentheses")
	}
	return out, nil
}

// matchers reads `{ label op "value", ... }` from toks (toks[0] is "{")
// and returns the matchers and the number of tokens read.
func matchers(toks []token) ([]matcher, int, error) {
	var out []matcher
	i := 1
	for {
		if i < len(toks) && toks[i].val == "}" {
			return out, i + 1, nil
		}
		if i+2 >= len(toks) || (toks[i].kind != tokIdent && toks[i].kind != tokString) || toks[i+2].kind != tokString {
			return nil, 0, fmt.Errorf("bad label matcher near token %d", i)
		}
		op := toks[i+1].val
		if op != "=" && op != "!=" && op != "=~" && op != "!~" {
			return nil, 0, fmt.Errorf("bad matcher operator %q", op)
		}
		out = append(out, matcher{toks[i].val, op, toks[i+2].val})
		i += 3
		if i < len(toks) && toks[i].val == "," {
			i++
		}
	}
}
