package watch

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/varcade/statsctl/internal/render"
	"github.com/varcade/statsctl/internal/store"
)

func entries(pairs ...any) []store.Entry {
	var out []store.Entry
	for i := 0; i < len(pairs); i += 2 {
		out = append(out, store.Entry{UserID: pairs[i].(string), Rank: int64(pairs[i+1].(int))})
	}
	return out
}

func moves(rows []render.MovedEntry) string {
	var b strings.Builder
	for _, r := range rows {
		b.WriteString(r.UserID + ":" + r.Move.Kind)
		if r.Move.By != 0 {
			b.WriteString(string(rune('0' + r.Move.By)))
		}
		b.WriteByte(' ')
	}
	return strings.TrimSpace(b.String())
}

// The baseline is the first frame, so a watch started on an empty board
// shows everyone who arrives as new.
func TestTrackerMovementSinceStart(t *testing.T) {
	var empty Tracker
	if got := moves(empty.Mark(nil)); got != "" {
		t.Fatalf("empty frame: %q", got)
	}
	if got := moves(empty.Mark(entries("a", 1))); got != "a:new" {
		t.Fatalf("after an empty start: %q", got)
	}
	var tr Tracker
	if got := moves(tr.Mark(entries("a", 1, "b", 2, "c", 2))); got != "a:same b:same c:same" {
		t.Fatalf("first frame: %q", got)
	}
	// c climbs, a falls by two, d arrives; b stays at 2 (tie shared).
	if got := moves(tr.Mark(entries("c", 1, "b", 2, "a", 3, "d", 3))); got != "c:up1 b:same a:down2 d:new" {
		t.Fatalf("second frame: %q", got)
	}
	// Movement is against the start, not the previous frame: a back to 1.
	if got := moves(tr.Mark(entries("a", 1, "d", 2))); got != "a:same d:new" {
		t.Fatalf("third frame: %q", got)
	}
}

func TestFitCutsToTheWindow(t *testing.T) {
	frame := "title\n" + strings.Repeat("row that is quite long\n", 10)
	got := fit(frame, 10, 4)
	lines := strings.Split(got, "\n")
	if len(lines) != 4 {
		t.Fatalf("height 4: %d lines:\n%s", len(lines), got)
	}
	for _, l := range lines {
		if w := ansi.StringWidth(l); w > 10 {
			t.Fatalf("line %q is %d wide, window 10", l, w)
		}
	}
	if !strings.HasPrefix(lines[3], "… 8 more") {
		t.Fatalf("last line %q should say 8 lines did not fit", lines[3])
	}
	if got := fit(frame, 0, 0); got != strings.TrimRight(frame, "\n") {
		t.Fatalf("unknown size must not cut")
	}
	if got := fit(frame, 80, 1); got != "title" {
		t.Fatalf("height 1: %q", got)
	}
}

// Plain stops after Count snapshots, writes the CSV header once, and ends
// with the store's error when a read fails.
func TestPlainCountHeaderAndError(t *testing.T) {
	n := 0
	fetch := func(context.Context) (store.Page, error) {
		n++
		if n == 1 {
			return store.Page{Total: 1, Entries: []store.Entry{{Rank: 1, UserID: "a", Score: 1}}}, nil
		}
		return store.Page{Total: 2, Entries: []store.Entry{{Rank: 1, UserID: "b", Score: 2}, {Rank: 2, UserID: "a", Score: 1}}}, nil
	}
	var out bytes.Buffer
	at := time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)
	o := Options{Title: "p / wins", Count: 2, Interval: time.Second, Render: render.Options{Format: render.FormatCSV}, Now: func() time.Time { return at }}
	if err := Plain(context.Background(), &out, fetch, o); err != nil {
		t.Fatal(err)
	}
	want := "at,rank,user_id,score,move,by\n" +
		"2026-12-02T00:00:00Z,1,a,1,same,0\n" +
		"2026-12-02T00:00:00Z,1,b,2,new,0\n" +
		"2026-12-02T00:00:00Z,2,a,1,down,1\n"
	if out.String() != want {
		t.Fatalf("got\n%s\nwant\n%s", out.String(), want)
	}
	boom := errors.New("connection refused")
	err := Plain(context.Background(), &out, func(context.Context) (store.Page, error) { return store.Page{}, boom }, o)
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), "p / wins") {
		t.Fatalf("a failing read: %v", err)
	}
	// Not on the board yet: a note, not an error.
	out.Reset()
	o.Count, o.Render, o.NotFound = 1, render.Options{}, "u is not on the board yet"
	if err := Plain(context.Background(), &out, func(context.Context) (store.Page, error) { return store.Page{}, store.ErrNotFound }, o); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "# u is not on the board yet") {
		t.Fatalf("not found: %q", out.String())
	}
}

// A cancelled context ends a plain watch between snapshots with nil.
func TestPlainInterrupted(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	calls := 0
	fetch := func(context.Context) (store.Page, error) {
		calls++
		cancel()
		return store.Page{}, nil
	}
	if err := Plain(ctx, &bytes.Buffer{}, fetch, Options{}); err != nil {
		t.Fatal(err)
	}
	if calls != 1 {
		t.Fatalf("%d reads after the interrupt", calls)
	}
}
