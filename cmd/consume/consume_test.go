package consume_test

import (
	"context"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/varcade/statsctl/internal/cmdtest"
	"github.com/varcade/statsctl/internal/consumer"
	"github.com/varcade/statsctl/internal/embedded"
)

// TestConsumeEmbedded: with no --redis the stream and the stats share the
// embedded store; consume --drain applies what was XADDed there and saves.
func TestConsumeEmbedded(t *testing.T) {
	dir := t.TempDir()
	emb, err := embedded.Open(embedded.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	opt, err := redis.ParseURL(emb.URL())
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(opt)
	ctx := context.Background()
	for _, kv := range [][]any{
		{"product_id", "exrps", "game_id", "g1", "type", "game_over", "winner_id", "ann", "loser_id", "bob"},
		{"product_id", "exrps", "game_id", "g1", "type", "gameplay", "event_name", "select_weapon", "event_data", "9", "user_id", "bob"},
	} {
		if err := rdb.XAdd(ctx, &redis.XAddArgs{Stream: consumer.DefaultStream, Values: kv}).Err(); err != nil {
			t.Fatal(err)
		}
	}
	rdb.Close()
	if err := emb.Close(); err != nil {
		t.Fatal(err)
	}
	e := cmdtest.Env{"STATSCTL_DATA_DIR": dir}
	r := cmdtest.Run(t, e, nil, "consume", "--drain", "--metrics-addr", "127.0.0.1:0", "--log-format", "json")
	if r.Code != 0 {
		t.Fatalf("exit %d:\n%s", r.Code, r.Err)
	}
	for _, want := range []string{`"msg":"metrics listening"`, `"msg":"invalid event dead-lettered"`, `"reason":"unknown_weapon"`, `"msg":"caught up; drain finished"`} {
		if !strings.Contains(r.Err, want) {
			t.Errorf("log lacks %s:\n%s", want, r.Err)
		}
	}
	r = cmdtest.Run(t, e, nil, "stats", "exrps", "bob", "-o", "json")
	if r.Code != 0 {
		t.Fatalf("stats: exit %d: %s", r.Code, r.Err)
	}
	if !strings.Contains(r.Out, `"losses"`) {
		t.Fatalf("stats after consume: %s", r.Out)
	}
}

func TestConsumeUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"consume", "--log-format", "xml"},
		{"consume", "--log-level", "loud"},
		{"consume", "--start", "yesterday"},
		{"consume", "--count", "0"},
	} {
		if r := cmdtest.Run(t, cmdtest.Embedded(t), nil, args...); r.Code != 2 {
			t.Errorf("%v: exit %d, want 2 (usage): %s", args, r.Code, r.Err)
		}
	}
}
