package handler

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/varcade/statsctl/internal/event"
	"github.com/varcade/statsctl/internal/rating"
)

func match(teams, key, val string) event.Event {
	f := map[string]string{"product_id": "g", "type": "match_over", "teams": teams}
	if key != "" {
		f[key] = val
	}
	return event.Event{Fields: f}
}

func TestParseMatchOver(t *testing.T) {
	var r ResultRules
	res, ok, err := r.ParseResult(match(`[["u1","u2"],["u3"],["u4"]]`, "ranks", `[2, 1, 2]`))
	if !ok || err != nil {
		t.Fatal(ok, err)
	}
	if want := (Result{Teams: [][]string{{"u1", "u2"}, {"u3"}, {"u4"}}, Places: []int{2, 1, 2}, Match: true}); !reflect.DeepEqual(res, want) {
		t.Fatalf("got %+v want %+v", res, want)
	}
	res, _, _ = r.ParseResult(match(`[["a"],["b"],["c"],["d"]]`, "scores", `[10, 30, 10, 2.5]`))
	if !reflect.DeepEqual(res.Places, []int{2, 1, 2, 4}) {
		t.Fatalf("scores -> places %v, want [2 1 2 4]", res.Places)
	}
	if _, ok, err := r.ParseResult(event.Event{Fields: map[string]string{"type": "gameplay"}}); ok || err != nil {
		t.Fatal("a gameplay event is not a result")
	}
}

func TestParseMatchOverRefuses(t *testing.T) {
	small := ResultRules{MaxTeams: 3, MaxPlayers: 4}
	long := strings.Repeat("x", 129)
	cases := []struct {
		ev     event.Event
		rules  ResultRules
		reason string
		detail string
	}{
		{match(`[["a"],["b"]]`, "", ""), ResultRules{}, ReasonMissingField, "ranks or scores"},
		{event.Event{Fields: map[string]string{"type": "match_over", "ranks": "[1,2]"}}, ResultRules{}, ReasonMissingField, "without teams"},
		{func() event.Event {
			e := match(`[["a"],["b"]]`, "ranks", "[1,2]")
			e.Fields["scores"] = "[1,2]"
			return e
		}(), ResultRules{}, ReasonMalformed, "both"},
		{match(`[["a"],["b"]`, "ranks", "[1,2]"), ResultRules{}, ReasonMalformed, "teams is not a JSON list"},
		{match(`[["a"],["b"]] [["c"]]`, "ranks", "[1,2]"), ResultRules{}, ReasonMalformed, "trailing"},
		{match(`[["a"],[1]]`, "ranks", "[1,2]"), ResultRules{}, ReasonMalformed, "not a JSON list"},
		{match(`{"a":1}`, "ranks", "[1,2]"), ResultRules{}, ReasonMalformed, "not a JSON list"},
		{match(`null`, "ranks", "[1,2]"), ResultRules{}, ReasonMalformed, "0 team(s)"},
		{match(`[["a"]]`, "ranks", "[1]"), ResultRules{}, ReasonMalformed, "1 team(s)"},
		{match(`[["a"],[]]`, "ranks", "[1,2]"), ResultRules{}, ReasonMalformed, "team 2 has no players"},
		{match(`[["a"],null]`, "ranks", "[1,2]"), ResultRules{}, ReasonMalformed, "team 2 has no players"},
		{match(`[["a"],["b"]]`, "ranks", "[1]"), ResultRules{}, ReasonMalformed, "1 ranks for 2 teams"},
		{match(`[["a"],["b"]]`, "scores", "[1,2,3]"), ResultRules{}, ReasonMalformed, "3 scores for 2 teams"},
		{match(`[["a"],["b"]]`, "ranks", "[1,null]"), ResultRules{}, ReasonMalformed, "entry 2"},
		{match(`[["a"],["b"]]`, "ranks", `[1,"2"]`), ResultRules{}, ReasonMalformed, "numbers"},
		{match(`[["a"],["b"]]`, "ranks", `[1,1e999]`), ResultRules{}, ReasonMalformed, "numbers"},
		{match(`[["a","b"],["c","a"]]`, "ranks", "[1,2]"), ResultRules{}, ReasonSamePlayer, "teams 1 and 2"},
		{match(`[["a","a"],["c"]]`, "ranks", "[1,2]"), ResultRules{}, ReasonSamePlayer, "twice in team 1"},
		{match(`[["a"],[""]]`, "ranks", "[1,2]"), ResultRules{}, ReasonBadUser, "empty"},
		{match(`[["a"],["`+long+`"]]`, "ranks", "[1,2]"), ResultRules{}, ReasonBadUser, "longer"},
		{match(`[["a"],["b\u0001"]]`, "ranks", "[1,2]"), ResultRules{}, ReasonBadUser, "control"},
		{match(`[["a"],["b"],["c"],["d"]]`, "ranks", "[1,2,3,4]"), small, ReasonMatchTooLarge, "4 teams, more than the 3"},
		{match(`[["a","b"],["c","d","e"]]`, "ranks", "[1,2]"), small, ReasonMatchTooLarge, "more than the 4 players"},
	}
	for _, c := range cases {
		_, ok, err := c.rules.ParseResult(c.ev)
		var inv *Invalid
		if !ok || !errors.As(err, &inv) || inv.Reason != c.reason || !strings.Contains(inv.Detail, c.detail) {
			t.Errorf("%v: got ok=%v err=%v, want %s containing %q", c.ev.Fields, ok, err, c.reason, c.detail)
		}
	}
	// The default bounds: 64 solo players pass, 65 do not.
	for n, want := range map[int]bool{64: true, 65: false} {
		teams, ranks := make([]string, n), make([]string, n)
		for i := range teams {
			teams[i], ranks[i] = fmt.Sprintf(`["p%d"]`, i), fmt.Sprint(i+1)
		}
		_, _, err := ResultRules{}.ParseResult(match("["+strings.Join(teams, ",")+"]", "ranks", "["+strings.Join(ranks, ",")+"]"))
		if (err == nil) != want {
			t.Errorf("%d players: err %v", n, err)
		}
	}
}

