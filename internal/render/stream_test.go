package render

import (
	"bytes"
	"errors"
	"math"
	"testing"

	"github.com/varcade/statsctl/internal/handler"
	"github.com/varcade/statsctl/internal/store"
)

// A streamed export is byte for byte what Leaderboard writes for the same
// entries, however they are split into pages: programs cannot tell them
// apart.
func TestLeaderboardStreamMatchesLeaderboard(t *testing.T) {
	hostile := append(sampleEntries(), store.Entry{Rank: 6, UserID: "<script>\x1b[2J\n\t\"x\"", Score: -0.5})
	for _, f := range []Format{FormatJSON, FormatCSV} {
		for _, entries := range [][]store.Entry{nil, sampleEntries()[:1], hostile} {
			var want bytes.Buffer
			if err := Leaderboard(&want, entries, Options{Format: f}); err != nil {
				t.Fatal(err)
			}
			for _, size := range []int{1, 2, 100} {
				var got bytes.Buffer
				s, err := NewLeaderboardStream(&got, handler.Spec{}, Options{Format: f})
				if err != nil {
					t.Fatal(err)
				}
				for i := 0; i < len(entries); i += size {
					if err := s.Write(entries[i:min(i+size, len(entries))]); err != nil {
						t.Fatal(err)
					}
				}
				if err := s.Close(); err != nil {
					t.Fatal(err)
				}
				if got.String() != want.String() {
					t.Errorf("%s, %d entries in pages of %d:\n got %q\nwant %q", f, len(entries), size, got.String(), want.String())
				}
			}
		}
	}
}

// A value board with metadata streams as Board writes it: exact value
// text, a meta object, one CSV column per field.
func TestLeaderboardStreamMatchesBoard(t *testing.T) {
	spec := handler.Spec{Fixed: true, Scale: 3, Meta: []string{"display_name", "car"}}
	entries := []store.Entry{
		{Rank: 1, UserID: "ayrton", Score: 81.733, Value: "81.733", Meta: map[string]string{"display_name": "Ayrton", "car": "mp4"}},
		{Rank: 2, UserID: "alain", Score: 82.95, Value: "82.950", Meta: map[string]string{"display_name": "Alain, \"the\" prof"}},
		{Rank: 3, UserID: "nigel", Score: 82.95, Value: "82.950"},
	}
	for _, f := range []Format{FormatJSON, FormatCSV} {
		var want, got bytes.Buffer
		if err := Board(&want, entries, spec, Options{Format: f}); err != nil {
			t.Fatal(err)
		}
		s, err := NewLeaderboardStream(&got, spec, Options{Format: f})
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			if err := s.Write([]store.Entry{e}); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		if got.String() != want.String() {
			t.Errorf("%s:\n got %q\nwant %q", f, got.String(), want.String())
		}
	}
}

// Tables are not streamed, and a score JSON cannot carry is an error, as in
// Leaderboard.
func TestLeaderboardStreamRefuses(t *testing.T) {
	if _, err := NewLeaderboardStream(&bytes.Buffer{}, handler.Spec{}, Options{Format: FormatTable}); err == nil {
		t.Error("a table stream was accepted")
	}
	s, err := NewLeaderboardStream(&bytes.Buffer{}, handler.Spec{}, Options{Format: FormatJSON})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Write([]store.Entry{{Rank: 1, UserID: "a", Score: math.Inf(1)}}); err == nil {
		t.Error("an infinite score was written as JSON")
	}
}

// A write error (stdout closed by `head`) stops the export at that page.
func TestLeaderboardStreamWriteError(t *testing.T) {
	s, err := NewLeaderboardStream(failWriter{}, handler.Spec{}, Options{Format: FormatCSV})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Write(sampleEntries()); !errors.Is(err, errBoom) {
		t.Error("a failing writer went unnoticed")
	}
}
