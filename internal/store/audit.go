package store

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// The audit stream: every moderation action writes two entries to
// Keys.Audit, "requested" BEFORE the action's script and "done" (or
// "failed") after it, the second naming the first in "ref". On a cluster
// the stream is a key of its own slot, so the three writes cannot be one
// script: a crash between them leaves a "requested" entry without its
// "done". That entry is the operator's cue: the action may or may not have
// run, and running it again is safe (every action is idempotent). The order
// guarantees that no action ever runs without an entry saying who asked
// for it and why.

// AuditEntry is one entry of the audit stream.
type AuditEntry struct {
	ID      string            `json:"id"`
	At      time.Time         `json:"at"`
	Status  string            `json:"status"` // requested | done | failed
	Ref     string            `json:"ref,omitempty"`
	Actor   string            `json:"actor"`
	Via     string            `json:"via,omitempty"`
	Action  string            `json:"action"`
	Product string            `json:"product_id,omitempty"`
	User    string            `json:"user_id,omitempty"`
	Board   string            `json:"board,omitempty"`
	Archive string            `json:"archive,omitempty"`
	Reason  string            `json:"reason,omitempty"`
	Result  string            `json:"result,omitempty"`
	Extra   map[string]string `json:"extra,omitempty"`
}

// auditFields is what one action records besides who.
type auditFields struct {
	action, product, user, board, archive string
	extra                                 []string // name, value pairs
}

// audited records the request, runs do, and records its outcome.
func (s *Store) audited(ctx context.Context, who Who, f auditFields, do func() (PlayerAction, error)) (PlayerAction, error) {
	var target []string
	add := func(k, v string) {
		if v != "" {
			target = append(target, k, v)
		}
	}
	add("product_id", f.product)
	add("user_id", f.user)
	add("board", f.board)
	add("archive", f.archive)
	vals := []string{"status", "requested", "at", time.Now().UTC().Format(time.RFC3339Nano), "actor", who.Actor,
		"via", who.Via, "action", f.action}
	vals = append(append(vals, target...), f.extra...)
	if who.Reason != "" {
		vals = append(vals, "reason", who.Reason)
	}
	ref, err := s.rdb.XAdd(ctx, &redis.XAddArgs{Stream: s.keys.Audit(), Values: vals}).Result()
	if err != nil {
		return PlayerAction{}, fmt.Errorf("%s: record the request in the audit stream %s (nothing was changed): %w", f.action, s.keys.Audit(), err)
	}
	res, err := do()
	status, result := "done", fmt.Sprintf("board_entries=%d rating_states=%d stats_erased=%t history_erased=%d ban_changed=%t",
		res.BoardEntries, res.RatingStates, res.StatsErased, res.HistoryErased, res.BanChanged)
	if err != nil {
		status, result = "failed", err.Error()
	}
	out := []string{"status", status, "ref", ref, "at", time.Now().UTC().Format(time.RFC3339Nano), "actor", who.Actor,
		"via", who.Via, "action", f.action}
	out = append(append(out, target...), "result", result)
	// The outcome is best effort: the request entry is already there.
	if aerr := s.rdb.XAdd(context.WithoutCancel(ctx), &redis.XAddArgs{Stream: s.keys.Audit(), Values: out}).Err(); aerr != nil && err == nil {
		err = fmt.Errorf("%s ran, but its outcome could not be recorded in %s (entry %s says it was requested): %w", f.action, s.keys.Audit(), ref, aerr)
	}
	return res, err
}

// Audit returns the last n entries of the audit stream (n <= 0: all),
// oldest first.
func (s *Store) Audit(ctx context.Context, n int64) ([]AuditEntry, error) {
	var msgs []redis.XMessage
	var err error
	if n > 0 {
		msgs, err = s.rdb.XRevRangeN(ctx, s.keys.Audit(), "+", "-", n).Result()
		for i, j := 0, len(msgs)-1; i < j; i, j = i+1, j-1 {
			msgs[i], msgs[j] = msgs[j], msgs[i]
		}
	} else {
		msgs, err = s.rdb.XRange(ctx, s.keys.Audit(), "-", "+").Result()
	}
	if err != nil {
		return nil, fmt.Errorf("read the audit stream %s: %w", s.keys.Audit(), err)
	}
	out := make([]AuditEntry, 0, len(msgs))
	for _, m := range msgs {
		e := AuditEntry{ID: m.ID}
		for k, v := range m.Values {
			sv, _ := v.(string)
			switch k {
			case "status":
				e.Status = sv
			case "ref":
				e.Ref = sv
			case "at":
				e.At, _ = time.Parse(time.RFC3339Nano, sv)
			case "actor":
				e.Actor = sv
			case "via":
				e.Via = sv
			case "action":
				e.Action = sv
			case "product_id":
				e.Product = sv
			case "user_id":
				e.User = sv
			case "board":
				e.Board = sv
			case "archive":
				e.Archive = sv
			case "reason":
				e.Reason = sv
			case "result":
				e.Result = sv
			default:
				if e.Extra == nil {
					e.Extra = map[string]string{}
				}
				e.Extra[k] = sv
			}
		}
		out = append(out, e)
	}
	return out, nil
}
