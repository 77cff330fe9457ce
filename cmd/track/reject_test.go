package track_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/varcade/statsctl/internal/cmdtest"
	"github.com/varcade/statsctl/internal/testredis"
)

// The repro: a stats key of the wrong type. Tracking a file whose
// first event writes it, three times, must add nothing for that event
// (before the fix every run added one more win), report it with its file
// and line as store_rejected, and apply the file's other event once.
func TestTrackWrongTypeKeyRejectsEventWithLine(t *testing.T) {
	mr := miniredis.RunT(t)
	srv := testredis.Start(t)
	for name, url := range map[string]string{"miniredis": "redis://" + mr.Addr(), "redis-server": srv.URL()} {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			opt, _ := redis.ParseURL(url)
			rdb := redis.NewClient(opt)
			defer rdb.Close()
			rdb.Set(ctx, "statsctl:{exrps}:stats:u2", "x", 0)
			path := filepath.Join(t.TempDir(), "ev.jsonl")
			in := `{"id":"g1","product_id":"exrps","type":"game_over","winner_id":"u3","loser_id":"u2"}
{"id":"g2","product_id":"exrps","type":"game_over","winner_id":"u1","loser_id":"u4"}
`
			if err := os.WriteFile(path, []byte(in), 0o600); err != nil {
				t.Fatal(err)
			}
			env := cmdtest.Redis(url)
			for run := 0; run < 3; run++ {
				r := cmdtest.Run(t, env, nil, "track", "-f", path)
				all := r.Out + r.Err
				if !strings.Contains(all, path+":1") || !strings.Contains(all, "store_rejected") || !strings.Contains(all, "WRONGTYPE") {
					t.Fatalf("run %d (exit %d): want line 1 reported as store_rejected with Redis's message\nstdout:\n%s\nstderr:\n%s", run, r.Code, r.Out, r.Err)
				}
			}
			if n, err := rdb.Exists(ctx, "statsctl:{exrps}:stats:u3").Result(); err != nil || n != 0 {
				t.Fatalf("u3 has stats (%d, %v): the rejected event was partly written", n, err)
			}
			if s := rdb.HGetAll(ctx, "statsctl:{exrps}:stats:u1").Val(); s["wins"] != "1" {
				t.Fatalf("u1 stats %v, want wins 1", s)
			}
			if _, err := rdb.ZScore(ctx, "statsctl:{exrps}:lb:wins", "u3").Result(); err != redis.Nil {
				t.Fatalf("u3 on the board: %v", err)
			}
		})
	}
}
