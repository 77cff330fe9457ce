package engine_test

import (
	"context"
	"fmt"
	"io"
	"testing"

	"github.com/varcade/statsctl/internal/e2etest"
	"github.com/varcade/statsctl/internal/engine"
	"github.com/varcade/statsctl/internal/event"
	"github.com/varcade/statsctl/internal/gen"
	"github.com/varcade/statsctl/internal/handler"
	"github.com/varcade/statsctl/internal/store"
	"github.com/varcade/statsctl/internal/testredis"
)

// sliceSource replays events held in memory, so a benchmark times the apply
// path and not JSON decoding.
type sliceSource struct {
	evs []event.Event
	i   int
}

func (s *sliceSource) Next() (event.Event, error) {
	if s.i == len(s.evs) {
		return event.Event{}, io.EOF
	}
	s.i++
	return s.evs[s.i-1], nil
}

func genEvents(tb testing.TB, games int) []event.Event {
	tb.Helper()
	var evs []event.Event
	err := gen.Each(gen.Options{Games: games, Players: 200, Seed: 7, IDs: true}, func(f gen.Fields, _ string, _ bool) error {
		ev := event.Event{Fields: map[string]string{}}
		for i := 0; i+1 < len(f); i += 2 {
			if f[i] == event.FieldID {
				ev.ID = f[i+1]
				continue
			}
			ev.Fields[f[i]] = f[i+1]
		}
		evs = append(evs, ev)
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return evs
}

// statelessRegistry is exrps as it was before ratings: the wins board, the
// game-over stats and the weapon counts. Built with the API that exists on
// both sides of the ratings change, so the same benchmark runs on both.
func statelessRegistry(tb testing.TB) *handler.Registry {
	r := handler.NewRegistry(handler.DefaultProduct())
	p := handler.DefaultProduct()
	p.Stats = append(p.Stats, handler.ExrpsWeapons{})
	if err := r.Register("exrps", p); err != nil {
		tb.Fatal(err)
	}
	return r
}

func benchRun(b *testing.B, reg *handler.Registry) {
	srv := testredis.Start(b)
	rdb := srv.Client()
	evs := genEvents(b, 5000)
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		if err := rdb.FlushAll(ctx).Err(); err != nil {
			b.Fatal(err)
		}
		eng := engine.New(reg, store.New(rdb, store.Options{}))
		b.StartTimer()
		sum, err := eng.Run(ctx, &sliceSource{evs: evs}, engine.RunOptions{})
		if err != nil {
			b.Fatal(err)
		}
		if sum.ByStatus[engine.Applied] == 0 {
			b.Fatal("nothing applied")
		}
	}
	b.ReportMetric(float64(len(evs))*float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkRunStateless replays ~85k generated exrps events (5000 games)
// through engine.Run into a real redis-server with wins-only scoring: the
// path ratings must not slow down.
func BenchmarkRunStateless(b *testing.B) { benchRun(b, statelessRegistry(b)) }

// BenchmarkRunElo is the same replay with an Elo board beside wins, as
// testdata/config/statsctl.yaml gives exrps: every game_over reads both
// ratings first. It shows what the stateful path costs, next to
// BenchmarkRunStateless.
func BenchmarkRunElo(b *testing.B) {
	r := handler.NewRegistry(handler.DefaultProduct())
	p := handler.Exrps()
	p.Boards = append(p.Boards, handler.Board{Name: "elo", Scorer: handler.Elo{Board: "elo"}})
	if err := r.Register("exrps", p); err != nil {
		b.Fatal(err)
	}
	benchRun(b, r)
}

// streamReply is n generated entries as go-redis's Do returns the entries
// of an XREADGROUP reply: [[id, [name, value, ...]], ...], every value boxed.
func streamReply(tb testing.TB, n int) any {
	tb.Helper()
	es := e2etest.GenEntriesN(tb, gen.Options{Players: 5000, Seed: 42, Products: []string{"exrps", "exrps", "exrps", "chess"}, BadEvery: 2000}, n)
	reply := make([]any, len(es))
	for i, e := range es {
		kv := make([]any, len(e))
		for j, s := range e {
			kv[j] = s
		}
		reply[i] = []any{fmt.Sprintf("1712345678%03d-%d", i/7, i%7), kv}
	}
	return reply
}

// BenchmarkPrepareStream is the Go side of consume's critical path for one
// batch of 1000 entries, as the consumer runs it: decode the XREADGROUP
// reply (event.StreamEntries), turn each entry into an event, and
// PrepareBatch them with the built-in handlers. The sub-benchmarks time the
// stages alone, so a change can be placed.
func BenchmarkPrepareStream(b *testing.B) {
	reply := streamReply(b, 1000)
	eng := offlineEngine(b)
	toEvents := func(es []event.StreamEntry) []event.Event {
		evs := make([]event.Event, 0, len(es))
		for _, m := range es {
			evs = append(evs, m.Event())
		}
		return evs
	}
	es, err := event.StreamEntries(reply)
	if err != nil {
		b.Fatal(err)
	}
	evs := toEvents(es)
	b.Run("all", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			es, err := event.StreamEntries(reply)
			if err != nil {
				b.Fatal(err)
			}
			eng.PrepareBatch(toEvents(es))
		}
	})
	b.Run("entries", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := event.StreamEntries(reply); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("events", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			toEvents(es)
		}
	})
	b.Run("prepare", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			eng.PrepareBatch(evs)
		}
	})
}
