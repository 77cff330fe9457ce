package render

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/varcade/statsctl/internal/store"
)

// sampleEntries has a tie at rank 2 (so the next rank is 4), a user id that
// needs CSV quoting, a non-ASCII id and scores that exercise formatting.
func sampleEntries() []store.Entry {
	return []store.Entry{
		{Rank: 1, UserID: "u7", Score: 2048},
		{Rank: 2, UserID: "ana", Score: 1516.37},
		{Rank: 2, UserID: `bob, "the" builder`, Score: 1516.37},
		{Rank: 4, UserID: "zoë", Score: 99.5},
		{Rank: 5, UserID: "u12", Score: 3.14159},
	}
}

func sampleStats() []Stat {
	return []Stat{
		{Name: "games", Value: "5"},
		{Name: "wins", Value: "2"},
		{Name: "win_rate", Value: "0.4"},
		{Name: "best_streak", Value: "007"},
		{Name: "favourite_map", Value: `de_dust2, "classic"`},
		{Name: "last_seen", Value: "2025-11-25T10:50:00Z"},
	}
}

func render(t *testing.T, fn func(*bytes.Buffer) error) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := fn(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func lines(b []byte) []string {
	return strings.Split(strings.TrimRight(string(b), "\n"), "\n")
}

func TestLeaderboardTablePlain(t *testing.T) {
	out := render(t, func(b *bytes.Buffer) error {
		return Leaderboard(b, sampleEntries(), Options{Format: FormatTable})
	})
	checkGolden(t, "leaderboard.table.txt", out)

	if bytes.IndexByte(out, 0x1b) >= 0 {
		t.Fatalf("plain table contains an ESC byte:\n%q", out)
	}
	ls := lines(out)
	// top border, header, header rule, 5 rows, bottom border
	if len(ls) != 9 {
		t.Fatalf("want 9 lines, got %d:\n%s", len(ls), out)
	}
	for _, h := range []string{"RANK", "PLAYER", "SCORE"} {
		if !strings.Contains(ls[1], h) {
			t.Errorf("header %q missing from %q", h, ls[1])
		}
	}
	wantRows := [][]string{
		{"1", "u7", "2048"},
		{"2", "ana", "1516.37"},
		{"2", `bob, "the" builder`, "1516.37"},
		{"4", "zoë", "99.5"},
		{"5", "u12", "3.14"},
	}
	for i, want := range wantRows {
		cells := strings.Split(strings.Trim(ls[3+i], "│"), "│")
		if len(cells) != 3 {
			t.Fatalf("row %d: want 3 cells, got %q", i, ls[3+i])
		}
		for j := range cells {
			if got := strings.TrimSpace(cells[j]); got != want[j] {
				t.Errorf("row %d col %d = %q, want %q", i, j, got, want[j])
			}
		}
	}
	if strings.Contains(string(out), "2048.0") || strings.Contains(string(out), "3.14159") {
		t.Errorf("table scores not formatted for people:\n%s", out)
	}
}

func TestLeaderboardTableColor(t *testing.T) {
	out := render(t, func(b *bytes.Buffer) error {
		return Leaderboard(b, sampleEntries(), Options{Format: FormatTable, Color: true})
	})
	checkGolden(t, "leaderboard.color.table.txt", out)

	if bytes.IndexByte(out, 0x1b) < 0 {
		t.Fatal("coloured table has no ESC byte")
	}
	ls := lines(out)
	if !strings.Contains(ls[1], "\x1b[1mRANK") {
		t.Errorf("header not bold: %q", ls[1])
	}
	gold, silver, bronze := "\x1b[1;38;5;"+colorGold+"m", "\x1b[1;38;5;"+colorSilver+"m", "\x1b[1;38;5;"+colorBronze+"m"
	// Both rank-2 rows of the tie are silver; rank 4 (no bronze in this
	// data) and rank 5 stay plain.
	checks := []struct {
		row  int
		want string
	}{{0, gold}, {1, silver}, {2, silver}}
	for _, c := range checks {
		if n := strings.Count(ls[3+c.row], c.want); n != 3 {
			t.Errorf("row %d: want all 3 cells styled %q, found %d: %q", c.row, c.want, n, ls[3+c.row])
		}
	}
	for _, r := range []int{3, 4} {
		if strings.Contains(ls[3+r], "\x1b") {
			t.Errorf("row %d should be plain: %q", r, ls[3+r])
		}
	}
	if strings.Contains(string(out), bronze) {
		t.Errorf("no rank 3 in data, but bronze appears")
	}

	// Visible layout must match the plain table exactly once escapes go.
	plain := render(t, func(b *bytes.Buffer) error {
		return Leaderboard(b, sampleEntries(), Options{})
	})
	if got := stripANSI(string(out)); got != string(plain) {
		t.Errorf("coloured table misaligned:\n%s\nplain:\n%s", got, plain)
	}
}

func TestLeaderboardBronze(t *testing.T) {
	entries := []store.Entry{{Rank: 1, UserID: "a", Score: 3}, {Rank: 2, UserID: "b", Score: 2}, {Rank: 3, UserID: "c", Score: 1}, {Rank: 4, UserID: "d", Score: 0}}
	out := render(t, func(b *bytes.Buffer) error {
		return Leaderboard(b, entries, Options{Color: true})
	})
	ls := lines(out)
	bronze := "\x1b[1;38;5;" + colorBronze + "m"
	if !strings.Contains(ls[5], bronze) || strings.Contains(ls[6], "\x1b") {
		t.Errorf("rank 3 should be bronze and rank 4 plain:\n%q\n%q", ls[5], ls[6])
	}
}

func stripANSI(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == 0x1b && i+1 < len(s) && s[i+1] == '[' {
			j := i + 2
			for j < len(s) && (s[j] < 0x40 || s[j] > 0x7e) {
				j++
			}
			i = j
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func TestLeaderboardTableEscapesControlCharacters(t *testing.T) {
	entries := []store.Entry{{Rank: 1, UserID: "evil\x1b[2J\nname\t", Score: 1}}
	for _, color := range []bool{false, true} {
		out := render(t, func(b *bytes.Buffer) error {
			return Leaderboard(b, entries, Options{Color: color})
		})
		if !strings.Contains(string(out), `evil\x1b[2J\x0aname\x09`) {
			t.Errorf("color=%v: control characters not escaped:\n%q", color, out)
		}
		if !color && bytes.IndexByte(out, 0x1b) >= 0 {
			t.Errorf("plain table leaked ESC from data: %q", out)
		}
		if strings.Contains(stripANSI(string(out)), "\x1b") {
			t.Errorf("color=%v: raw ESC from data survived: %q", color, out)
		}
	}
}

func TestLeaderboardJSON(t *testing.T) {
	out := render(t, func(b *bytes.Buffer) error {
		return Leaderboard(b, sampleEntries(), Options{Format: FormatJSON})
	})
	checkGolden(t, "leaderboard.json", out)

	if !strings.HasPrefix(string(out), `[{"rank":1,"user_id":"u7","score":2048},`) {
		t.Errorf("unexpected JSON start: %s", out)
	}
	if !strings.HasSuffix(string(out), "]\n") || strings.Count(string(out), "\n") != 1 {
		t.Errorf("want exactly one trailing newline: %q", out)
	}
	var rows []struct {
		Rank   int64   `json:"rank"`
		UserID string  `json:"user_id"`
		Score  float64 `json:"score"`
	}
	if err := json.Unmarshal(out, &rows); err != nil {
		t.Fatal(err)
	}
	got := make([]store.Entry, len(rows))
	for i, r := range rows {
		got[i] = store.Entry{Rank: r.Rank, UserID: r.UserID, Score: r.Score}
	}
	want := sampleEntries()
	if len(got) != len(want) {
		t.Fatalf("got %d entries, want %d", len(got), len(want))
	}
	for i := range want {
		if !reflect.DeepEqual(got[i], want[i]) {
			t.Errorf("entry %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	if !strings.Contains(string(out), `"score":3.14159`) {
		t.Errorf("JSON must keep full precision: %s", out)
	}
}

func TestLeaderboardJSONDetails(t *testing.T) {
	cases := []struct {
		name    string
		entries []store.Entry
		want    string
	}{
		{"nil", nil, "[]\n"},
		{"empty", []store.Entry{}, "[]\n"},
		{"no html escaping", []store.Entry{{Rank: 1, UserID: "<a&b>", Score: 0.1}}, `[{"rank":1,"user_id":"<a&b>","score":0.1}]` + "\n"},
		{"no exponent", []store.Entry{{Rank: 1, UserID: "big", Score: 1e21}, {Rank: 2, UserID: "tiny", Score: 1e-7}}, `[{"rank":1,"user_id":"big","score":1000000000000000000000},{"rank":2,"user_id":"tiny","score":0.0000001}]` + "\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out := render(t, func(b *bytes.Buffer) error {
				return Leaderboard(b, c.entries, Options{Format: FormatJSON})
			})
			if string(out) != c.want {
				t.Errorf("got %q, want %q", out, c.want)
			}
		})
	}
}

func TestLeaderboardJSONRejectsInfinity(t *testing.T) {
	var buf bytes.Buffer
	err := Leaderboard(&buf, []store.Entry{{Rank: 1, UserID: "a", Score: 1}, {Rank: 2, UserID: "cheater", Score: math.Inf(1)}}, Options{Format: FormatJSON})
	if err == nil || !strings.Contains(err.Error(), "cheater") {
		t.Fatalf("want error naming the player, got %v", err)
	}
	if buf.Len() != 0 {
		t.Errorf("nothing should be written on error, got %q", buf.String())
	}
	// Tables and CSV can show infinity.
	if err := Leaderboard(&buf, []store.Entry{{Rank: 1, UserID: "cheater", Score: math.Inf(1)}}, Options{Format: FormatCSV}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "1,cheater,+Inf\n") {
		t.Errorf("csv: %q", buf.String())
	}
}

func TestLeaderboardCSV(t *testing.T) {
	out := render(t, func(b *bytes.Buffer) error {
		return Leaderboard(b, sampleEntries(), Options{Format: FormatCSV})
	})
	checkGolden(t, "leaderboard.csv", out)

	if !strings.HasPrefix(string(out), "rank,user_id,score\n1,u7,2048\n") {
		t.Errorf("unexpected CSV start:\n%s", out)
	}
	if !strings.Contains(string(out), `2,"bob, ""the"" builder",1516.37`+"\n") {
		t.Errorf("user id not CSV-escaped:\n%s", out)
	}
	recs, err := csv.NewReader(bytes.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 6 || recs[3][1] != `bob, "the" builder` || recs[5][2] != "3.14159" {
		t.Errorf("CSV does not round-trip: %q", recs)
	}

	empty := render(t, func(b *bytes.Buffer) error {
		return Leaderboard(b, nil, Options{Format: FormatCSV})
	})
	if string(empty) != "rank,user_id,score\n" {
		t.Errorf("empty CSV = %q", empty)
	}
}

func TestStatsTable(t *testing.T) {
	out := render(t, func(b *bytes.Buffer) error {
		return Stats(b, sampleStats(), Options{})
	})
	checkGolden(t, "stats.table.txt", out)
	if bytes.IndexByte(out, 0x1b) >= 0 {
		t.Fatalf("plain table contains ESC: %q", out)
	}
	ls := lines(out)
	if len(ls) != 3+len(sampleStats())+1 {
		t.Fatalf("unexpected line count:\n%s", out)
	}
	if !strings.Contains(ls[1], "STAT") || !strings.Contains(ls[1], "VALUE") {
		t.Errorf("header: %q", ls[1])
	}
	for i, s := range sampleStats() {
		if !strings.Contains(ls[3+i], s.Name) || !strings.Contains(ls[3+i], s.Value) {
			t.Errorf("row %d = %q, want %s=%s in display order", i, ls[3+i], s.Name, s.Value)
		}
	}

	colored := render(t, func(b *bytes.Buffer) error {
		return Stats(b, sampleStats(), Options{Color: true})
	})
	if !strings.Contains(string(colored), "\x1b[1mSTAT") {
		t.Errorf("coloured stats header not bold: %q", colored)
	}
	if stripANSI(string(colored)) != string(out) {
		t.Errorf("coloured stats layout differs from plain")
	}
}

func TestStatsJSON(t *testing.T) {
	out := render(t, func(b *bytes.Buffer) error {
		return Stats(b, sampleStats(), Options{Format: FormatJSON})
	})
	checkGolden(t, "stats.json", out)
	want := `{"games":5,"wins":2,"win_rate":0.4,"best_streak":7,"favourite_map":"de_dust2, \"classic\"","last_seen":"2025-11-25T10:50:00Z"}` + "\n"
	if string(out) != want {
		t.Errorf("got  %s\nwant %s", out, want)
	}
	if !json.Valid(out) {
		t.Errorf("invalid JSON: %s", out)
	}

	for _, in := range [][]Stat{nil, {}} {
		empty := render(t, func(b *bytes.Buffer) error {
			return Stats(b, in, Options{Format: FormatJSON})
		})
		if string(empty) != "{}\n" {
			t.Errorf("empty stats JSON = %q, want {}", empty)
		}
	}
}

func TestJSONNumber(t *testing.T) {
	cases := []struct {
		in   string
		want string
		ok   bool
	}{
		{"5", "5", true},
		{"-12", "-12", true},
		{"007", "7", true},
		{"+5", "5", true},
		{"0.4", "0.4", true},
		{"1.50", "1.50", true},
		{"1e3", "1e3", true},
		{".5", "0.5", true},
		{"123456789012345678901234567890", "123456789012345678901234567890", true},
		{"NaN", "", false},
		{"inf", "", false},
		{"1e999", "", false},
		{"", "", false},
		{" 5", "", false},
		{"12abc", "", false},
		{"true", "", false},
	}
	for _, c := range cases {
		got, ok := jsonNumber(c.in)
		if got != c.want || ok != c.ok {
			t.Errorf("jsonNumber(%q) = %q, %v; want %q, %v", c.in, got, ok, c.want, c.ok)
		}
		if ok && !json.Valid([]byte(got)) {
			t.Errorf("jsonNumber(%q) = %q is not valid JSON", c.in, got)
		}
	}
}

func TestStatsCSV(t *testing.T) {
	out := render(t, func(b *bytes.Buffer) error {
		return Stats(b, sampleStats(), Options{Format: FormatCSV})
	})
	checkGolden(t, "stats.csv", out)
	if !strings.HasPrefix(string(out), "stat,value\ngames,5\n") {
		t.Errorf("unexpected CSV:\n%s", out)
	}
	if !strings.Contains(string(out), `favourite_map,"de_dust2, ""classic"""`+"\n") {
		t.Errorf("value not CSV-escaped:\n%s", out)
	}
	if !strings.Contains(string(out), "best_streak,007\n") {
		t.Errorf("CSV must keep values verbatim:\n%s", out)
	}
}

func TestTableScore(t *testing.T) {
	cases := map[float64]string{
		12:                   "12",
		-3:                   "-3",
		0:                    "0",
		math.Copysign(0, -1): "0",
		1516.37:              "1516.37",
		1516.5:               "1516.5",
		3.14159:              "3.14",
		2.999:                "3",
		0.001:                "0",
		-0.001:               "0",
		1e15:                 "1000000000000000",
		math.Inf(1):          "+Inf",
		math.Inf(-1):         "-Inf",
	}
	for in, want := range cases {
		if got := tableScore(in); got != want {
			t.Errorf("tableScore(%v) = %q, want %q", in, got, want)
		}
	}
}

func TestParseFormat(t *testing.T) {
	ok := map[string]Format{
		"":      FormatTable,
		"table": FormatTable,
		"json":  FormatJSON,
		"csv":   FormatCSV,
		"JSON":  FormatJSON,
		" csv ": FormatCSV,
	}
	for in, want := range ok {
		got, err := ParseFormat(in)
		if err != nil || got != want {
			t.Errorf("ParseFormat(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"yaml", "tabel", "json,csv", "-"} {
		got, err := ParseFormat(in)
		if err == nil {
			t.Errorf("ParseFormat(%q) = %q, want error", in, got)
			continue
		}
		if !errors.Is(err, ErrUnknownFormat) {
			t.Errorf("ParseFormat(%q) error does not wrap ErrUnknownFormat: %v", in, err)
		}
		msg := err.Error()
		if !strings.Contains(msg, "table, json, csv") || !strings.Contains(msg, `"`+in+`"`) {
			t.Errorf("ParseFormat(%q) error should name the value and list valid ones: %s", in, msg)
		}
	}
}

func TestUnknownFormatInOptions(t *testing.T) {
	var buf bytes.Buffer
	if err := Leaderboard(&buf, sampleEntries(), Options{Format: "xml"}); !errors.Is(err, ErrUnknownFormat) {
		t.Errorf("Leaderboard: want ErrUnknownFormat, got %v", err)
	}
	if err := Stats(&buf, sampleStats(), Options{Format: "xml"}); !errors.Is(err, ErrUnknownFormat) {
		t.Errorf("Stats: want ErrUnknownFormat, got %v", err)
	}
	if buf.Len() != 0 {
		t.Errorf("wrote output despite error: %q", buf.String())
	}
}

type failWriter struct{}

var errBoom = errors.New("boom")

func (failWriter) Write([]byte) (int, error) { return 0, errBoom }

func TestWriteErrorsPropagate(t *testing.T) {
	for _, f := range Formats() {
		if err := Leaderboard(failWriter{}, sampleEntries(), Options{Format: f}); !errors.Is(err, errBoom) {
			t.Errorf("Leaderboard %s: want write error, got %v", f, err)
		}
		if err := Stats(failWriter{}, sampleStats(), Options{Format: f}); !errors.Is(err, errBoom) {
			t.Errorf("Stats %s: want write error, got %v", f, err)
		}
	}
}