func TestGameOverDraw(t *testing.T) {
	draw := game("", "a", "b")
	draw.Fields["result"] = "draw"
	flag := game("", "a", "b")
	flag.Fields["draw"] = "true"
	notDraw := game("", "a", "b")
	notDraw.Fields["draw"] = "false"
	for _, c := range []struct {
		ev    event.Event
		rules ResultRules
		draw  bool
	}{
		{draw, ResultRules{}, true}, {flag, ResultRules{}, true}, {notDraw, ResultRules{}, false}, {game("", "a", "b"), ResultRules{}, false},
		{draw, ResultRules{DrawField: "outcome", DrawValue: "tie"}, false},
		{func() event.Event { e := game("", "a", "b"); e.Fields["outcome"] = "tie"; return e }(), ResultRules{DrawField: "outcome", DrawValue: "tie"}, true},
	} {
		res, ok, err := c.rules.ParseResult(c.ev)
		if !ok || err != nil || res.Draw() != c.draw {
			t.Errorf("%v with %+v: draw=%v err=%v, want draw=%v", c.ev.Fields, c.rules, res.Draw(), err, c.draw)
		}
	}
}

func resultChanges(t *testing.T, h Handler, ev event.Event) []string {
	t.Helper()
	ch, err := h.Handle(ev, stateMap{})
	if err != nil {
		t.Fatal(err)
	}
	out := make([]string, len(ch))
	for i, c := range ch {
		out[i] = c.String()
	}
	return out
}

