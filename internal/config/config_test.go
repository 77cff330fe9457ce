package config

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/varcade/statsctl/internal/handler"
)

func TestExampleConfigLoads(t *testing.T) {
	c, err := Load("../../testdata/config/statsctl.yaml")
	if err != nil {
		t.Fatal(err)
	}
	reg, err := c.Registry()
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(reg.Known(), ","); got != "exchess,exracer,exrps" {
		t.Fatalf("products %s", got)
	}
	ex := reg.Lookup("exrps")
	if ex.DefaultBoard() != "wins" || !ex.HasBoard("elo") || len(ex.Stats) != 3 {
		t.Fatalf("exrps %+v", ex)
	}
	if e, ok := ex.Boards[1].Scorer.(handler.Elo); !ok || e.K != 0 || e.Initial != 1500 {
		t.Fatalf("elo board %+v", ex.Boards[1].Scorer)
	}
	g, ok := reg.Lookup("exchess").Boards[0].Scorer.(handler.Glicko2)
	if !ok || !g.Conservative || g.Tau != 0.5 || g.Period.Hours() != 24 {
		t.Fatalf("glicko board %+v", reg.Lookup("exchess").Boards[0].Scorer)
	}
	if len(reg.Lookup("unknown").Stats) != 2 {
		t.Fatal("the default section should apply to unknown products")
	}
}

// A Windows editor may save the config as UTF-16 with a byte order mark;
// it means the same as its UTF-8 text, and errors keep their lines.
func TestUTF16ConfigReadsAsUTF8(t *testing.T) {
	utf16le := func(s string) []byte {
		out := []byte{0xff, 0xfe}
		for _, u := range utf16.Encode([]rune(s)) {
			out = append(out, byte(u), byte(u>>8))
		}
		return out
	}
	text, err := os.ReadFile("../../testdata/config/statsctl.yaml")
	if err != nil {
		t.Fatal(err)
	}
	want, err := Parse("x.yaml", text)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Parse("x.yaml", utf16le(string(text)))
	if err != nil {
		t.Fatalf("UTF-16 example refused: %v", err)
	}
	if fmt.Sprintf("%+v", got) != fmt.Sprintf("%+v", want) {
		t.Fatalf("UTF-16 config differs:\n got %+v\nwant %+v", got, want)
	}
	_, err = Parse("x.yaml", utf16le("products:\n  p:\n    boards:\n      - {name: e, scorer: elo, k: lots}\n"))
	if err == nil || !strings.Contains(err.Error(), "x.yaml:4: product p board e k") {
		t.Fatalf("error %v, want it on line 4", err)
	}
}

func TestBadConfigsNameLineAndReason(t *testing.T) {
	cases := []struct{ name, text, want string }{
		{"syntax", "products:\n  exrps: [\n", "x.yaml: "},
		{"unknown key", "products:\n  exrps:\n    boards:\n      - {name: wins, scorer: wins}\n    colour: red\n", "x.yaml:5: unknown key \"colour\" in product exrps"},
		{"history on a periodic board", "products:\n  exrps:\n    boards:\n      - name: weekly\n        scorer: wins\n        period: weekly\n        history: {points: 10}\n", "x.yaml:7: product exrps board weekly: a periodic board takes no history: setting; its history is each player's rank in every kept period, derived"},
		{"unknown scorer", "products:\n  exrps:\n    boards:\n      - name: elo\n        scorer: eol\n", "x.yaml:4: product exrps: unknown scorer \"eol\" (want wins, elo, glicko2, openskill or value)"},
		{"bad k", "products:\n  p:\n    boards:\n      - name: elo\n        scorer: elo\n        k: lots\n", "x.yaml:6: product p board elo k (a number, or fide) must be a number"},
		{"param of other scorer", "products:\n  p:\n    boards:\n      - name: elo\n        scorer: elo\n        tau: 0.5\n", "x.yaml:6: unknown key \"tau\" in product p board"},
		{"no boards", "products:\n  p:\n    stat_order: [a]\n", "x.yaml:3: product p has no boards"},
		{"dup board", "products:\n  p:\n    boards:\n      - {name: w, scorer: wins}\n      - {name: w, scorer: wins}\n", "x.yaml:5: product p: board \"w\" is listed twice"},
		{"bad product id", "products:\n  \"ex{rps}\":\n    boards: [{name: w, scorer: wins}]\n", "x.yaml:2: product id"},
		{"bad period", "products:\n  p:\n    boards:\n      - name: g\n        scorer: glicko2\n        period: often\n", "x.yaml:6: product p board g period \"often\""},
		{"rule without player", "products:\n  p:\n    boards: [{name: w, scorer: wins}]\n    stats:\n      - match: {type: game_over}\n        add: {games: 1}\n", "x.yaml:5: product p stats rule has no player"},
		{"bad template", "products:\n  p:\n    boards: [{name: w, scorer: wins}]\n    stats:\n      - match: {type: x}\n        player: user_id\n        stat: \"{event_data_count\"\n", "x.yaml:7: product p stats rule: template"},
		{"bad reason", "products:\n  p:\n    boards: [{name: w, scorer: wins}]\n    stats:\n      - match: {type: x}\n        player: user_id\n        stat: \"{d}_n\"\n        values: {a: b}\n        unknown_reason: oops\n", "x.yaml:9: product p stats rule unknown_reason \"oops\""},
		{"empty", "", "empty config"},
		{"only a document start", "---\n", "x.yaml: empty config"},
		{"only comments", "# nothing yet\n", "x.yaml: empty config"},
		{"version", "version: 2\nproducts: {}\n", "x.yaml:1: version \"2\" is not supported"},
		// An empty value is reported on its key's line, not on the next
		// token's (a later key's line, or a line past the end of the text).
		{"empty product at the end", "products:\n ? p", "x.yaml:2: product p must be a mapping"},
		{"empty product before a key", "products:\n  p:\nversion: 1\n", "x.yaml:2: product p must be a mapping"},
		{"empty boards", "products:\n  p:\n    boards:\n    stat_order: [a]\n", "x.yaml:3: product p: boards must be a non-empty list"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse("x.yaml", []byte(c.text))
			if err == nil {
				t.Fatalf("accepted:\n%s", c.text)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error\n%v\nwant it to contain\n%s", err, c.want)
			}
		})
	}
}

func TestAllProblemsReportedAtOnce(t *testing.T) {
	text := "products:\n  p:\n    boards:\n      - {name: a, scorer: nope}\n      - {name: b, scorer: elo, k: x}\n"
	_, err := Parse("x.yaml", []byte(text))
	if err == nil || !strings.Contains(err.Error(), "x.yaml:4:") || !strings.Contains(err.Error(), "x.yaml:5:") {
		t.Fatalf("want both lines 4 and 5 reported, got %v", err)
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "nope.yaml"))
	if err == nil || !os.IsNotExist(unwrapAll(err)) {
		t.Fatalf("missing file: %v", err)
	}
}

func unwrapAll(err error) error {
	for {
		u, ok := err.(interface{ Unwrap() error })
		if !ok {
			return err
		}
		err = u.Unwrap()
	}
}
