package valuetest

import (
	"context"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/varcade/statsctl/internal/config"
	"github.com/varcade/statsctl/internal/handler"
	"github.com/varcade/statsctl/internal/store"
)

// Registry is the registry of the game Config(free) configures.
func Registry(t testing.TB, free bool) *handler.Registry {
	t.Helper()
	cfg, err := config.Parse("valuetest.yaml", []byte(Config(free)))
	if err != nil {
		t.Fatal(err)
	}
	reg, err := cfg.Registry()
	if err != nil {
		t.Fatal(err)
	}
	return reg
}

// StreamEntries are n generated events as stream entries (field, value,
// ...), for tests that XADD them: on the stream the entry id is the event
// time, so their "time" fields are left out.
func StreamEntries(seed int64, n int) [][]string {
	evs, _ := Generate(seed, n)
	out := make([][]string, len(evs))
	for i, e := range evs {
		keys := make([]string, 0, len(e.Fields))
		for k := range e.Fields {
			if k != "time" {
				keys = append(keys, k)
			}
		}
		sort.Strings(keys)
		for _, k := range keys {
			out[i] = append(out[i], k, e.Fields[k])
		}
	}
	return out
}

// StreamModel is the model of one clean pass over a stream's entries, in
// stream order, each timed by its entry id (ms, then sequence number).
func StreamModel(ms []redis.XMessage, free bool) *Model {
	m := NewModel(free)
	for _, x := range ms {
		a, b, _ := strings.Cut(x.ID, "-")
		msec, _ := strconv.ParseInt(a, 10, 64)
		seq, _ := strconv.Atoi(b)
		f := map[string]string{}
		for k, v := range x.Values {
			f[k], _ = v.(string)
		}
		if f["product_id"] != Product || f["type"] != "gameplay" {
			continue
		}
		e := Ev{Name: f["event_name"], User: f["user_id"], Display: f["display_name"], Ms: msec, Line: seq}
		e.V, e.HasV = f["v"], f["v"] != ""
		e.Track, e.HasTrack = f["track"], f["track"] != ""
		m.Add(e)
	}
	return m
}

// Compare fails t where the store under ns differs from m.
func Compare(t *testing.T, rdb redis.UniversalClient, ns string, m *Model) {
	t.Helper()
	compare(t, context.Background(), store.New(rdb, store.Options{Namespace: ns}), Registry(t, m.free).Lookup(Product), m, 1)
}

// InvalidCount is how many events m refused, for dead-letter counts.
func (m *Model) InvalidCount() int {
	n := 0
	for _, v := range m.Invalid {
		n += v
	}
	return n
}
