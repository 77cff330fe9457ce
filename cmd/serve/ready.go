package serve

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/varcade/statsctl/internal/cmdutil"
)

// readyHook is serve's extra readiness check, for server.Config.Ready: an
// embedded store this process owns must be able to write its snapshots, or
// everything since the last one is lost at the next restart while /readyz
// says all is well. nil when there is nothing to check (Redis, or an
// embedded store another statsctl owns and saves).
func readyHook(f *cmdutil.Factory) func(context.Context) error {
	emb := f.EmbeddedStore()
	if emb == nil || emb.Remote() {
		return nil
	}
	return func(context.Context) error { return snapshotDirWritable(emb.Dir()) }
}

// snapshotDirWritable creates and removes a file in dir: what a snapshot
// save needs first. It is cheap enough for every probe.
func snapshotDirWritable(dir string) error {
	tf, err := os.CreateTemp(dir, ".statsctl-ready-*")
	if err != nil {
		return fmt.Errorf("the embedded store cannot write its snapshots in %s (%s); make the data dir writable",
			dir, strings.TrimPrefix(err.Error(), "open "))
	}
	name := tf.Name()
	_ = tf.Close()
	if err := os.Remove(name); err != nil {
		return fmt.Errorf("the embedded store cannot write its snapshots in %s (%v); make the data dir writable", dir, err)
	}
	return nil
}
