package leaderboard

import (
	"context"

	"github.com/varcade/statsctl/internal/render"
	"github.com/varcade/statsctl/internal/store"
)

// export writes the whole board (--limit 0 -o json|csv) page by page from
// one snapshot, so memory stays flat whatever the board's size; people
// watching a long export see its progress on stderr when it is a terminal.
func export(ctx context.Context, o *Options, st *store.Store, ref store.BoardRef, ropts render.Options) error {
	out, err := render.NewLeaderboardStream(o.IO.Out, ref.Spec, ropts)
	if err != nil {
		return err
	}
	var prog *render.Progress
	var done int64
	err = st.Export(ctx, ref, o.Offset, store.DefaultExportPage, func(entries []store.Entry, total int64) error {
		if prog == nil {
			prog = render.NewProgress(o.IO.Err, render.IsTerminal(o.IO.Err), total, o.Now).Counting("exporting", "players")
		}
		if err := out.Write(entries); err != nil {
			return err
		}
		done += int64(len(entries))
		prog.Update(done, done)
		return nil
	})
	prog.Done()
	if err != nil {
		return err
	}
	return out.Close()
}
