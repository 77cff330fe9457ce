package faulttest

import (
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/varcade/statsctl/internal/consumer"
	"github.com/varcade/statsctl/internal/e2etest"
	"github.com/varcade/statsctl/internal/testredis"
)

// TestConfigRuleOverflowRejected: a stats rule adding MaxInt64 (issue 10
// §1), end to end through `statsctl consume --drain` on a real
// redis-server. The first event takes the stat to 9223372036854775807; the
// second would overflow it, so Redis refuses the HINCRBY: that event is
// dead-lettered as store_rejected with Redis's message, the process
// acknowledges everything and exits 0, and the stat is unchanged.
func TestConfigRuleOverflowRejected(t *testing.T) {
	if testing.Short() {
		t.Skip("runs real processes")
	}
	srv := testredis.Start(t)
	rdb := srv.Client()
	bin := e2etest.BuildStatsctl(t)
	cfg := filepath.Join(t.TempDir(), "overflow.yaml")
	if err := os.WriteFile(cfg, []byte(`version: 1
products:
  boost:
    boards:
      - name: wins
        scorer: wins
    stats:
      - match: {type: gameplay, event_name: boost}
        player: user_id
        stat: power
        by: 9223372036854775807
`), 0o644); err != nil {
		t.Fatal(err)
	}
	const stream = "overflow-events"
	ev := e2etest.Entry{"type", "gameplay", "product_id", "boost", "game_id", "g1", "event_name", "boost", "user_id", "u1"}
	ids := e2etest.XAddAll(ctx, t, rdb, stream, []e2etest.Entry{ev, ev})

	p := e2etest.StartConsume(t, bin, "--redis", srv.URL(), "--config", cfg, "--stream", stream,
		"--namespace", "ovf", "--metrics-addr", "off", "--drain")
	if code := p.Wait(t, 60*time.Second); code != 0 {
		t.Fatalf("consume --drain exit %d, want 0; log:\n%s", code, e2etest.Tail(p.Output()))
	}
	if n := e2etest.GroupPending(ctx, rdb, stream, "statsctl"); n != 0 {
		t.Fatalf("%d entries pending after the drain: not everything was acknowledged", n)
	}
	key := "ovf:{boost}:stats:u1"
	if got := rdb.HGet(ctx, key, "power").Val(); got != strconv.FormatInt(math.MaxInt64, 10) {
		t.Fatalf("%s power = %q, want 9223372036854775807 (the first event applied, the second not)", key, got)
	}
	reasons := e2etest.CheckDeadLetters(ctx, t, rdb, stream+":dead", 1)
	if reasons["store_rejected"] != 1 {
		t.Fatalf("dead letters by reason %v, want one store_rejected", reasons)
	}
	dead := rdb.XRange(ctx, stream+":dead", "-", "+").Val()
	detail, _ := dead[0].Values[consumer.DeadFieldDetail].(string)
	src, _ := dead[0].Values[consumer.DeadFieldID].(string)
	if src != ids[1] {
		t.Errorf("dead letter is of entry %s, want the second one %s", src, ids[1])
	}
	if !strings.Contains(detail, "overflow") {
		t.Errorf("dead letter detail %q does not carry Redis's overflow message", detail)
	}
	t.Logf("second event dead-lettered: reason store_rejected, detail %q", detail)
}
