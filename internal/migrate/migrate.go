// Package migrate imports the old Stats Tracker's boards and stats into
// statsctl's layout, so swapping the services keeps every score: the old
// keys are only read, each product lands whole or not at all, and only once.
package migrate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/varcade/statsctl/internal/event"
	"github.com/varcade/statsctl/internal/store"
)

// Status is what happened to one product.
type Status string

// The statuses a product can end in. Refused and failed ones changed
// nothing and make the command exit 1.
const (
	Imported        Status = "imported"
	Merged          Status = "merged"
	AlreadyMigrated Status = "already_migrated"
	WouldImport     Status = "would_import"
	WouldMerge      Status = "would_merge"
	RefusedHasData  Status = "refused_has_data"
	RefusedBad      Status = "refused_bad_values"
	SkippedProduct  Status = "skipped_invalid_product"
	Failed          Status = "failed"
)

// Refused reports whether the status means the product was not imported
// for a reason the operator must act on.
func (s Status) Refused() bool {
	return s == RefusedHasData || s == RefusedBad || s == Failed
}

// MaxBadListed caps the bad values listed per product; the rest are counted.
const MaxBadListed = 100

// BadValue is one old value that cannot be imported: the key, the field (a
// board member or a stats field; "" for the whole key) and why.
type BadValue struct {
	Key    string `json:"key"`
	Field  string `json:"field,omitempty"`
	Reason string `json:"reason"`
}

// ProductReport is one product's line of the report.
type ProductReport struct {
	Product     string     `json:"product"`
	Status      Status     `json:"status"`
	Players     int64      `json:"players"`      // on the board
	StatsHashes int64      `json:"stats_hashes"` // players with stats
	Fields      int64      `json:"fields"`       // stat fields over all players
	BadValues   int64      `json:"bad_values"`
	Bad         []BadValue `json:"bad,omitempty"`
	// CurrentPlayers and CurrentStats are what statsctl already holds for
	// the product (what --merge adds to).
	CurrentPlayers int64  `json:"current_players"`
	CurrentStats   int64  `json:"current_stats_hashes"`
	Message        string `json:"message,omitempty"`
}

// Report is the whole import's outcome.
type Report struct {
	DryRun   bool            `json:"dry_run"`
	Cursor   string          `json:"legacy_cursor"` // the old worker's last processed id ("" if none)
	Products []ProductReport `json:"products"`
}

// Refused counts the products refused or failed.
func (r Report) Refused() int {
	n := 0
	for _, p := range r.Products {
		if p.Status.Refused() {
			n++
		}
	}
	return n
}

// Options configures an import.
type Options struct {
	Source redis.UniversalClient // the old service's stats database
	Target *store.Store
	// Only limits the import to these products (empty: every product found).
	Only    []string
	DryRun  bool
	Merge   bool // add old values to what statsctl holds instead of refusing
	SkipBad bool // import a product without its bad values instead of refusing it
	Page    int64
	Now     func() time.Time
	// Source is described in the marker by this (a URL without password).
	SourceName string

	// KeepsWins, when set, says whether the games configuration gives a
	// product a board "wins"; an import into a product without one is
	// flagged, since new events will not add to the imported board.
	KeepsWins func(product string) bool

	// staged, when set (by this package's tests), runs after every product
	// is staged and before the cursor is checked again.
	staged func()
}

// ErrCursorMoved says the old worker processed events during the import:
// it is still running, so its boards were a moving target. Nothing was
// imported.
var ErrCursorMoved = errors.New("the old worker's cursor moved during the import")

