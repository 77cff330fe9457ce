package engine_test

import (
	"context"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/varcade/statsctl/internal/engine"
	"github.com/varcade/statsctl/internal/event"
	"github.com/varcade/statsctl/internal/handler"
	"github.com/varcade/statsctl/internal/store"
)

func newEngine(t *testing.T) (*engine.Engine, *miniredis.Miniredis) {
	m := miniredis.RunT(t)
	c := redis.NewClient(&redis.Options{Addr: m.Addr()})
	t.Cleanup(func() { c.Close() })
	return engine.New(handler.Builtin(), store.New(c, store.Options{})), m
}

// offlineEngine is an engine whose store is never dialled: PrepareBatch
// lays a batch out for the apply script (pure), and nothing is sent, so
// prepare-only tests and benchmarks need no server.
func offlineEngine(tb testing.TB) *engine.Engine {
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	tb.Cleanup(func() { c.Close() })
	return engine.New(handler.Builtin(), store.New(c, store.Options{}))
}

func parse(t *testing.T, lines ...string) []event.Event {
	var out []event.Event
	for _, l := range lines {
		ev, err := event.ParseJSON([]byte(l))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, ev)
	}
	return out
}

func TestApplyOutcomesInOrder(t *testing.T) {
	e, _ := newEngine(t)
	evs := parse(t,
		`{"id":"1","product_id":"exrps","type":"game_over","winner_id":"a","loser_id":"b"}`,
		`{"id":"2","product_id":"exrps","type":"state_change","new_state":"x"}`,
		`{"id":"3","product_id":"exrps","type":"game_over","winner_id":"a"}`,
		`{"id":"1","product_id":"exrps","type":"game_over","winner_id":"a","loser_id":"b"}`,
		`{"id":"4","product_id":"other","type":"game_over","winner_id":"c","loser_id":"d"}`,
		`{"type":"game_over","winner_id":"c","loser_id":"d"}`,
	)
	outs, err := e.Apply(context.Background(), evs)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, o := range outs {
		got = append(got, o.Status.String()+":"+o.Product+":"+o.Reason)
	}
	want := "[applied:exrps: ignored:exrps: invalid:exrps:missing_field duplicate:exrps: applied:other: invalid::missing_field]"
	if fmt.Sprint(got) != want {
		t.Fatalf("got  %v\nwant %s", got, want)
	}
}

type lineSource struct {
	lines []string
	i     int
}

func (s *lineSource) Next() (event.Event, error) {
	if s.i >= len(s.lines) {
		return event.Event{}, io.EOF
	}
	s.i++
	ev, err := event.ParseJSON([]byte(s.lines[s.i-1]))
	if err != nil {
		return ev, &event.LineError{Src: event.Source{File: "s", Line: s.i}, Err: err}
	}
	ev.Src = event.Source{File: "s", Line: s.i}
	return ev, nil
}

func TestRunReportsSkipsInLineOrderAndDryRunWritesNothing(t *testing.T) {
	e, m := newEngine(t)
	var lines []string
	for i := 0; i < 25; i++ {
		lines = append(lines, fmt.Sprintf(`{"id":"%d","product_id":"g","type":"game_over","winner_id":"w%d","loser_id":"l"}`, i, i%3))
		if i%7 == 0 {
			lines = append(lines, "oops")
		}
	}
	var skipped []string
	opts := engine.RunOptions{BatchSize: 4, DryRun: true, OnSkip: func(s event.Source, o engine.Outcome) { skipped = append(skipped, s.String()) }}
	sum, err := e.Run(context.Background(), &lineSource{lines: lines}, opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Keys()) != 0 {
		t.Fatalf("dry run wrote %v", m.Keys())
	}
	if fmt.Sprint(skipped) != "[s:2 s:10 s:18 s:26]" || sum.ByStatus[engine.Invalid] != 4 || sum.ByStatus[engine.Applied] != 25 {
		t.Fatalf("skipped %v summary %s", skipped, sum)
	}
	opts.DryRun = false
	skipped = nil
	sum, err = e.Run(context.Background(), &lineSource{lines: lines}, opts)
	if err != nil || sum.ByStatus[engine.Applied] != 25 {
		t.Fatalf("%s %v", sum, err)
	}
	if s, _ := m.ZScore("statsctl:{g}:lb:wins", "w0"); s != 9 {
		t.Fatalf("w0 score %v, want 9", s)
	}
}

func TestRunStopsOnStoreFailure(t *testing.T) {
	e, m := newEngine(t)
	m.Close()
	lines := []string{`{"product_id":"g","type":"game_over","winner_id":"a","loser_id":"b"}`}
	_, err := e.Run(context.Background(), &lineSource{lines: lines}, engine.RunOptions{})
	if err == nil || !strings.Contains(err.Error(), "write batch ending at s:1") {
		t.Fatalf("err %v", err)
	}
}
