package cmd_test

import (
	"strings"
	"testing"

	"github.com/varcade/statsctl/internal/cmdtest"
)

// TestNamespaceBreakingKeysRefused: `--namespace 'x:{evil}'` moved every
// product's keys under the hash tag "evil". Every command refuses such a
// namespace with a usage error before it opens anything.
func TestNamespaceBreakingKeysRefused(t *testing.T) {
	env := cmdtest.Embedded(t)
	for _, ns := range []string{"x:{evil}", "x{", "}", "a b", "a\nb", ""} {
		for _, args := range [][]string{
			{"leaderboard", "exrps"},
			{"track", "exrps", "type=game_over", "game_id=g", "winner_id=u1", "loser_id=u2"},
			{"stats", "exrps", "u1"},
			{"record", "exrps", "u1", "u2"},
		} {
			r := cmdtest.Run(t, env, nil, append([]string{"--namespace", ns}, args...)...)
			if r.Code != 2 || !strings.Contains(r.Err, "--namespace") {
				t.Errorf("--namespace %q %v: exit %d, stderr %q; want a usage error naming --namespace", ns, args, r.Code, r.Err)
			}
		}
	}
	cmdtest.MustOK(t, cmdtest.Run(t, env, nil, "--namespace", "team-a:stats.v2", "leaderboard", "exrps"))
}
