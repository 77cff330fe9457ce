package store_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/varcade/statsctl/internal/handler"
	"github.com/varcade/statsctl/internal/store"
	"github.com/varcade/statsctl/internal/testredis"
)

// The apply script reads a batch's markers before its first write and
// writes them after its last event, in chunks of 1,000 ids per marker key.
// A batch of 1,302 events over three hourly buckets, with in-batch
// duplicates on both sides of a chunk edge and one bucket whose marker key
// has the wrong type, must come out as checking and marking each event in
// turn would: every distinct id of the good buckets applied once (the
// later copies duplicates), every event of the bad bucket rejected whole on
// the marker key, and sending the batch again changes nothing.
func TestApplyBatchMarkersChunksAndBuckets(t *testing.T) {
	testredis.Backends(t, func(t *testing.T, rdb redis.UniversalClient) {
		st := store.New(rdb, store.Options{})
		const hour = 3_600_000
		base := int64(1_700_000_000_000) / hour * hour
		bad := fmt.Sprintf("statsctl:{p}:seen:h%d", base/hour+2)
		rdb.Set(ctx, bad, "not a hash", 0)
		var items []store.Item
		wantWins := map[string]int{}
		wantDup := map[int]bool{}
		wantRej := map[int]bool{}
		seen := map[string]bool{}
		const n = 1300
		seqs := make([]int, n)
		bucket := func(i int) int64 { return int64(max(0, i%13-10)) } // 0, but 1 and 2 for 11 and 12
		for i := 0; i < n; i++ {
			h := bucket(i)
			seqs[i] = i
			if i%7 == 0 && i >= 13 {
				seqs[i] = seqs[i-13] // the id of an earlier item of the same bucket
			}
			id := fmt.Sprintf("%d-%d", base+h*hour, seqs[i])
			w := fmt.Sprintf("w%d", i%50)
			// One change an event keeps the script short enough for miniredis
			// under -race on a loaded machine (a timed-out script is resent and
			// its events reported as duplicates, docs/guarantees.md).
			items = append(items, store.Item{EventID: id, Changes: []handler.Change{{Op: handler.StatAdd, User: w, Field: "wins", Int: 1}}})
			switch {
			case h == 2:
				wantRej[i] = true
			case seen[id]:
				wantDup[i] = true
			default:
				seen[id] = true
				wantWins[w]++
			}
		}
		// Bucket 0 holds 1,100 ids, so its markers take two chunks; copies of
		// an id from each chunk come last.
		items = append(items, items[1287], items[13])
		wantDup[n], wantDup[n+1] = true, true
		for run := 0; run < 2; run++ {
			res, err := st.Apply(ctx, map[string][]store.Item{"p": items})
			if err != nil {
				t.Fatalf("run %d: %v", run, err)
			}
			dups := map[int]bool{}
			for _, d := range res.Duplicates["p"] {
				dups[d] = true
			}
			rej := map[int]bool{}
			for _, r := range res.Rejected["p"] {
				if r.Key != bad || !strings.Contains(r.Message, "WRONGTYPE") {
					t.Fatalf("run %d: rejected %+v, want the marker key %s with WRONGTYPE", run, r, bad)
				}
				rej[r.Pos] = true
			}
			if len(rej) != len(wantRej) {
				t.Fatalf("run %d: %d rejected, want %d", run, len(rej), len(wantRej))
			}
			for i := range wantRej {
				if !rej[i] {
					t.Fatalf("run %d: item %d of the bad bucket not rejected", run, i)
				}
			}
			want := len(seen)
			if run == 1 {
				want = 0
			}
			if res.Applied != want {
				t.Fatalf("run %d: applied %d, want %d (%d duplicates)", run, res.Applied, want, len(dups))
			}
			for i := range items {
				if wantRej[i] {
					continue
				}
				if dups[i] != (wantDup[i] || run == 1) {
					t.Fatalf("run %d: item %d duplicate=%v, want %v", run, i, dups[i], wantDup[i] || run == 1)
				}
			}
		}
		for w, n := range wantWins {
			if s, _ := st.Stats(ctx, "p", w); s["wins"] != fmt.Sprint(n) {
				t.Fatalf("%s wins %q, want %d", w, s["wins"], n)
			}
		}
		if s, _ := st.Stats(ctx, "p", "w2"); len(s) == 0 {
			t.Fatal("no stats at all: the test checks nothing")
		}
		if got := rdb.Get(ctx, bad).Val(); got != "not a hash" {
			t.Fatalf("the bad marker key became %q", got)
		}
	})
}
