package valuetest

import (
	"context"
	"errors"
	"io"
	"reflect"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/varcade/statsctl/internal/config"
	"github.com/varcade/statsctl/internal/engine"
	"github.com/varcade/statsctl/internal/event"
	"github.com/varcade/statsctl/internal/handler"
	"github.com/varcade/statsctl/internal/store"
)

type slice struct {
	evs []event.Event
	i   int
}

func (s *slice) Next() (event.Event, error) {
	if s.i >= len(s.evs) {
		return event.Event{}, io.EOF
	}
	s.i++
	return s.evs[s.i-1], nil
}

// Run replays a generated file of n events twice into rdb under ns and
// fails t where statsctl and the model differ.
func Run(t *testing.T, rdb redis.UniversalClient, ns string, seed int64, n int) {
	t.Helper()
	ctx := context.Background()
	cfg, err := config.Parse("valuetest.yaml", []byte(Config(false)))
	if err != nil {
		t.Fatalf("config: %v\n%s", err, Config(false))
	}
	reg, err := cfg.Registry()
	if err != nil {
		t.Fatal(err)
	}
	evs, mevs := Generate(seed, n)
	m := NewModel(false)
	for _, e := range mevs {
		m.Add(e)
	}
	checkTiesMade(t, reg.Lookup(Product), m)
	st := store.New(rdb, store.Options{Namespace: ns})
	for pass := 1; pass <= 2; pass++ {
		sum, err := engine.New(reg, st).Run(ctx, &slice{evs: evs}, engine.RunOptions{BatchSize: 97})
		if err != nil {
			t.Fatal(err)
		}
		applied := sum.ByStatus[engine.Applied]
		if pass == 2 {
			if applied != 0 || sum.ByStatus[engine.Duplicate] != int64(m.Applied+m.Refused) {
				t.Errorf("pass 2: %d applied, %d duplicates; want 0 and %d", applied, sum.ByStatus[engine.Duplicate], m.Applied+m.Refused)
			}
		} else if applied != int64(m.Applied) {
			t.Errorf("pass 1: %d applied, want %d", applied, m.Applied)
		}
		for reason, want := range m.Invalid {
			if pass == 2 && reason == "out_of_range" {
				want -= m.Refused
			}
			if got := sum.ByReason[reason]; got != int64(want) {
				t.Errorf("pass %d: %d events %s, want %d", pass, got, reason, want)
			}
		}
		for reason, got := range sum.ByReason {
			if _, ok := m.Invalid[reason]; !ok && got > 0 {
				t.Errorf("pass %d: %d events %s, want none", pass, got, reason)
			}
		}
		compare(t, ctx, st, reg.Lookup(Product), m, pass)
	}
}

func compare(t *testing.T, ctx context.Context, st *store.Store, prod handler.Product, m *Model, pass int) {
	t.Helper()
	for _, b := range prod.Boards {
		ref := store.Ref(Product, b)
		want := m.Board(b.Name)
		page, err := st.Top(ctx, ref, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		got := rows(page.Entries)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("pass %d board %s:\n got %v\nwant %v", pass, b.Name, got, want)
			continue
		}
		if page.Total != int64(len(want)) {
			t.Errorf("pass %d board %s: total %d, want %d", pass, b.Name, page.Total, len(want))
		}
		ten, err := st.TopTen(ctx, ref)
		if err != nil {
			t.Fatal(err)
		}
		wantTen := want[:min(10, len(want))]
		if got := rows(ten); !reflect.DeepEqual(got, noMeta(wantTen)) {
			t.Errorf("pass %d board %s top ten:\n got %v\nwant %v", pass, b.Name, got, wantTen)
		}
		for i, w := range want {
			r, err := st.Rank(ctx, ref, w.User)
			if err != nil || r.Rank != w.Rank || r.Value != w.Value || r.Total != int64(len(want)) {
				t.Errorf("pass %d board %s: rank of %s = %+v, %v; want rank %d value %s", pass, b.Name, w.User, r, err, w.Rank, w.Value)
			}
			if i%2 == 1 {
				a, err := st.Around(ctx, ref, w.User, 1)
				if err != nil {
					t.Fatal(err)
				}
				if got, exp := rows(a.Entries), want[i-1:min(i+2, len(want))]; !reflect.DeepEqual(got, exp) {
					t.Errorf("pass %d board %s: around %s\n got %v\nwant %v", pass, b.Name, w.User, got, exp)
				}
			}
		}
		if _, err := st.Rank(ctx, ref, "nobody"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("board %s: rank of nobody: %v, want not found", b.Name, err)
		}
		compareLists(t, ctx, st, ref, m, pass)
	}
	for _, u := range m.Users() {
		got, err := st.Stats(ctx, Product, u)
		if err != nil {
			t.Fatal(err)
		}
		want := m.Stats(u)
		if len(got) == 0 && len(want) == 0 {
			continue
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("pass %d stats of %s = %v, want %v", pass, u, got, want)
		}
	}
}

func rows(es []store.Entry) []Row {
	out := make([]Row, len(es))
	for i, e := range es {
		out[i] = Row{Rank: e.Rank, User: e.UserID, Value: e.Value, Meta: e.Meta["display_name"]}
	}
	return out
}

func noMeta(rs []Row) []Row {
	out := append([]Row(nil), rs...)
	for i := range out {
		out[i].Meta = ""
	}
	return out
}
