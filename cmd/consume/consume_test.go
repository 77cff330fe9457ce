package consume_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/varcade/statsctl/cmd"
	"github.com/varcade/statsctl/internal/cmdutil"
	"github.com/varcade/statsctl/internal/consumer"
	"github.com/varcade/statsctl/internal/embedded"
)

func env(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

// TestConsumeEmbedded: with no --redis the stream and the stats share the
// embedded store; consume --drain applies what was XADDed there and saves.
func TestConsumeEmbedded(t *testing.T) {
	dir := t.TempDir()
	emb, err := embedded.Open(embedded.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(&redis.Options{Addr: emb.Addr()})
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
	var out, errb bytes.Buffer
	e := env(map[string]string{"STATSCTL_DATA_DIR": dir})
	code := cmd.Run(ctx, []string{"consume", "--drain", "--metrics-addr", "127.0.0.1:0", "--log-format", "json"}, cmdutil.IOStreams{In: strings.NewReader(""), Out: &out, Err: &errb}, e)
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, errb.String())
	}
	for _, want := range []string{`"msg":"metrics listening"`, `"msg":"invalid event dead-lettered"`, `"reason":"unknown_weapon"`, `"msg":"caught up; drain finished"`} {
		if !strings.Contains(errb.String(), want) {
			t.Errorf("log lacks %s:\n%s", want, errb.String())
		}
	}
	out.Reset()
	if code := cmd.Run(ctx, []string{"stats", "exrps", "bob", "-o", "json"}, cmdutil.IOStreams{In: strings.NewReader(""), Out: &out, Err: &errb}, e); code != 0 {
		t.Fatalf("stats: exit %d: %s", code, errb.String())
	}
	if !strings.Contains(out.String(), `"losses"`) {
		t.Fatalf("stats after consume: %s", out.String())
	}
}

func TestConsumeUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"consume", "--log-format", "xml"},
		{"consume", "--log-level", "loud"},
		{"consume", "--start", "yesterday"},
		{"consume", "--count", "0"},
	} {
		var errb bytes.Buffer
		code := cmd.Run(context.Background(), args, cmdutil.IOStreams{In: strings.NewReader(""), Out: &bytes.Buffer{}, Err: &errb}, env(map[string]string{"STATSCTL_DATA_DIR": t.TempDir()}))
		if code != 2 {
			t.Errorf("%v: exit %d, want 2 (usage): %s", args, code, errb.String())
		}
	}
}
