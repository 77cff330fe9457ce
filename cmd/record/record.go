// Package record is `statsctl record`: one game result typed by hand,
// applied exactly as a game_over event from the stream would be.
package record

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/varcade/statsctl/internal/cmdutil"
	"github.com/varcade/statsctl/internal/engine"
	"github.com/varcade/statsctl/internal/event"
	"github.com/varcade/statsctl/internal/render"
	"github.com/varcade/statsctl/internal/store"
)

type options struct {
	id   string
	game string
}

// NewCmd builds the command.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	var o options
	c := &cobra.Command{
		Use:   "record PRODUCT WINNER LOSER",
		Short: "Record one game result (as a game_over event would)",
		Example: `  statsctl record exrps u1 u2
  statsctl record exrps u1 u2 --id match-2031   # safe to repeat: counted once`,
		Args:              cmdutil.ExactArgs(3, "PRODUCT WINNER LOSER"),
		ValidArgsFunction: cmdutil.CompleteProducts(f),
		RunE: func(c *cobra.Command, args []string) error {
			return run(c, f, args, o)
		},
	}
	c.Flags().StringVar(&o.id, "id", "", "event id; recording the same id again changes nothing")
	c.Flags().StringVar(&o.game, "game", "manual", "game_id to record the result under")
	return c
}

type standing struct {
	UserID string  `json:"user_id"`
	Rank   int64   `json:"rank"`
	Score  float64 `json:"score"`
}

type result struct {
	Status  string   `json:"status"`
	Product string   `json:"product"`
	Board   string   `json:"board"`
	Winner  standing `json:"winner"`
	Loser   standing `json:"loser"`
}

func run(c *cobra.Command, f *cmdutil.Factory, args []string, o options) error {
	product, winner, loser := args[0], args[1], args[2]
	if err := cmdutil.CheckProduct(product); err != nil {
		return err
	}
	for _, u := range []string{winner, loser} {
		if err := cmdutil.CheckUser(u); err != nil {
			return err
		}
	}
	if winner == loser {
		return cmdutil.UsageErrorf("winner and loser are both %q; a game needs two players", winner)
	}
	fm, err := f.Format()
	if err != nil {
		return err
	}
	ctx := c.Context()
	eng, err := f.Engine(ctx)
	if err != nil {
		return err
	}
	st, err := f.Store(ctx)
	if err != nil {
		return err
	}
	ev := event.Event{ID: o.id, Fields: map[string]string{
		event.FieldProduct: product, event.FieldGame: o.game, event.FieldType: event.TypeGameOver,
		event.FieldWinner: winner, event.FieldLoser: loser,
	}}
	outs, err := eng.Apply(ctx, []event.Event{ev})
	if err != nil {
		return fmt.Errorf("record result for %s: %w", product, err)
	}
	if outs[0].Status == engine.Invalid {
		return fmt.Errorf("record result for %s: %s", product, outs[0].Detail)
	}
	reg, err := f.Registry()
	if err != nil {
		return err
	}
	board, err := cmdutil.Board(reg, product, "")
	if err != nil {
		return err
	}
	res := result{Status: outs[0].Status.String(), Product: product, Board: board}
	for _, p := range []struct {
		user string
		dst  *standing
	}{{winner, &res.Winner}, {loser, &res.Loser}} {
		s, err := st.Rank(ctx, store.RefOf(reg.Lookup(product), product, board), p.user)
		if err != nil {
			return fmt.Errorf("record result for %s: read back %s: %w", product, p.user, err)
		}
		*p.dst = standing{UserID: p.user, Rank: s.Rank, Score: s.Score}
	}
	return printResult(f, fm, res)
}

func printResult(f *cmdutil.Factory, fm render.Format, r result) error {
	switch fm {
	case render.FormatJSON:
		enc := json.NewEncoder(f.IO.Out)
		return enc.Encode(r)
	case render.FormatCSV:
		w := csv.NewWriter(f.IO.Out)
		_ = w.Write([]string{"status", "product", "board", "user_id", "rank", "score"})
		for _, s := range []standing{r.Winner, r.Loser} {
			_ = w.Write([]string{r.Status, r.Product, r.Board, s.UserID, strconv.FormatInt(s.Rank, 10), store.FormatScore(s.Score)})
		}
		w.Flush()
		return w.Error()
	}
	verb := "Recorded"
	if r.Status == engine.Duplicate.String() {
		verb = "Already recorded (same --id), nothing changed:"
	}
	_, err := fmt.Fprintf(f.IO.Out, "%s %s: %s beat %s.\n  %s  rank %d, %s %s\n  %s  rank %d, %s %s\n",
		verb, r.Product, r.Winner.UserID, r.Loser.UserID,
		r.Winner.UserID, r.Winner.Rank, r.Board, store.FormatScore(r.Winner.Score),
		r.Loser.UserID, r.Loser.Rank, r.Board, store.FormatScore(r.Loser.Score))
	return err
}
