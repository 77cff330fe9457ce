package valuetest

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/varcade/statsctl/internal/engine"
	"github.com/varcade/statsctl/internal/handler"
	"github.com/varcade/statsctl/internal/store"
)

// Archive checks reset and erase on value boards against the model: every
// board (each operator x order x ties, one with metadata) is reset into an
// archive, which must read back exactly as the model's board (asc boards
// lowest first, ties: first boards by who reached a score first, values
// and metadata kept), a page from the middle included; then a player is
// erased and every archive must equal the model without them, their
// tie-break member and metadata gone from the archived keys too.
func Archive(t *testing.T, rdb redis.UniversalClient, ns string, seed int64, n int) {
	t.Helper()
	ctx := context.Background()
	reg := Registry(t, false)
	prod := reg.Lookup(Product)
	evs, mevs := Generate(seed, n)
	m := NewModel(false)
	for _, e := range mevs {
		m.Add(e)
	}
	checkTiesMade(t, prod, m)
	st := store.New(rdb, store.Options{Namespace: ns})
	if _, err := engine.New(reg, st).Run(ctx, &slice{evs: evs}, engine.RunOptions{BatchSize: 97}); err != nil {
		t.Fatal(err)
	}
	who := store.Who{Actor: "tester", Reason: "season end", Via: "test"}
	archive := func(b handler.Board) string { return "s1-" + b.Name }
	for _, b := range prod.Boards {
		rr, err := st.ResetBoard(ctx, prod, Product, b.Name, archive(b), who, resetAt)
		if err != nil {
			t.Fatal(err)
		}
		if rr.Players != int64(len(m.Board(b.Name))) {
			t.Errorf("reset %s: %d players archived, model %d", b.Name, rr.Players, len(m.Board(b.Name)))
		}
		if p, err := st.Top(ctx, store.Ref(Product, b), 0, 0); err != nil || len(p.Entries) != 0 {
			t.Errorf("board %s after reset: %v %v", b.Name, p.Entries, err)
		}
	}
	checkArchives := func(when string) {
		t.Helper()
		for _, b := range prod.Boards {
			want := m.Board(b.Name)
			p, _, err := st.ArchivedTop(ctx, Product, archive(b), "", 0, 0)
			if err != nil {
				t.Fatal(err)
			}
			if got := rows(p.Entries); !reflect.DeepEqual(got, want) || p.Total != int64(len(want)) {
				t.Errorf("%s: archive of %s (%s, ties %s):\n got %v (total %d)\nwant %v", when, b.Name, b.Spec.Order, b.Spec.Ties, got, p.Total, want)
				continue
			}
			if len(want) > 4 {
				p, _, err := st.ArchivedTop(ctx, Product, archive(b), "", 2, 2)
				if err != nil {
					t.Fatal(err)
				}
				if got := rows(p.Entries); !reflect.DeepEqual(got, want[2:4]) {
					t.Errorf("%s: archive of %s from 2:\n got %v\nwant %v", when, b.Name, got, want[2:4])
				}
			}
		}
	}
	checkArchives("after reset")
	arch, err := st.Archives(ctx, Product)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range arch {
		if b := boardOf(prod, a.Board); a.Spec == nil || a.ReadSpec().Order != b.Spec.Order || a.ReadSpec().Ties != b.Spec.Ties {
			t.Errorf("archive %s records spec %+v, board's is %+v", a.Name, a.Spec, b.Spec)
		}
	}

	// Erase the player on top of the first ties: first board: every archive
	// must rank as if they never played.
	var gone string
	for _, b := range prod.Boards {
		if b.Spec.Ties == handler.First && len(m.Board(b.Name)) > 0 {
			gone = m.Board(b.Name)[0].User
			break
		}
	}
	for range 2 {
		if _, err := st.ErasePlayer(ctx, reg, []string{Product}, gone, who); err != nil {
			t.Fatal(err)
		}
	}
	m.Remove(gone)
	checkArchives("after erasing " + gone)
	k := st.Keys()
	for _, b := range prod.Boards {
		at := func(live string) string {
			return k.Archive(Product, archive(b), strings.TrimPrefix(live, k.NS+":{"+Product+"}:"))
		}
		for _, h := range []string{at(k.TieOf(Product, b.Name)), at(k.Meta(Product, b.Name))} {
			if ok, _ := rdb.HExists(ctx, h, gone).Result(); ok {
				t.Errorf("%s still holds erased %s", h, gone)
			}
		}
		ms, _ := rdb.ZRange(ctx, at(k.TieSet(Product, b.Name)), 0, -1).Result()
		for _, mem := range ms {
			if len(mem) >= handler.TieWidth && mem[handler.TieWidth:] == gone {
				t.Errorf("archived tie set of %s still holds erased %s", b.Name, gone)
			}
		}
	}
}

// resetAt is the time the resets are recorded at.
var resetAt = time.Unix(1764633600, 0)

func boardOf(prod handler.Product, name string) handler.Board {
	for _, b := range prod.Boards {
		if b.Name == name {
			return b
		}
	}
	return handler.Board{}
}
