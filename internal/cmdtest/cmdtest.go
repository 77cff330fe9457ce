// Package cmdtest runs the whole statsctl CLI in-process for command tests,
// with buffers for the streams and a controlled environment, so a test sees
// exactly what a user would: stdout, stderr and the exit code.
package cmdtest

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"

	"github.com/varcade/statsctl/cmd"
	"github.com/varcade/statsctl/internal/cmdutil"
	"github.com/varcade/statsctl/internal/fakeenv"
)

// Result is what one invocation printed and returned.
type Result struct {
	Out, Err string
	Code     int
}

// Env is a fixed environment for invocations: nothing leaks in from the
// developer's shell (their STATSCTL_REDIS_URL must not point tests at a
// real server).
type Env = fakeenv.Map

// Run runs statsctl with args, stdin as given (nil = empty).
func Run(t testing.TB, env Env, stdin io.Reader, args ...string) Result {
	t.Helper()
	if stdin == nil {
		stdin = strings.NewReader("")
	}
	var out, errb bytes.Buffer
	code := cmd.Run(context.Background(), args, cmdutil.IOStreams{In: stdin, Out: &out, Err: &errb}, env.Lookup)
	return Result{Out: out.String(), Err: errb.String(), Code: code}
}

// Embedded is an environment on a fresh embedded store in a temp dir.
func Embedded(t testing.TB) Env {
	return Env{"STATSCTL_DATA_DIR": t.TempDir()}
}

// Redis is an environment pointing at a Redis URL.
func Redis(url string) Env {
	return Env{"STATSCTL_REDIS_URL": url}
}

// MustOK fails the test unless the invocation exited 0.
func MustOK(t testing.TB, r Result) Result {
	t.Helper()
	if r.Code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", r.Code, r.Out, r.Err)
	}
	return r
}
