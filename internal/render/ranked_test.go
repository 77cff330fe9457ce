package render

import (
	"bytes"
	"strings"
	"testing"

	"github.com/varcade/statsctl/internal/handler"
	"github.com/varcade/statsctl/internal/store"
)

// A ranked list shows a value board's scores as the board itself does:
// its format in the table, the exact text for programs (was: the raw
// number everywhere, 81000 where leaderboard showed 1:21.000).
func TestRankedListShowsBoardValues(t *testing.T) {
	l := store.RankedList{Total: 3, Entries: []store.ListedEntry{
		{Entry: store.Entry{Rank: 2, UserID: "ann", Score: 81000, Value: "81000"}, ListRank: 1},
		{Entry: store.Entry{Rank: 3, UserID: "bob", Score: 9007199.254740991, Value: "9007199.254740991"}, ListRank: 2},
	}}
	lap := handler.Spec{Format: handler.FormatDurationMs}
	var tb bytes.Buffer
	if err := RankedList(&tb, l, lap, Options{Format: FormatTable}); err != nil {
		t.Fatal(err)
	}
	if want := DisplayValue(l.Entries[0].Entry, lap); !strings.Contains(tb.String(), want) || want != "1:21.000" {
		t.Errorf("table lacks the board's display %q:\n%s", want, tb.String())
	}
	var j, c bytes.Buffer
	if err := RankedList(&j, l, lap, Options{Format: FormatJSON}); err != nil {
		t.Fatal(err)
	}
	if err := RankedList(&c, l, lap, Options{Format: FormatCSV}); err != nil {
		t.Fatal(err)
	}
	for name, out := range map[string]string{"json": j.String(), "csv": c.String()} {
		if !strings.Contains(out, "9007199.254740991") || strings.Contains(out, "1:21.000") {
			t.Errorf("%s must carry the exact values, not the display: %s", name, out)
		}
	}
}
