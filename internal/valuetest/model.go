package valuetest

import (
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// The model: the rules of docs/config.md "Value boards", written again
// from the page, not from internal/handler.

const exact = 9007199254740991 // 2^53-1

var decimal = regexp.MustCompile(`^(-?)([0-9]+)(?:\.([0-9]+))?$`)

// parse reads text at scale: ok false = malformed, oor = beyond the exact range.
func parse(text string, scale int) (v int64, ok, oor bool) {
	m := decimal.FindStringSubmatch(text)
	if m == nil {
		return 0, false, false
	}
	frac := strings.TrimRight(m[3], "0")
	if len(frac) > scale {
		return 0, false, false
	}
	digits := strings.TrimLeft(m[2]+frac+strings.Repeat("0", scale-len(frac)), "0")
	if digits == "" {
		return 0, true, false
	}
	if len(digits) > 16 {
		return 0, true, true
	}
	n, _ := strconv.ParseInt(digits, 10, 64)
	if n > exact {
		return 0, true, true
	}
	if m[1] == "-" {
		n = -n
	}
	return n, true, false
}

// fixed writes a scaled integer as decimal text without trailing zeros.
func fixed(n int64, scale int) string {
	neg := n < 0
	if neg {
		n = -n
	}
	s := strconv.FormatInt(n, 10)
	for len(s) <= scale {
		s = "0" + s
	}
	out := s[:len(s)-scale]
	if f := strings.TrimRight(s[len(s)-scale:], "0"); f != "" {
		out += "." + f
	}
	if neg && out != "0" {
		out = "-" + out
	}
	return out
}

type stamp struct {
	ms   int64
	line int
}

func (a stamp) before(b stamp) bool { return a.ms < b.ms || a.ms == b.ms && a.line < b.line }

type entry struct {
	score int64
	at    stamp
	meta  string
}

// Model is the expected state and verdicts.
type Model struct {
	boards  map[string]map[string]*entry // board -> user -> entry
	stats   map[string]map[string]string // user -> stat -> stored text
	tracks  map[string]map[string]bool
	Applied int
	Invalid map[string]int // reason -> events
	// Refused counts events the apply script refuses against the stored
	// state (out_of_range): they are marked, so a replay calls them
	// duplicates.
	Refused int
	free    bool
}

// NewModel is the state before any event of the game Config(free) configures.
func NewModel(free bool) *Model {
	m := &Model{boards: map[string]map[string]*entry{}, stats: map[string]map[string]string{}, tracks: map[string]map[string]bool{}, Invalid: map[string]int{}, free: free}
	for _, b := range boards(free) {
		m.boards[b.name] = map[string]*entry{}
	}
	return m
}

// Ev is one generated event as the model reads it.
type Ev struct {
	Name, User, V, Track, Display string
	HasV, HasTrack                bool
	Ms                            int64
	Line                          int
}

func validUser(u string) bool { return u != "" && len(u) <= 128 }

// Add applies one event: all of it, or nothing and one verdict.
func (m *Model) Add(e Ev) {
	var mine []boardSpec
	for _, b := range boards(m.free) {
		if b.event == e.Name {
			mine = append(mine, b)
		}
	}
	if len(mine) == 0 {
		return // ignored
	}
	if e.User == "" {
		m.Invalid["missing_field"]++
		return
	}
	if !e.HasV {
		m.Invalid["missing_field"]++
		return
	}
	type pending struct {
		board, user string
		en          entry
	}
	var writes []pending
	for _, b := range mine {
		v, ok, oor := parse(e.V, b.scale)
		switch {
		case !ok:
			m.Invalid["malformed"]++
			return
		case oor, b.bounded && (v < b.min || v > b.max):
			m.Invalid["out_of_range"]++
			return
		case (b.op == "sum" || b.op == "decr") && b.maxChange > 0 && (v > b.maxChange || -v > b.maxChange):
			m.Invalid["out_of_range"]++
			return
		}
		at := stamp{e.Ms, e.Line}
		cur, had := m.boards[b.name][e.User]
		var old entry
		if had {
			old = *cur
		}
		if b.maxChange > 0 && had && b.op != "sum" && b.op != "decr" {
			d := v - old.score
			if d > b.maxChange || -d > b.maxChange {
				m.Invalid["out_of_range"]++ // refused by the apply script
				m.Refused++
				return
			}
		}
		next := old
		keepBetter := func(higher bool) {
			if !had || (higher && v > old.score) || (!higher && v < old.score) {
				next.score = v
			}
		}
		switch b.op {
		case "best":
			keepBetter(b.order == "desc")
		case "max":
			keepBetter(true)
		case "min":
			keepBetter(false)
		case "last":
			next.score = v
		case "sum", "decr":
			d := v
			if b.op == "decr" {
				d = -v
			}
			r := old.score + d
			if r > exact || r < -exact {
				m.Invalid["out_of_range"]++ // refused by the apply script
				m.Refused++
				return
			}
			if b.op == "decr" && r < b.floor {
				r = b.floor
			}
			next.score = r
		}
		// Tie stamp: a new or changed score is reached now; an equal one
		// keeps the earlier stamp under best/min/max (whoever reached it
		// first), and its old one under the others.
		keepsEarliest := b.op == "best" || b.op == "min" || b.op == "max"
		switch {
		case !had || next.score != old.score:
			next.at = at
		case keepsEarliest && v == old.score && at.before(old.at):
			next.at = at
		}
		if b.meta && e.Display != "" {
			next.meta = e.Display
		}
		writes = append(writes, pending{b.name, e.User, next})
	}
	var statWrites [][3]string
	if e.Name == "score" && m.free {
		v, _, _ := parse(e.V, 2)
		st := m.stats[e.User]
		t, _ := strconv.ParseInt(st["total"], 10, 64)
		statWrites = append(statWrites, [3]string{"total", strconv.FormatInt(t+v, 10)})
		if h, ok := st["hi"]; !ok || v > atoi(h) {
			statWrites = append(statWrites, [3]string{"hi", strconv.FormatInt(v, 10)})
		}
		if l, ok := st["lo"]; !ok || v < atoi(l) {
			statWrites = append(statWrites, [3]string{"lo", strconv.FormatInt(v, 10)})
		}
	} else if e.Name == "score" {
		if !e.HasTrack {
			m.Invalid["missing_field"]++
			return
		}
		v, _, _ := parse(e.V, 2) // checked above at the same scale and bounds
		st := m.stats[e.User]
		get := func(k string) (int64, bool) {
			s, ok := st[k]
			n, _ := strconv.ParseInt(s, 10, 64)
			return n, ok
		}
		t, _ := get("total")
		statWrites = append(statWrites, [3]string{"total", strconv.FormatInt(t+v, 10)})
		if h, ok := get("hi"); !ok || v > h {
			statWrites = append(statWrites, [3]string{"hi", strconv.FormatInt(v, 10)})
		}
		if l, ok := get("lo"); !ok || v < l {
			statWrites = append(statWrites, [3]string{"lo", strconv.FormatInt(v, 10)})
		}
		statWrites = append(statWrites, [3]string{"last", strconv.FormatInt(v, 10)})
		seen := m.tracks[e.User]
		if !seen[e.Track] {
			if len(seen) >= maxTracks {
				m.Invalid["out_of_range"]++ // refused by the apply script
				m.Refused++
				return
			}
			statWrites = append(statWrites, [3]string{"tracks", strconv.Itoa(len(seen) + 1), e.Track})
		}
	}
	for _, w := range writes {
		en := w.en
		m.boards[w.board][w.user] = &en
	}
	for _, w := range statWrites {
		if m.stats[e.User] == nil {
			m.stats[e.User] = map[string]string{}
		}
		m.stats[e.User][w[0]] = w[1]
		if w[0] == "tracks" {
			if m.tracks[e.User] == nil {
				m.tracks[e.User] = map[string]bool{}
			}
			m.tracks[e.User][w[2]] = true
		}
	}
	m.Applied++
}

// Row is one expected board row.
type Row struct {
	Rank  int64
	User  string
	Value string
	Meta  string
}

// Board is the expected listing of a board, best first. Equal scores
// under ties: shared come in Redis's member order (bytes descending on a
// desc board, ascending on asc) sharing a rank; under ties: first the
// earlier stamp first, every rank distinct.
func (m *Model) Board(name string) []Row {
	var spec boardSpec
	for _, b := range boards(m.free) {
		if b.name == name {
			spec = b
		}
	}
	type kv struct {
		user string
		e    *entry
	}
	var all []kv
	for u, e := range m.boards[name] {
		all = append(all, kv{u, e})
	}
	desc := spec.order == "desc"
	sort.Slice(all, func(i, j int) bool {
		a, b := all[i], all[j]
		if a.e.score != b.e.score {
			return (a.e.score > b.e.score) == desc
		}
		if spec.ties == "first" {
			if a.e.at != b.e.at {
				return a.e.at.before(b.e.at)
			}
		}
		return (a.user > b.user) == desc
	})
	out := make([]Row, len(all))
	for i, x := range all {
		r := int64(i + 1)
		if spec.ties == "shared" && i > 0 && x.e.score == all[i-1].e.score {
			r = out[i-1].Rank
		}
		out[i] = Row{Rank: r, User: x.user, Value: fixed(x.e.score, spec.scale), Meta: x.e.meta}
	}
	return out
}

// Stats is the expected stats hash of a user (stored text).
func (m *Model) Stats(user string) map[string]string { return m.stats[user] }

// Users lists every user with stats or a score, sorted.
func (m *Model) Users() []string {
	set := map[string]bool{}
	for _, b := range m.boards {
		for u := range b {
			set[u] = true
		}
	}
	for u := range m.stats {
		set[u] = true
	}
	var out []string
	for u := range set {
		out = append(out, u)
	}
	sort.Strings(out)
	return out
}

func atoi(s string) int64 { n, _ := strconv.ParseInt(s, 10, 64); return n }

// ListRow is one expected row of a ranked list: the board row and the rank
// within the list.
type ListRow struct {
	Row
	ListRank int64
}

// List is what ranking ids on board must give: the listed players on the
// board in the board's order (Board's), each with their board rank and
// 1 + the number of listed players ranked strictly above them (so ties
// share a list rank exactly when they share a board rank), and the ids not
// on the board, in the order given. Repeated ids count once.
func (m *Model) List(name string, ids []string) (rows []ListRow, absent []string) {
	in := map[string]bool{}
	for _, id := range ids {
		if in[id] {
			continue
		}
		in[id] = true
		if _, ok := m.boards[name][id]; !ok {
			absent = append(absent, id)
		}
	}
	for _, r := range m.Board(name) {
		if in[r.User] {
			rows = append(rows, ListRow{Row: r})
		}
	}
	for i := range rows {
		rows[i].ListRank = 1
		for _, o := range rows {
			if o.Rank < rows[i].Rank {
				rows[i].ListRank++
			}
		}
	}
	return rows, absent
}

// Remove is the state in which user never played: off every board, no
// stats (what erase must leave, archives included).
func (m *Model) Remove(user string) {
	for _, b := range m.boards {
		delete(b, user)
	}
	delete(m.stats, user)
	delete(m.tracks, user)
}
