package leaderboard

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/varcade/statsctl/internal/cmdutil"
	"github.com/varcade/statsctl/internal/render"
	"github.com/varcade/statsctl/internal/store"
)

// `leaderboard --users` / `--users-file`: a friends list or a clan ranked
// on the board, in one round trip (store.RankList).

// maxUsersFile bounds the bytes read from --users-file: the longest ids
// (128 bytes) at the list bound, with their newlines.
const maxUsersFile = store.DefaultMaxListIDs * 130

func (o *Options) listed() bool { return len(o.Users) > 0 || o.UsersFile != "" }

// checkList refuses list flags that cannot be a query.
func (o *Options) checkList() error {
	if len(o.Users) > 0 && o.UsersFile != "" {
		return cmdutil.UsageErrorf("--users and --users-file cannot be used together")
	}
	if o.Offset != 0 {
		return cmdutil.UsageErrorf("--offset does not apply to --users; the whole list is shown")
	}
	if o.UsersFile != "" {
		return nil // read and checked in run
	}
	return o.checkIDs(o.Users, "--users")
}

func (o *Options) checkIDs(ids []string, from string) error {
	if len(ids) == 0 {
		return cmdutil.UsageErrorf("%s lists no players", from)
	}
	if len(ids) > store.DefaultMaxListIDs {
		return cmdutil.UsageErrorf("%s lists %d players; at most %d per list (split the list)", from, len(ids), store.DefaultMaxListIDs)
	}
	for i, u := range ids {
		if err := cmdutil.CheckUser(u); err != nil {
			return cmdutil.UsageErrorf("%s, player %d: %v", from, i+1, err)
		}
	}
	if o.Around != "" {
		return cmdutil.CheckUser(o.Around)
	}
	return nil
}

// readUsersFile reads one id per line; blank lines are skipped, ids are
// taken as they are (no trimming: a space may be part of an id).
func (o *Options) readUsersFile() ([]string, error) {
	var r io.Reader
	if o.UsersFile == "-" {
		r = o.IO.In
	} else {
		f, err := os.Open(o.UsersFile)
		if err != nil {
			return nil, cmdutil.UsageErrorf("--users-file: %v", err)
		}
		defer f.Close()
		r = f
	}
	data, err := io.ReadAll(io.LimitReader(r, maxUsersFile+1))
	if err != nil {
		return nil, fmt.Errorf("read --users-file %s: %w", o.UsersFile, err)
	}
	if len(data) > maxUsersFile {
		return nil, cmdutil.UsageErrorf("--users-file %s is over %d bytes; at most %d players per list (split the list)", o.UsersFile, maxUsersFile, store.DefaultMaxListIDs)
	}
	var ids []string
	sc := bufio.NewScanner(strings.NewReader(string(data)))
	sc.Buffer(make([]byte, 0, 4096), maxUsersFile+1)
	for sc.Scan() {
		if line := strings.TrimSuffix(sc.Text(), "\r"); line != "" {
			ids = append(ids, line)
		}
	}
	return ids, o.checkIDs(ids, "--users-file "+o.UsersFile)
}

func runList(ctx context.Context, o *Options, product, board string, ref store.BoardRef, ropts render.Options) error {
	ids := o.Users
	if o.UsersFile != "" {
		var err error
		if ids, err = o.readUsersFile(); err != nil {
			return err
		}
	}
	st, err := o.Store(ctx)
	if err != nil {
		return err
	}
	l, err := st.RankList(ctx, ref, ids)
	if err != nil {
		return err
	}
	if o.Around != "" {
		n := int(o.Limit / 2)
		if o.Limit == 0 {
			n = 5
		}
		var ok bool
		if l, ok = l.Around(o.Around, n); !ok {
			return fmt.Errorf("%s is not among the listed players on the %s board of %s", o.Around, board, product)
		}
	}
	if err := render.RankedList(o.IO.Out, l, ref.Spec, ropts); err != nil {
		return err
	}
	if o.WantsTable() {
		if len(l.Absent) > 0 {
			shown := l.Absent
			more := ""
			if len(shown) > 10 {
				shown, more = shown[:10], fmt.Sprintf(" and %d more", len(l.Absent)-10)
			}
			fmt.Fprintf(o.IO.Err, "Not on the %s board of %s: %s%s.\n", board, product, strings.Join(shown, ", "), more)
		}
		fmt.Fprintf(o.IO.Err, "%s of the list on the board (%s in all).\n",
			cmdutil.Plural(int64(len(l.Entries)), "player", "players"), cmdutil.Plural(l.Total, "player", "players"))
	}
	return nil
}