func TestStatsAndWinsOfResults(t *testing.T) {
	// A decided game_over writes exactly what the old service wrote.
	got := resultChanges(t, GameOverStats{}, game("", "w", "l"))
	want := []string{"stat+ w.games 1", "stat+ w.wins 1", "stat+ w.losses 0", "stat+ l.games 1", "stat+ l.wins 0", "stat+ l.losses 1"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("decided game_over stats changed:\n got %q\nwant %q", got, want)
	}
	if got := resultChanges(t, Wins{Board: "wins"}, game("", "w", "l")); !reflect.DeepEqual(got, []string{"score+ wins/w 1", "score? wins/l 0"}) {
		t.Fatalf("decided game_over wins %q", got)
	}
	draw := game("", "a", "b")
	draw.Fields["result"] = "draw"
	got = resultChanges(t, GameOverStats{}, draw)
	want = []string{"stat+ a.games 1", "stat+ a.wins 0", "stat+ a.losses 0", "stat+ a.draws 1", "stat+ b.games 1", "stat+ b.wins 0", "stat+ b.losses 0", "stat+ b.draws 1"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("draw stats\n got %q\nwant %q", got, want)
	}
	if got := resultChanges(t, Wins{Board: "wins"}, draw); !reflect.DeepEqual(got, []string{"score? wins/a 0", "score? wins/b 0"}) {
		t.Fatalf("a draw gives nobody a win: %q", got)
	}
	// A tied first: both first-placed teams win; 4th place is no podium.
	ev := match(`[["a","b"],["c"],["d"],["e"]]`, "ranks", `[1,3,1,4]`)
	if got := resultChanges(t, Wins{Board: "wins"}, ev); !reflect.DeepEqual(got, []string{"score+ wins/a 1", "score+ wins/b 1", "score? wins/c 0", "score+ wins/d 1", "score? wins/e 0"}) {
		t.Fatalf("tied first wins %q", got)
	}
	got = resultChanges(t, GameOverStats{}, ev)
	sum := map[string]int64{}
	for _, c := range got {
		var u, f string
		var n int64
		fmt.Sscanf(strings.NewReplacer(".", " ").Replace(strings.TrimPrefix(c, "stat+ ")), "%s %s %d", &u, &f, &n)
		sum[u+"."+f] += n
	}
	wantSum := map[string]int64{}
	for u, v := range map[string][7]int64{ // games wins losses draws matches podiums placement_sum
		"a": {1, 1, 0, 0, 1, 1, 1}, "b": {1, 1, 0, 0, 1, 1, 1}, "c": {1, 0, 1, 0, 1, 1, 3}, "d": {1, 1, 0, 0, 1, 1, 1}, "e": {1, 0, 1, 0, 1, 0, 4},
	} {
		for i, f := range []string{"games", "wins", "losses", "draws", "matches", "podiums", "placement_sum"} {
			wantSum[u+"."+f] = v[i]
		}
	}
	if !reflect.DeepEqual(sum, wantSum) {
		t.Fatalf("match stats\n got %v\nwant %v", sum, wantSum)
	}
	// Everyone tied: a draw, no wins.
	if got := resultChanges(t, Wins{Board: "wins"}, match(`[["a"],["b"],["c"]]`, "scores", `[5,5,5]`)); !reflect.DeepEqual(got, []string{"score? wins/a 0", "score? wins/b 0", "score? wins/c 0"}) {
		t.Fatalf("all tied %q", got)
	}
	// Bounds apply alike to every handler of a product.
	p := DefaultProduct().WithResultRules(ResultRules{MaxTeams: 2})
	if _, err := p.Handle(match(`[["a"],["b"],["c"]]`, "ranks", "[1,2,3]"), stateMap{}); err == nil {
		t.Fatal("the product's max_teams did not reach its handlers")
	}
}