// Run imports every product of the old layout. Per product: reads its board
// and stats page by page into staged keys, validating every value; then,
// once every product is staged and the old worker's cursor is seen not to
// have moved, moves each product into place with one script that also
// writes its marker. A product already imported, or refused, is left as it
// was. The error is for failures that stop the whole import.
func Run(ctx context.Context, o Options) (Report, error) {
	if o.Page <= 0 {
		o.Page = 1000
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	src := source{rdb: o.Source, page: o.Page}
	rep := Report{DryRun: o.DryRun}
	cur, err := src.cursor(ctx)
	if err != nil {
		return rep, err
	}
	rep.Cursor = cur
	found, err := src.products(ctx)
	if err != nil {
		return rep, err
	}
	names := sortedKeys(found)
	if len(o.Only) > 0 {
		names = names[:0]
		for _, p := range o.Only {
			if found[p] == nil {
				rep.Products = append(rep.Products, ProductReport{Product: p, Status: Failed,
					Message: "no " + LegacyBoardPrefix + p + " or " + LegacyStatsPrefix + "<user>:" + p + " key in the old database"})
				continue
			}
			names = append(names, p)
		}
	}
	current, err := o.Target.StatsHashCounts(ctx)
	if err != nil {
		return rep, err
	}
	token := strconv.FormatInt(o.Now().UnixNano(), 36)
	type staged struct {
		idx int
		im  *store.Import
	}
	var todo []staged
	dropAll := func() {
		for _, s := range todo {
			_ = s.im.Drop(context.WithoutCancel(ctx))
		}
	}
	for _, p := range names {
		pr := ProductReport{Product: p, CurrentStats: current[p]}
		im, err := stageProduct(ctx, o, src, found[p], token, &pr)
		if err != nil {
			if im != nil {
				_ = im.Drop(context.WithoutCancel(ctx))
			}
			dropAll()
			return rep, err
		}
		rep.Products = append(rep.Products, pr)
		if im != nil {
			todo = append(todo, staged{len(rep.Products) - 1, im})
		}
	}
	if o.DryRun || len(todo) == 0 {
		return rep, nil
	}
	if o.staged != nil {
		o.staged()
	}
	if now, err := src.cursor(ctx); err != nil || now != cur {
		dropAll()
		if err != nil {
			return rep, err
		}
		return rep, fmt.Errorf("%w (from %q to %q): it is still running; stop it, then run the import again (nothing was imported)", ErrCursorMoved, cur, now)
	}
	for _, s := range todo {
		pr := &rep.Products[s.idx]
		players, hashes, fields := s.im.Staged()
		marker, _ := json.Marshal(map[string]any{"from": "legacy", "import": token, "source": o.SourceName, "at": o.Now().UTC().Format(time.RFC3339),
			"cursor": cur, "players": players, "stats_hashes": hashes, "fields": fields, "skipped_bad": pr.BadValues, "merged": o.Merge})
		err := s.im.Commit(ctx, o.Merge, string(marker))
		var ref *store.CommitRefusal
		switch {
		case err == nil && (pr.CurrentPlayers > 0 || pr.CurrentStats > 0):
			pr.Status = Merged
		case err == nil:
			pr.Status = Imported
		case errors.As(err, &ref):
			_ = s.im.Drop(context.WithoutCancel(ctx))
			pr.Message = err.Error()
			switch ref.Reason {
			case "migrated":
				pr.Status = AlreadyMigrated
				pr.Message = alreadyMessage(ref.Detail)
			case "has_data":
				pr.Status = RefusedHasData
			default:
				pr.Status = Failed
			}
		default:
			// Unknown outcome (a connection lost during the script): the
			// marker tells; the staged keys expire by themselves.
			pr.Status = Failed
			pr.Message = err.Error() + "; run the import again: the marker tells whether it landed"
		}
	}
	return rep, nil
}

// stageProduct reads one product and, unless this is a dry run or the
// product is refused, stages it. It fills pr's counts and status; the
// returned import is nil when there is nothing to commit.
func stageProduct(ctx context.Context, o Options, src source, lp *legacyProduct, token string, pr *ProductReport) (*store.Import, error) {
	p := pr.Product
	bad := func(key, field, reason string) {
		pr.BadValues++
		if len(pr.Bad) < MaxBadListed {
			pr.Bad = append(pr.Bad, BadValue{Key: key, Field: field, Reason: reason})
		}
	}
	if err := event.CheckProduct(p); err != nil {
		pr.Status = RefusedBad
		if o.SkipBad {
			pr.Status = SkippedProduct
		}
		pr.Message = fmt.Sprintf("%v: statsctl cannot name this product, so its keys cannot be imported", err)
		key := lp.board
		if key == "" {
			for _, k := range lp.stats {
				key = k
				break
			}
		}
		bad(key, "", "invalid product id")
		return nil, nil
	}
	n, err := o.Target.BoardSize(ctx, p, "wins")
	if err != nil {
		return nil, err
	}
	pr.CurrentPlayers = n
	if m, ok, err := o.Target.MigrationMarker(ctx, p); err != nil {
		return nil, err
	} else if ok {
		pr.Status = AlreadyMigrated
		pr.Message = alreadyMessage(m)
		return nil, nil
	}
	hasData := n > 0 || pr.CurrentStats > 0
	var im *store.Import
	write := !o.DryRun && (!hasData || o.Merge)
	if write {
		im = o.Target.NewImport(p, token)
	}
	// Staging stops at the first bad value unless --skip-bad; reading goes
	// on, to count and list everything that is wrong in one run.
	stage := func() bool { return im != nil && (o.SkipBad || pr.BadValues == 0) }

	if lp.board != "" {
		t, err := src.keyType(ctx, lp.board)
		if err != nil {
			return im, err
		}
		if t != "zset" {
			bad(lp.board, "", "is a "+t+", not a sorted set")
		} else {
			var chunk []redis.Z
			flush := func() error {
				if stage() {
					if err := im.StageScores(ctx, chunk); err != nil {
						return err
					}
				}
				chunk = chunk[:0]
				return nil
			}
			seen := map[string]bool{}
			err := src.eachScore(ctx, lp.board, func(member, score string) error {
				if err := event.CheckUser(member); err != nil {
					bad(lp.board, member, err.Error())
					return nil
				}
				f, err := parseScore(score)
				if err != nil {
					bad(lp.board, member, err.Error())
					return nil
				}
				if !seen[member] {
					seen[member] = true
					pr.Players++
				}
				chunk = append(chunk, redis.Z{Member: member, Score: f})
				if int64(len(chunk)) >= o.Page {
					return flush()
				}
				return nil
			})
			if err == nil {
				err = flush()
			}
			if err != nil {
				return im, err
			}
		}
	}
	users := make([]string, 0, len(lp.stats))
	for _, user := range sortedKeys(lp.stats) {
		if err := event.CheckUser(user); err != nil {
			bad(lp.stats[user], "", err.Error())
			continue
		}
		users = append(users, user)
	}
	// Players are read and staged a page at a time: one round trip reads
	// the type and first HSCAN page of each, one stages them; only a hash
	// larger than a page is read on alone.
	for start := 0; start < len(users); start += int(o.Page) {
		batch := users[start:min(start+int(o.Page), len(users))]
		keys := make([]string, len(batch))
		for i, u := range batch {
			keys[i] = lp.stats[u]
		}
		pages, err := src.firstPages(ctx, keys)
		if err != nil {
			return im, err
		}
		chunk := map[string]map[string]int64{}
		for i, user := range batch {
			key, pg := keys[i], pages[i]
			if pg.typ == "none" {
				continue // deleted since the scan
			}
			if pg.typ != "hash" {
				bad(key, "", "is a "+pg.typ+", not a hash")
				continue
			}
			fields := map[string]int64{}
			take := func(field, value string) error {
				v, err := parseStat(value)
				if err != nil {
					bad(key, field, err.Error())
					return nil
				}
				fields[field] = v
				return nil
			}
			for j := 0; j+1 < len(pg.kv); j += 2 {
				_ = take(pg.kv[j], pg.kv[j+1])
			}
			if pg.next != 0 {
				if err := src.eachField(ctx, key, pg.next, take); err != nil {
					return im, err
				}
			}
			if len(fields) > 0 {
				pr.StatsHashes++
				pr.Fields += int64(len(fields))
				chunk[user] = fields
			}
		}
		if stage() && len(chunk) > 0 {
			if err := im.StageStats(ctx, chunk); err != nil {
				return im, err
			}
		}
	}

	switch {
	case pr.BadValues > 0 && !o.SkipBad:
		pr.Status = RefusedBad
		pr.Message = "bad values (listed): not imported; fix them in the old database and run again, or pass --skip-bad to import the product without them"
		if im != nil {
			if err := im.Drop(ctx); err != nil {
				return nil, err
			}
		}
		return nil, nil
	case hasData && !o.Merge:
		pr.Status = RefusedHasData
		pr.Message = fmt.Sprintf("statsctl already holds data for %s (%d players on its board, %d stats hashes); pass --merge to add the old values to it", p, n, pr.CurrentStats)
		return nil, nil
	case o.DryRun && o.Merge && hasData:
		pr.Status = WouldMerge
	case o.DryRun:
		pr.Status = WouldImport
	}
	if o.KeepsWins != nil && !o.KeepsWins(p) {
		pr.Message = "warning: the games configuration has no board \"wins\" for " + p + ": the imported board is not updated by new events, and the portal shows the configured default board"
	}
	if pr.BadValues > 0 {
		m := fmt.Sprintf("%s skipped (--skip-bad; listed); the rest is imported", plural(pr.BadValues, "bad value", "bad values"))
		if pr.Message != "" {
			m += "; " + pr.Message
		}
		pr.Message = m
	}
	return im, nil
}

// alreadyMessage tells from a marker when the product was imported and how
// much; a marker it cannot read is quoted.
func alreadyMessage(marker string) string {
	var m struct {
		At          string `json:"at"`
		Players     int64  `json:"players"`
		StatsHashes int64  `json:"stats_hashes"`
		Merged      bool   `json:"merged"`
	}
	if json.Unmarshal([]byte(marker), &m) != nil || m.At == "" {
		return fmt.Sprintf("imported before (marker %.80q); nothing changed", marker)
	}
	how := "imported"
	if m.Merged {
		how = "merged"
	}
	return fmt.Sprintf("%s before, at %s (%d players, %d stats hashes); nothing changed", how, m.At, m.Players, m.StatsHashes)
}

func plural(n int64, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.FormatInt(n, 10) + " " + many
}
