package store

import (
	"strings"

	"github.com/varcade/statsctl/internal/streamid"
)

// Keys builds key names under a namespace. The layout is:
//
//	<ns>:{<product>}:lb:<board>      sorted set, member user id, score
//	<ns>:{<product>}:stats:<user>    hash, stat name -> integer or text
//	<ns>:{<product>}:seen:<bucket>   hash, event id -> 1 (applied-event markers)
//	<ns>:{<product>}:rt:<board>      hash, user id -> rating state (stateful boards)
//	<ns>:{<product>}:lb:<instance>^export-<token>  an export's snapshot of a board (expires)
//	<ns>:{<product>}:ix:<board>      sorted set, instance -> period start ms
//	                                 (registry of a periodic or split board)
//	<ns>:{<product>}:closed:<board>  hash, period id -> 1 (closed periods)
//	<ns>:products                    set of products that have data
//	<ns>:{<product>}:banned          hash, user id -> ban record (moderation.go)
//	<ns>:{<product>}:archives        hash, archive name -> record (moderation.go)
//	<ns>:{<product>}:archive:<name>:<suffix>  a reset board's keys (moderation.go)
//	<ns>:audit                       stream of moderation actions (audit.go)
//
// Scratch, when set, is appended to board, rating-state and marker key
// names (never to stats keys): `rebuild` writes a fresh copy of a board
// there and swaps it in when complete.
type Keys struct {
	NS      string
	Scratch string
}

func (k Keys) tag(product string) string { return k.NS + ":{" + product + "}:" }

// Board is the sorted set of one board.
func (k Keys) Board(product, board string) string { return k.tag(product) + "lb:" + board + k.Scratch }

// RatingState is the hash of every player's rating state on one board. One
// hash per board (not per player) lets a rebuild swap a board's whole state
// with a single RENAME.
func (k Keys) RatingState(product, board string) string {
	return k.tag(product) + "rt:" + board + k.Scratch
}

// Instances is the registry of a periodic or segmented board's instances
// (docs/boards.md): member the instance key part, score its period's start
// in ms (0 for an all-time board), written by the apply script with the
// event, so periods and segments can be listed and old periods trimmed.
func (k Keys) Instances(product, board string) string {
	return k.tag(product) + "ix:" + board + k.Scratch
}

// Closed is the hash of a periodic board's closed periods: the apply
// script refuses events of a period listed here.
func (k Keys) Closed(product, board string) string {
	return k.tag(product) + "closed:" + board + k.Scratch
}

// Stats is the hash of one player's stats in one product.
func (k Keys) Stats(product, user string) string { return k.tag(product) + "stats:" + user }

// Seen is the marker hash for applied events of one product. Stream ids
// ("<ms>-<seq>") go to an hourly bucket so old markers expire together; any
// other id goes to one bucket per product. Ids from outside the stream
// (ExternalID) get buckets of their own, "x" + the bucket their id would
// have had, so no file or HTTP request can mark a stream entry applied.
func (k Keys) Seen(product, eventID string) string {
	if rest, ok := strings.CutPrefix(eventID, externalPrefix); ok {
		return k.tag(product) + "seen" + k.Scratch + ":x" + streamid.HourBucket(rest)
	}
	return k.tag(product) + "seen" + k.Scratch + ":" + streamid.HourBucket(eventID)
}

// externalPrefix starts the marker id of every event from outside the
// stream. A stream entry id is digits and a '-', so it never starts so.
const externalPrefix = "x:"

// ExternalID is the marker id of an event whose id came from outside the
// stream (a JSONL line, POST /v1/events, track): stream entry ids are
// millisecond timestamps anyone can write into a file, so external ids are
// kept in a space of their own (see Seen) and can never suppress a future
// stream entry. "" stays "" (no identity).
func ExternalID(id string) string {
	if id == "" {
		return ""
	}
	return externalPrefix + id
}

// ExportInstance names the snapshot one export (`leaderboard --limit 0
// -o csv|json`) takes of a board instance: a copy of the instance's keys
// (board, tie-break, metadata) under the same product hash tag, so on its
// slot, with a short TTL so a killed export leaves nothing behind for long.
// '^' is in no board, period or segment name, so a snapshot is never
// another instance; token makes each export's copy its own.
func ExportInstance(instance, token string) string { return instance + "^export-" + token }

// Products is the set of product ids that have received data.
func (k Keys) Products() string { return k.NS + ":products" }
