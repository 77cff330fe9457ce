package store_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/varcade/statsctl/internal/e2etest"
	"github.com/varcade/statsctl/internal/store"
	"github.com/varcade/statsctl/internal/storetest"
	"github.com/varcade/statsctl/internal/testredis"
)

// modelBoard ranks a board as the README says, written without the store's
// code: best score first, equal scores by user id descending, a tie shares
// the rank of its first player (1, 2, 2, 4).
func modelBoard(scores map[string]float64) []store.Entry {
	out := make([]store.Entry, 0, len(scores))
	for u, s := range scores {
		out = append(out, store.Entry{UserID: u, Score: s})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Score != out[j].Score {
			return out[i].Score > out[j].Score
		}
		return out[i].UserID > out[j].UserID
	})
	for i := range out {
		out[i].Rank = int64(i) + 1
		if i > 0 && out[i].Score == out[i-1].Score {
			out[i].Rank = out[i-1].Rank
		}
	}
	return out
}

// An export lists every player exactly once, ranked as the model says,
// whatever the page size (pages that split a tie included), from one
// snapshot even while the board changes under it, and leaves no snapshot
// behind.
func TestExportIsOneSnapshotInPages(t *testing.T) {
	testredis.Backends(t, func(t *testing.T, rdb redis.UniversalClient) {
		st := store.New(rdb, store.Options{})
		key := st.Keys().Board("p", "wins")
		rng := rand.New(rand.NewPCG(7, 11))
		scores := map[string]float64{}
		var zs []redis.Z
		for i := 0; i < 503; i++ {
			u := fmt.Sprintf("u%03d", i)
			s := float64(rng.IntN(20)) // many ties, some across page edges
			scores[u] = s
			zs = append(zs, redis.Z{Score: s, Member: u})
		}
		if err := rdb.ZAdd(ctx, key, zs...).Err(); err != nil {
			t.Fatal(err)
		}
		want := modelBoard(scores)
		for _, size := range []int64{1, 7, 100, 503, 10000} {
			var got []store.Entry
			pages := 0
			err := st.Export(ctx, store.BoardRef{Product: "p", Instance: "wins"}, 0, size, func(es []store.Entry, total int64) error {
				if total != int64(len(want)) {
					t.Errorf("page size %d: total %d, want %d", size, total, len(want))
				}
				got = append(got, es...)
				pages++
				if pages == 1 {
					// Writers keep going during an export: the export
					// must not see them.
					if err := rdb.ZAdd(ctx, key, redis.Z{Score: 1000, Member: "late"}).Err(); err != nil {
						t.Fatal(err)
					}
					if err := rdb.ZRem(ctx, key, want[len(want)-1].UserID).Err(); err != nil {
						t.Fatal(err)
					}
				}
				return nil
			})
			if err != nil {
				t.Fatalf("page size %d: %v", size, err)
			}
			storetest.AssertEntries(t, got, want)
			if wantPages := (int64(len(want)) + size - 1) / size; int64(pages) != wantPages {
				t.Errorf("page size %d: %d pages, want %d", size, pages, wantPages)
			}
			// Put the board back as the model has it for the next size.
			rdb.ZRem(ctx, key, "late")
			rdb.ZAdd(ctx, key, redis.Z{Score: want[len(want)-1].Score, Member: want[len(want)-1].UserID})
		}
		// From an offset: the rest of the board, ranks as on the whole board.
		for _, off := range []int64{1, 250, 502, 503, 900} {
			var got []store.Entry
			if err := st.Export(ctx, store.BoardRef{Product: "p", Instance: "wins"}, off, 100, func(es []store.Entry, _ int64) error {
				got = append(got, es...)
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			storetest.AssertEntries(t, got, want[min(off, int64(len(want))):])
		}
		assertNoSnapshots(t, rdb, st)
	})
}

// An empty or absent board exports as nothing (one call, total 0); an error
// from the writer stops the export and its snapshot goes all the same.
func TestExportEmptyAndStopped(t *testing.T) {
	testredis.Backends(t, func(t *testing.T, rdb redis.UniversalClient) {
		st := store.New(rdb, store.Options{})
		calls := 0
		if err := st.Export(ctx, store.BoardRef{Product: "p", Instance: "none"}, 0, 10, func(es []store.Entry, total int64) error {
			calls++
			if len(es) != 0 || total != 0 {
				t.Errorf("absent board: %v, total %d", es, total)
			}
			return nil
		}); err != nil || calls != 1 {
			t.Fatalf("absent board: err %v, %d calls", err, calls)
		}
		key := st.Keys().Board("p", "wins")
		for i := 0; i < 30; i++ {
			rdb.ZAdd(ctx, key, redis.Z{Score: float64(i), Member: fmt.Sprint("u", i)})
		}
		stop := errors.New("pipe closed")
		err := st.Export(ctx, store.BoardRef{Product: "p", Instance: "wins"}, 0, 10, func([]store.Entry, int64) error { return stop })
		if !errors.Is(err, stop) {
			t.Fatalf("writer error not returned: %v", err)
		}
		assertNoSnapshots(t, rdb, st)
	})
}

// A board key of the wrong type is an error naming the board, not an empty
// export.
func TestExportWrongType(t *testing.T) {
	testredis.Backends(t, func(t *testing.T, rdb redis.UniversalClient) {
		st := store.New(rdb, store.Options{})
		rdb.Set(ctx, st.Keys().Board("p", "wins"), "x", 0)
		err := st.Export(ctx, store.BoardRef{Product: "p", Instance: "wins"}, 0, 10, func([]store.Entry, int64) error { return nil })
		if err == nil || !strings.Contains(err.Error(), "p/wins") || !store.IsWrongType(err) {
			t.Fatalf("want a WRONGTYPE error naming p/wins, got %v", err)
		}
		assertNoSnapshots(t, rdb, st)
	})
}

func assertNoSnapshots(t *testing.T, rdb redis.UniversalClient, st *store.Store) {
	t.Helper()
	pattern := st.Keys().Board("p", store.ExportInstance("*", "*")) + "*"
	left := e2etest.Keys(ctx, t, rdb, pattern)
	if len(left) > 0 {
		t.Errorf("export snapshots left behind: %v", left)
	}
}