func TestEloTeamsHandVectors(t *testing.T) {
	seed := func(r map[string]float64) stateMap {
		m := stateMap{}
		for u, x := range r {
			m["elo/"+u] = RatingState{Rating: x, Games: 40}.Encode()
		}
		return m
	}
	e := Elo{Board: "elo", K: 32}
	cases := []struct {
		name  string
		start map[string]float64
		ev    event.Event
		want  map[string]float64
	}{
		// E(1600 vs 1400) = 1/(1+10^-0.5) = 0.7597469266; 32*(0.5-0.7597469266).
		{"draw 1600-1400", map[string]float64{"a": 1600, "b": 1400}, func() event.Event { g := game("", "a", "b"); g.Fields["draw"] = "true"; return g }(),
			map[string]float64{"a": 1600 - 8.311901651, "b": 1400 + 8.311901651}},
		// All 1500: each pair expects 0.5; the winner scores 1+1 over 2
		// opponents: 32*(0.5+0.5)/2 = 16.
		{"3-player FFA", map[string]float64{"a": 1500, "b": 1500, "c": 1500}, match(`[["a"],["b"],["c"]]`, "ranks", "[1,2,3]"),
			map[string]float64{"a": 1516, "b": 1500, "c": 1484}},
		// Team mean 1500 vs 1500: each member moves by the team's 16.
		{"2v1 by team mean", map[string]float64{"a": 1600, "b": 1400, "c": 1500}, match(`[["a","b"],["c"]]`, "ranks", "[1,2]"),
			map[string]float64{"a": 1616, "b": 1416, "c": 1484}},
		// [1,1,2]: the tied teams draw (0) and beat the third (+0.5), over 2.
		{"tie for first", map[string]float64{"a": 1500, "b": 1500, "c": 1500}, match(`[["a"],["b"],["c"]]`, "scores", "[9,9,1]"),
			map[string]float64{"a": 1508, "b": 1508, "c": 1484}},
	}
	for _, c := range cases {
		m := seed(c.start)
		apply(t, e, m, c.ev)
		for u, w := range c.want {
			if got := st(t, m, "elo/"+u).Rating; math.Abs(got-w) > 1e-6 {
				t.Errorf("%s: %s = %.9f, want %.9f", c.name, u, got, w)
			}
		}
	}
}

func TestGlicko2TeamsPaperExample(t *testing.T) {
	// Glickman's worked example as a 4-player free-for-all: the 1500/200
	// player beats the 1400/30 one and loses to 1550/100 and 1700/300, which
	// is exactly the paper's rating period: 1464.06, RD 151.52, vol 0.05999.
	m := stateMap{}
	for u, g := range map[string]rating.Glicko{"p": {Rating: 1500, RD: 200, Volatility: 0.06}, "x": {Rating: 1400, RD: 30, Volatility: 0.06}, "y": {Rating: 1550, RD: 100, Volatility: 0.06}, "z": {Rating: 1700, RD: 300, Volatility: 0.06}} {
		m["g/"+u] = RatingState{Rating: g.Rating, RD: g.RD, Volatility: g.Volatility, Games: 1}.Encode()
	}
	h := Glicko2{Board: "g", Tau: 0.5}
	apply(t, h, m, match(`[["p"],["x"],["y"],["z"]]`, "ranks", "[3,4,1,2]"))
	p := st(t, m, "g/p")
	if math.Abs(p.Rating-1464.06) > 0.01 || math.Abs(p.RD-151.52) > 0.01 || math.Abs(p.Volatility-0.05999) > 0.00001 {
		t.Fatalf("paper example as FFA: %+v, want 1464.06 / 151.52 / 0.05999", p)
	}
	// A 1v1 draw of equals leaves both ratings and shrinks both RDs.
	m = stateMap{}
	d := game("", "a", "b")
	d.Fields["result"] = "draw"
	apply(t, h, m, d)
	a, b := st(t, m, "g/a"), st(t, m, "g/b")
	if math.Abs(a.Rating-1500) > 1e-9 || math.Abs(b.Rating-1500) > 1e-9 || a.RD >= 350 || a.RD != b.RD {
		t.Fatalf("draw of newcomers: %+v %+v", a, b)
	}
	// A team plays as its mean rating and RMS deviation.
	m = stateMap{"g/a": RatingState{Rating: 1400, RD: 100, Volatility: 0.06, Games: 1}.Encode(), "g/b": RatingState{Rating: 1600, RD: 200, Volatility: 0.06, Games: 1}.Encode(), "g/c": RatingState{Rating: 1500, RD: 80, Volatility: 0.06, Games: 1}.Encode()}
	apply(t, h, m, match(`[["c"],["a","b"]]`, "ranks", "[1,2]"))
	want := rating.Glicko2(rating.Glicko{Rating: 1500, RD: 80, Volatility: 0.06}, []rating.GlickoResult{{Opponent: rating.Glicko{Rating: 1500, RD: math.Sqrt((100*100 + 200*200) / 2.0)}, Score: 1}}, 0.5)
	if c := st(t, m, "g/c"); math.Abs(c.Rating-want.Rating) > 1e-9 || math.Abs(c.RD-want.RD) > 1e-9 {
		t.Fatalf("vs team: %+v want %+v", c, want)
	}
}

