package engine_test

import (
	"bytes"
	"testing"
	"unicode/utf8"

	"github.com/varcade/statsctl/internal/engine"
	"github.com/varcade/statsctl/internal/event"
	"github.com/varcade/statsctl/internal/handler"
)

// streamFields decodes fuzz input into a stream entry's field map: fields
// separated by NUL, each "name=value" (a missing '=' is an empty value), as
// any producer could XADD them.
func streamFields(data []byte) map[string]any {
	vals := map[string]any{}
	for _, f := range bytes.Split(data, []byte{0}) {
		k, v, _ := bytes.Cut(f, []byte{'='})
		vals[string(k)] = string(v)
	}
	return vals
}

// FuzzStreamEntry: any field map a producer can XADD goes through stream
// decoding, validation and the handlers (engine.Prepare, the apply path's
// pure half) without a panic, and comes out as exactly one of: Invalid with
// a reason from the stable set, Ignored with no changes, or Applied with
// changes that name only well-formed players, the event's own product and
// its stream id, so nothing bad can reach a Redis key.
func FuzzStreamEntry(f *testing.F) {
	for _, s := range []string{
		"product_id=exrps\x00game_id=g1\x00type=game_over\x00winner_id=u1\x00loser_id=u2",
		"product_id=exrps\x00type=gameplay\x00event_name=select_weapon\x00event_data=null\x00user_id=u1",
		"product_id=exrps\x00type=gameplay\x00event_name=select_weapon\x00event_data=7\x00user_id=u1",
		"product_id=chess\x00type=game_over\x00winner_id=a\x00loser_id=a",
		"product_id=ex{rps}\x00type=game_over\x00winner_id=a\x00loser_id=b",
		"type=game_removed\x00game_id=g1",
		"raw={\"not\":\"fields\"}",
		"product_id=exrps\x00type=game_over\x00winner_id=\xff\x00loser_id=b",
	} {
		f.Add("1700000000000-0", []byte(s))
	}
	eng := offlineEngine(f)
	reasons := map[string]bool{handler.ReasonMissingField: true, handler.ReasonBadUser: true, handler.ReasonUnknownWeapon: true,
		handler.ReasonSamePlayer: true, handler.ReasonMalformed: true}
	f.Fuzz(func(t *testing.T, id string, data []byte) {
		vals := streamFields(data)
		ev := event.FromStream(id, vals)
		if ev.ID != id || len(ev.Fields) != len(vals) {
			t.Fatalf("FromStream lost the id or fields: %q %d/%d", ev.ID, len(ev.Fields), len(vals))
		}
		for k, v := range vals {
			if ev.Fields[k] != v {
				t.Fatalf("field %q: %q, want %q", k, ev.Fields[k], v)
			}
		}
		verr := ev.Validate()
		item, out := eng.Prepare(ev)
		switch out.Status {
		case engine.Invalid:
			if !reasons[out.Reason] || out.Detail == "" {
				t.Fatalf("invalid with reason %q detail %q", out.Reason, out.Detail)
			}
			if len(item.Changes) != 0 {
				t.Fatalf("invalid event has changes %v", item.Changes)
			}
		case engine.Ignored:
			if verr != nil || len(item.Changes) != 0 {
				t.Fatalf("ignored: validate %v, changes %v", verr, item.Changes)
			}
		case engine.Applied:
			if verr != nil {
				t.Fatalf("applied an event Validate refused: %v", verr)
			}
			if out.Product != ev.Product() || event.CheckProduct(out.Product) != nil || item.EventID != id || len(item.Changes) == 0 {
				t.Fatalf("applied: product %q id %q changes %v", out.Product, item.EventID, item.Changes)
			}
			for _, c := range item.Changes {
				if event.CheckUser(c.User) != nil || !utf8.ValidString(c.Board+c.Field) {
					t.Fatalf("change for a bad player or name: %v", c)
				}
			}
		default:
			t.Fatalf("status %v from Prepare", out.Status)
		}
		// The batch path gives the same verdict as the single one. (Not the
		// same Detail: with several bad fields, Validate names whichever
		// it meets first in map order.)
		if p := eng.PrepareBatch([]event.Event{ev}); p.Outcomes[0].Status != out.Status || p.Outcomes[0].Reason != out.Reason || p.Outcomes[0].Product != out.Product {
			t.Fatalf("PrepareBatch %+v, Prepare %+v", p.Outcomes[0], out)
		}
	})
}
