package cmd_test

import (
	"os"
	"strings"
	"testing"

	"github.com/varcade/statsctl/internal/cmdtest"
)

// The scripts in completions/ are what packagers ship; they must match the
// command tree. Regenerate with `make completions`.
func TestCompletionsAreFresh(t *testing.T) {
	for shell, file := range map[string]string{
		"bash": "statsctl.bash", "zsh": "statsctl.zsh", "fish": "statsctl.fish", "powershell": "statsctl.ps1",
	} {
		r := cmdtest.MustOK(t, cmdtest.Run(t, cmdtest.Env{}, nil, "completion", shell))
		have, err := os.ReadFile("../completions/" + file)
		if err != nil {
			t.Fatalf("%s: %v (run make completions)", file, err)
		}
		if string(have) != r.Out {
			t.Errorf("completions/%s is stale: run make completions", file)
		}
	}
}

func TestExitCodes(t *testing.T) {
	env := cmdtest.Embedded(t)
	for _, c := range []struct {
		args []string
		code int
		out  string
	}{
		{[]string{"--help"}, 0, "leaderboard"},
		{[]string{"--version"}, 0, "statsctl version"},
		{[]string{"nosuchcommand"}, 2, ""},
		{[]string{"--nosuchflag"}, 2, ""},
		{[]string{"leaderboard", "exrps", "--limit", "ten"}, 2, ""},
	} {
		r := cmdtest.Run(t, env, nil, c.args...)
		if r.Code != c.code || !strings.Contains(r.Out, c.out) {
			t.Errorf("%v: exit %d (want %d), stdout %q, stderr %q", c.args, r.Code, c.code, r.Out, r.Err)
		}
		if c.code == 2 && !strings.Contains(r.Err, "statsctl --help") {
			t.Errorf("%v: usage error without a pointer to --help: %q", c.args, r.Err)
		}
	}
}

// Completing a product offers the games the registry knows without opening
// the store.
func TestProductCompletion(t *testing.T) {
	r := cmdtest.MustOK(t, cmdtest.Run(t, cmdtest.Env{"STATSCTL_REDIS_URL": "redis://127.0.0.1:1"}, nil, "__complete", "leaderboard", ""))
	if !strings.HasPrefix(r.Out, "exrps\n") {
		t.Fatalf("completion: %q", r.Out)
	}
}