// TestTeamsReduceTo1v1: a decided game_over through the decomposition
// gives exactly the two-player rule's changes, for random ratings.
func TestTeamsReduceTo1v1(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 500; i++ {
		m := stateMap{}
		for _, u := range []string{"a", "b"} {
			if rnd.IntN(4) > 0 {
				s := RatingState{Rating: 1000 + rnd.Float64()*1500, RD: 30 + rnd.Float64()*300, Volatility: 0.04 + rnd.Float64()*0.04, Games: int64(rnd.IntN(60)), Last: int64(rnd.IntN(1e6))}
				m["r/"+u] = s.Encode()
			}
		}
		ev := game(fmt.Sprintf("%d-0", 1+rnd.IntN(2e6)), "a", "b")
		for _, pair := range []struct {
			name          string
			result, plain func(event.Event, Values) ([]Change, error)
		}{
			{"elo fide", Elo{Board: "r"}.Handle, Elo{Board: "r"}.handleGameOver},
			{"elo 24", Elo{Board: "r", K: 24}.Handle, Elo{Board: "r", K: 24}.handleGameOver},
			{"glicko2", Glicko2{Board: "r", Period: 1000 * 1e6}.Handle, Glicko2{Board: "r", Period: 1000 * 1e6}.handleGameOver},
		} {
			a, err1 := pair.result(ev, m)
			b, err2 := pair.plain(ev, m)
			if err1 != nil || err2 != nil || !reflect.DeepEqual(a, b) {
				t.Fatalf("%s on %v: decomposition %v (%v), two-player rule %v (%v)", pair.name, m, a, err1, b, err2)
			}
		}
	}
}

func TestOpenSkillScorer(t *testing.T) {
	h := NewOpenSkill("os")
	m := stateMap{}
	ev := match(`[["a","b"],["c"]]`, "ranks", "[1,2]")
	if got := h.Needs(ev); len(got) != 3 || got[2] != (Ref{"os", "c"}) {
		t.Fatalf("needs %v", got)
	}
	ch := apply(t, h, m, ev)
	want := h.Model.Rate([][]rating.Skill{{h.Model.New(), h.Model.New()}, {h.Model.New()}}, []float64{1, 2})
	a := st(t, m, "os/a")
	if a.Rating != want[0][0].Mu || a.RD != want[0][0].Sigma || a.Games != 1 {
		t.Fatalf("state %+v, want %+v", a, want[0][0])
	}
	if ch[len(ch)-1].Op != ScoreSet || ch[len(ch)-1].Num != boardScore(want[1][0].Ordinal(3)) {
		t.Fatalf("board score %v, want ordinal %v", ch[len(ch)-1], want[1][0].Ordinal(3))
	}
	// Rated from the stored skill the second time.
	apply(t, h, m, game("", "c", "a"))
	if a2 := st(t, m, "os/a"); a2.Games != 2 || a2.Rating >= a.Rating {
		t.Fatalf("a lost but went from %v to %v", a, a2)
	}
	if d := h.Describe("os", m["os/a"]); len(d) != 4 || d[0][0] != "os_rating" {
		t.Fatalf("describe %v", d)
	}
	if _, ok := Handler(h).(Stateful); !ok {
		t.Fatal("openskill must take the stateful path")
	}
	if _, err := h.Handle(match(`[["a"],["a"]]`, "ranks", "[1,2]"), m); err == nil {
		t.Fatal("a player in two teams was rated")
	}
}
