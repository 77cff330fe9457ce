package server

import (
	"context"
	"fmt"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/varcade/statsctl/internal/handler"
	"github.com/varcade/statsctl/internal/store"
	"github.com/varcade/statsctl/internal/testredis"
)

// BenchmarkTopTenHandler measures the handler alone (no network), cached
// and uncached, against a real redis-server with 100,000 players; the wrk
// figures of `make bench-serve` add the HTTP stack and the kernel.
func BenchmarkTopTenHandler(b *testing.B) {
	rs := testredis.Start(b)
	rdb := rs.Client()
	st := store.New(rdb, store.Options{})
	key := st.Keys().Board("exrps", "wins")
	ctx := context.Background()
	for i := 0; i < 100_000; i += 1000 {
		args := []any{"ZADD", key}
		for j := i; j < i+1000; j++ {
			args = append(args, j%5000, fmt.Sprintf("u%d", j))
		}
		if err := rdb.Do(ctx, args...).Err(); err != nil {
			b.Fatal(err)
		}
	}
	for _, ttl := range []int{250, -1} {
		b.Run(fmt.Sprintf("cache_ms=%d", ttl), func(b *testing.B) {
			srv, err := New(Config{Store: st, Registry: handler.Builtin(), CacheTTL: timeMs(ttl)})
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				req := httptest.NewRequest("GET", "/leaderboards/top_ten/exrps", nil)
				for pb.Next() {
					rec := httptest.NewRecorder()
					srv.ServeHTTP(rec, req)
					if rec.Code != 200 {
						b.Fatal(rec.Code)
					}
				}
			})
		})
	}
}

func timeMs(n int) time.Duration { return time.Duration(n) * time.Millisecond }
